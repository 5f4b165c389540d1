"""Upload page's enrichment panel: a background model job started from the app, polled."""

from __future__ import annotations

import time

import pytest

from competiscan.enrich.openai_enricher import PROMPT_VERSION
from openai_server import OpenAIServer
from test_pages_support import app_env, open_page, texts  # noqa: F401


@pytest.fixture
def openai_env(monkeypatch):
    with OpenAIServer() as server:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("COMPETISCAN_OPENAI_MODEL", "test-model")
        yield server


def test_without_a_key_the_panel_says_how_to_enable_it(app_env):
    at = open_page("upload")
    assert any("OPENAI_API_KEY" in t for t in texts(at.info))


def test_model_enrichment_runs_in_the_background_and_reports(openai_env, app_env):
    at = open_page("upload")
    assert any("Model: test" in t for t in texts(at.caption))
    at.button(key="enrich_openai").click().run()
    deadline = time.time() + 60
    while time.time() < deadline:
        jobs = app_env._store.jobs()
        if jobs and jobs[0]["status"] != "running":
            break
        time.sleep(0.1)
    job = app_env._store.jobs()[0]
    assert job["status"] == "done", job
    assert openai_env.requests, "the model server received no request"
    by = set(app_env._store.export_frame(["enriched_by"])["enriched_by"])
    assert f"openai:test-model:{PROMPT_VERSION}" in by
    at.run()
    assert any("by the model" in t for t in texts(at.success))
