#!/usr/bin/env bash
# bench-server.sh: benchmark bifrost-http's HTTP server against nginx on `GET /health` (`make bench-server`).
#
# Runs wrk against both servers (interleaved rounds, same parameters), prints per-round numbers, the
# median of each server and the bifrost/nginx ratios against the targets, then measures resident
# memory idle and with 5,000 idle keep-alive connections open. Informational: exits 0 whatever the
# numbers (exits 1 only if it cannot run). Loopback (127.0.0.1) only; a manual benchmark, not a test.
#
# Environment (all optional):
#   BIFROST_BIN   bifrost-http binary           (default .build/release/bifrost-http)
#   ROUNDS        wrk rounds per server          (default 5)
#   DURATION      wrk duration of each run       (default 5s)
#   THREADS       wrk threads                    (default 2)
#   CONNECTIONS   wrk connections                (default 64)
#   IDLE_CONNECTIONS  idle keep-alive connections for the memory test (default 5000)
#
# Needs: wrk, nginx (apt: wrk nginx-light), curl, python3.

set -uo pipefail

BENCH_NAME=bench-server
source "$(dirname "$0")/bench-lib.sh" || exit 1   # die, stop_pid, cleanup, wait_healthy, parse_wrk, ...
STOP_GRACE=5
RULE_WIDTH=78

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(resolve "${BIFROST_BIN:-.build/release/bifrost-http}")"
ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-5s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
IDLE_COUNT="${IDLE_CONNECTIONS:-5000}"
IDLE_SCRIPT="$ROOT/scripts/idle_connections.py"

# Targets (informational).
TARGET_RPS_RATIO=0.9    # bifrost req/s ÷ nginx req/s ≥ this
TARGET_P99_RATIO=1.5    # bifrost p99 ÷ nginx p99 ≤ this
TARGET_RSS_MB=64        # bifrost RSS with $IDLE_COUNT idle connections < this

# --- Preconditions ----------------------------------------------------------------------------------
[[ -x "$BIN" ]] || die "bifrost-http binary not found at '$BIN' (build it: swift build -c release, or set BIFROST_BIN)"
command -v wrk >/dev/null 2>&1 || die "wrk is not installed (apt-get install wrk)"
find_nginx
command -v curl >/dev/null 2>&1 || die "curl is not installed"
command -v python3 >/dev/null 2>&1 || die "python3 is not installed"
[[ -f "$IDLE_SCRIPT" ]] || die "missing $IDLE_SCRIPT"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer (got '$ROUNDS')"
[[ "$IDLE_COUNT" =~ ^[1-9][0-9]*$ ]] || die "IDLE_CONNECTIONS must be a positive integer (got '$IDLE_COUNT')"

# File descriptors for bifrost-http, nginx and the idle-connection client (inherited by all three).
raise_nofile
if [[ "$NOFILE" != unlimited ]] && (( NOFILE < IDLE_COUNT + 256 )); then
    echo "bench-server: warning: open-file limit is $NOFILE; $IDLE_COUNT idle connections may not fit" >&2
fi

# --- Cleanup ----------------------------------------------------------------------------------------
BIFROST_PID=""
NGINX_PID=""
IDLE_PID=""

stop_processes() { # for cleanup
    local workers="" w
    [[ -n "$NGINX_PID" ]] && workers="$(child_pids "$NGINX_PID")"
    stop_pid "$IDLE_PID"
    stop_pid "$BIFROST_PID"
    stop_pid "$NGINX_PID"
    for w in $workers; do kill -0 "$w" 2>/dev/null && kill -KILL "$w" 2>/dev/null; done
}
make_workdir

# --- Helpers ----------------------------------------------------------------------------------------
rss_kb() { # rss_kb PID: VmRSS in kB (0 if gone)
    awk '/^VmRSS:/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0
}

nginx_rss_kb() { # master + workers
    local total pid
    total="$(rss_kb "$NGINX_PID")"
    for pid in $(child_pids "$NGINX_PID"); do total=$((total + $(rss_kb "$pid"))); done
    echo "$total"
}

# --- Start bifrost-http -----------------------------------------------------------------------------
BIFROST_PORT="$(free_port)"
NGINX_PORT="$(free_port)"
while [[ "$NGINX_PORT" == "$BIFROST_PORT" ]]; do NGINX_PORT="$(free_port)"; done

echo '{}' >"$WORK/bifrost-config.json"
"$BIN" -config "$WORK/bifrost-config.json" -host 127.0.0.1 -port "$BIFROST_PORT" >"$WORK/bifrost.log" 2>&1 &
BIFROST_PID=$!
wait_healthy bifrost-http "$BIFROST_PORT" "$BIFROST_PID" "$WORK/bifrost.log"

