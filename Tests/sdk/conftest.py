"""Fixtures for the end-to-end tests with the official `openai` Python SDK.

One session starts:
  * bifrost-mock over HTTPS, with a throw-away CA and a leaf for 127.0.0.1/localhost made by the
    openssl CLI in a temporary directory;
  * bifrost-http, with a config.json whose `openai` provider points at the mock and with
    SSL_CERT_FILE set to that CA, so the gateway trusts the mock only through the generated CA.

Both listen on port 0; the chosen port is read from their start-up log line. At the end both get
SIGTERM; bifrost-http must exit 0.

Binaries: $BIFROST_HTTP_BIN and $BIFROST_MOCK_BIN (default .build/debug/<name> under the repository).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import anthropic
import openai
import pytest

REPO = Path(__file__).resolve().parents[2]

MOCK_TEXT = "Hello! This is a mock response from bifrost-mock."
"""The mock's default reply (MockOptions.replyText)."""

LISTED_MODELS = ["gpt-4o-mini", "text-embedding-3-small"]
"""Models named by a key in the gateway's config, so GET /v1/models lists them as openai/<model>."""

START_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0

# The SDK's HTTP client honours HTTP(S)_PROXY; the gateway is local, so never go through a proxy.
for _name in ("NO_PROXY", "no_proxy"):
    _hosts = [h for h in os.environ.get(_name, "").split(",") if h]
    os.environ[_name] = ",".join(_hosts + [h for h in ("127.0.0.1", "localhost") if h not in _hosts])


def _binary(env: str, default: str) -> Path:
    value = os.environ.get(env)
    path = Path(value) if value else REPO / default
    if not path.is_absolute():
        path = REPO / path
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.exit(f"{env}: no executable at {path} (build it, or set {env})", returncode=2)
    return path


class Process:
    """A child process whose stderr (merged with stdout) is collected by a thread."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None):
        self.name = name
        self.argv = argv
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
        )
        self._reader = threading.Thread(target=self._read, name=f"{name}-log", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def log(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    match = pattern.search(line)
                    if match:
                        return match
                seen = len(self.lines)
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode} before it was ready:\n{self.log()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RuntimeError(f"{self.name} did not log {pattern.pattern!r} within {timeout}s:\n{self.log()}")
                self._changed.wait(min(remaining, 0.2))

    def terminate(self) -> int:
        """SIGTERM, then wait; SIGKILL (and return -9) if it does not stop in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        return self.proc.returncode


_no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _wait_tcp(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")


@pytest.fixture(scope="session")
def certs(tmp_path_factory) -> dict[str, Path]:
    """A CA and a leaf for 127.0.0.1/localhost signed by it (EC P-256, one day)."""
    d = tmp_path_factory.mktemp("certs")
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=d)
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "1",
             "-subj", "/CN=Bifrost SDK test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-out", "ca.pem", cwd=d)
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "leaf.key", cwd=d)
    _openssl("req", "-new", "-key", "leaf.key", "-subj", "/CN=127.0.0.1", "-out", "leaf.csr", cwd=d)
    (d / "leaf.ext").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
    )
    _openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "1", "-sha256", "-extfile", "leaf.ext", "-out", "leaf.pem", cwd=d)
    return {"ca": d / "ca.pem", "cert": d / "leaf.pem", "key": d / "leaf.key"}


@pytest.fixture(scope="session")
def mock_server(certs):
    """bifrost-mock over HTTPS on a free port; yields its https base URL."""
    binary = _binary("BIFROST_MOCK_BIN", ".build/debug/bifrost-mock")
    proc = Process("bifrost-mock", [str(binary), "-host", "127.0.0.1", "-port", "0", "-event-loops", "2",
                                    "-tls-cert", str(certs["cert"]), "-tls-key", str(certs["key"])])
    try:
        match = proc.wait_for_line(re.compile(r"listening on (https?)://127\.0\.0\.1:(\d+)"), START_TIMEOUT)
        assert match.group(1) == "https", f"bifrost-mock is not serving HTTPS:\n{proc.log()}"
        port = int(match.group(2))
        _wait_tcp(port, START_TIMEOUT)
        # The mock answers over TLS with the generated CA: proves the certificates are usable.
        tls = ssl.create_default_context(cafile=str(certs["ca"]))
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=tls))
        with opener.open(f"https://127.0.0.1:{port}/v1/models", timeout=5) as reply:
            assert reply.status == 200, reply.status
    except BaseException:
        proc.terminate()
        raise
    yield f"https://127.0.0.1:{port}"
    proc.terminate()


