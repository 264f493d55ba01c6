#!/usr/bin/env bash
# bench.sh: end-to-end gateway benchmark (`make bench`): load generator → bifrost-http → bifrost-mock,
# side by side with the same mock served directly and behind nginx, on 127.0.0.1.
#
# Three targets, measured in one run with interleaved rounds (the order rotates every round):
#   direct   the load generator → bifrost-mock (the floor: no proxy at all)
#   nginx    → nginx proxy_pass (upstream keepalive 64) → the same mock (the floor a pure proxy sets)
#   bifrost  → bifrost-http (openai provider, base_url = the mock) → the same mock
#   bifrost-bp  → a second bifrost-http, started with -busy-poll BUSY_POLL_US (its loops poll for that
#            long after a light batch instead of sleeping at once; more CPU at low load, less latency)
# once with the mock over HTTP and once over HTTPS (a throwaway CA and leaf certificate made with the
# openssl command, deleted on exit; nginx and the gateway both verify it: nginx with
# proxy_ssl_trusted_certificate, the gateway through SSL_CERT_FILE). The client → nginx/gateway leg is
# always plain HTTP; for "direct" over HTTPS wrk speaks TLS to the mock itself (without verifying).
#
# Every request is POST /v1/chat/completions with the same ~400-byte chat body; the gateway's names the
# model "openai/gpt-4o-mini", the others "gpt-4o-mini" (the mock accepts any model).
#
#   1. wrk --latency with a Lua POST script at 1 connection (-t1) and 64 connections (-t2), ROUNDS
#      interleaved rounds of DURATION each, after a 1 s warm-up of every target.
#   2. A fixed rate: `hey -z RATE_DURATION -c 50 -q 100` (hey's -q is per worker: 50 × 100 = 5,000
#      requests/s) against nginx and bifrost-http, HTTP upstream.
#
# Prints per-round rows, then per upstream and concurrency the medians: requests/s, p50, p99, the
# latency added over direct (p50 and p99 differences), CPU per request for nginx (master + workers)
# and bifrost-http (utime+stime from /proc/PID/stat before and after each run ÷ requests), the rate
# results, peak RSS (VmHWM from /proc/PID/status; nginx is master + workers summed) and the targets:
#   - bifrost's added p50 at 1 connection ≤ 1.5 × nginx's added p50 (both bifrost-http settings)
#   - bifrost's requests/s at 64 connections ≥ 0.7 × nginx's (both settings)
#   - 5,000 requests/s held (achieved ≥ 98%) with 0 errors (non-2xx + transport errors)
#   - bifrost-http's peak RSS under 100 MB
#
# All of it shares the machine's cores: the mock (2 event loops), nginx (2 workers), bifrost-http (one
# event loop per core) and the load generator run side by side on the same (typically 2) CPUs, so the
# numbers measure cost on a shared machine, not any one process's ceiling. nginx runs with
# access_log off. bifrost-http runs at its default log level, info, so it writes its one request line
# per request to stderr (a file here; the status codes it logged are summarised at the end).
#
# Informational: exits 0 whatever the numbers (exits 1 only if it cannot run). Loopback only. With the
# defaults the whole run takes about 5 minutes; QUICK=1 (2 s runs, 1 round, 5 s rate test) about 1.
#
# Environment (all optional):
#   BIFROST_BIN        bifrost-http binary      (default .build/release/bifrost-http)
#   BIFROST_MOCK_BIN   bifrost-mock binary      (default .build/release/bifrost-mock)
#   DURATION           seconds per wrk run      (default 5; QUICK=1: 2)
#   ROUNDS             interleaved rounds       (default 3; QUICK=1: 1)
#   RATE_DURATION      seconds of the fixed-rate test (default 20; QUICK=1: 5)
#   BUSY_POLL_US       -busy-poll of the bifrost-bp target, in microseconds (default 200)
#   QUICK              1: short runs for testing the script
#
# Needs: wrk, nginx (apt: wrk nginx-light), hey, openssl, curl, timeout (coreutils).

set -uo pipefail

BENCH_NAME=bench
source "$(dirname "$0")/bench-lib.sh" || exit 1   # die, stop_pid, cleanup, run_bounded, make_certs, parse_wrk, ...
STOP_GRACE=7              # the mock gives in-flight requests 5 s
RULE_WIDTH=100

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(resolve "${BIFROST_BIN:-.build/release/bifrost-http}")"
MOCK_BIN="$(resolve "${BIFROST_MOCK_BIN:-.build/release/bifrost-mock}")"
QUICK="${QUICK:-}"
if [[ -n "$QUICK" && "$QUICK" != 0 ]]; then
    QUICK=1; DEFAULT_DURATION=2; DEFAULT_ROUNDS=1; DEFAULT_RATE_DURATION=5
else
    QUICK=""; DEFAULT_DURATION=5; DEFAULT_ROUNDS=3; DEFAULT_RATE_DURATION=20