# --- Start nginx ------------------------------------------------------------------------------------
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
NGINX_USER=""
(( EUID == 0 )) && NGINX_USER="user root;"
cat >"$WORK/nginx/nginx.conf" <<EOF
$NGINX_USER
worker_processes 2;
worker_rlimit_nofile 65536;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;

events {
    worker_connections 8192;   # per worker; either worker may get all the idle connections
}

http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    client_body_temp_path $WORK/nginx/tmp/client_body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;

    server {
        listen 127.0.0.1:$NGINX_PORT;
        server_name _;
        location = /health {
            default_type application/json;
            return 200 '{"status":"ok"}';
        }
    }
}
EOF
"$NGINX" -e "$WORK/nginx/logs/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' \
    >"$WORK/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!
wait_healthy nginx "$NGINX_PORT" "$NGINX_PID" "$WORK/nginx/logs/error.log"

# --- Throughput and latency -------------------------------------------------------------------------
echo "bench-server: bifrost-http vs nginx, GET /health on 127.0.0.1"
echo "  bifrost-http  $BIN  (pid $BIFROST_PID, port $BIFROST_PORT)"
echo "  nginx         $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), worker_processes 2 (pid $NGINX_PID, port $NGINX_PORT)"
echo "  wrk           -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS interleaved rounds (order alternates)"
echo "  machine       $(nproc) CPUs, open-file limit $NOFILE"
echo

run_wrk() { # run_wrk PORT OUT [DURATION]
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${3:-$DURATION}" --latency "http://127.0.0.1:$1/health" >"$2" 2>&1
}

# Short warm-up for both (results discarded).
printf 'warming up (1s each)... '
run_wrk "$BIFROST_PORT" "$WORK/warmup.txt" 1s
run_wrk "$NGINX_PORT" "$WORK/warmup.txt" 1s
echo done
echo

declare -a B_RPS B_P50 B_P99 N_RPS N_P50 N_P99
printf '%-7s %-14s %14s %11s %11s %12s %8s\n' round server "req/s" p50 p99 requests errors
rule
for ((r = 1; r <= ROUNDS; r++)); do
    if (( r % 2 )); then order="bifrost nginx"; else order="nginx bifrost"; fi
    for server in $order; do
        if [[ "$server" == bifrost ]]; then port="$BIFROST_PORT"; label="bifrost-http"; else port="$NGINX_PORT"; label="nginx"; fi
        out="$WORK/wrk-$server-$r.txt"
        run_wrk "$port" "$out"
        parsed="$(parse_wrk "$out")"
        if [[ "$parsed" == ERR ]]; then
            echo "bench-server: could not parse wrk output for $label (round $r):" >&2
            sed 's/^/    /' "$out" >&2
            exit 1
        fi
        read -r rps p50 p99 requests errors <<<"$parsed"
        if [[ "$server" == bifrost ]]; then
            B_RPS+=("$rps"); B_P50+=("$p50"); B_P99+=("$p99")
        else
            N_RPS+=("$rps"); N_P50+=("$p50"); N_P99+=("$p99")
        fi
        printf '%-7s %-14s %14.0f %11s %11s %12s %8s\n' "$r/$ROUNDS" "$label" "$rps" \
            "$(fmt_us "$p50")" "$(fmt_us "$p99")" "$requests" "$errors"
    done
done
rule

b_rps="$(median "${B_RPS[@]}")"; b_p50="$(median "${B_P50[@]}")"; b_p99="$(median "${B_P99[@]}")"
n_rps="$(median "${N_RPS[@]}")"; n_p50="$(median "${N_P50[@]}")"; n_p99="$(median "${N_P99[@]}")"
printf '%-7s %-14s %14.0f %11s %11s\n' median bifrost-http "$b_rps" "$(fmt_us "$b_p50")" "$(fmt_us "$b_p99")"
printf '%-7s %-14s %14.0f %11s %11s\n' median nginx "$n_rps" "$(fmt_us "$n_p50")" "$(fmt_us "$n_p99")"
echo

rps_ratio="$(awk -v b="$b_rps" -v n="$n_rps" 'BEGIN { printf "%.3f", (n > 0) ? b / n : 0 }')"
p99_ratio="$(awk -v b="$b_p99" -v n="$n_p99" 'BEGIN { printf "%.3f", (n > 0) ? b / n : 0 }')"

# --- Memory -----------------------------------------------------------------------------------------
sleep 1   # let wrk's connections close
b_idle_kb="$(rss_kb "$BIFROST_PID")"
n_idle_kb="$(nginx_rss_kb)"

