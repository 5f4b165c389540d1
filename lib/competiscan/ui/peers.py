"""The peer-set picker of Trends and Competitors: what the page's companies and shares of voice
are measured against, and a popover to save, share and delete peer sets.

The choice is the page's ``peers`` URL parameter (a peer set's id, ``industry:<code>`` or
``all``), so a link keeps it. Without one the page measures against the analyst's last choice
in this session, else their first peer set, else an industry (the company in view's, or the
one with most pieces): never every company of every industry unless chosen.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import streamlit as st

from ..model import Actor, CampaignFilter
from ..workbench import ALL_MARKET_KEY, IndustryGroup, Market, PeerSet, Workbench
from ..workbench.peers import MAX_PEERS, MIN_PEERS
from . import data
from .labels import md_escape, pretty
from .resources import current_actor

__all__ = ["peer_picker", "market_caption", "largest_companies", "industry_groups",
           "LAST_CHOSEN"]

# The market the analyst last chose on any page of this session (a key as in the URL).
LAST_CHOSEN = "peers_last_chosen"


@st.cache_data(ttl=60, max_entries=4, show_spinner=False)
def industry_groups(_workbench: Workbench) -> list[IndustryGroup]:
    """Each industry with campaigns and its companies, most pieces first."""
    return _workbench.peers.industry_groups()


def largest_companies(workbench: Workbench, market: Market, filters: CampaignFilter,
                      n: int) -> tuple[str, ...]:
    """The ``n`` companies of ``market`` with most campaigns under ``filters``."""
    counts = data.counts(workbench, ("company",), market.applied(filters))
    ranked = counts.dropna(subset=["company"]).sort_values(["n", "company"],
                                                          ascending=[False, True])
    return tuple(ranked["company"][:n])


def _option_labels(actor: Actor, peer_sets: list[PeerSet], groups: list[IndustryGroup],
                   market: Market) -> dict[str, str]:
    """Picker key -> label: the peer sets the actor sees, each industry, every company."""
    options = {}
    for peer_set in peer_sets:
        whose = "" if peer_set.owned_by(actor) else f" · {peer_set.owner}'s"
        options[peer_set.market.key] = f"{peer_set.market.label}{whose}"
    for group in groups:
        options[group.market.key] = f"{group.market.label} ({len(group.companies)})"
    everyone = {c for group in groups for c in group.companies}
    options[ALL_MARKET_KEY] = f"{Market.everything().label} ({len(everyone)})"
    options.setdefault(market.key, market.label)
    return options


def peer_picker(workbench: Workbench, prefix: str, *, companies: Sequence[str] = (),
                filters: CampaignFilter = CampaignFilter(),
                on_change: Callable[[], None] | None = None) -> Market:
    """The "Measured against" picker (widget key ``<prefix>_peers``) and the peer-set popover;
    call it in the sidebar. Resolves the market for the ``companies`` in view under
    ``filters``, keeps it at ``<prefix>_market`` for the page's state, and returns it.
    ``on_change`` runs after the analyst picks another market."""
    actor = current_actor()
    ss = st.session_state
    key = f"{prefix}_peers"
    groups = industry_groups(workbench)
    peer_sets = workbench.peers.list(actor)
    market, notes = workbench.peers.choose_market(
        actor, ss.get(key) or "", companies=tuple(companies), filters=filters,
        preferred=ss.get(LAST_CHOSEN, ""), groups=groups)
    options = _option_labels(actor, peer_sets, groups, market)
    ss[key] = market.key
    ss[f"{prefix}_market"] = market
    st.header("Peer set")
    st.selectbox("Measured against", list(options), key=key, format_func=options.get,
                 on_change=_remember, args=(key, on_change),
                 help="Share of voice, and the companies this page shows, are measured "
                      "against this set: a saved peer set, or every company of an industry.")
    for note in notes:
        st.caption(md_escape(note))
    _manage(workbench, actor, prefix, peer_sets, groups)
    return market


def _remember(key: str, then: Callable[[], None] | None) -> None:
    st.session_state[LAST_CHOSEN] = st.session_state[key]
    if then is not None:
        then()


def market_caption(description: str, *, what: str = "Share of voice",
                   chosen: Sequence[str] = (), shown: Sequence[str] = ()) -> None:
    """Say what a share is measured against ("Share of voice among Card issuers: …"), and
    which ``chosen`` companies are not drawn because the market leaves them out."""
    if description:
        st.caption(f"{md_escape(what)} {md_escape(description)}.")
    outside = [c for c in chosen if c not in set(shown)]
    if outside:
        st.caption("Not in this market, so not shown: " + ", ".join(md_escape(c)
                                                                   for c in outside))


# ---------------------------------------------------------------------------- the popover
def _manage(workbench: Workbench, actor: Actor, prefix: str, peer_sets: list[PeerSet],
            groups: list[IndustryGroup]) -> None:
    with st.popover("Manage peer sets", icon=":material/groups:", width="stretch"):
        _new_peer_set_form(workbench, actor, prefix, groups)
        message = st.session_state.pop(f"{prefix}_peer_message", None)
        if message:
            (st.success if message[0] == "ok" else st.error)(md_escape(message[1]))
        if peer_sets:
            st.markdown("**Saved peer sets**")
        for peer_set in peer_sets:
            _saved_peer_set(workbench, actor, prefix, peer_set)


def _new_peer_set_form(workbench: Workbench, actor: Actor, prefix: str,
                       groups: list[IndustryGroup]) -> None:
    suggestions = {g.industry: g for g in groups if len(g.companies) >= MIN_PEERS}
    st.markdown("**New peer set**")
    st.selectbox("Start from", list(suggestions), key=f"{prefix}_peer_start", index=None,
                 format_func=lambda i: f"{suggestions[i].name}: the {pretty(i).lower()} "
                                       f"companies ({len(suggestions[i].companies)})",
                 placeholder="An industry's companies, or choose them below",
                 on_change=_start_from, args=(prefix, suggestions))
    st.text_input("Name", key=f"{prefix}_peer_name", max_chars=80,
                  placeholder="e.g. Card issuers")
    st.multiselect("Companies", workbench.peers.known_companies(),
                   key=f"{prefix}_peer_companies", max_selections=MAX_PEERS,
                   placeholder=f"Choose {MIN_PEERS} or more companies")
    st.checkbox("Share with the team", key=f"{prefix}_peer_shared",
                disabled=not actor.may("share_peer_set"),
                help=None if actor.may("share_peer_set") else "Sharing needs the analyst role.")
    st.button("Save peer set", key=f"{prefix}_peer_save", type="primary",
              icon=":material/group_add:", on_click=_save, args=(workbench, prefix))


def _saved_peer_set(workbench: Workbench, actor: Actor, prefix: str,
                    peer_set: PeerSet) -> None:
    whose = "yours" if peer_set.owned_by(actor) else f"{peer_set.owner}'s"
    st.markdown(f"{md_escape(peer_set.name)} — {md_escape(', '.join(peer_set.companies))}")
    st.caption(md_escape(whose) + (" · shared with the team" if peer_set.shared else ""))
    if not workbench.peers.may_change(actor, peer_set):
        return
    share, delete = st.columns(2)
    if actor.may("share_peer_set") or peer_set.shared:
        share.button("Stop sharing" if peer_set.shared else "Share with the team",
                     key=f"{prefix}_peer_share_{peer_set.id}", type="tertiary",
                     icon=":material/share:", on_click=_share,
                     args=(workbench, prefix, peer_set.id, not peer_set.shared))
    delete.button("Delete", key=f"{prefix}_peer_delete_{peer_set.id}", type="tertiary",
                  icon=":material/delete:", on_click=_delete,
                  args=(workbench, prefix, peer_set.id))


# ---------------------------------------------------------------------------- callbacks
# Buttons act in callbacks: they run before the page does, so they may set the picker.
def _start_from(prefix: str, suggestions: dict[str, IndustryGroup]) -> None:
    ss = st.session_state
    chosen = suggestions.get(ss.get(f"{prefix}_peer_start") or "")
    if chosen is not None:
        ss[f"{prefix}_peer_companies"] = list(chosen.companies[:MAX_PEERS])
        if not (ss.get(f"{prefix}_peer_name") or "").strip():
            ss[f"{prefix}_peer_name"] = chosen.name


def _outcome(prefix: str, ok: bool, text: str) -> None:
    """What the last action in the popover did, shown there on the next run."""
    st.session_state[f"{prefix}_peer_message"] = ("ok" if ok else "error", text)


def _attempt(prefix: str, action: Callable[[], Any]) -> Any:
    """Run ``action``; an error the user caused becomes the popover's message (None)."""
    from ..errors import USER_ERRORS  # imports ingestion and enrichment: only when needed
    try:
        return action()
    except USER_ERRORS as exc:
        _outcome(prefix, False, str(exc))
        return None