fi
DURATION="${DURATION:-$DEFAULT_DURATION}"; DURATION="${DURATION%s}"
ROUNDS="${ROUNDS:-$DEFAULT_ROUNDS}"
RATE_DURATION="${RATE_DURATION:-$DEFAULT_RATE_DURATION}"; RATE_DURATION="${RATE_DURATION%s}"
BUSY_POLL_US="${BUSY_POLL_US:-200}"
CONCURRENCIES=(1 64)
RATE_WORKERS=50
RATE_PER_WORKER=100
RATE=$((RATE_WORKERS * RATE_PER_WORKER))   # requests/s

# Targets (informational).
TARGET_ADDED_P50_RATIO=1.5   # bifrost added p50 ÷ nginx added p50 ≤ this (1 connection)
TARGET_RPS_RATIO=0.7         # bifrost req/s ÷ nginx req/s ≥ this (64 connections)
TARGET_RATE_HELD=0.98        # achieved ÷ requested rate ≥ this, with 0 errors
TARGET_RSS_MB=100            # bifrost-http peak RSS < this

# --- Preconditions ----------------------------------------------------------------------------------
[[ -x "$BIN" ]] || die "bifrost-http binary not found at '$BIN' (build it: swift build -c release --product bifrost-http, or set BIFROST_BIN)"
[[ -x "$MOCK_BIN" ]] || die "bifrost-mock binary not found at '$MOCK_BIN' (build it: swift build -c release --product bifrost-mock, or set BIFROST_MOCK_BIN)"
command -v wrk >/dev/null 2>&1 || die "wrk is not installed (apt-get install wrk)"
find_nginx
command -v hey >/dev/null 2>&1 || die "hey is not installed (apt-get install hey)"
command -v openssl >/dev/null 2>&1 || die "openssl is not installed (apt-get install openssl)"
command -v curl >/dev/null 2>&1 || die "curl is not installed (apt-get install curl)"
command -v timeout >/dev/null 2>&1 || die "timeout is not installed (coreutils)"
[[ -r /proc/self/stat ]] || die "/proc is not available (needed for CPU and memory figures)"
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a whole number of seconds (got '$DURATION')"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer (got '$ROUNDS')"
[[ "$RATE_DURATION" =~ ^[1-9][0-9]*$ ]] || die "RATE_DURATION must be a whole number of seconds (got '$RATE_DURATION')"
[[ "$BUSY_POLL_US" =~ ^[1-9][0-9]*$ ]] || die "BUSY_POLL_US must be a positive number of microseconds (got '$BUSY_POLL_US')"
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"

raise_nofile
[[ "$NOFILE" == unlimited ]] && NOFILE=65536

# --- Cleanup ----------------------------------------------------------------------------------------
MOCK_PID=""
NGINX_PID=""
NGINX_WORKERS=""
BIFROST_PID=""
BIFROST_BP_PID=""
TOOL_PID=""

stop_servers() { # stops this phase's processes (nginx workers too, should the master die first)
    local w
    stop_pid "$TOOL_PID"; TOOL_PID=""
    stop_pid "$BIFROST_PID"; BIFROST_PID=""
    stop_pid "$BIFROST_BP_PID"; BIFROST_BP_PID=""
    stop_pid "$NGINX_PID"; NGINX_PID=""
    for w in $NGINX_WORKERS; do kill -0 "$w" 2>/dev/null && kill -KILL "$w" 2>/dev/null; done
    NGINX_WORKERS=""
    stop_pid "$MOCK_PID"; MOCK_PID=""
}

stop_processes() { stop_servers; }   # for cleanup
make_workdir

# --- Helpers ----------------------------------------------------------------------------------------
cpu_ticks() { # cpu_ticks PID...: utime + stime summed over the processes (all threads), in clock ticks
    local total=0 pid line rest fields
    for pid in "$@"; do
        line="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
        rest="${line##*) }"
        read -r -a fields <<<"$rest"     # fields[11] = utime (field 14), fields[12] = stime (field 15)
        total=$((total + ${fields[11]:-0} + ${fields[12]:-0}))
    done
    echo "$total"
}