# hold_idle PORT NAME LABEL: open $IDLE_COUNT keep-alive connections, set HELD_KB to the RSS (kB) measured
# while they are held ("-" if they could not be opened), then release them. The client holds for at
# most 120 s; closing its stdin releases them at once.
hold_idle() {
    local port="$1" name="$2" line="" rss=""
    coproc IDLE { exec python3 "$IDLE_SCRIPT" --port "$port" --count "$IDLE_COUNT" --hold 120 2>"$WORK/idle-$name.err"; }
    # coproc sets IDLE_PID (cleanup stops it if we are interrupted); keep copies, bash unsets them on exit.
    local pid="$IDLE_PID" out_fd="${IDLE[0]}" in_fd="${IDLE[1]}"
    if read -r -t 60 -u "$out_fd" line && [[ "$line" == ready ]]; then
        sleep 1   # let the server settle after the burst of accepts
        if [[ "$name" == bifrost ]]; then rss="$(rss_kb "$BIFROST_PID")"; else rss="$(nginx_rss_kb)"; fi
    fi
    exec {in_fd}>&- {out_fd}<&-   # stdin EOF: the client closes its connections and exits
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    stop_pid "$pid"
    IDLE_PID=""
    if [[ -z "$rss" ]]; then
        echo "bench-server: $name: could not hold $IDLE_COUNT idle connections:" >&2
        sed 's/^/    /' "$WORK/idle-$name.err" >&2
        HELD_KB="-"
    else
        HELD_KB="$rss"
        printf '  %-13s %s\n' "$3" "$(sed 's/^idle_connections: //' "$WORK/idle-$name.err" | paste -sd ';' -)"
    fi
}

printf 'opening %d idle keep-alive connections to each server...\n' "$IDLE_COUNT"
hold_idle "$BIFROST_PORT" bifrost bifrost-http; b_held_kb="$HELD_KB"
hold_idle "$NGINX_PORT" nginx nginx;               n_held_kb="$HELD_KB"
echo

# --- Summary ----------------------------------------------------------------------------------------
row() { printf '%-44s %12s %12s %10s  %s\n' "$@" | sed 's/ *$//'; }
row "metric" "bifrost-http" "nginx" "ratio" "target"
rule
row "throughput (median req/s)" "$(printf %.0f "$b_rps")" "$(printf %.0f "$n_rps")" "$rps_ratio" \
    "≥ $TARGET_RPS_RATIO  $(verdict "$rps_ratio" ">=" "$TARGET_RPS_RATIO")"
row "latency p50 (median)" "$(fmt_us "$b_p50")" "$(fmt_us "$n_p50")" \
    "$(awk -v b="$b_p50" -v n="$n_p50" 'BEGIN { printf "%.3f", (n > 0) ? b / n : 0 }')" ""
row "latency p99 (median)" "$(fmt_us "$b_p99")" "$(fmt_us "$n_p99")" "$p99_ratio" \
    "≤ $TARGET_P99_RATIO  $(verdict "$p99_ratio" "<=" "$TARGET_P99_RATIO")"
row "RSS idle" "$(fmt_mb "$b_idle_kb")" "$(fmt_mb "$n_idle_kb")" "" ""
if [[ "$b_held_kb" == - ]]; then
    b_held="n/a"; held_verdict="MISS (connections not held)"
else
    b_held="$(fmt_mb "$b_held_kb")"
    held_verdict="$(verdict "$(awk -v k="$b_held_kb" 'BEGIN { print k / 1024 }')" "<" "$TARGET_RSS_MB")"
fi
if [[ "$n_held_kb" == - ]]; then n_held="n/a"; else n_held="$(fmt_mb "$n_held_kb")"; fi
row "RSS with $IDLE_COUNT idle keep-alive connections" "$b_held" "$n_held" "" \
    "< $TARGET_RSS_MB MB  $held_verdict"
per_conn() { # per_conn HELD_KB IDLE_KB → RSS growth per idle connection, in KB
    [[ "$1" == - ]] && { echo "n/a"; return; }
    awk -v h="$1" -v i="$2" -v n="$IDLE_COUNT" 'BEGIN { d = (h - i) * 1024 / n; printf "%.1f KB", (d < 0 ? 0 : d) / 1024 }'
}
row "  RSS growth per idle connection" "$(per_conn "$b_held_kb" "$b_idle_kb")" \
    "$(per_conn "$n_held_kb" "$n_idle_kb")" "" ""
rule
echo "RSS is VmRSS from /proc/<pid>/status; nginx is master + 2 workers (shared pages counted in each)."
echo "Targets are informational: this script exits 0 whatever the numbers."
exit 0
