"""The Search page's parts: widgets bound to the URL state, hits, facets, export, saving.

The page's state is a :class:`~competiscan.ui.state.SearchState` parsed from the URL. Widgets
are seeded from it, read back into a new state, and that state is written to the URL, so the
address bar always reproduces the view.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import replace
from typing import Any, Callable, Mapping

import pandas as pd
import streamlit as st

from ..model import SENTIMENT_LABELS, CampaignFilter
from ..workbench import (FACET_FIELDS, MAX_WINDOW, RELATIVE_RANGES, SavedSearch, SearchResult,
                         Workbench, to_csv_bytes, to_xlsx_bytes)
from . import data
from .filters import clear_filters, filter_panel, filter_values, filters_from_widgets
from .labels import field_label, format_offer, md_escape, offer_label, pretty
from .state import OFFER_BOUNDS, PAGE_SIZES, SearchState, bounds_filter, offer_bounds
from .resources import current_actor
from .widgets import CAMPAIGN_PAGE, user_errors

# Excel files of more rows take minutes to write (openpyxl); a browser download of more CSV
# rows than this is better done with `competiscan export`.
XLSX_EXPORT_MAX = 100_000
CSV_EXPORT_MAX = 1_000_000

__all__ = ["SYNTAX_HELP", "widget_values", "state_from_widgets", "query_box", "filter_widgets",
           "show_hits", "show_facets", "pager", "export_buttons", "export_bytes",
           "save_search_form", "saved_search_links", "saved_search_params", "page_count",
           "offer_chips", "title_markdown"]

SYNTAX_HELP = """
| You type | It finds |
|---|---|
| `travel rewards` | pieces with both words (in any order) |
| `"0% APR"` | the exact phrase first (amounts stay whole, so not 10% APR), then the same offer \
worded otherwise — "0% intro APR", "0% introductory APR" — through the offer terms read from \
each piece |
| `"no annual fee"`, `"$200 bonus"`, `"60,000 points"` | likewise: also "\\$0 annual fee", \
"a \\$200 cash bonus", "60,000 bonus points" |
| `apr:0` · `intro_apr_months>=15` · `months:12..21` | intro APR and its months, compared with \
`:` `>=` `<=` `>` `<` or a range `a..b` |
| `bonus>=60000` · `bonus_points>=60k` · `spend<=4000` | sign-up bonus (any unit, or \
`bonus_points` `bonus_miles` `bonus_dollars`) and the spend it needs |
| `fee:0` · `cashback>=2` · `bt_fee<=3` · `apy>4.5` · `regular_apr<=20` | annual fee, cash \
back %, balance transfer fee %, APY, lowest ongoing APR |
| `"cash back" OR cashback` | either one (cashback also finds "cash back") |
| `"bonus points" -business` | without the word business; `-"a phrase"`, `-fee:0` work too |
| `(balance transfer) AND fee` | parentheses group; AND is implied between words |
| `company:"capital one"` · `product:"Venture X"` | one company or product; also \
`channel:email`, `type:acquisition`, `industry:banking` |
| `rewrds` | small typos are forgiven |

