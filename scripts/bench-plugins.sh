#!/usr/bin/env bash
# bench-plugins.sh: what the bundled plugins cost per request (`make bench-plugins`).
#
# Four bifrost-http processes in front of the same bifrost-mock (HTTP upstream), measured side by side
# with interleaved rounds:
#   none           no configured plugins (the built-in Prometheus plugin only, as in every gateway)
#   auth+rl-mem    auth (one virtual key) + ratelimit, memory backend
#   auth+rl-redis  auth + ratelimit, Redis backend (a redis-server on loopback started here)
#   auth+rl+cache  auth + ratelimit (memory) + cache (memory): every request after the first is a hit,
#                  so this row is the cache-hit path (the provider is skipped)
# The limits are set far above the load (no request is refused). Every request carries the virtual key.
#
# Also measures plugin compile times: each plugin gateway is started once with an empty compile cache
# (cold: SwiftPM builds the kit and the plugins) and once more with the filled cache (cached), the time
# from launch to the "listening" line.
#
# Prints per-round rows, then medians: p50 at 1 connection and the latency added over "none", requests/s
# at 64 connections and the ratio to "none"; the targets (informational): auth + memory rate limit adds
# under 5 µs p50, the Redis rate limiter under 100 µs p50; and the p50 of one plain Redis round trip
# (redis-benchmark PING) on the same machine, the floor under the Redis row.
#
# Environment: BIFROST_BIN, BIFROST_MOCK_BIN (release builds), DURATION (s per wrk run, 5), ROUNDS (3).
# Needs: wrk, redis-server, curl, the Swift toolchain (plugins are compiled). Exits 0 whatever the numbers.

set -uo pipefail

BENCH_NAME=bench-plugins
source "$(dirname "$0")/bench-lib.sh" || exit 1
STOP_GRACE=7
RULE_WIDTH=96

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(resolve "${BIFROST_BIN:-.build/release/bifrost-http}")"
MOCK_BIN="$(resolve "${BIFROST_MOCK_BIN:-.build/release/bifrost-mock}")"
DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-3}"
TARGETS=(none auth+rl-mem auth+rl-redis auth+rl+cache)
VIRTUAL_KEY="vk-bench-0123456789"

for tool in wrk redis-server curl python3; do command -v "$tool" >/dev/null || die "$tool is needed"; done
[[ -x "$BIN" && -x "$MOCK_BIN" ]] || die "build first: make build build-tools"

declare -A PID PORT LOGS
stop_processes() { for pid in "${PID[@]}"; do stop_pid "$pid"; done; }
make_workdir
raise_nofile

# --- Upstream and Redis ------------------------------------------------------------------------------
"$MOCK_BIN" -host 127.0.0.1 -port 0 >"$WORK/mock.log" 2>&1 &
PID[mock]=$!
MOCK_PORT="$(wait_port mock "${PID[mock]}" "$WORK/mock.log" '.*listening on http://127\.0\.0\.1:\([0-9]*\).*')" || exit 1
REDIS_PORT="$(pick_port)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$WORK/redis.log" 2>&1 &
PID[redis]=$!
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break
    sleep 0.1
done

# --- Gateway configs ------------------------------------------------------------------------------------
plugin() { # plugin NAME CONFIG-JSON
    printf '{"name": "%s", "type": "local", "source": "%s/Plugins/%s", "config": %s}' "$1" "$ROOT" "$1" "$2"
}
AUTH="$(plugin auth "{\"keys\": [{\"name\": \"bench\", \"value\": \"$VIRTUAL_KEY\"}]}")"
RULES='"rules": [{"name": "per-key", "scope": ["virtual_key"], "requests_per_minute": 1000000000, "tokens_per_minute": 1000000000000}]'
RL_MEM="$(plugin ratelimit "{$RULES, \"backend\": \"memory\"}")"
RL_REDIS="$(plugin ratelimit "{$RULES, \"backend\": \"redis\", \"redis\": {\"url\": \"redis://127.0.0.1:$REDIS_PORT\"}}")"
CACHE="$(plugin cache '{"ttl": "1h", "backend": "memory"}')"
plugins_of() {
    case "$1" in
        none) echo "" ;;
        auth+rl-mem) echo "$AUTH, $RL_MEM" ;;
        auth+rl-redis) echo "$AUTH, $RL_REDIS" ;;
        auth+rl+cache) echo "$AUTH, $RL_MEM, $CACHE" ;;
    esac
}
for target in "${TARGETS[@]}"; do
    cat >"$WORK/$target.json" <<JSON
{"providers": {"openai": {"keys": [{"value": "sk-bench"}], "network_config": {"base_url": "http://127.0.0.1:$MOCK_PORT"},
                          "concurrency_and_buffer_size": {"concurrency": 1000, "buffer_size": 5000}}},
 "plugins": [$(plugins_of "$target")]}
JSON
done

