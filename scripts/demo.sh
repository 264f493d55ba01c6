#!/usr/bin/env bash
# demo.sh: a one-command tour of bifrost-http (`make demo`).
#
# Starts bifrost-mock over HTTPS with a throwaway CA (made with the openssl command), starts bifrost-http
# with a config whose openai and anthropic providers point at the mock (the gateway trusts the CA through
# SSL_CERT_FILE, as it would a corporate CA), then shows with curl:
#   1. a chat completion (OpenAI shape, extra_fields says who answered)
#   2. the same request streamed (Server-Sent Events, ending in data: [DONE])
#   3. the Anthropic drop-in route (POST /anthropic/v1/messages, Anthropic's shape)
#   4. a fallback: the primary provider fails with 503, the anthropic fallback answers
#   5. Bedrock (Converse, SigV4-signed) through the OpenAI route
#   6. Vertex AI (a service-account key made here, signed in at the mock's token endpoint), Gemini, Cohere
#   7. the GenAI route (Gemini's API, for Google's SDKs) with openai behind it
#   8. the Prometheus metrics that traffic produced
# and stops both. Exits non-zero when a step does not give what it should (so CI can run it).
#
# Binaries: $BIFROST_HTTP_BIN, $BIFROST_MOCK_BIN (default .build/release/...; `make demo` builds them).
# Needs: curl, openssl, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HTTP_BIN="${BIFROST_HTTP_BIN:-$ROOT/.build/release/bifrost-http}"
MOCK_BIN="${BIFROST_MOCK_BIN:-$ROOT/.build/release/bifrost-mock}"
for bin in "$HTTP_BIN" "$MOCK_BIN"; do
    [[ -x "$bin" ]] || { echo "demo: no executable at $bin (run make build-tools / make build)" >&2; exit 1; }