Offer comparisons find only pieces that state the term. Saved searches and alerts use the \
same language.
"""


def _offer_key(term: str) -> str:
    return f"s_offer_{term}"


def widget_values(state: SearchState) -> dict[str, Any]:
    """Widget key -> value for a state (what the widgets are seeded with)."""
    offers = offer_bounds(state.filter)
    values = filter_values("s", state.filter)
    values.update({"s_q": state.query, "s_sentiment": list(state.filter.sentiments),
                   "s_sort": state.sort, "s_page": state.page, "s_n": state.per_page})
    values.update({_offer_key(term): offers.get(term) for term in OFFER_BOUNDS})
    return values


def state_from_widgets(previous: SearchState) -> SearchState:
    """The state the widgets now say. A new query or filter starts again at page 1."""
    ss = st.session_state
    bounds = {term: ss[_offer_key(term)] for term in OFFER_BOUNDS}
    where = CampaignFilter(**filters_from_widgets("s"), sentiments=tuple(ss["s_sentiment"]),
                           offer_ranges=bounds_filter(bounds))
    state = SearchState(query=ss["s_q"].strip(), filter=where, sort=ss["s_sort"],
                        page=int(ss["s_page"] or 1), per_page=int(ss["s_n"]))
    if replace(state, page=1) != replace(previous, page=1):
        state = replace(state, page=1)
    return state


def query_box() -> None:
    left, mid, right = st.columns([6, 2, 1], vertical_alignment="bottom")
    left.text_input("Search campaigns", key="s_q", placeholder='e.g. "0% APR" balance transfer',
                    help="Press Enter to search. See the syntax below.")
    mid.selectbox("Sort by", ("relevance", "date"), key="s_sort",
                  format_func={"relevance": "Relevance", "date": "Newest first"}.get)
    right.selectbox("Per page", PAGE_SIZES, key="s_n")
    st.caption('Syntax: `"exact phrase"` · `OR` · `-word` · `company:` `product:` `channel:` '
               '`type:` `industry:` · offers `apr:0` `fee:0` `bonus>=60000` `cashback>=2` — for '
               'example `"0% APR" company:chase -business`')
    with st.expander("Query syntax and examples"):
        st.markdown(SYNTAX_HELP)


def filter_widgets(workbench: Workbench, state: SearchState) -> None:
    """The filter panel (in the sidebar)."""
    st.header("Filters")
    filter_panel(workbench, "s", state.filter)
    st.multiselect("Sentiment", sorted(set(SENTIMENT_LABELS) | set(state.filter.sentiments)),
                   key="s_sentiment", format_func=pretty, placeholder="Any sentiment")
    with st.expander("Offer terms", expanded=bool(state.filter.offer_ranges)):
        st.caption("Only pieces that state the term and meet the bound.")
        for term, side in OFFER_BOUNDS.items():
            sign = "≥" if side == "min" else "≤"
            st.number_input(f"{offer_label(term)} {sign}", value=None, min_value=0.0,
                            step=1.0, key=_offer_key(term), placeholder="any")
    st.button("Clear filters", on_click=_clear_filters, icon=":material/filter_alt_off:",
              disabled=not state.has_filters)


def _clear_filters() -> None:
    clear_filters("s")
    st.session_state["s_sentiment"] = []
    for term in OFFER_BOUNDS:
        st.session_state[_offer_key(term)] = None


def page_count(result: SearchResult, per_page: int) -> int:
    """Pages that can be shown: the index pages through at most MAX_WINDOW hits."""
    return max(1, math.ceil(min(result.total, MAX_WINDOW) / per_page))


def _months(value: float | str) -> str:
    number = float(value)
    return f"{number:g} month{'' if number == 1 else 's'}"


def _apr_chips(offers: Mapping[str, float | str]) -> list[str]:
    chips = []
    intro, months = offers.get("intro_apr_pct"), offers.get("intro_apr_months")
    if intro is not None:
        chips.append(f"{format_offer('intro_apr_pct', intro)} intro APR"
                     + (f" · {_months(months)}" if months is not None else ""))
    elif months is not None:
        chips.append(f"Intro APR for {_months(months)}")
    low, high = offers.get("regular_apr_min_pct"), offers.get("regular_apr_max_pct")
    if low is not None and high is not None and low != high:
        chips.append(f"{format_offer('regular_apr_min_pct', low)}–"
                     f"{format_offer('regular_apr_max_pct', high)} APR")
    elif low is not None:
        chips.append(f"{'' if high is not None else 'From '}"
                     f"{format_offer('regular_apr_min_pct', low)} APR")
    return chips


def _bonus_chip(offers: Mapping[str, float | str]) -> list[str]:
    amount = offers.get("bonus_amount")
    if amount is None:
        return []
    unit = offers.get("bonus_unit")
    chip = f"{format_offer('bonus_amount', amount, str(unit) if unit else None)} bonus"
    spend, window = offers.get("bonus_spend_usd"), offers.get("bonus_window_months")
    if spend is not None:
        chip += f" · spend {format_offer('bonus_spend_usd', spend)}"
    if window is not None:
        chip += f"{' in' if spend is not None else ' · within'} {_months(window)}"
    return [chip]


def offer_chips(offers: Mapping[str, float | str]) -> list[str]:
    """A hit's offer terms as an analyst reads them, one chip per offer: "0% intro APR · 15
    months", "60,000 points bonus · spend $4,000 in 3 months", "$95 annual fee"."""
    chips = _apr_chips(offers) + _bonus_chip(offers)
    if (cash := offers.get("cash_back_pct")) is not None:
        chips.append(f"{format_offer('cash_back_pct', cash)} cash back")
    if (fee := offers.get("annual_fee_usd")) is not None:
        chips.append("No annual fee" if float(fee) == 0 else
                     f"{format_offer('annual_fee_usd', fee)} annual fee")
    if (bt_fee := offers.get("balance_transfer_fee_pct")) is not None:
        chips.append("No balance transfer fee" if float(bt_fee) == 0 else
                     f"{format_offer('balance_transfer_fee_pct', bt_fee)} balance transfer fee")
    if (apy := offers.get("apy_pct")) is not None:
        chips.append(f"{format_offer('apy_pct', apy)} APY")
    return chips


