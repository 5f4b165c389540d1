"""Sign-in and roles: the role settings, who gets which role, the Actor a signed-in user becomes,
local mode, and what app.py shows before and after sign-in (AppTest; the real sign-in through a
provider is in test_auth_browser.py)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import streamlit as st
from streamlit import config
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1 import AppTest

from competiscan.model import Actor, PermissionDenied, role_for
from competiscan.settings import load_settings
from competiscan.ui import auth
from competiscan.ui.resources import LOCAL_ACTOR, current_actor, get_settings

from test_pages_support import ROOT, app_env, texts  # noqa: F401

# Secrets without [auth]: a secrets.toml holding other things only (AppTest reads a developer's
# own secrets file when given no secrets at all).
OTHER_SECRETS = {"connections": {"warehouse": {"url": "duckdb:///w.duckdb"}}}
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "test",
        "client_id": "competiscan", "client_secret": "test",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


# ------------------------------------------------------------------ the role settings
def test_role_settings_default_to_nobody_and_the_host_to_this_machine(tmp_path):
    s = load_settings({}, root=tmp_path)
    assert s.admins == () and s.analysts == ()
    assert s.host == "127.0.0.1"


def test_role_settings_are_comma_separated_trimmed_and_lower_cased(tmp_path):
    s = load_settings({"COMPETISCAN_ADMINS": " Boss@Example.com,, @Board.Example ,",
                       "COMPETISCAN_ANALYSTS": "@example.com,ana@example.org,@example.com",
                       "COMPETISCAN_HOST": "0.0.0.0"}, root=tmp_path)
    assert s.admins == ("boss@example.com", "@board.example")
    assert s.analysts == ("@example.com", "ana@example.org")
    assert s.host == "0.0.0.0"


def test_role_settings_come_from_secrets_as_a_list_or_a_string(tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        'COMPETISCAN_ADMINS = ["boss@example.com", "@board.example"]\n'
        'COMPETISCAN_ANALYSTS = "@example.com, ana@example.org"\n')
    s = load_settings({}, root=tmp_path)
    assert s.admins == ("boss@example.com", "@board.example")
    assert s.analysts == ("@example.com", "ana@example.org")
    assert load_settings({"COMPETISCAN_ADMINS": "other@example.net"},
                         root=tmp_path).admins == ("other@example.net",)


# ------------------------------------------------------------------ who gets which role
ADMINS = ("boss@example.com", "@board.example")
ANALYSTS = ("@example.com", "ana@example.org")


@pytest.mark.parametrize("email, role", [
    ("boss@example.com", "admin"),          # listed by address (and its domain is analysts')
    ("BOSS@Example.COM", "admin"),          # case does not matter
    ("chair@board.example", "admin"),       # a whole domain
    ("ana@example.org", "analyst"),
    ("someone@example.com", "analyst"),
    ("someone@sub.example.com", "viewer"),  # a domain entry does not cover subdomains
    ("someone@notexample.com", "viewer"),   # nor a domain that merely ends the same
    ("ana@example.org.evil.test", "viewer"),
    ("visitor@elsewhere.test", "viewer"),
    ("", "viewer"),
])
def test_role_for(email, role):
    assert role_for(email, ADMINS, ANALYSTS) == role


def test_a_domain_without_its_at_sign_matches_nobody():
    assert role_for("boss@example.com", admins=("example.com",)) == "viewer"


# ------------------------------------------------------------------ the signed-in Actor
def test_a_signed_in_user_is_named_by_email_with_the_role_of_the_settings():
    user = {"is_logged_in": True, "email": "Ana@Example.org", "sub": "1234", "name": "Ana"}
    assert auth.actor_for_user(user, ADMINS, ANALYSTS) == Actor("ana@example.org", "analyst")


def test_without_an_email_the_subject_names_the_user_who_is_a_viewer():
    assert auth.actor_for_user({"sub": "boss@example.com"}, ADMINS, ANALYSTS) == Actor(
        "boss@example.com", "viewer")
    assert auth.actor_for_user({"name": "Ana"}, ADMINS, ANALYSTS) == Actor("Ana", "viewer")
    with pytest.raises(PermissionDenied, match="email"):
        auth.actor_for_user({"is_logged_in": True}, ADMINS, ANALYSTS)


@pytest.mark.parametrize("verified", [False, "false", "False"])
def test_an_email_the_provider_did_not_verify_earns_no_role(verified):
    user = {"email": "boss@example.com", "email_verified": verified}
    assert auth.actor_for_user(user, ADMINS, ANALYSTS) == Actor("boss@example.com", "viewer")
    assert auth.actor_for_user({**user, "email_verified": True}, ADMINS, ANALYSTS).role == "admin"


# ------------------------------------------------------------------ is sign-in configured?
@pytest.fixture
def fresh_secrets(monkeypatch):
    """A new, real st.secrets that reads only the files a test names (not a developer's own).

    Tables only in these files: Streamlit copies top-level strings into os.environ."""
    @contextmanager
    def use(*paths):
        monkeypatch.setattr(st, "secrets", Secrets())
        before = config.get_option("secrets.files")
        config.set_option("secrets.files", [str(p) for p in paths])
        try:
            yield
        finally:
            config.set_option("secrets.files", before)
    return use


def test_no_secrets_file_is_local_mode(fresh_secrets, tmp_path):
    with fresh_secrets(tmp_path / "missing.toml"):
        assert auth.sign_in_configured() is False
        assert current_actor() == LOCAL_ACTOR


def test_secrets_without_auth_are_local_mode_with_auth_sign_in(fresh_secrets, tmp_path):
    plain = tmp_path / "plain.toml"
    plain.write_text('[connections.warehouse]\nurl = "duckdb:///w.duckdb"\n')
    with fresh_secrets(plain):
        assert auth.sign_in_configured() is False
    with_auth = tmp_path / "auth.toml"
    with_auth.write_text('[auth]\nredirect_uri = "http://127.0.0.1:8501/oauth2callback"\n')
    with fresh_secrets(with_auth):
        assert auth.sign_in_configured() is True


def test_a_broken_secrets_file_is_not_taken_for_local_mode(fresh_secrets, tmp_path):
    broken = tmp_path / "secrets.toml"
    broken.write_text("[auth\nredirect_uri = \n")
    with fresh_secrets(broken), pytest.raises(auth.SecretsUnreadable, match="secrets.toml"):
        auth.sign_in_configured()


def test_the_app_says_so_when_the_secrets_cannot_be_read(fresh_secrets, tmp_path):
    broken = tmp_path / "secrets.toml"
    broken.write_text("[auth\n")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    with fresh_secrets(broken):
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("cannot be read" in t for t in texts(at.error))
    assert not at.button and not at.sidebar.text


# ------------------------------------------------------------------ app.py
def _app(user: dict | None = None, with_auth: bool = True) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets.update({"auth": AUTH} if with_auth else OTHER_SECRETS)
    if user is not None:
        at.user = user
    return at.run()


def test_local_mode_is_marked_and_acts_as_the_local_admin(app_env):
    at = _app(with_auth=False)
    assert not at.exception, [e.value for e in at.exception]
    sidebar = " ".join(texts(at.sidebar.markdown))
    assert auth.LOCAL_MODE_MARKER in sidebar
    assert not at.sidebar.button  # no sign-out in local mode
    assert not any("Signed in as" in t for t in texts(at.sidebar.text))
    assert at.metric, "the home page ran"


def _actor_script():
    import streamlit as st

    from competiscan.ui.resources import current_actor

    try:
        actor = current_actor()
    except PermissionError as exc:
        st.text(f"denied: {exc}")
    else:
        st.text(f"{actor.name} | {actor.role}")


def test_pages_act_as_the_local_admin_or_as_the_signed_in_user(monkeypatch):
    local = AppTest.from_function(_actor_script)
    local.secrets.update(OTHER_SECRETS)
    assert texts(local.run().text) == ["local user | admin"]
    monkeypatch.setenv("COMPETISCAN_ANALYSTS", "@example.com")
    get_settings.clear()
    try:
        signed_in = AppTest.from_function(_actor_script)
        signed_in.secrets["auth"] = AUTH
        signed_in.user = {"is_logged_in": True, "email": "Ana@Example.com", "sub": "42"}
        assert texts(signed_in.run().text) == ["ana@example.com | analyst"]
        nobody = AppTest.from_function(_actor_script)
        nobody.secrets["auth"] = AUTH
        nobody.user = {"is_logged_in": False}
        assert texts(nobody.run().text) == [
            "denied: Nobody is signed in: sign in to use Competiscan."]
    finally:
        get_settings.clear()


def test_with_auth_a_visitor_sees_the_sign_in_screen_and_no_page():
    at = _app({"is_logged_in": False})
    assert not at.exception, [e.value for e in at.exception]
    assert texts(at.title) == ["Competiscan"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.sidebar.markdown  # neither the home page nor the marker


def test_with_auth_the_sidebar_shows_who_is_signed_in_and_their_role(app_env, monkeypatch):
    monkeypatch.setenv("COMPETISCAN_ADMINS", "boss@example.com")
    monkeypatch.setenv("COMPETISCAN_ANALYSTS", "@example.com")
    get_settings.clear()
    try:
        for email, role in [("boss@example.com", "admin"), ("ana@example.com", "analyst"),
                            ("visitor@elsewhere.test", "viewer")]:
            at = _app({"is_logged_in": True, "email": email, "sub": email})
            assert not at.exception, [e.value for e in at.exception]
            assert texts(at.sidebar.text) == [f"Signed in as {email} ({role})"]
            assert [b.label for b in at.sidebar.button] == ["Sign out"]
            assert auth.LOCAL_MODE_MARKER not in " ".join(texts(at.sidebar.markdown))
            assert at.metric, "the home page ran"
    finally:
        get_settings.clear()


def test_a_name_from_the_provider_is_shown_as_text_not_markdown(app_env):
    email = "*bold*[x](http://x.test)@example.com"
    at = _app({"is_logged_in": True, "email": email})
    assert texts(at.sidebar.text) == [f"Signed in as {email} (viewer)"]
    assert not any("bold" in t for t in texts(at.sidebar.markdown))


def test_on_sign_in_hears_of_each_session_once(app_env, monkeypatch):
    heard: list[Actor] = []
    monkeypatch.setattr(auth, "on_sign_in", lambda actor, issued_at=None: heard.append(actor))
    at = _app({"is_logged_in": True, "email": "boss@example.com"})
    at.run()
    assert heard == [Actor("boss@example.com", "viewer")]
    _app({"is_logged_in": True, "email": "boss@example.com"})  # another session
    assert len(heard) == 2


def test_sign_out_ends_the_session_on_the_sign_in_screen(app_env):
    at = _app({"is_logged_in": True, "email": "boss@example.com"})
    at.sidebar.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.metric, "no page runs once the user signed out"
    at.run()  # the browser's next visit
    assert [b.label for b in at.button] == ["Sign in"]