@pytest.fixture(scope="session", params=[[], ["-busy-poll", "200"]], ids=["default", "busy-poll"])
def gateway(request, mock_server, certs, tmp_path_factory):
    """bifrost-http on a free port, its `openai` provider pointing at the HTTPS mock.

    Every test that uses it runs twice: against the default gateway and against one whose event
    loops busy-poll (`-busy-poll 200`). Yields the process (its `.port` is the listening port).
    Teardown sends SIGTERM and asserts exit code 0.
    """
    binary = _binary("BIFROST_HTTP_BIN", ".build/debug/bifrost-http")
    config = tmp_path_factory.mktemp("gateway") / "config.json"
    config.write_text(json.dumps({
        "providers": {
            "openai": {
                # The first key serves every model; the second names two, so GET /v1/models
                # (which lists the models keys name) is not empty. Both reach the same mock.
                "keys": [
                    {"value": "sk-test", "models": []},
                    {"value": "sk-test-listed", "models": LISTED_MODELS},
                ],
                "network_config": {"base_url": mock_server, "max_retries": 0},
            },
            # The same mock speaks Anthropic's Messages API at /v1/messages.
            "anthropic": {
                "keys": [{"value": "sk-ant-test"}],
                "network_config": {"base_url": mock_server, "max_retries": 0},
            },
            # ... and Bedrock's Converse API at /model/{id}/converse (requests SigV4-signed).
            "bedrock": {
                "keys": [{"value": "AKIDTEST"}],
                "meta_config": {"region": "us-east-1", "secret_access_key": "test-secret"},
                "network_config": {"base_url": mock_server, "max_retries": 0},
            },
        }
    }, indent=2))
    env = dict(os.environ)
    env["SSL_CERT_FILE"] = str(certs["ca"])
    env.pop("SSL_CERT_DIR", None)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(proxy, None)
    proc = Process("bifrost-http", [str(binary), "-config", str(config), "-host", "127.0.0.1", "-port", "0",
                                    *request.param], env=env)
    try:
        match = proc.wait_for_line(re.compile(r"(?=.*bifrost-http listening).*\baddress=127\.0\.0\.1:(\d+)"), START_TIMEOUT)
        port = int(match.group(1))
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with _no_proxy.open(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"bifrost-http /health never answered 200:\n{proc.log()}")
            time.sleep(0.05)
    except BaseException:
        proc.terminate()
        raise
    proc.port = port
    yield proc
    code = proc.terminate()
    assert code == 0, f"bifrost-http exited with {code} after SIGTERM; log:\n{proc.log()}"


@pytest.fixture(scope="session")
def gateway_port(gateway) -> int:
    return gateway.port


@pytest.fixture(scope="session")
def client(gateway_port):
    """The official SDK pointed at the gateway; no SDK retries so error tests stay fast."""
    with openai.OpenAI(base_url=f"http://127.0.0.1:{gateway_port}/v1", api_key="unused",
                       max_retries=0, timeout=15.0) as sdk:
        yield sdk


@pytest.fixture(scope="session")
def mock_text() -> str:
    return MOCK_TEXT


@pytest.fixture(scope="session")
def openai_dropin(gateway_port):
    """The OpenAI SDK on the /openai drop-in route, as an unmodified application would use it."""
    with openai.OpenAI(base_url=f"http://127.0.0.1:{gateway_port}/openai/v1", api_key="unused",
                       max_retries=0, timeout=15.0) as sdk:
        yield sdk


@pytest.fixture(scope="session")
def claude(gateway_port):
    """The official `anthropic` SDK on the /anthropic drop-in route; no SDK retries."""
    with anthropic.Anthropic(base_url=f"http://127.0.0.1:{gateway_port}/anthropic", api_key="sk-ant-client",
                             max_retries=0, timeout=15.0) as sdk:
        yield sdk
