#!/usr/bin/env bash
# bench-core.sh: the in-process cost of one request through the engine (`make bench-core`).
#
# Runs the ordo-one/benchmark suite in Benchmarks/BifrostCoreBenchmarks (a package of its own, with its
# own .build; release build): `Bifrost.complete` against a provider that answers at once from a prebuilt
# response, with 0, 5 and 10 no-op plugins and a new BifrostContext per request, plus two concurrent
# runs (8 tasks, queue of 10 and of 1 in flight) and two baselines (BifrostContext() alone, the provider
# called directly). Each iteration is 1,000 requests, so the tool's `*` figures are per request.
#
# Prints the tool's tables, then a per-request summary (medians over iterations): wall and CPU time,
# mallocs and bytes, the engine's queue wait (BifrostContext.measurements.queueWait), throughput; the per-plugin
# slope; and the target for 5 no-op plugins (< 2 µs and < 20 allocations per request) as PASS/MISS.
#
# Informational: exits 0 whatever the numbers (non-zero only if the benchmark cannot build or run).
# The first run builds the benchmark package and its dependencies (a few minutes on 2 cores).
#
# Arguments are passed to `swift package benchmark run`, e.g.:
#   bash scripts/bench-core.sh --filter 'complete 5 plugins$'
#   bash scripts/bench-core.sh --allocation-stacks --filter 'complete 5 plugins$'   (where mallocs happen)
#
# Needs: swift (the toolchain), awk.

set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKAGE="$ROOT/Benchmarks/BifrostCoreBenchmarks"
SWIFT="${SWIFT:-swift}"

TARGET_NS=2000      # per request, 5 no-op plugins (informational)
TARGET_MALLOCS=20   # per request, 5 no-op plugins (informational)

die() { echo "bench-core: $*" >&2; exit 1; }

[[ -f "$PACKAGE/Package.swift" ]] || die "benchmark package not found at $PACKAGE"
command -v "$SWIFT" >/dev/null 2>&1 || die "swift not found (set SWIFT)"

LOG="$(mktemp "${TMPDIR:-/tmp}/bench-core.XXXXXX")"
trap 'rm -f "$LOG"' EXIT

cd "$PACKAGE" || die "cannot enter $PACKAGE"
echo "bench-core: building and running BifrostCoreBenchmarks (release) in Benchmarks/BifrostCoreBenchmarks"
"$SWIFT" package --allow-writing-to-package-directory benchmark run \
    --target BifrostCoreBenchmarks --benchmark-build-configuration release --no-progress "$@" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
((status == 0)) || die "swift package benchmark failed (exit $status)"

# --- Summary ------------------------------------------------------------------------------------------
# The text tables: a benchmark's name on a line of its own, then rows `│ <metric> <unit> │ p0 │ p25 │ p50 │ ...`.
# Take p50 of each metric, in nanoseconds or plain counts (undoing the tool's K/M/G and time-unit prefixes).
awk -F'│' -v target_ns="$TARGET_NS" -v target_mallocs="$TARGET_MALLOCS" '
function value(label, raw,    v) {
    v = raw + 0
    if (label ~ /\(K\)/) v *= 1e3
    else if (label ~ /\(M\)/) v *= 1e6
    else if (label ~ /\(G\)/) v *= 1e9
    if (label ~ /\(μs\)|\(us\)/) v *= 1e3
    else if (label ~ /\(ms\)/) v *= 1e6
    else if (label ~ /\(s\)/ && label !~ /# \/ s/) v *= 1e9
    return v
}
function show(name, label) {
    if (!(name in seen)) return
    printf "%-42s %9s %9s %9s %8s %8s %11s %10s\n", label, wall[name], best[name], cpu[name], mallocs[name], bytes[name], wait[name], tput[name]
}
/^[^│╒╞├╘═=]/ && NF == 1 && $0 !~ /^(Host|Baseline|Running|Build|Warning|Note|#)/ { name = $0; next }
/^│/ && name != "" {
    label = $2; gsub(/^ +| +$/, "", label)
    if (label == "Metric") next
    v = value(label, $5)
    seen[name] = 1
    if (label ~ /^Time \(wall clock\)/) { wall[name] = sprintf("%.0f", v); best[name] = sprintf("%.0f", value(label, $3)) }
    else if (label ~ /^CPU time per request/) cpu[name] = sprintf("%.0f", v)
    else if (label ~ /^Malloc \(total\)/) mallocs[name] = sprintf("%.0f", v)
    else if (label ~ /^Malloc \(bytes total\)/) bytes[name] = sprintf("%.0f", v)
    else if (label ~ /^Queue wait per request/) wait[name] = sprintf("%.0f", v)
    else if (label ~ /^Throughput/) tput[name] = sprintf("%.0f", v)
}
END {
    print ""
    print "================================================================================================================"
    print "bench-core summary: per request (medians over iterations of 1,000 requests; fake provider, no I/O)"
    print "================================================================================================================"
    printf "%-42s %9s %9s %9s %8s %8s %11s %10s\n", "benchmark", "wall ns", "best ns", "CPU ns", "mallocs", "bytes", "queue wait", "req/s"
    show("complete 0 plugins", "engine.complete, 0 plugins")
    show("complete 5 plugins", "engine.complete, 5 no-op plugins")
    show("complete 10 plugins", "engine.complete, 10 no-op plugins")
    show("complete 5 pass-through plugins", "engine.complete, 5 pass-through plugins")
    show("complete 5 plugins 8 tasks 10 in flight", "5 plugins, 8 tasks, queue 10 in flight")
    show("complete 5 plugins 8 tasks 1 in flight", "5 plugins, 8 tasks, queue 1 in flight")
    show("baseline BifrostContext()", "baseline: BifrostContext() alone")
    show("baseline provider.complete direct", "baseline: context + provider called directly")
    print ""
    print "wall ns: median; best ns: fastest iteration (p0), a guide when the host is noisy. CPU ns: process CPU"
    print "time (all threads). queue wait: the engine\047s own measure (BifrostContext.measurements.queueWait), in ns."
    print "req/s: median iteration rate x 1,000. Numbers are per request; mallocs and bytes are exact."
    # Differences from the fastest iterations: medians move with the host, the best ones much less.
    if (("complete 0 plugins" in seen) && ("baseline provider.complete direct" in seen))
        printf "engine overhead, 0 plugins, beyond context + provider call (best): %d ns, %d mallocs\n",
            best["complete 0 plugins"] - best["baseline provider.complete direct"],
            mallocs["complete 0 plugins"] - mallocs["baseline provider.complete direct"]
    if (("complete 0 plugins" in seen) && ("complete 10 plugins" in seen))
        printf "per no-op plugin (PreHook + PostHook), 0 -> 10 plugins (best): %.0f ns, %.1f mallocs\n",
            (best["complete 10 plugins"] - best["complete 0 plugins"]) / 10,
            (mallocs["complete 10 plugins"] - mallocs["complete 0 plugins"]) / 10
    if ("complete 5 plugins" in seen) {
        n = "complete 5 plugins"
        printf "target, 5 no-op plugins: time < %d ns: %s (median %d ns, best %d ns)   allocations < %d: %s (%d)\n",
            target_ns, (wall[n] + 0 < target_ns ? "PASS" : "MISS"), wall[n], best[n],
            target_mallocs, (mallocs[n] + 0 < target_mallocs ? "PASS" : "MISS"), mallocs[n]
    } else {
        print "target: not evaluated (the \"complete 5 plugins\" benchmark did not run)"
    }
}' "$LOG"
exit 0
