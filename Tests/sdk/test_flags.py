"""bifrost-http's command line: values out of range are refused before anything starts, with a message
naming the flag and its range. And its start-up: the process restarts itself once with glibc's larger
per-thread allocation cache, keeping whatever GLIBC_TUNABLES the user set."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, START_TIMEOUT, Process, _binary


@pytest.mark.parametrize("value", ["10001", "250000"])
def test_busy_poll_out_of_range_is_refused_naming_the_flag(value, tmp_path):
    binary = _binary("BIFROST_HTTP_BIN", ".build/debug/bifrost-http")
    config = tmp_path / "config.json"
    config.write_text("{}")
    result = subprocess.run([str(binary), "-config", str(config), "-port", "0", "-busy-poll", value],
                            capture_output=True, text=True, timeout=30, cwd=REPO)
    assert result.returncode != 0
    assert f"-busy-poll {value} must be 0 to 10000 microseconds" in result.stderr, result.stderr


def _environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode("utf-8", "replace")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def test_the_gateway_restarts_itself_with_a_larger_thread_cache(gateway):
    # Same PID as the process the test started: the restart is an exec, not a child.
    tunables = _environment(gateway.proc.pid).get("GLIBC_TUNABLES", "")
    assert "glibc.malloc.tcache_count=1024" in tunables.split(":"), tunables


@pytest.mark.parametrize("given, blocks", [
    (None, "1024"),
    ("glibc.malloc.tcache_count=7", "7"),
    ("glibc.malloc.arena_max=2", "1024"),
])
def test_the_thread_cache_the_user_set_is_kept(given, blocks, tmp_path):
    binary = _binary("BIFROST_HTTP_BIN", ".build/debug/bifrost-http")
    config = tmp_path / "config.json"
    config.write_text("{}")
    env = dict(os.environ)
    env.pop("GLIBC_TUNABLES", None)
    if given is not None:
        env["GLIBC_TUNABLES"] = given
    proc = Process("bifrost-http", [str(binary), "-config", str(config), "-host", "127.0.0.1", "-port", "0",
                                    "-log-level", "debug"], env=env)
    try:
        match = proc.wait_for_line(re.compile(r"glibc thread cache: (\w+) blocks per size"), START_TIMEOUT)
        assert match.group(1) == blocks, proc.log()
        proc.wait_for_line(re.compile(r"bifrost-http listening"), START_TIMEOUT)
    finally:
        assert proc.terminate() == 0, proc.log()
