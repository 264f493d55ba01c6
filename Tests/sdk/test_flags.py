"""bifrost-http's command line: values out of range are refused before anything starts, with a message
naming the flag and its range."""

from __future__ import annotations

import subprocess

import pytest

from conftest import REPO, _binary


@pytest.mark.parametrize("value", ["10001", "250000"])
def test_busy_poll_out_of_range_is_refused_naming_the_flag(value, tmp_path):
    binary = _binary("BIFROST_HTTP_BIN", ".build/debug/bifrost-http")
    config = tmp_path / "config.json"
    config.write_text("{}")
    result = subprocess.run([str(binary), "-config", str(config), "-port", "0", "-busy-poll", value],
                            capture_output=True, text=True, timeout=30, cwd=REPO)
    assert result.returncode != 0
    assert f"-busy-poll {value} must be 0 to 10000 microseconds" in result.stderr, result.stderr
