"""jemalloc as the C allocator: the command line re-executes itself with it preloaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from competiscan import allocator

ON_CI = os.environ.get("CI") == "true"


def doctor(env: dict[str, str]) -> dict[str, dict]:
    proc = subprocess.run([sys.executable, "-m", "competiscan.cli", "doctor", "--json"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.stderr == ""
    return {check["part"]: check for check in json.loads(proc.stdout)}


@pytest.fixture
def env(tmp_path):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("COMPETISCAN_", "OPENAI_")) and k != "LD_PRELOAD"}
    e["COMPETISCAN_DATABASE_URL"] = f"duckdb:///{tmp_path / 'a.duckdb'}"
    e["COMPETISCAN_SEARCH_URL"] = str(tmp_path / "index")
    return e


def test_command_line_runs_with_jemalloc_when_the_system_has_it(env):
    if allocator.jemalloc_library() is None:
        if ON_CI:
            pytest.fail("libjemalloc.so.2 is missing (.ci/run installs libjemalloc2)")
        pytest.skip("libjemalloc2 is not installed")
    check = doctor(env)["allocator"]
    assert check == {"part": "allocator", "status": "ok", "detail": "jemalloc (preloaded)"}


def test_a_users_ld_preload_is_kept_even_empty(env):
    # An empty LD_PRELOAD is the way to opt out; the process must not re-execute (nor loop).
    check = doctor(dict(env, LD_PRELOAD=""))["allocator"]
    assert check["status"] == "off" and check["detail"].startswith("glibc malloc")


def test_a_preload_the_loader_refuses_does_not_loop(env):
    # The loader warns and runs on without the library; LD_PRELOAD being set stops re-execution.
    proc = subprocess.run([sys.executable, "-m", "competiscan.cli", "doctor", "--json"],
                          env=dict(env, LD_PRELOAD="libno-such-allocator.so"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)[-1]["status"] == "off"


def test_use_jemalloc_returns_when_there_is_nothing_to_do(monkeypatch):
    monkeypatch.setattr(allocator, "jemalloc_loaded", lambda: False)
    monkeypatch.setattr(allocator, "jemalloc_library", lambda: None)
    monkeypatch.setattr(allocator, "process_environment", lambda: {})
    allocator.use_jemalloc()   # no library: returns instead of replacing the test process
