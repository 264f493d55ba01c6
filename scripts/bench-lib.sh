# bench-lib.sh: shell helpers shared by bench-server.sh, bench-client.sh and bench.sh. Sourced, not run:
#
#   BENCH_NAME=bench-server                        # prefix of messages (default: the script's name)
#   source "$(dirname "$0")/bench-lib.sh" || exit 1
#
# Settings a script may change after sourcing (defaults in brackets):
#   STOP_GRACE          seconds stop_pid waits after SIGTERM before SIGKILL [7]
#   POST_POLL_INTERVAL  seconds between wait_post probes [0.2]
#   RULE_WIDTH          width of rule's line [78]
#
# The script defines stop_processes (called by cleanup on exit); the helpers use its globals WORK
# (set by make_workdir), TOOL_PID (run_bounded) and CERTS (make_certs). Needs bash 4.

BENCH_NAME="${BENCH_NAME:-$(basename "$0" .sh)}"
STOP_GRACE=7
POST_POLL_INTERVAL=0.2
RULE_WIDTH=78

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

show_log() { sed 's/^/    /' "$1" >&2; }

resolve() { [[ "$1" == /* || -e "$1" ]] && echo "$1" || echo "$ROOT/$1"; }  # defaults are relative to the repo

# --- Environment ------------------------------------------------------------------------------------
find_nginx() { # sets NGINX, or dies
    NGINX="$(command -v nginx || true)"
    [[ -z "$NGINX" && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
    [[ -n "$NGINX" ]] || die "nginx is not installed (apt-get install nginx-light)"
}

raise_nofile() { # raises the open-file limit (inherited by the processes started later); sets NOFILE
    if ! ulimit -n 65536 2>/dev/null; then
        ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    fi
    NOFILE="$(ulimit -n)"
}

# --- Processes and cleanup --------------------------------------------------------------------------
# make_workdir: creates WORK (a temporary directory) and installs the traps: on exit, cleanup stops the
# script's processes (its stop_processes) and deletes WORK; INT/TERM exit 130 through it.
make_workdir() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/$BENCH_NAME.XXXXXX")" || die "cannot create a temporary directory"
    trap cleanup EXIT
    trap 'echo; echo "$BENCH_NAME: interrupted" >&2; exit 130' INT TERM
}

cleanup() {
    trap - EXIT
    trap '' INT TERM   # a second Ctrl-C must not abort the cleanup
    stop_processes
    rm -rf "$WORK"
}

stop_pid() { # stop_pid PID: SIGTERM, wait up to STOP_GRACE s, then SIGKILL
    local pid="$1" i
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < STOP_GRACE * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# run_bounded SECONDS OUT CMD...: CMD with stdout+stderr to OUT, at most SECONDS, in the background so
# that a signal to this script is handled at once (cleanup stops it). Returns CMD's status.
run_bounded() {
    local limit="$1" out="$2" rc
    shift 2
    timeout -k 5 "$limit" "$@" >"$out" 2>&1 &
    TOOL_PID=$!
    wait "$TOOL_PID"
    rc=$?
    TOOL_PID=""
    return "$rc"
}

child_pids() { # child_pids PID: direct children of PID (from /proc/*/stat)
    local want="$1" stat pid rest fields
    for stat in /proc/[0-9]*/stat; do
        read -r pid rest 2>/dev/null <"$stat" || continue
        rest="${rest##*) }"              # skip "(comm)", which may contain spaces
        read -r -a fields <<<"$rest"     # fields[0] = state, fields[1] = ppid
        [[ "${fields[1]:-}" == "$want" ]] && echo "$pid"
    done
}

# --- Ports and readiness ----------------------------------------------------------------------------
free_port() { # a port the kernel hands out as free (needs python3)
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pick_port() { # a port nothing listens on, below the ephemeral range (so no client socket takes it)
    local used p i
    used=" $(awk 'FNR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        while read -r h; do echo $((16#$h)); done | tr '\n' ' ') "
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 12000))
        [[ "$used" != *" $p "* ]] && { echo "$p"; return 0; }
    done
    echo 28080
}

# wait_healthy NAME PORT PID LOG: until GET http://127.0.0.1:PORT/health succeeds (10 s); otherwise
# shows the log and exits.
wait_healthy() {
    local name="$1" port="$2" pid="$3" log="$4" deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)); do
        curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/health" && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$BENCH_NAME: $name exited during startup; its log:" >&2
            show_log "$log"
            exit 1
        fi
        sleep 0.1
    done
    echo "$BENCH_NAME: $name did not answer http://127.0.0.1:$port/health within 10 s; its log:" >&2
    show_log "$log"
    exit 1
}

# wait_port NAME PID LOG REGEX: prints the port a server logged (REGEX, a sed pattern with one group)
# within 10 s; otherwise shows the log and returns 1.
wait_port() {
    local name="$1" pid="$2" log="$3" regex="$4" port="" deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)); do
        port="$(sed -n "s#$regex#\\1#p" "$log" | head -n 1)"
        [[ -n "$port" ]] && { echo "$port"; return 0; }
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$BENCH_NAME: $name exited during startup; its log:" >&2; show_log "$log"; return 1
        fi
        sleep 0.1
    done
    echo "$BENCH_NAME: $name did not report its port within 10 s; its log:" >&2; show_log "$log"; return 1
}

