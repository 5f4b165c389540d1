"""The URL is the page state: read st.query_params, seed the widgets from it, write it back.

A page reads the URL once at the top, seeds its widgets (by key) from what the URL says, reads
the widgets back into a state dataclass and writes that state to the URL. Widgets are seeded
only when the URL was changed from outside (a shared link, a page link with parameters) or the
widgets are new in this session; otherwise the analyst's latest edits win.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlencode

import streamlit as st

__all__ = ["read_params", "seed_widgets", "write_params", "share_url", "show_share_link"]


def read_params() -> dict[str, list[str]]:
    """The URL's query parameters; a repeated key gives all its values."""
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}


def _marker(page: str) -> str:
    return f"_url_written_{page}"


def seed_widgets(page: str, values: Mapping[str, Any]) -> None:
    """Put ``values`` (widget key -> value) into session_state when the URL is not the one this
    page last wrote, or when a widget has no state yet (Streamlit drops widget state when the
    analyst visits another page)."""
    stale = st.session_state.get(_marker(page)) != read_params()
    for key, value in values.items():
        # A widget not drawn in the last run lost its state: give it the URL's value without
        # overriding the other widgets' fresh edits.
        if stale or key not in st.session_state:
            st.session_state[key] = value


def write_params(page: str, params: Mapping[str, list[str]]) -> None:
    """Make the URL say ``params`` (only when it differs: each write adds a history entry)."""
    clean = {k: list(v) for k, v in params.items() if v}
    if read_params() != clean:
        st.query_params.from_dict(clean)
    st.session_state[_marker(page)] = clean


def share_url(url_path: str, params: Mapping[str, list[str]]) -> str:
    """The full URL of this view: the browser's address when known, else a path on this app."""
    query = urlencode([(k, v) for k, values in params.items() for v in values])
    base = st.context.url or f"/{url_path}"
    return f"{base}?{query}" if query else base


def show_share_link(url_path: str, params: Mapping[str, list[str]]) -> None:
    """A visible link to this exact view, with a copy button (st.code has one)."""
    st.caption("Link to this view — whoever opens it sees exactly what you see now")
    st.code(share_url(url_path, params), language=None, wrap_lines=True)