def _literal(text: str) -> str:
    """User text made literal for Markdown, keeping the spaces at its ends (the pieces of a
    title between highlights)."""
    core = md_escape(text)
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() and core else ""
    return lead + core + trail


def title_markdown(title_html: str, title: str) -> str:
    """A hit's title as a link label: the text literal, the words the search matched on a
    highlight (the index marks them with ``<mark>`` in escaped HTML)."""
    source = " ".join((title_html or html.escape(title)).split())
    # Matched words side by side (a phrase) read as one highlight.
    parts = re.split(r"<mark>(.*?)</mark>", re.sub(r"</mark>( )<mark>", r"\1", source))
    shown = []
    for i, part in enumerate(parts):
        text = html.unescape(part)
        if text.strip():
            shown.append(f":orange-background[{_literal(text).strip()}]" if i % 2 else _literal(text))
        elif text:
            shown.append(" ")
    return "".join(shown).strip()


def show_hits(result: SearchResult, state: SearchState) -> None:
    first = (state.page - 1) * state.per_page + 1
    st.markdown(f"**{result.total:,}** campaign{'s' if result.total != 1 else ''} match · "
                f"showing {first:,}–{first + len(result.hits) - 1:,}")
    for hit in result.hits:
        with st.container(border=True):
            label = title_markdown(hit.title_html, hit.title) or md_escape("(untitled)")
            st.page_link(CAMPAIGN_PAGE, label=f"**{label}**", query_params={"id": str(int(hit.id))})
            meta = [hit.company, *([hit.product] if hit.product else []), pretty(hit.channel),
                    pretty(hit.campaign_type), pretty(hit.industry),
                    f"first seen {hit.launch_date:%Y-%m-%d}"]
            st.caption(" · ".join(md_escape(m) for m in meta))
            chips = offer_chips(hit.offers)
            if chips:
                st.markdown(" ".join(f":blue-badge[{md_escape(chip)}]" for chip in chips))
            # The snippet is the index's HTML: the text is escaped and only <mark> tags are
            # ours. Wrapped in a <div> it is an HTML block, so Markdown ($ math, *, links)
            # never applies to it.
            snippet = " ".join(hit.snippet.split())
            if snippet:
                st.markdown(f'<div class="cs-snippet">{snippet}</div>', unsafe_allow_html=True)


def pager(result: SearchResult, state: SearchState) -> None:
    pages = page_count(result, state.per_page)
    prev_col, mid, next_col = st.columns([1, 2, 1], vertical_alignment="center")
    prev_col.button("← Previous", disabled=state.page <= 1, key="s_prev",
                    on_click=_turn, args=(-1,), width="stretch")
    mid.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1,
                     key="s_page")
    next_col.button("Next →", disabled=state.page >= pages, key="s_next",
                    on_click=_turn, args=(1,), width="stretch")
    if result.total > MAX_WINDOW:
        st.caption(f"Only the first {MAX_WINDOW:,} hits can be paged through; add filters to "
                   "reach the others.")


def _turn(step: int) -> None:
    st.session_state["s_page"] = max(1, int(st.session_state["s_page"] or 1) + step)


def show_facets(result: SearchResult) -> None:
    """How the matches split by company, channel, type, industry and sentiment."""
    st.subheader("Breakdown")
    shown = False
    for fld in FACET_FIELDS:
        counts = result.facets.get(fld) or {}
        if not counts:
            continue
        shown = True
        values = list(counts)
        names = values if fld in ("company", "product") else [pretty(v) for v in values]
        frame = pd.DataFrame({field_label(fld): names, "Campaigns": list(counts.values())})
        st.dataframe(frame, hide_index=True, key=f"facet_{fld}",
                     height=min(38 + 35 * len(frame), 250),
                     column_config={field_label(fld): st.column_config.TextColumn(width=130),
                                    "Campaigns": st.column_config.NumberColumn(format="%d",
                                                                               width=75)})
    if not shown:
        st.caption("No breakdown for this search.")


