"""Sign-in: Streamlit's own OpenID Connect login (``st.login``, ``st.user``), switched on by an
``[auth]`` section in the secrets (``.streamlit/secrets.toml``; see docs/sign-in.md).

Without ``[auth]`` the app runs in local mode: one local user, the person at the machine, acts
as an admin, and ``make run`` listens on 127.0.0.1 only. Roles decide what pages offer; the
Workbench enforces them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import streamlit as st
from streamlit.errors import StreamlitAuthError

from ..model import Actor, PermissionDenied, role_for
from ..settings import Settings

__all__ = ["LOCAL_MODE_MARKER", "SecretsUnreadable", "sign_in_configured", "actor_for_user",
           "signed_in_actor", "require_sign_in", "show_session", "on_sign_in"]

LOCAL_MODE_MARKER = "Local mode — no sign-in"

# Which signed-in user this browser session has already reported to on_sign_in.
_REPORTED_KEY = "auth_reported_sign_in"


class SecretsUnreadable(RuntimeError):
    """A secrets file exists but cannot be read, so whether sign-in is required is unknown."""


def sign_in_configured() -> bool:
    """Whether the secrets have an ``[auth]`` section: then every page requires sign-in.

    Raises :class:`SecretsUnreadable` when a secrets file exists but cannot be parsed.
    """
    try:
        return "auth" in st.secrets
    except FileNotFoundError as exc:
        # Streamlit raises this both when there is no secrets file (local mode) and when one
        # cannot be parsed: a broken file must not open the app to everyone as the local admin.
        present = [path for path in st.get_option("secrets.files") if Path(path).exists()]
        if present:
            raise SecretsUnreadable(
                f"The secrets file {', '.join(present)} cannot be read: {exc}. Fix it (it is "
                "TOML), or remove it to run in local mode without sign-in.") from exc
        return False


def actor_for_user(user: Mapping[str, Any], admins: tuple[str, ...] = (),
                   analysts: tuple[str, ...] = ()) -> Actor:
    """The Actor for a signed-in user's identity claims (``st.user``).

    Named by email, else by the provider's subject id, else by name. The role comes from the
    email and the role settings; an email the provider marks as unverified earns no role, since
    anyone could have typed it.
    """
    email = str(user.get("email") or "").strip().lower()
    name = email or str(user.get("sub") or "").strip() or str(user.get("name") or "").strip()
    if not name:
        raise PermissionDenied("The identity provider sent neither an email nor a subject id: "
                               "add the 'email' scope to the provider's app registration.")
    verified = str(user.get("email_verified", True)).lower() != "false"
    role = role_for(email, admins, analysts) if email and verified else "viewer"
    return Actor(name=name, role=role)


def _signed_in() -> bool:
    return bool(st.user.get("is_logged_in", False))


def signed_in_actor(settings: Settings) -> Actor:
    """The signed-in user of this session as an Actor; PermissionDenied when nobody is."""
    if not _signed_in():
        raise PermissionDenied("Nobody is signed in: sign in to use Competiscan.")
    return actor_for_user(st.user.to_dict(), settings.admins, settings.analysts)


def require_sign_in() -> None:
    """Before any page: with sign-in configured, a visitor who has not signed in sees the
    sign-in screen and nothing else (the run ends here)."""
    try:
        configured = sign_in_configured()
    except SecretsUnreadable as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()
    if configured and not _signed_in():
        _sign_in_screen()
        st.stop()


def _sign_in_screen() -> None:
    st.title("Competiscan")
    st.write("Competitors' marketing, searchable and comparable. Sign in with your "
             "organisation's account to continue.")
    if st.button("Sign in", type="primary", icon=":material/login:", key="auth_sign_in"):
        try:
            st.login()
        except StreamlitAuthError as exc:
            st.error(f"Sign-in is switched on but cannot start. {exc}\n\nSee docs/sign-in.md "
                     "for the keys the [auth] section needs.", icon=":material/error:")


def show_session(actor: Actor) -> None:
    """The sidebar says who acts: the signed-in user and a way to sign out, or the local-mode
    marker. The first time a session shows a signed-in user, :func:`on_sign_in` hears of it."""
    with st.sidebar:
        if not sign_in_configured():
            st.badge(LOCAL_MODE_MARKER, icon=":material/lock_open:", color="orange")
            st.caption("Whoever opens this app acts as its admin. To require sign-in, see "
                       "docs/sign-in.md.")
            return
        # st.text: the name comes from the identity provider and is shown, never interpreted.
        st.text(f"Signed in as {actor.name} ({actor.role})")
        if st.button("Sign out", icon=":material/logout:", key="auth_sign_out"):
            st.logout()
            st.stop()  # the browser is leaving; no page runs for a user who is gone
    if st.session_state.get(_REPORTED_KEY) != actor.name:
        st.session_state[_REPORTED_KEY] = actor.name
        on_sign_in(actor, st.user.get("iat"))


def on_sign_in(actor: Actor, issued_at: object = None) -> None:
    """Called once per browser session, on its first run after ``actor`` signed in (a new tab
    that reuses the sign-in cookie is a new session and calls it again).

    The sign-in goes into the audit trail once: ``issued_at`` (the identity token's ``iat``)
    tells one sign-in from the page loads and tabs that reuse it.
    """
    from .resources import open_workbench  # resources imports this module
    open_workbench().audit.sign_in(actor, issued_at)
