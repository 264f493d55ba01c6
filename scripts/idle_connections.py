#!/usr/bin/env python3
"""Open many idle keep-alive HTTP/1.1 connections to a loopback server and hold them.

Used by scripts/bench-server.sh to measure a server's memory with N open, idle connections:

    idle_connections.py --port 8080 --count 5000 --hold 60

Each connection sends one `GET /health HTTP/1.1` and reads the full response, so the server
sees a real keep-alive HTTP connection (not just an accepted socket). When every connection is
open and has been answered, "ready" is printed on stdout. The connections are then held until
stdin closes (EOF) or --hold seconds pass, whichever comes first. Progress and a summary go to
stderr. Exit status: 0 on success, 1 if the connections could not all be opened.

Standard library only; talks to 127.0.0.1 only.
"""

import argparse
import errno
import os
import resource
import selectors
import socket
import sys
import time

HOST = "127.0.0.1"


def log(message):
    print(f"idle_connections: {message}", file=sys.stderr, flush=True)


def raise_nofile_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(target, soft), hard))
    except (ValueError, OSError) as error:
        log(f"cannot raise RLIMIT_NOFILE to {target}: {error}")
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        log(f"warning: RLIMIT_NOFILE is {soft}, need about {needed} (hard limit {hard})")


class Conn:
    __slots__ = ("sock", "state", "buf", "need")

    def __init__(self, sock):
        self.sock = sock
        self.state = "connecting"  # connecting -> reading -> idle | failed
        self.buf = b""
        self.need = None  # total bytes of the response once headers are parsed


def response_complete(conn):
    """Return True once a full response is buffered; raise ValueError on a bad response."""
    if conn.need is None:
        end = conn.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(conn.buf) > 65536:
                raise ValueError("response head too large")
            return False
        head = conn.buf[:end].decode("latin-1")
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ValueError(f"bad status line {lines[0]!r}")
        if parts[1] != "200":
            raise ValueError(f"status {parts[1]}")
        length = None
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and "close" in value:
                raise ValueError("server answered 'Connection: close'")
        if chunked:
            conn.need = -1
        else:
            conn.need = end + 4 + (length or 0)
    if conn.need == -1:
        return conn.buf.endswith(b"0\r\n\r\n")
    return len(conn.buf) >= conn.need


def open_connections(port, count, concurrency, timeout):
    """Open `count` answered keep-alive connections; returns (conns, failures)."""
    request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    sel = selectors.DefaultSelector()
    idle = []
    failures = {}
    started = 0
    in_flight = 0
    deadline = time.monotonic() + timeout
    last_report = time.monotonic()

    def fail(conn, reason):
        nonlocal in_flight
        failures[reason] = failures.get(reason, 0) + 1
        try:
            sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()
        conn.state = "failed"
        in_flight -= 1

    while len(idle) + sum(failures.values()) < count:
        # Start new connection attempts, at most `concurrency` in flight (keeps the accept backlog sane).
        while started < count and in_flight < concurrency:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            conn = Conn(sock)
            started += 1
            in_flight += 1
            rc = sock.connect_ex((HOST, port))
            if rc not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
                sel.register(sock, selectors.EVENT_WRITE, conn)  # so fail() can unregister it
                fail(conn, f"connect: {os.strerror(rc)}")
                continue
            sel.register(sock, selectors.EVENT_WRITE, conn)

        now = time.monotonic()
        if now >= deadline:
            failures["timed out"] = count - len(idle) - sum(failures.values())
            break
        if now - last_report >= 2:
            log(f"{len(idle)}/{count} open...")
            last_report = now

        for key, _ in sel.select(timeout=min(1.0, max(0.0, deadline - now))):
            conn = key.data
            sock = conn.sock
            if conn.state == "connecting":
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    fail(conn, f"connect: {os.strerror(err)}")
                    continue
                try:
                    sent = sock.send(request)  # tiny request: fits in the fresh socket buffer
                except OSError as error:
                    fail(conn, f"send: {error.strerror}")
                    continue
                if sent != len(request):
                    fail(conn, "short send")
                    continue
                conn.state = "reading"
                sel.modify(sock, selectors.EVENT_READ, conn)
            elif conn.state == "reading":
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as error:
                    fail(conn, f"recv: {error.strerror}")
                    continue
                if not data:
                    fail(conn, "closed by server before responding")
                    continue
                conn.buf += data
                try:
                    done = response_complete(conn)
                except ValueError as error:
                    fail(conn, str(error))
                    continue
                if done:
                    sel.unregister(sock)
                    conn.state = "idle"
                    conn.buf = b""
                    in_flight -= 1
                    idle.append(conn)

    sel.close()
    return idle, failures


def hold(conns, seconds):
    """Hold connections until stdin reaches EOF or `seconds` pass; returns how many the server closed."""
    sel = selectors.DefaultSelector()
    try:
        sel.register(sys.stdin.fileno(), selectors.EVENT_READ, None)
    except (ValueError, OSError):
        pass  # stdin not selectable (e.g. already closed): hold for the time only
    for conn in conns:
        sel.register(conn.sock, selectors.EVENT_READ, conn)
    closed = 0
    deadline = time.monotonic() + seconds
    stdin_open = True
    while stdin_open:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        for key, _ in sel.select(timeout=remaining):
            if key.data is None:  # stdin: EOF means "release the connections now"
                if not os.read(key.fd, 4096):
                    stdin_open = False
                continue
            conn = key.data
            try:
                data = conn.sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed += 1
                sel.unregister(conn.sock)
    sel.close()
    return closed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="server port on 127.0.0.1")
    parser.add_argument("--count", type=int, default=5000, help="connections to open (default 5000)")
    parser.add_argument("--hold", type=float, default=60.0,
                        help="seconds to hold the connections at most (default 60); stdin EOF ends sooner")
    parser.add_argument("--concurrency", type=int, default=256,
                        help="connection attempts in flight at once (default 256)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds allowed to open all connections (default 30)")
    args = parser.parse_args()
    if not (0 < args.port < 65536) or args.count < 1:
        parser.error("need 0 < --port < 65536 and --count >= 1")

    raise_nofile_limit(args.count + 64)
    began = time.monotonic()
    conns, failures = open_connections(args.port, args.count, max(1, args.concurrency), args.timeout)
    elapsed = time.monotonic() - began
    if failures:
        details = ", ".join(f"{n} {reason}" for reason, n in sorted(failures.items(), key=lambda kv: -kv[1]))
        log(f"only {len(conns)}/{args.count} connections opened in {elapsed:.1f}s ({details})")
        for conn in conns:
            conn.sock.close()
        return 1
    log(f"{len(conns)} keep-alive connections open in {elapsed:.1f}s")
    print("ready", flush=True)

    closed = hold(conns, args.hold)
    if closed:
        log(f"server closed {closed} of {len(conns)} idle connections while they were held")
    for conn in conns:
        conn.sock.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