def _save(workbench: Workbench, prefix: str) -> None:
    ss = st.session_state
    name = (ss.get(f"{prefix}_peer_name") or "").strip()
    new_id = _attempt(prefix, lambda: workbench.peers.save(
        current_actor(), name, ss.get(f"{prefix}_peer_companies") or [],
        shared=bool(ss.get(f"{prefix}_peer_shared"))))
    if new_id is None:
        return
    ss[f"{prefix}_peers"] = ss[LAST_CHOSEN] = str(new_id)
    for field, empty in (("name", ""), ("companies", []), ("start", None), ("shared", False)):
        ss[f"{prefix}_peer_{field}"] = empty
    _outcome(prefix, True, f"Saved “{name}”: this page now measures against it.")


def _share(workbench: Workbench, prefix: str, peer_set_id: int, shared: bool) -> None:
    if _attempt(prefix, lambda: workbench.peers.change(current_actor(), peer_set_id,
                                                       shared=shared) or True):
        _outcome(prefix, True, "Shared with the team." if shared else "No longer shared.")


def _delete(workbench: Workbench, prefix: str, peer_set_id: int) -> None:
    ss = st.session_state
    if not _attempt(prefix, lambda: workbench.peers.delete(current_actor(), peer_set_id)
                    or True):
        return
    for key in (f"{prefix}_peers", LAST_CHOSEN):
        if ss.get(key) == str(peer_set_id):
            ss[key] = ""
    _outcome(prefix, True, "Peer set deleted.")
