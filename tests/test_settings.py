"""Settings: environment first, then .streamlit/secrets.toml, then defaults."""

from __future__ import annotations

from competiscan.settings import load_settings


def test_defaults_live_under_the_checkout(tmp_path):
    s = load_settings({}, root=tmp_path)
    assert s.database_url == f"duckdb:///{tmp_path / 'data' / 'competiscan.duckdb'}"
    assert s.search_url == str(tmp_path / "data" / "index")
    assert s.inbox == tmp_path / "data" / "inbox"
    assert not s.openai_enabled and s.openai_model == "gpt-4o-mini"


def test_environment_beats_secrets_which_beat_defaults(tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        'OPENAI_API_KEY = "from-secrets"\nCOMPETISCAN_OPENAI_MODEL = "secret-model"\n')
    s = load_settings({"COMPETISCAN_OPENAI_MODEL": "env-model"}, root=tmp_path)
    assert s.openai_api_key == "from-secrets" and s.openai_enabled
    assert s.openai_model == "env-model"


def test_relative_folders_resolve_under_the_checkout_urls_stay(tmp_path):
    s = load_settings({"COMPETISCAN_SEARCH_URL": "idx", "COMPETISCAN_INBOX": "drop"},
                      root=tmp_path)
    assert s.search_url == str(tmp_path / "idx") and s.inbox == tmp_path / "drop"
    es = load_settings({"COMPETISCAN_SEARCH_URL": "https://es.example:9200"}, root=tmp_path)
    assert es.search_url == "https://es.example:9200"
