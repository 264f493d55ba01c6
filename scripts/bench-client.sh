#!/usr/bin/env bash
# bench-client.sh: benchmark BifrostHTTP's HTTP client against h2load (`make bench-client`).
#
# Starts bifrost-mock over HTTPS (a throwaway CA and leaf certificate made with the openssl command in a
# temporary directory, deleted on exit) with one event loop, then, for each concurrency, runs
# bifrost-bench-client and `h2load --h1 -t 1 -m 1` in interleaved rounds (order alternating) with the
# same ~400-byte chat completion body against `POST /v1/chat/completions`. Prints per-round rows, the
# medians, and per-request latency ratios (ours mean ÷ h2load mean) against the target. h2load has no
# percentiles, so the means are compared; our p50/p99 are shown alongside.
#
# Informational: exits 0 whatever the numbers (exits 1 only if it cannot run). 127.0.0.1 only.
#
# Environment (all optional):
#   BIFROST_MOCK_BIN   bifrost-mock binary            (default .build/release/bifrost-mock)
#   BENCH_CLIENT_BIN   bifrost-bench-client binary    (default .build/release/bifrost-bench-client)
#   CONCURRENCIES      connections to test            (default "1 16")
#   ROUNDS             rounds per concurrency         (default 3)
#   REQUESTS           requests per run, every concurrency (default: 5000 for c=1, 20000 otherwise)
#   DURATION           seconds per run instead of a request count (both tools; overrides REQUESTS)
#   WARMUP             unmeasured requests per connection before each run of ours (default 20); the
#                      mock gets one unmeasured warm-up run of each tool before the rounds too
#   CLIENT_LOOPS       event loops of our client      (default 1, like h2load -t 1)
#   CLIENT_EXECUTOR    where our worker tasks run: loop (on the event loop, as the gateway runs them; default) or global (Swift's pool)
#
# Needs: openssl, curl, h2load (apt: nghttp2-client), timeout (coreutils).

set -uo pipefail

BENCH_NAME=bench-client
source "$(dirname "$0")/bench-lib.sh" || exit 1   # die, stop_pid, cleanup, run_bounded, make_certs, wait_post, ...
STOP_GRACE=7              # the mock gives in-flight requests 5 s
POST_POLL_INTERVAL=0.1
RULE_WIDTH=92

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOCK_BIN="$(resolve "${BIFROST_MOCK_BIN:-.build/release/bifrost-mock}")"
CLIENT_BIN="$(resolve "${BENCH_CLIENT_BIN:-.build/release/bifrost-bench-client}")"
CONCURRENCIES="${CONCURRENCIES:-1 16}"
ROUNDS="${ROUNDS:-3}"
REQUESTS="${REQUESTS:-}"
DURATION="${DURATION:-}"
WARMUP="${WARMUP:-20}"
CLIENT_LOOPS="${CLIENT_LOOPS:-1}"
CLIENT_EXECUTOR="${CLIENT_EXECUTOR:-loop}"
RUN_TIMEOUT=60          # seconds: upper bound for any single run of either tool

TARGET_LATENCY_RATIO=1.3   # ours mean per-request latency ÷ h2load's ≤ this (informational)