hwm_kb() { # hwm_kb PID...: VmHWM (peak resident set) summed over the processes, in kB
    local total=0 pid v
    for pid in "$@"; do
        v="$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)"
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# parse_hey FILE → "rps p50_us p99_us responses non2xx errors statuses", or ERR. statuses: "200:N,502:M".
parse_hey() {
    awk '
        /^Summary:/                 { section = "summary" }
        /^Latency distribution:/    { section = "latency" }
        /^Status code distribution:/ { section = "status" }
        /^Error distribution:/      { section = "error" }
        section == "summary" && $1 == "Requests/sec:" { rps = $2 }
        section == "latency" && $1 == "50%" { p50 = $3 * 1000000 }
        section == "latency" && $1 == "99%" { p99 = $3 * 1000000 }
        section == "status" && $1 ~ /^\[[0-9]+\]$/ {
            code = substr($1, 2, length($1) - 2); n = $2 + 0; responses += n
            if (code < 200 || code > 299) non2xx += n
            statuses = statuses (statuses == "" ? "" : ",") code ":" n
        }
        section == "error" && $1 ~ /^\[[0-9]+\]$/ { errors += substr($1, 2, length($1) - 2) + 0 }
        END {
            if (rps == "") { print "ERR"; exit }
            if (p50 == "") p50 = "-"
            if (p99 == "") p99 = "-"
            printf "%s %s %s %d %d %d %s\n", rps, p50, p99, responses, non2xx, errors, (statuses == "" ? "none" : statuses)
        }' "$1"
}

fmt_added() { # fmt_added US: "+1.23ms" / "-12us" / "-"
    [[ "$1" == - ]] && { echo -; return; }
    awk -v v="$1" 'BEGIN { exit !(v >= 0) }' && echo "+$(fmt_us "$1")" || fmt_us "$1"
}

fmt_rps() { [[ "$1" == - ]] && echo - || printf '%.0f' "$1"; }
fmt_cpu() { [[ "$1" == - ]] && echo - || awk -v v="$1" 'BEGIN { printf "%.1fus", v }'; }

diff_of() { [[ "$1" == - || "$2" == - ]] && echo - || awk -v a="$1" -v b="$2" 'BEGIN { print a - b }'; }
ratio() { [[ "$1" == - || "$2" == - ]] && echo - || awk -v a="$1" -v b="$2" 'BEGIN { if (b != 0) printf "%.2f", a / b; else print "-" }'; }
exact_ratio() { [[ "$1" == - || "$2" == - ]] && echo - || awk -v a="$1" -v b="$2" 'BEGIN { if (b != 0) printf "%.6f", a / b; else print "-" }'; }  # for verdicts

# cpu_per_request TICKS REQUESTS → microseconds of CPU per request, "-" when unknown
cpu_per_request() {
    [[ "$1" == - || -z "$2" || "$2" == 0 ]] && { echo -; return; }
    awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t * 1000000 / hz / n }'
}

# --- Certificates (throwaway, in $WORK only) ---------------------------------------------------------
make_certs "bifrost bench CA"

# --- Request bodies and wrk scripts -----------------------------------------------------------------
# A typical ~400-byte chat completion request; the gateway's names the provider in the model.
body_for() { # body_for MODEL
    printf '{"model":"%s","messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly and precisely."},{"role":"user","content":"Summarize the main differences between HTTP/1.1 keep-alive and HTTP/2 multiplexing for a backend engineer in two or three sentences, focusing on latency and connection reuse."}],"temperature":0.7,"max_tokens":256,"top_p":1,"stream":false,"user":"bench"}' "$1"
}
body_for gpt-4o-mini >"$WORK/body-plain.json"
body_for openai/gpt-4o-mini >"$WORK/body-gateway.json"
for kind in plain gateway; do
    {
        echo 'wrk.method = "POST"'
        printf 'wrk.body = [==[%s]==]\n' "$(cat "$WORK/body-$kind.json")"
        echo 'wrk.headers["Content-Type"] = "application/json"'
    } >"$WORK/post-$kind.lua"
done