done
for tool in curl openssl python3; do
    command -v "$tool" >/dev/null || { echo "demo: $tool is needed" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bifrost-demo.XXXXXX")"
MOCK_PID=""
GATEWAY_PID=""
stop() {
    for pid in $GATEWAY_PID $MOCK_PID; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap stop EXIT

fail() {
    echo "demo: $*" >&2
    for log in "$WORK"/*.log; do [[ -f "$log" ]] && { echo "--- $(basename "$log")" >&2; tail -20 "$log" >&2; }; done
    exit 1
}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Waits until `file` has a line matching `pattern` and prints the first capture group.
wait_for() {
    local file=$1 pattern=$2 deadline=$((SECONDS + 20)) match
    while ((SECONDS < deadline)); do
        match=$(sed -nE "s/$pattern/\\1/p" "$file" 2>/dev/null | head -1)
        [[ -n "$match" ]] && { echo "$match"; return 0; }
        sleep 0.1
    done
    return 1
}

step "certificates: a throwaway CA and a leaf for 127.0.0.1"
(
    cd "$WORK"
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -sha256 -days 1 -subj "/CN=Bifrost demo CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out leaf.key 2>/dev/null
    openssl req -new -key leaf.key -subj "/CN=127.0.0.1" -out leaf.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >leaf.ext
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -sha256 -extfile leaf.ext \
        -out leaf.pem 2>/dev/null
) || fail "openssl could not make the certificates"
echo "CA: $WORK/ca.pem"

step "bifrost-mock over HTTPS (the stand-in for OpenAI and Anthropic)"
"$MOCK_BIN" -host 127.0.0.1 -port 0 -tls-cert "$WORK/leaf.pem" -tls-key "$WORK/leaf.key" >"$WORK/mock.log" 2>&1 &
MOCK_PID=$!
MOCK_PORT=$(wait_for "$WORK/mock.log" '.*listening on https:\/\/127\.0\.0\.1:([0-9]+).*') || fail "bifrost-mock did not start"
echo "https://127.0.0.1:$MOCK_PORT"

step "a Vertex AI service-account key (RSA, made with openssl) whose token endpoint is the mock"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/sa.key" 2>/dev/null || fail "openssl could not make the RSA key"
python3 -c 'import json, sys; print(json.dumps({"type": "service_account", "project_id": "demo",
    "client_email": "demo@demo.iam.gserviceaccount.com", "private_key": open(sys.argv[1]).read(), "token_uri": sys.argv[2]}))' \
    "$WORK/sa.key" "https://127.0.0.1:$MOCK_PORT/token" >"$WORK/sa.json" || fail "python3 could not write the key file"
echo "$WORK/sa.json"

step "bifrost-http with openai, anthropic, bedrock, vertex, gemini and cohere pointing at the mock"
cat >"$WORK/config.json" <<JSON
{
  "providers": {
    "openai": {"keys": [{"value": "sk-demo-openai"}],
               "network_config": {"base_url": "https://127.0.0.1:$MOCK_PORT", "max_retries": 1, "retry_backoff_initial": "50ms"}},
    "anthropic": {"keys": [{"value": "sk-demo-anthropic"}],
                  "network_config": {"base_url": "https://127.0.0.1:$MOCK_PORT"}},
    "bedrock": {"keys": [{"value": "AKIDDEMO"}], "meta_config": {"region": "us-east-1", "secret_access_key": "demo-secret"},
                "network_config": {"base_url": "https://127.0.0.1:$MOCK_PORT"}},
    "vertex": {"meta_config": {"project_id": "demo", "region": "us-east5", "auth_credentials": "$WORK/sa.json"},
               "network_config": {"base_url": "https://127.0.0.1:$MOCK_PORT"}},
    "gemini": {"keys": [{"value": "demo-gemini-key"}], "network_config": {"base_url": "https://127.0.0.1:$MOCK_PORT"}},
    "cohere": {"keys": [{"value": "demo-cohere-key"}], "network_config": {"base_url": "https://127.0.0.1:$MOCK_PORT"}}
  }
}
JSON
sed 's/^/  /' "$WORK/config.json"
SSL_CERT_FILE="$WORK/ca.pem" "$HTTP_BIN" -config "$WORK/config.json" -host 127.0.0.1 -port 0 >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
PORT=$(wait_for "$WORK/gateway.log" '.*address=127\.0\.0\.1:([0-9]+) .*bifrost-http listening.*') || fail "bifrost-http did not start"
GATEWAY="http://127.0.0.1:$PORT"
echo "$GATEWAY"

# Runs curl, shows the command and the answer, and checks that the answer contains `expect`.
show() {
    local expect=$1
    shift
    local shown="$ curl" arg
    for arg in "$@"; do
        [[ "$arg" =~ [[:space:]\"{] ]] && shown+=" '$arg'" || shown+=" $arg"
    done
    echo "${shown//$GATEWAY/\$GATEWAY}"
    local out
    out=$(curl -sS --noproxy '*' --max-time 15 "$@") || fail "curl failed"
    echo "$out" | head -c 1500
    echo
    grep -q -- "$expect" <<<"$out" || fail "expected '$expect' in the answer"
}

CHAT='{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}]}'
step "1. chat completion (OpenAI shape)"
show '"provider":"openai"' "$GATEWAY/v1/chat/completions" -H 'Content-Type: application/json' -d "$CHAT"

step "2. streamed (Server-Sent Events)"
show 'data: \[DONE\]' -N "$GATEWAY/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello."}]}'

step "3. the Anthropic drop-in route"
show '"type":"message"' "$GATEWAY/anthropic/v1/messages" -H 'Content-Type: application/json' -H 'x-api-key: demo' \
    -d '{"model":"claude-3-5-haiku-latest","max_tokens":100,"messages":[{"role":"user","content":"Say hello."}]}'

step "4. fallback: openai answers 503 (after one retry), anthropic takes over"
show '"provider":"anthropic"' "$GATEWAY/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"openai/mock-fault-status-503","fallbacks":["anthropic/claude-3-5-haiku-latest"],"messages":[{"role":"user","content":"Say hello."}]}'

step "5. Bedrock (Converse, SigV4-signed) behind the OpenAI route"
show '"provider":"bedrock"' "$GATEWAY/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"bedrock/anthropic.claude-3-haiku-20240307-v1:0","messages":[{"role":"user","content":"Say hello."}]}'

step "6. Vertex AI (service-account sign-in, Claude via rawPredict), Gemini and Cohere"
for model in vertex/claude-3-5-haiku@20241022 gemini/gemini-2.0-flash cohere/command-r-plus; do
    show "\"provider\":\"${model%%/*}\"" "$GATEWAY/v1/chat/completions" -H 'Content-Type: application/json' \
        -d "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}"
done

step "7. the GenAI route (Google's SDKs) in front of openai"
show '"candidates"' "$GATEWAY/genai/v1beta/models/openai/gpt-4o-mini:generateContent" -H 'Content-Type: application/json' \
    -d '{"contents":[{"role":"user","parts":[{"text":"Say hello."}]}]}'

step "8. /metrics after that traffic"
echo "\$ curl \$GATEWAY/metrics | grep ^bifrost_"
METRICS=$(curl -sS --noproxy '*' --max-time 5 "$GATEWAY/metrics") || fail "GET /metrics failed"
grep -E '^bifrost_(upstream_requests_total|success_requests_total|error_requests_total)' <<<"$METRICS" || true
grep -q 'bifrost_error_requests_total{provider="openai",model="mock-fault-status-503"' <<<"$METRICS" ||
    fail "the failed openai attempt is not in /metrics"

step "gateway log (one line per request)"
grep 'route=' "$WORK/gateway.log" | tail -4 | sed 's/^/  /'
echo
echo "demo: done"