# --- Preconditions ----------------------------------------------------------------------------------
[[ -x "$MOCK_BIN" ]] || die "bifrost-mock binary not found at '$MOCK_BIN' (build it: swift build -c release --product bifrost-mock, or set BIFROST_MOCK_BIN)"
[[ -x "$CLIENT_BIN" ]] || die "bifrost-bench-client binary not found at '$CLIENT_BIN' (build it: swift build -c release --product bifrost-bench-client, or set BENCH_CLIENT_BIN)"
command -v h2load >/dev/null 2>&1 || die "h2load is not installed (apt-get install nghttp2-client)"
command -v openssl >/dev/null 2>&1 || die "openssl is not installed (apt-get install openssl)"
command -v curl >/dev/null 2>&1 || die "curl is not installed (apt-get install curl)"
command -v timeout >/dev/null 2>&1 || die "timeout is not installed (coreutils)"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer (got '$ROUNDS')"
[[ -z "$REQUESTS" || "$REQUESTS" =~ ^[1-9][0-9]*$ ]] || die "REQUESTS must be a positive integer (got '$REQUESTS')"
[[ -z "$DURATION" || "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a whole number of seconds (got '$DURATION')"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer (got '$WARMUP')"
[[ "$CLIENT_LOOPS" =~ ^[1-9][0-9]*$ ]] || die "CLIENT_LOOPS must be a positive integer (got '$CLIENT_LOOPS')"
[[ "$CLIENT_EXECUTOR" == global || "$CLIENT_EXECUTOR" == loop ]] || die "CLIENT_EXECUTOR must be global or loop (got '$CLIENT_EXECUTOR')"
read -r -a CONCURRENCY_LIST <<<"$CONCURRENCIES"
((${#CONCURRENCY_LIST[@]} > 0)) || die "CONCURRENCIES is empty"
for c in "${CONCURRENCY_LIST[@]}"; do
    [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "CONCURRENCIES must be positive integers (got '$c')"
done
[[ -n "$DURATION" ]] && RUN_TIMEOUT=$((DURATION + 60))

# --- Cleanup ----------------------------------------------------------------------------------------
MOCK_PID=""
TOOL_PID=""

stop_processes() { # for cleanup
    stop_pid "$TOOL_PID"
    stop_pid "$MOCK_PID"
}
make_workdir

# --- Helpers ----------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# parse_ours FILE → "rps mean_us p50_us p99_us requests errors connections", or ERR
parse_ours() {
    awk '
        /^requests=/ {
            for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            found = 1
        }
        END {
            if (!found || v["rps"] == "" || v["mean_us"] == "") { print "ERR"; exit }
            printf "%s %s %s %s %s %s %s\n", v["rps"], v["mean_us"], v["p50_us"], v["p99_us"], v["requests"], v["errors"], v["connections"]
        }' "$1"
}

# parse_h2load FILE → "rps mean_us requests errors", or ERR. Times are like 52us, 1.28ms, 1.02s.
parse_h2load() {
    awk '
        function us(v,   n, u) {
            n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
            if (u == "us") return n
            if (u == "ms") return n * 1000
            if (u == "s")  return n * 1000000
            if (u == "ns") return n / 1000
            return -1
        }
        /^finished in / { rps = $4 }                                  # finished in 484.55ms, 41275.50 req/s, ...
        /^requests: /   { total = $2; succeeded = $8 }                # requests: N total, N started, N done, S succeeded, ...
        /^time for request:/ { mean = us($6) }                        # time for request: min max mean sd +/-sd
        END {
            if (rps == "" || mean == "" || mean < 0 || total == "") { print "ERR"; exit }
            printf "%s %s %s %d\n", rps, mean, total, total - succeeded
        }' "$1"
}

# --- Certificates (throwaway, in $WORK only) ---------------------------------------------------------
make_certs "bifrost bench-client CA"

# The request body both tools send: a typical ~400-byte chat completion request.
BODY="$WORK/body.json"
printf '%s' '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly and precisely."},{"role":"user","content":"Summarize the main differences between HTTP/1.1 keep-alive and HTTP/2 multiplexing for a backend engineer in two or three sentences, focusing on latency and connection reuse."}],"temperature":0.7,"max_tokens":256,"top_p":1,"stream":false,"user":"bench-client"}' >"$BODY"

# --- Start bifrost-mock -----------------------------------------------------------------------------
"$MOCK_BIN" -host 127.0.0.1 -port 0 -event-loops 1 -log-level info \
    -tls-cert "$CERTS/leaf.pem" -tls-key "$CERTS/leaf.key" >"$WORK/mock.log" 2>&1 &
MOCK_PID=$!

PORT="$(wait_port bifrost-mock "$MOCK_PID" "$WORK/mock.log" \
    '.*bifrost-mock listening on https://127\.0\.0\.1:\([0-9][0-9]*\).*')" || exit 1
URL="https://127.0.0.1:$PORT/v1/chat/completions"

# Ready when a verified HTTPS POST gets a 200.
wait_post bifrost-mock "$MOCK_PID" "$WORK/mock.log" "$URL" "$BODY" --cacert "$CERTS/ca.pem"

# --- Runs -------------------------------------------------------------------------------------------
requests_for() { # requests_for C
    if [[ -n "$REQUESTS" ]]; then echo "$REQUESTS"; elif (($1 == 1)); then echo 5000; else echo 20000; fi
}

# run_ours C OUT: our client; its summary line goes to OUT (stderr too).
run_ours() {
    local c="$1" out="$2" args
    args=(-url "$URL" -ca "$CERTS/ca.pem" -concurrency "$c" -body-file "$BODY" -loops "$CLIENT_LOOPS"
          -executor "$CLIENT_EXECUTOR" -warmup "$((WARMUP * c))")
    if [[ -n "$DURATION" ]]; then args+=(-duration "$DURATION"); else args+=(-requests "$(requests_for "$c")"); fi
    run_bounded "$RUN_TIMEOUT" "$out" "$CLIENT_BIN" "${args[@]}"
}

# run_h2load C OUT
run_h2load() {
    local c="$1" out="$2" args
    args=(--h1 -c "$c" -t 1 -m 1 -H 'content-type: application/json' -d "$BODY")
    if [[ -n "$DURATION" ]]; then args+=(-D "$DURATION"); else args+=(-n "$(requests_for "$c")"); fi
    run_bounded "$RUN_TIMEOUT" "$out" h2load "${args[@]}" "$URL"
}

echo "bench-client: BifrostHTTP client vs h2load, POST /v1/chat/completions ($(wc -c <"$BODY") B body) over HTTPS on 127.0.0.1"
echo "  server     bifrost-mock, 1 event loop, TLS (pid $MOCK_PID, port $PORT)"
echo "  ours       $CLIENT_BIN, $CLIENT_LOOPS event loop(s), tasks on the $CLIENT_EXECUTOR executor, verifies the certificate, warm-up $WARMUP req/connection"
echo "  h2load     $(h2load --version 2>/dev/null | head -n 1), --h1 -t 1 -m 1 (no certificate verification)"
if [[ -n "$DURATION" ]]; then
    echo "  runs       ${DURATION}s each"
else
    echo "  runs       $(for c in "${CONCURRENCY_LIST[@]}"; do printf "c=%s: %s requests  " "$c" "$(requests_for "$c")"; done | sed "s/ *$//")"
fi
echo "  rounds     $ROUNDS per concurrency, interleaved (order alternates)"
echo "  machine    $(nproc) CPUs"
echo

# One unmeasured warm-up run of each tool (the mock's allocator and caches, TLS session setup, ...).
printf 'warming up... '
run_ours 1 "$WORK/warmup-ours.txt" || { echo; echo "bench-client: warm-up run of bifrost-bench-client failed:" >&2; sed 's/^/    /' "$WORK/warmup-ours.txt" >&2; exit 1; }
run_h2load 1 "$WORK/warmup-h2load.txt" || { echo; echo "bench-client: warm-up run of h2load failed:" >&2; sed 's/^/    /' "$WORK/warmup-h2load.txt" >&2; exit 1; }
echo done
echo

declare -A MED_O_MEAN MED_H_MEAN MED_O_RPS MED_H_RPS MED_O_P50 MED_O_P99
PROBLEMS=()
printf '%-4s %-6s %-8s %12s %10s %10s %10s %10s %8s %6s\n' c round tool "req/s" mean p50 p99 requests errors conns
rule
for c in "${CONCURRENCY_LIST[@]}"; do
    O_RPS=(); O_MEAN=(); O_P50=(); O_P99=(); H_RPS=(); H_MEAN=()
    for ((r = 1; r <= ROUNDS; r++)); do
        if ((r % 2)); then order="ours h2load"; else order="h2load ours"; fi
        for tool in $order; do
            out="$WORK/$tool-c$c-r$r.txt"
            if [[ "$tool" == ours ]]; then
                run_ours "$c" "$out"; rc=$?
                parsed="$(parse_ours "$out")"
                if [[ "$parsed" == ERR ]]; then
                    echo "bench-client: bifrost-bench-client (c=$c, round $r) exited $rc without a summary line:" >&2
                    sed 's/^/    /' "$out" >&2
                    exit 1
                fi
                read -r rps mean p50 p99 requests errors conns <<<"$parsed"
                O_RPS+=("$rps"); O_MEAN+=("$mean"); O_P50+=("$p50"); O_P99+=("$p99")
                if ((errors > 0)) || ((rc == 124 || rc == 137)); then
                    PROBLEMS+=("ours c=$c round $r: exit $rc, $errors errors: $(grep -m1 'first error' "$out" | sed 's/.*first error: //')")
                fi
                if ((conns != c)); then
                    PROBLEMS+=("ours c=$c round $r: opened $conns connections (expected $c: warm-up and measured requests share them)")
                fi
                printf '%-4s %-6s %-8s %12.0f %10s %10s %10s %10s %8s %6s\n' "$c" "$r/$ROUNDS" ours "$rps" \
                    "$(fmt_us "$mean")" "$(fmt_us "$p50")" "$(fmt_us "$p99")" "$requests" "$errors" "$conns"
            else
                run_h2load "$c" "$out"; rc=$?
                parsed="$(parse_h2load "$out")"
                if [[ "$parsed" == ERR ]]; then
                    echo "bench-client: could not parse h2load's output (c=$c, round $r, exit $rc):" >&2
                    sed 's/^/    /' "$out" >&2
                    exit 1
                fi
                read -r rps mean requests errors <<<"$parsed"
                H_RPS+=("$rps"); H_MEAN+=("$mean")
                ((errors > 0)) && PROBLEMS+=("h2load c=$c round $r: $errors requests did not succeed")
                printf '%-4s %-6s %-8s %12.0f %10s %10s %10s %10s %8s %6s\n' "$c" "$r/$ROUNDS" h2load "$rps" \
                    "$(fmt_us "$mean")" - - "$requests" "$errors" "$c"
            fi
        done
    done
    MED_O_RPS[$c]="$(median "${O_RPS[@]}")"; MED_O_MEAN[$c]="$(median "${O_MEAN[@]}")"
    MED_O_P50[$c]="$(median "${O_P50[@]}")"; MED_O_P99[$c]="$(median "${O_P99[@]}")"
    MED_H_RPS[$c]="$(median "${H_RPS[@]}")"; MED_H_MEAN[$c]="$(median "${H_MEAN[@]}")"
    printf '%-4s %-6s %-8s %12.0f %10s %10s %10s\n' "$c" median ours "${MED_O_RPS[$c]}" \
        "$(fmt_us "${MED_O_MEAN[$c]}")" "$(fmt_us "${MED_O_P50[$c]}")" "$(fmt_us "${MED_O_P99[$c]}")"
    printf '%-4s %-6s %-8s %12.0f %10s %10s %10s\n' "$c" median h2load "${MED_H_RPS[$c]}" \
        "$(fmt_us "${MED_H_MEAN[$c]}")" - -
    rule
done
echo

# --- Summary ----------------------------------------------------------------------------------------
row() { printf '%-42s %10s %10s %8s  %s\n' "$@" | sed 's/ *$//'; }
row "metric (medians)" ours h2load ratio target
rule
for c in "${CONCURRENCY_LIST[@]}"; do
    lat_ratio="$(ratio "${MED_O_MEAN[$c]}" "${MED_H_MEAN[$c]}")"
    row "c=$c  per-request latency, mean" "$(fmt_us "${MED_O_MEAN[$c]}")" "$(fmt_us "${MED_H_MEAN[$c]}")" \
        "$lat_ratio" "≤ $TARGET_LATENCY_RATIO×  $(verdict "$lat_ratio" "<=" "$TARGET_LATENCY_RATIO")"
    row "c=$c  throughput (req/s)" "$(printf %.0f "${MED_O_RPS[$c]}")" "$(printf %.0f "${MED_H_RPS[$c]}")" \
        "$(ratio "${MED_O_RPS[$c]}" "${MED_H_RPS[$c]}")" ""
    row "c=$c  ours p50 / p99" "$(fmt_us "${MED_O_P50[$c]}")" "$(fmt_us "${MED_O_P99[$c]}")" "" ""
done
rule
if ((${#PROBLEMS[@]} > 0)); then
    echo "problems:"
    printf '  %s\n' "${PROBLEMS[@]}"
fi
echo "Latency ratio = our mean per-request latency ÷ h2load's 'time for request' mean (h2load has no percentiles)."
echo "Our latency is execute() to the end of the body; h2load's excludes connecting, as does ours after warm-up."
echo "Targets are informational: this script exits 0 whatever the numbers."
exit 0