# --- Phase servers ----------------------------------------------------------------------------------
# start_servers SCHEME (http|https): the mock, nginx in front of it and the two bifrost-http in front of it.
# Sets MOCK_PORT NGINX_PORT BIFROST_PORT BIFROST_BP_PORT, the PIDs and URL_direct URL_nginx URL_bifrost URL_bifrost_bp.
start_servers() {
    local scheme="$1" tls_args=() curl_tls=() gw_env=() attempt ssl_conf=""
    local log_dir="$WORK/$scheme"
    mkdir -p "$log_dir"

    # bifrost-mock, 2 event loops.
    [[ "$scheme" == https ]] && tls_args=(-tls-cert "$CERTS/leaf.pem" -tls-key "$CERTS/leaf.key")
    "$MOCK_BIN" -host 127.0.0.1 -port 0 -event-loops 2 -log-level info "${tls_args[@]}" >"$log_dir/mock.log" 2>&1 &
    MOCK_PID=$!
    MOCK_PORT="$(wait_port bifrost-mock "$MOCK_PID" "$log_dir/mock.log" \
        ".*bifrost-mock listening on $scheme://127\.0\.0\.1:\([0-9][0-9]*\).*")" || exit 1
    URL_direct="$scheme://127.0.0.1:$MOCK_PORT/v1/chat/completions"
    [[ "$scheme" == https ]] && curl_tls=(--cacert "$CERTS/ca.pem")
    wait_post bifrost-mock "$MOCK_PID" "$log_dir/mock.log" "$URL_direct" "$WORK/body-plain.json" "${curl_tls[@]}"

    # nginx, 2 workers, upstream keepalive.
    mkdir -p "$log_dir/nginx/logs" "$log_dir/nginx/tmp"
    if [[ "$scheme" == https ]]; then
        ssl_conf="proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $CERTS/ca.pem;
            proxy_ssl_name localhost;
            proxy_ssl_server_name on;
            proxy_ssl_session_reuse on;"
    fi
    for attempt in 1 2 3; do
        NGINX_PORT="$(pick_port)"
        cat >"$log_dir/nginx/nginx.conf" <<EOF
$( ((EUID == 0)) && echo "user root;")
worker_processes 2;
worker_rlimit_nofile $NOFILE;
pid $log_dir/nginx/nginx.pid;
error_log $log_dir/nginx/logs/error.log warn;

events {
    worker_connections 8192;
}

http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    client_body_temp_path $log_dir/nginx/tmp/client_body;
    proxy_temp_path $log_dir/nginx/tmp/proxy;
    fastcgi_temp_path $log_dir/nginx/tmp/fastcgi;
    uwsgi_temp_path $log_dir/nginx/tmp/uwsgi;
    scgi_temp_path $log_dir/nginx/tmp/scgi;

    upstream mock {
        server 127.0.0.1:$MOCK_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }

    server {
        listen 127.0.0.1:$NGINX_PORT;
        server_name _;
        location / {
            proxy_pass $scheme://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            $ssl_conf
        }
    }
}
EOF
        "$NGINX" -e "$log_dir/nginx/logs/error.log" -p "$log_dir/nginx" -c "$log_dir/nginx/nginx.conf" \
            -g 'daemon off;' >"$log_dir/nginx/logs/stdout.log" 2>&1 &
        NGINX_PID=$!
        sleep 0.3
        kill -0 "$NGINX_PID" 2>/dev/null && break
        wait "$NGINX_PID" 2>/dev/null
        NGINX_PID=""
        grep -q 'Address already in use' "$log_dir/nginx/logs/error.log" "$log_dir/nginx/logs/stdout.log" 2>/dev/null || break
    done
    if [[ -z "$NGINX_PID" ]]; then
        echo "bench: nginx did not start; its log:" >&2
        cat "$log_dir/nginx/logs/error.log" "$log_dir/nginx/logs/stdout.log" 2>/dev/null | sed 's/^/    /' >&2
        exit 1
    fi
    URL_nginx="http://127.0.0.1:$NGINX_PORT/v1/chat/completions"
    wait_post nginx "$NGINX_PID" "$log_dir/nginx/logs/error.log" "$URL_nginx" "$WORK/body-plain.json"
    NGINX_WORKERS="$(child_pids "$NGINX_PID" | tr '\n' ' ')"

    # bifrost-http, one event loop per core; trusts the throwaway CA through SSL_CERT_FILE.
    cat >"$log_dir/bifrost-config.json" <<EOF
{"providers": {"openai": {"keys": [{"value": "sk-bench"}], "network_config": {"base_url": "$scheme://127.0.0.1:$MOCK_PORT"}, "concurrency_and_buffer_size": {"concurrency": 1000, "buffer_size": 5000}}}}
EOF
    [[ "$scheme" == https ]] && gw_env=(SSL_CERT_FILE="$CERTS/ca.pem")
    env "${gw_env[@]}" "$BIN" -config "$log_dir/bifrost-config.json" -host 127.0.0.1 -port 0 \
        -log-level info >"$log_dir/bifrost.log" 2>&1 &
    BIFROST_PID=$!
    BIFROST_PORT="$(wait_port bifrost-http "$BIFROST_PID" "$log_dir/bifrost.log" \
        '.*address=127\.0\.0\.1:\([0-9][0-9]*\).*bifrost-http listening.*')" || exit 1
    URL_bifrost="http://127.0.0.1:$BIFROST_PORT/v1/chat/completions"
    wait_post bifrost-http "$BIFROST_PID" "$log_dir/bifrost.log" "$URL_bifrost" "$WORK/body-gateway.json"

    # The same gateway with busy polling.
    env "${gw_env[@]}" "$BIN" -config "$log_dir/bifrost-config.json" -host 127.0.0.1 -port 0 \
        -log-level info -busy-poll "$BUSY_POLL_US" >"$log_dir/bifrost-bp.log" 2>&1 &
    BIFROST_BP_PID=$!
    BIFROST_BP_PORT="$(wait_port bifrost-http "$BIFROST_BP_PID" "$log_dir/bifrost-bp.log" \
        '.*address=127\.0\.0\.1:\([0-9][0-9]*\).*bifrost-http listening.*')" || exit 1
    URL_bifrost_bp="http://127.0.0.1:$BIFROST_BP_PORT/v1/chat/completions"
    wait_post "bifrost-http -busy-poll" "$BIFROST_BP_PID" "$log_dir/bifrost-bp.log" "$URL_bifrost_bp" "$WORK/body-gateway.json"
}