# start TARGET: starts its gateway (compile cache in $WORK/cache); sets PID, PORT and ELAPSED (seconds to "listening").
start() {
    local target="$1" started log="$WORK/$target.log"
    started=$(date +%s.%N)
    BIFROST_PLUGIN_CACHE="$WORK/cache" "$BIN" -config "$WORK/$target.json" -host 127.0.0.1 -port 0 >"$log" 2>&1 &
    PID[$target]=$!
    local deadline=$((SECONDS + 900))
    while ((SECONDS < deadline)); do
        if grep -q "bifrost-http listening" "$log"; then
            PORT[$target]="$(sed -n 's/.*address=127\.0\.0\.1:\([0-9]*\).*bifrost-http listening.*/\1/p' "$log" | head -n 1)"
            ELAPSED="$(awk -v now="$(date +%s.%N)" -v then="$started" 'BEGIN { printf "%.2f", now - then }')"
            return 0
        fi
        kill -0 "${PID[$target]}" 2>/dev/null || { show_log "$log"; die "$target exited during start-up"; }
        sleep 0.05
    done
    die "$target did not start within 900 s"
}

echo "bench-plugins: compile times (launch → listening)"
declare -A COLD WARM
for target in "${TARGETS[@]}"; do
    start "$target"
    COLD[$target]="$ELAPSED"
    stop_pid "${PID[$target]}"
    start "$target"
    WARM[$target]="$ELAPSED"
    printf '  %-14s cold %6ss   cached %6ss\n' "$target" "${COLD[$target]}" "${WARM[$target]}"
done

# --- Load ----------------------------------------------------------------------------------------------
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $VIRTUAL_KEY"
wrk.body = [==[{"model":"openai/gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write a haiku about load balancers."}],"temperature":0.7,"max_tokens":256}]==]
LUA
for target in "${TARGETS[@]}"; do
    curl -sf -o /dev/null -H "Authorization: Bearer $VIRTUAL_KEY" -H 'Content-Type: application/json' \
        --data-binary '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"warm"}]}' \
        "http://127.0.0.1:${PORT[$target]}/v1/chat/completions" || { show_log "$WORK/$target.log"; die "$target does not answer"; }
done

declare -A P50 RPS
printf '\n%-7s %-4s %-14s %10s %10s %10s %8s\n' round c target req/s p50 p99 errors
rule
for ((round = 1; round <= ROUNDS; round++)); do
    for c in 1 64; do
        for offset in 0 1 2 3; do
            target="${TARGETS[$(((round + offset) % 4))]}"
            threads=$((c == 1 ? 1 : 2))
            run_bounded $((DURATION + 30)) "$WORK/wrk.out" wrk -t"$threads" -c"$c" -d"${DURATION}s" --latency -s "$WORK/post.lua" \
                "http://127.0.0.1:${PORT[$target]}/v1/chat/completions"
            read -r rps p50 p99 requests errors < <(parse_wrk "$WORK/wrk.out")
            printf '%-7s %-4s %-14s %10s %10s %10s %8s\n' "$round/$ROUNDS" "$c" "$target" "$rps" "$(fmt_us "$p50")" "$(fmt_us "$p99")" "$errors"
            [[ $c == 1 ]] && P50[$target]+="$p50 " || RPS[$target]+="$rps "
        done
    done
done
rule

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base_p50="$(echo "${P50[none]}" | median)"
base_rps="$(echo "${RPS[none]}" | median)"
printf '%-14s %12s %12s %12s %12s\n' target "p50 c=1" "added p50" "req/s c=64" "ratio"
for target in "${TARGETS[@]}"; do
    p50="$(echo "${P50[$target]}" | median)"
    rps="$(echo "${RPS[$target]}" | median)"
    printf '%-14s %12s %12s %12s %12s\n' "$target" "$(fmt_us "$p50")" "$(awk -v a="$p50" -v b="$base_p50" 'BEGIN { printf "%+.0fus", a - b }')" \
        "$rps" "$(awk -v a="$rps" -v b="$base_rps" 'BEGIN { printf "%.2f", a / b }')"
done
mem_added="$(awk -v a="$(echo "${P50[auth+rl-mem]}" | median)" -v b="$base_p50" 'BEGIN { print a - b }')"
redis_added="$(awk -v a="$(echo "${P50[auth+rl-redis]}" | median)" -v b="$base_p50" 'BEGIN { print a - b }')"
echo
awk -v m="$mem_added" 'BEGIN { printf "target: auth + memory rate limit adds < 5 us p50: %s (%+.0f us; wrk reports p50 in whole us, on a shared machine)\n", (m < 5 ? "PASS" : "MISS"), m }'
awk -v r="$redis_added" 'BEGIN { printf "target: Redis rate limiter adds < 100 us p50: %s (%+.0f us)\n", (r < 100 ? "PASS" : "MISS"), r }'
# The floor under the Redis row: one round trip to the same redis-server (the limiter makes one per request).
if command -v redis-benchmark >/dev/null; then
    ping_p50="$(redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c 1 -n 20000 -t ping --csv 2>/dev/null \
        | awk -F'"' '/PING_MBULK/ { printf "%.0f", $10 * 1000 }')"
    [[ -n "$ping_p50" ]] && echo "floor: one Redis round trip here (redis-benchmark PING, 1 connection): p50 ${ping_p50} us"
fi