def export_bytes(workbench: Workbench, state: SearchState, kind: str) -> bytes:
    """Every campaign of the search (not one page) as CSV or XLSX."""
    frame = workbench.searches.export_frame(current_actor(), state.request(page=1))
    return to_csv_bytes(frame) if kind == "csv" else to_xlsx_bytes(frame)


def export_buttons(workbench: Workbench, state: SearchState, total: int) -> None:
    # The bytes are made only when a button is clicked: a page view must not pay for an export.
    def maker(kind: str) -> Callable[[], bytes]:
        return lambda: export_bytes(workbench, state, kind)

    st.download_button(f"Export all {total:,} as CSV", maker("csv"),
                       file_name="competiscan-search.csv", mime="text/csv",
                       disabled=not total or total > CSV_EXPORT_MAX, key="s_export_csv",
                       icon=":material/download:", on_click="ignore", width="stretch")
    st.download_button(f"Export all {total:,} as Excel", maker("xlsx"),
                       file_name="competiscan-search.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       disabled=not total or total > XLSX_EXPORT_MAX, key="s_export_xlsx",
                       icon=":material/table_view:", on_click="ignore", width="stretch")
    if total > XLSX_EXPORT_MAX:
        st.caption(f"Excel exports hold up to {XLSX_EXPORT_MAX:,} campaigns and CSV exports "
                   f"{CSV_EXPORT_MAX:,}; add filters to narrow this search, or use "
                   "`competiscan export` for everything.")


_RANGE_CHOICES: dict[int | None, str] = {
    None: "the dates above", **{days: f"the last {days} days" for days in RELATIVE_RANGES}}


def save_search_form(workbench: Workbench, state: SearchState) -> None:
    actor = current_actor()
    with st.popover("Save this search", icon=":material/bookmark_add:", width="stretch"):
        st.caption("A saved search is an alert: Live and Home report the campaigns that "
                   "arrive from now on and match it, to each person who sees it.")
        name = st.text_input("Name", key="s_save_name", max_chars=120,
                             placeholder="e.g. 0% APR balance transfers")
        last_days = st.selectbox("Dates", list(_RANGE_CHOICES), key="s_save_range",
                                 format_func=_RANGE_CHOICES.get,
                                 help="A relative range moves with the calendar; a fixed end "
                                      "date in the past could never report anything new.")
        shared = st.checkbox("Share with the team", key="s_save_shared",
                             disabled=not actor.may("share_search"),
                             help=None if actor.may("share_search") else
                             "Sharing needs the analyst role.")
        if st.button("Save", key="s_save", type="primary", disabled=not name.strip()):
            with user_errors(stop=False):
                workbench.searches.save(actor, name.strip(), state.request(page=1),
                                        shared=shared, last_days=last_days)
                data.alerts_changed()
                st.success(f"Saved as “{md_escape(name.strip())}”.")


def saved_search_links(workbench: Workbench) -> None:
    """The saved searches this user sees (their own and the shared ones) as links that open
    them, and a way to delete those they may."""
    actor = current_actor()
    saved = workbench.searches.saved(actor)
    if not saved:
        st.caption("No saved searches yet: run a search and use “Save this search”.")
        return
    for search in saved:
        link, delete = st.columns([5, 1], vertical_alignment="center")
        with link:
            st.page_link("views/search.py", label=md_escape(search.name),
                         icon=":material/bookmark:", query_params=saved_search_params(search))
            whose = "yours" if search.owned_by(actor) else f"by {search.owner}"
            st.caption(md_escape(whose) + (" · shared" if search.shared else "")
                       + (f" · last {search.last_days} days" if search.last_days else ""))
        if workbench.searches.may_change(actor, search):
            delete.button("Delete", key=f"s_delete_{search.id}", on_click=_delete_saved,
                          args=(workbench, search.id), type="tertiary",
                          icon=":material/delete:")


def saved_search_params(search: SavedSearch) -> dict[str, list[str]]:
    """The Search page's URL parameters that open a saved search."""
    return SearchState.from_request(search.request()).to_params()


def _delete_saved(workbench: Workbench, search_id: int) -> None:
    workbench.searches.delete(current_actor(), search_id)
    data.alerts_changed()
