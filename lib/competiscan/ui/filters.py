"""The campaign filter panel shared by Search, Trends and Competitors (company, product,
channel, type, industry, date range), with widget keys under a page prefix."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from ..model import CAMPAIGN_TYPES, CHANNELS, INDUSTRIES, CampaignFilter
from ..workbench import CompanyMatch, Workbench
from . import data
from .labels import md_escape, pretty

__all__ = ["filter_values", "filters_from_widgets", "filter_panel", "clear_filters"]

_MULTI = {"company": "companies", "product": "products", "channel": "channels",
          "type": "campaign_types", "industry": "industries"}


def filter_values(prefix: str, where: CampaignFilter) -> dict[str, Any]:
    """Widget key -> value of the shared filters of ``where``."""
    values: dict[str, Any] = {f"{prefix}_{name}": list(getattr(where, attr))
                              for name, attr in _MULTI.items()}
    values[f"{prefix}_from"] = where.date_from
    values[f"{prefix}_to"] = where.date_to
    return values


def filters_from_widgets(prefix: str, companies: bool = True) -> dict[str, Any]:
    """The shared filters as CampaignFilter fields, read from the widgets (dates put in
    order)."""
    ss = st.session_state
    start: date | None = ss[f"{prefix}_from"]
    end: date | None = ss[f"{prefix}_to"]
    if start and end and start > end:
        start, end = end, start
    out = {attr: tuple(ss[f"{prefix}_{name}"]) for name, attr in _MULTI.items()
           if companies or name != "company"}
    return {**out, "date_from": start, "date_to": end}


def _options(workbench: Workbench, column: str, vocabulary: tuple[str, ...],
             chosen: tuple[str, ...]) -> list[str]:
    """What a filter offers: the values stored, our vocabulary, and whatever the URL asked for
    (so a link naming a company that is gone still shows the filter it applies)."""
    return sorted(set(data.distinct(workbench, column)) | set(vocabulary) | set(chosen))


def _resolve_typed_companies(workbench: Workbench, prefix: str, names: tuple[str, ...]) -> None:
    """Company filter callback: a name typed in (not picked from the list) becomes the company
    it names; one that names none is dropped, with suggestions shown under the filter."""
    key = f"{prefix}_company"
    chosen: list[str] = []
    notes: list[str] = []
    for value in st.session_state[key]:
        match = (CompanyMatch(value) if value in names
                 else workbench.campaigns.company_named(value, names))
        if match.name is not None:
            if match.name not in chosen:
                chosen.append(match.name)
            continue
        note = f"No company is called “{md_escape(value)}”"
        notes.append(note + (f"; did you mean {', '.join(map(md_escape, match.suggestions))}?"
                             if match.suggestions else "."))
    st.session_state[key] = chosen
    st.session_state[f"{key}_note"] = " ".join(notes)


def filter_panel(workbench: Workbench, prefix: str, where: CampaignFilter, *,
                 companies: bool = True) -> None:
    """Multiselects and a date range; ``companies=False`` leaves the company filter out (a
    page that picks its companies elsewhere).

    Typing in a filter narrows its list; Enter picks the first match, and no "select all
    matches" is offered (typing "Citi" must not add Citizens). A company name or alias typed
    in full is accepted and resolved to its company (``wb.campaigns.company_named``)."""
    if companies:
        names = tuple(_options(workbench, "company", (), where.companies))
        st.multiselect("Company", names, key=f"{prefix}_company", placeholder="Any company",
                       accept_new_options=True, select_all=False,
                       on_change=_resolve_typed_companies, args=(workbench, prefix, names))
        note = st.session_state.get(f"{prefix}_company_note")
        if note:
            st.caption(note)
    st.multiselect("Product", _options(workbench, "product", (), where.products),
                   key=f"{prefix}_product", placeholder="Any product", select_all=False,
                   help="The product a piece markets (a card, account or plan), as the "
                        "product catalogue names it. Offers compare within one product.")
    st.multiselect("Channel", _options(workbench, "channel", CHANNELS, where.channels),
                   key=f"{prefix}_channel", format_func=pretty, placeholder="Any channel",
                   select_all=False)
    st.multiselect("Campaign type", _options(workbench, "campaign_type", CAMPAIGN_TYPES,
                                             where.campaign_types),
                   key=f"{prefix}_type", format_func=pretty, placeholder="Any type",
                   select_all=False)
    st.multiselect("Industry", _options(workbench, "industry", INDUSTRIES, where.industries),
                   key=f"{prefix}_industry", format_func=pretty, placeholder="Any industry",
                   select_all=False)
    start, end = st.columns(2)
    start.date_input("First seen from", value=None, key=f"{prefix}_from", format="YYYY-MM-DD")
    end.date_input("to", value=None, key=f"{prefix}_to", format="YYYY-MM-DD")


def clear_filters(prefix: str) -> None:
    """Button callback: every shared filter back to "any"."""
    for name in _MULTI:
        if f"{prefix}_{name}" in st.session_state:
            st.session_state[f"{prefix}_{name}"] = []
    st.session_state[f"{prefix}_from"] = st.session_state[f"{prefix}_to"] = None
    st.session_state.pop(f"{prefix}_company_note", None)
