#!/bin/sh
# Starts bifrost-http with flags taken from the container's environment:
#   APP_CONFIG                config file               (default /app/config/config.json)
#   APP_HOST                  -host                     (default 0.0.0.0)
#   APP_PORT                  -port                     (default 8080)
#   APP_POOL_SIZE             -pool-size                (default: the gateway's, 300)
#   APP_DROP_EXCESS_REQUESTS  -drop-excess-requests     (true/false, default false)
#   APP_PROMETHEUS_LABELS     -prometheus-labels        (comma list)
#   APP_LOG_LEVEL             -log-level                (debug, info, warn, error)
#   APP_BUSY_POLL             -busy-poll                (microseconds, default 0: off)
# Arguments given to the container are appended (and win, being last).
set -eu

BIN=${BIFROST_BIN:-/app/bifrost-http}
CONFIG=${APP_CONFIG:-/app/config/config.json}

if [ ! -r "$CONFIG" ]; then
    echo "entrypoint: no readable config at $CONFIG; mount one with -v \"\$PWD/config.json:/app/config/config.json\"" >&2
    exit 2
fi

# Flags are gathered first, then the container's own arguments are put back after them.
count=$#
set -- "$@" -config "$CONFIG" -host "${APP_HOST:-0.0.0.0}" -port "${APP_PORT:-8080}"
[ -n "${APP_POOL_SIZE:-}" ] && set -- "$@" -pool-size "$APP_POOL_SIZE"
case "${APP_DROP_EXCESS_REQUESTS:-false}" in
    true | TRUE | True | 1 | yes) set -- "$@" -drop-excess-requests ;;
    false | FALSE | False | 0 | no | "") ;;
    *)
        echo "entrypoint: APP_DROP_EXCESS_REQUESTS must be true or false, not '$APP_DROP_EXCESS_REQUESTS'" >&2
        exit 2
        ;;
esac
[ -n "${APP_PROMETHEUS_LABELS:-}" ] && set -- "$@" -prometheus-labels "$APP_PROMETHEUS_LABELS"
[ -n "${APP_LOG_LEVEL:-}" ] && set -- "$@" -log-level "$APP_LOG_LEVEL"
[ -n "${APP_BUSY_POLL:-}" ] && set -- "$@" -busy-poll "$APP_BUSY_POLL"
# Rotate the original arguments to the end.
while [ "$count" -gt 0 ]; do
    first=$1
    shift
    set -- "$@" "$first"
    count=$((count - 1))
done
exec "$BIN" "$@"