# --- Runs -------------------------------------------------------------------------------------------
declare -A SAMPLES   # "scheme c target metric" → space-separated values over rounds
PROBLEMS=()
PHASE_NOTES=()

add_sample() { SAMPLES["$1"]="${SAMPLES["$1"]:-} $2"; }
samples() { echo "${SAMPLES["$1"]:-}"; }

target_pids() { # target_pids TARGET → the processes whose CPU counts for it ("" for direct)
    case "$1" in
        nginx) echo "$NGINX_PID $NGINX_WORKERS" ;;
        bifrost) echo "$BIFROST_PID" ;;
        bifrost-bp) echo "$BIFROST_BP_PID" ;;
        *) echo "" ;;
    esac
}

target_label() {
    case "$1" in direct) echo "direct (mock)" ;; nginx) echo nginx ;; bifrost) echo bifrost-http ;; bifrost-bp) echo "bifrost -bp $BUSY_POLL_US" ;; esac
}

# run_wrk SCHEME C TARGET OUT SECONDS → sets WRK_RESULT "rps p50 p99 requests errors cpu_us" (or ERR)
run_wrk() {
    local scheme="$1" c="$2" target="$3" out="$4" seconds="$5" url lua threads pids t0 t1 parsed rc
    case "$target" in
        direct) url="$URL_direct"; lua="$WORK/post-plain.lua" ;;
        nginx) url="$URL_nginx"; lua="$WORK/post-plain.lua" ;;
        bifrost) url="$URL_bifrost"; lua="$WORK/post-gateway.lua" ;;
        bifrost-bp) url="$URL_bifrost_bp"; lua="$WORK/post-gateway.lua" ;;
    esac
    threads=$(( c == 1 ? 1 : 2 ))
    pids="$(target_pids "$target")"
    t0="$(cpu_ticks $pids)"
    run_bounded $((seconds + 30)) "$out" wrk -t"$threads" -c"$c" -d"${seconds}s" --latency -s "$lua" "$url"
    rc=$?
    t1="$(cpu_ticks $pids)"
    parsed="$(parse_wrk "$out")"
    if [[ "$parsed" == ERR ]]; then
        WRK_RESULT=ERR
        PROBLEMS+=("$scheme c=$c $(target_label "$target"): wrk exited $rc without results: $(tr '\n' ' ' <"$out" | head -c 300)")
        return
    fi
    local rps p50 p99 requests errors cpu=-
    read -r rps p50 p99 requests errors <<<"$parsed"
    [[ -n "$pids" ]] && cpu="$(cpu_per_request $((t1 - t0)) "$requests")"
    WRK_RESULT="$rps $p50 $p99 $requests $errors $cpu"
}

check_alive() { # check_alive SCHEME: a server that died is a problem worth stopping for
    local scheme="$1"
    local pid log
    for pid in "$BIFROST_PID:bifrost" "$BIFROST_BP_PID:bifrost-bp"; do
        log="$WORK/$scheme/${pid#*:}.log"; pid="${pid%%:*}"
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            echo "bench: bifrost-http exited during the $scheme-upstream runs; the last lines of $log:" >&2
            tail -n 30 "$log" | sed 's/^/    /' >&2
            exit 1
        fi
    done
    if ! kill -0 "$MOCK_PID" 2>/dev/null || ! kill -0 "$NGINX_PID" 2>/dev/null; then
        die "the mock or nginx exited during the $scheme-upstream runs"
    fi
}