# wait_post NAME PID LOG URL BODY [CURL ARGS...]: until POST URL answers 200 (10 s); otherwise shows
# the log and exits.
wait_post() {
    local name="$1" pid="$2" log="$3" url="$4" body="$5" status="" deadline=$((SECONDS + 10))
    shift 5
    while ((SECONDS < deadline)); do
        status="$(curl -s -o "$WORK/probe.json" -w '%{http_code}' --max-time 2 "$@" \
            -H 'content-type: application/json' --data-binary "@$body" "$url" 2>"$WORK/curl.err")"
        [[ "$status" == 200 ]] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep "$POST_POLL_INTERVAL"
    done
    echo "$BENCH_NAME: $name did not answer POST $url with 200 within 10 s (last status '$status'; curl: $(cat "$WORK/curl.err"); body: $(head -c 300 "$WORK/probe.json" 2>/dev/null)); its log:" >&2
    show_log "$log"
    exit 1
}

# --- Certificates -----------------------------------------------------------------------------------
# make_certs CA_NAME: a throwaway CA and a leaf certificate for 127.0.0.1 and localhost, in CERTS =
# $WORK/certs (deleted with WORK): ca.pem, leaf.pem, leaf.key. Exits if openssl fails.
make_certs() {
    local ca_name="$1"
    CERTS="$WORK/certs"
    mkdir -p "$CERTS" && chmod 700 "$CERTS"
    cat >"$CERTS/leaf.ext" <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EOF
    openssl_or_die req -x509 -newkey rsa:2048 -nodes -sha256 -days 1 -subj "/CN=$ca_name" \
        -keyout "$CERTS/ca.key" -out "$CERTS/ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl_or_die req -newkey rsa:2048 -nodes -sha256 -subj "/CN=127.0.0.1" \
        -keyout "$CERTS/leaf.key" -out "$CERTS/leaf.csr"
    openssl_or_die x509 -req -in "$CERTS/leaf.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" -CAcreateserial \
        -days 1 -sha256 -extfile "$CERTS/leaf.ext" -out "$CERTS/leaf.pem"
}

openssl_or_die() {
    openssl "$@" >"$WORK/openssl.log" 2>&1 && return 0
    echo "$BENCH_NAME: openssl $1 failed:" >&2
    show_log "$WORK/openssl.log"
    exit 1
}

# --- Results ----------------------------------------------------------------------------------------
# parse_wrk FILE → "rps p50_us p99_us requests errors", latencies in microseconds, or ERR.
parse_wrk() {
    awk '
        function us(v,   n, u) {
            n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
            if (u == "us") return n
            if (u == "ms") return n * 1000
            if (u == "s")  return n * 1000000
            if (u == "m")  return n * 60000000
            if (u == "h")  return n * 3600000000
            return -1
        }
        /Latency Distribution/ { dist = 1; next }
        dist && $1 == "50%" { p50 = us($2) }
        dist && $1 == "99%" { p99 = us($2) }
        / requests in /     { dist = 0; requests = $1 }
        /^Requests\/sec:/   { rps = $2 }
        /Socket errors:/    { for (i = 3; i <= NF; i++) { gsub(/,/, "", $i); if ($i ~ /^[0-9]+$/) errors += $i } }
        /Non-2xx or 3xx/    { errors += $NF }
        END {
            if (rps == "" || p50 == "" || p99 == "" || requests == "") { print "ERR"; exit }
            printf "%s %s %s %s %d\n", rps, p50, p99, requests, errors
        }' "$1"
}

fmt_us() { # human latency from microseconds ("-" passes through)
    [[ "$1" == - ]] && { echo -; return; }
    awk -v v="$1" 'BEGIN {
        s = (v < 0) ? "-" : ""; if (v < 0) v = -v
        if (v >= 1000000) printf "%s%.2fs", s, v / 1000000
        else if (v >= 1000) printf "%s%.2fms", s, v / 1000
        else printf "%s%.0fus", s, v }'
}

fmt_mb() { [[ "$1" == - ]] && echo - || awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }  # from kB

median() { # median of the arguments, "-" if none
    (($# == 0)) && { echo -; return; }
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

verdict() { # verdict VALUE OP TARGET → PASS / MISS (OP: >=, <= or <; MISS if either is "-" or "n/a")
    [[ "$1" == - || "$1" == n/a || "$3" == - ]] && { echo MISS; return; }
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
        ok = (op == ">=") ? (v >= t) : (op == "<=") ? (v <= t) : (op == "<") ? (v < t) : 0
        print ok ? "PASS" : "MISS" }'
}

rule() { printf '%*s\n' "$RULE_WIDTH" '' | tr ' ' '-'; }