# run_phase SCHEME: start the servers, warm up, interleaved rounds, (http) rate test, peak RSS, stop.
run_phase() {
    local scheme="$1" c r i target order out rps p50 p99 requests errors cpu
    local targets=(direct nginx bifrost bifrost-bp)
    start_servers "$scheme"

    echo "upstream $scheme: mock pid $MOCK_PID port $MOCK_PORT; nginx pid $NGINX_PID (workers $NGINX_WORKERS) port $NGINX_PORT; bifrost-http pid $BIFROST_PID port $BIFROST_PORT; with -busy-poll pid $BIFROST_BP_PID port $BIFROST_BP_PORT"
    printf 'warming up (1 s each, 64 connections)... '
    for target in "${targets[@]}"; do run_wrk "$scheme" 64 "$target" "$WORK/warmup.txt" 1; done
    echo done

    printf '%-8s %-4s %-6s %-14s %10s %10s %10s %10s %7s %12s\n' upstream c round target "req/s" p50 p99 requests errors "cpu/req"
    rule
    for c in "${CONCURRENCIES[@]}"; do
        for ((r = 1; r <= ROUNDS; r++)); do
            order=()
            for ((i = 0; i < ${#targets[@]}; i++)); do order+=("${targets[$(( (i + r - 1) % ${#targets[@]} ))]}"); done
            for target in "${order[@]}"; do
                out="$WORK/$scheme/wrk-c$c-$target-$r.txt"
                run_wrk "$scheme" "$c" "$target" "$out" "$DURATION"
                check_alive "$scheme"
                if [[ "$WRK_RESULT" == ERR ]]; then
                    printf '%-8s %-4s %-6s %-14s %10s\n' "$scheme" "$c" "$r/$ROUNDS" "$(target_label "$target")" failed
                    continue
                fi
                read -r rps p50 p99 requests errors cpu <<<"$WRK_RESULT"
                add_sample "$scheme $c $target rps" "$rps"
                add_sample "$scheme $c $target p50" "$p50"
                add_sample "$scheme $c $target p99" "$p99"
                [[ "$cpu" != - ]] && add_sample "$scheme $c $target cpu" "$cpu"
                if ((errors > 0)); then
                    PROBLEMS+=("$scheme c=$c round $r $(target_label "$target"): $errors errors (non-2xx + socket errors): $(grep -E 'Socket errors|Non-2xx' "$out" | tr -s ' \n' ' ')")
                fi
                printf '%-8s %-4s %-6s %-14s %10.0f %10s %10s %10s %7s %12s\n' "$scheme" "$c" "$r/$ROUNDS" \
                    "$(target_label "$target")" "$rps" "$(fmt_us "$p50")" "$(fmt_us "$p99")" "$requests" "$errors" "$(fmt_cpu "$cpu")"
            done
        done
    done
    rule

    if [[ "$scheme" == http ]]; then
        echo "fixed rate: hey -z ${RATE_DURATION}s -c $RATE_WORKERS -q $RATE_PER_WORKER ($RATE requests/s), nginx then bifrost-http"
        for target in nginx bifrost; do run_rate "$target"; check_alive "$scheme"; done
    fi

    PEAK_RSS["$scheme nginx"]="$(hwm_kb $NGINX_PID $NGINX_WORKERS)"
    PEAK_RSS["$scheme bifrost"]="$(hwm_kb "$BIFROST_PID")"
    PEAK_RSS["$scheme bifrost-bp"]="$(hwm_kb "$BIFROST_BP_PID")"
    PEAK_RSS["$scheme mock"]="$(hwm_kb "$MOCK_PID")"
    collect_gateway_log "$scheme"
    stop_servers
    echo
}
declare -A PEAK_RSS RATE_RESULT

# run_rate TARGET: hey at a fixed rate; sets RATE_RESULT[TARGET] = "rps p50 p99 responses non2xx errors statuses cpu"
run_rate() {
    local target="$1" url body pids t0 t1 parsed rc out="$WORK/http/hey-$target.txt"
    if [[ "$target" == bifrost ]]; then url="$URL_bifrost"; body="$WORK/body-gateway.json"; else url="$URL_nginx"; body="$WORK/body-plain.json"; fi
    pids="$(target_pids "$target")"
    t0="$(cpu_ticks $pids)"
    run_bounded $((RATE_DURATION + 60)) "$out" hey -z "${RATE_DURATION}s" -c "$RATE_WORKERS" -q "$RATE_PER_WORKER" \
        -m POST -T application/json -D "$body" "$url"
    rc=$?
    t1="$(cpu_ticks $pids)"
    parsed="$(parse_hey "$out")"
    if [[ "$parsed" == ERR ]]; then
        PROBLEMS+=("rate $(target_label "$target"): hey exited $rc without a summary: $(tr '\n' ' ' <"$out" | head -c 300)")
        RATE_RESULT["$target"]="- - - 0 0 0 none -"
        printf '  %-14s failed (hey exited %s)\n' "$(target_label "$target")" "$rc"
        return
    fi
    local rps p50 p99 responses non2xx errors statuses cpu
    read -r rps p50 p99 responses non2xx errors statuses <<<"$parsed"
    cpu="$(cpu_per_request $((t1 - t0)) "$responses")"
    RATE_RESULT["$target"]="$rps $p50 $p99 $responses $non2xx $errors $statuses $cpu"
    if ((non2xx + errors > 0)); then
        PROBLEMS+=("rate $(target_label "$target"): $non2xx non-2xx, $errors errors; statuses $statuses; $(sed -n '/^Error distribution:/,$p' "$out" | sed 1d | head -n 5 | tr -s ' \t\n' ' ')")
    fi
    printf '  %-14s %8.0f req/s  p50 %-8s p99 %-8s responses %-7s non-2xx %-5s errors %-5s cpu/req %s\n' \
        "$(target_label "$target")" "$rps" "$(fmt_us "$p50")" "$(fmt_us "$p99")" "$responses" "$non2xx" "$errors" "$(fmt_cpu "$cpu")"
}

# collect_gateway_log SCHEME: the gateway's notable log lines (anything above info) and the status
# codes of its request lines, for the summary.
collect_gateway_log() {
    local scheme="$1" log name notable statuses
    for name in bifrost bifrost-bp; do
        log="$WORK/$scheme/$name.log"
        notable="$(grep -vE '^[^ ]+ (info|debug|trace) ' "$log" | head -n 20)"
        [[ -n "$notable" ]] && PHASE_NOTES+=("$(target_label "$name") ($scheme upstream) log lines above info (first 20):" "$(sed 's/^/    /' <<<"$notable")")
        statuses="$(grep -oE ' status=[0-9]+' "$log" | sed 's/.*=//' | sort | uniq -c |
            awk '{ printf "%s%s×%s", sep, $2, $1; sep = ", " }')"
        [[ -n "$statuses" ]] && PHASE_NOTES+=("$(target_label "$name") ($scheme upstream) request log, status×count: $statuses")
    done
    notable="$(grep -vE '^\s*$' "$WORK/$1/nginx/logs/error.log" 2>/dev/null | head -n 10)"
    [[ -n "$notable" ]] && PHASE_NOTES+=("nginx ($scheme upstream) error log (first 10):" "$(sed 's/^/    /' <<<"$notable")")
}

# --- Main ---------------------------------------------------------------------------------------------
echo "bench: load generator → {bifrost-mock direct | nginx → mock | bifrost-http → mock | bifrost-http -busy-poll → mock}, POST /v1/chat/completions ($(wc -c <"$WORK/body-plain.json") B body), 127.0.0.1"
echo "  bifrost-http  $BIN (one event loop per core, -log-level info: one request line per request);"
echo "                a second one with -busy-poll $BUSY_POLL_US (bifrost -bp)"
echo "  bifrost-mock  $MOCK_BIN (2 event loops)"
echo "  nginx         $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), worker_processes 2, upstream keepalive 64, access_log off"
echo "  wrk           $(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }'), --latency, c=1 (-t1) and c=64 (-t2), ${DURATION}s runs, $ROUNDS interleaved round(s) (order rotates)"
echo "  hey           -z ${RATE_DURATION}s -c $RATE_WORKERS -q $RATE_PER_WORKER -m POST ($RATE requests/s)"
echo "  machine       $(nproc) CPUs shared by all of the above; open-file limit $NOFILE${QUICK:+; QUICK mode}"
echo

run_phase http
run_phase https

# --- Summary ------------------------------------------------------------------------------------------
declare -A MED
for scheme in http https; do
    for c in "${CONCURRENCIES[@]}"; do
        for target in direct nginx bifrost bifrost-bp; do
            for metric in rps p50 p99 cpu; do
                # shellcheck disable=SC2046
                MED["$scheme $c $target $metric"]="$(median $(samples "$scheme $c $target $metric"))"
            done
        done
    done
done

echo "medians over $ROUNDS round(s); added = target − direct (same upstream scheme and concurrency)"
printf '%-22s %-14s %10s %10s %10s %11s %11s %10s\n' "" target "req/s" p50 p99 "added p50" "added p99" "cpu/req"
rule
for scheme in http https; do
    for c in "${CONCURRENCIES[@]}"; do
        for target in direct nginx bifrost bifrost-bp; do
            k="$scheme $c $target"
            if [[ "$target" == direct ]]; then ap50=-; ap99=-; else
                ap50="$(diff_of "${MED[$k p50]}" "${MED[$scheme $c direct p50]}")"
                ap99="$(diff_of "${MED[$k p99]}" "${MED[$scheme $c direct p99]}")"
            fi
            printf '%-22s %-14s %10s %10s %10s %11s %11s %10s\n' "$scheme upstream, c=$c" "$(target_label "$target")" \
                "$(fmt_rps "${MED[$k rps]}")" "$(fmt_us "${MED[$k p50]}")" "$(fmt_us "${MED[$k p99]}")" \
                "$(fmt_added "$ap50")" "$(fmt_added "$ap99")" "$(fmt_cpu "${MED[$k cpu]}")"
            MED["$k added_p50"]="$ap50"; MED["$k added_p99"]="$ap99"
        done
    done
done
rule
echo

echo "fixed rate ($RATE requests/s for ${RATE_DURATION}s, http upstream)"
printf '%-14s %10s %10s %10s %10s %9s %8s %10s  %s\n' target "achieved" p50 p99 responses "non-2xx" errors "cpu/req" statuses
rule
for target in nginx bifrost; do
    read -r rps p50 p99 responses non2xx errors statuses cpu <<<"${RATE_RESULT[$target]:-- - - 0 0 0 none -}"
    printf '%-14s %10s %10s %10s %10s %9s %8s %10s  %s\n' "$(target_label "$target")" "$(fmt_rps "$rps")" \
        "$(fmt_us "$p50")" "$(fmt_us "$p99")" "$responses" "$non2xx" "$errors" "$(fmt_cpu "$cpu")" "$statuses"
done
rule
echo

echo "peak RSS (VmHWM; nginx = master + 2 workers summed, shared pages counted in each)"
printf '%-22s %12s %16s %12s %12s\n' "" "bifrost-http" "bifrost -bp $BUSY_POLL_US" nginx "bifrost-mock"
for scheme in http https; do
    printf '%-22s %12s %16s %12s %12s\n' "$scheme upstream" "$(fmt_mb "${PEAK_RSS[$scheme bifrost]}")" \
        "$(fmt_mb "${PEAK_RSS[$scheme bifrost-bp]}")" "$(fmt_mb "${PEAK_RSS[$scheme nginx]}")" "$(fmt_mb "${PEAK_RSS[$scheme mock]}")"
done
echo

# --- Targets ------------------------------------------------------------------------------------------
row() { printf '%-52s %12s %12s %8s  %s\n' "$@" | sed 's/ *$//'; }
row target bifrost-http nginx ratio verdict
rule
for gw in bifrost bifrost-bp; do
    setting="$([[ "$gw" == bifrost ]] && echo default || echo "-busy-poll $BUSY_POLL_US")"
    for scheme in http https; do
        b="${MED[$scheme 1 $gw added_p50]}"; n="${MED[$scheme 1 nginx added_p50]}"
        limit="$( [[ "$n" == - ]] && echo - || awk -v n="$n" -v t="$TARGET_ADDED_P50_RATIO" 'BEGIN { print n * t }')"
        row "added p50, c=1, $scheme, $setting ≤ $TARGET_ADDED_P50_RATIO × nginx's" "$(fmt_added "$b")" "$(fmt_added "$n")" \
            "$(ratio "$b" "$n")" "$(verdict "$b" "<=" "$limit")"
    done
    for scheme in http https; do
        b="${MED[$scheme 64 $gw rps]}"; n="${MED[$scheme 64 nginx rps]}"
        row "req/s, c=64, $scheme, $setting ≥ $TARGET_RPS_RATIO × nginx's" "$(fmt_rps "$b")" "$(fmt_rps "$n")" "$(ratio "$b" "$n")" \
            "$(verdict "$(exact_ratio "$b" "$n")" ">=" "$TARGET_RPS_RATIO")"
    done
done
read -r b_rps _ _ _ b_non2xx b_errors _ _ <<<"${RATE_RESULT[bifrost]:-- - - 0 0 0 none -}"
read -r n_rps _ _ _ n_non2xx n_errors _ _ <<<"${RATE_RESULT[nginx]:-- - - 0 0 0 none -}"
held="$([[ "$b_rps" == - ]] && echo - || awk -v a="$b_rps" -v b="$RATE" 'BEGIN { printf "%.3f", a / b }')"
rate_verdict="$(verdict "$(exact_ratio "$b_rps" "$RATE")" ">=" "$TARGET_RATE_HELD")"
((b_non2xx + b_errors > 0)) && rate_verdict="MISS ($((b_non2xx + b_errors)) errors)"
row "$RATE req/s held (≥ $(awk -v t="$TARGET_RATE_HELD" 'BEGIN { print t * 100 }')%) with 0 errors" \
    "$(fmt_rps "$b_rps")/$((b_non2xx + b_errors))err" "$(fmt_rps "$n_rps")/$((n_non2xx + n_errors))err" "$held" "$rate_verdict"
b_rss=0
for scheme in http https; do
    for gw in bifrost bifrost-bp; do v="${PEAK_RSS[$scheme $gw]:-0}"; ((v > b_rss)) && b_rss="$v"; done
done
n_rss=0
for scheme in http https; do
    v="${PEAK_RSS[$scheme nginx]:-0}"; ((v > n_rss)) && n_rss="$v"
done
row "bifrost-http peak RSS < $TARGET_RSS_MB MB" "$(fmt_mb "$b_rss")" "$(fmt_mb "$n_rss")" "" \
    "$(verdict "$(awk -v k="$b_rss" 'BEGIN { print k / 1024 }')" "<" "$TARGET_RSS_MB")"
rule

if ((${#PROBLEMS[@]} > 0)); then
    echo "problems:"
    printf '  %s\n' "${PROBLEMS[@]}"
fi
if ((${#PHASE_NOTES[@]} > 0)); then
    printf '%s\n' "${PHASE_NOTES[@]}"
fi
echo "In the gateway's request log, 499 = the client went away mid-request (wrk stops with requests in flight)."
echo "Latencies are wrk's (hey's: 0.1 ms resolution); cpu/req = (utime+stime) of nginx (master + workers) or"
echo "bifrost-http over the run ÷ requests, $((1000000 / CLK_TCK)) us ticks. All processes and the load generator share $(nproc) CPUs."
echo "Targets are informational: this script exits 0 whatever the numbers."
exit 0
