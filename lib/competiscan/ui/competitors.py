"""The Competitors page's parts: one company's profile, and 2–5 companies side by side.

Both read aggregates only (cached through :mod:`.data`); the latest pieces of a company come
from the search index, sorted by date.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from ..model import CampaignFilter
from ..workbench import (GENEROSITY_FORMULA, MAX_COMPARED, MIN_COMPARED, POSITIONING_MEASURES,
                         SearchRequest, Workbench)
from . import charts, data
from .filters import filter_panel, filter_values, filters_from_widgets
from .labels import field_label, format_offer, md_escape, offer_label, pretty
from .state import COMPETITOR_MODES, POSITION_MEASURES, TREND_INTERVALS, CompetitorsState
from .widgets import campaign_table, download_csv, show_chart, show_offer_changes

__all__ = ["widget_values", "state_from_widgets", "controls", "show_profile", "show_comparison"]

_MEASURE_NAMES = {"share_of_voice": "Share of voice (% of campaigns)",
                  "generosity": "Offer generosity (0 least – 1 most generous)",
                  "volume": "Campaigns (pieces)",
                  "sentiment": "Mean sentiment score (−1 to 1)"}


def widget_values(state: CompetitorsState) -> dict[str, Any]:
    values = filter_values("c", state.filter)
    del values["c_company"]
    values.update({"c_mode": state.mode, "c_interval": state.interval, "c_x": state.x,
                   "c_y": state.y, "c_one": state.companies[0] if state.companies else None,
                   "c_many": list(state.companies[:MAX_COMPARED])})
    return values


def state_from_widgets() -> CompetitorsState:
    ss = st.session_state
    mode = ss["c_mode"]
    if mode == "profile":
        companies = (ss["c_one"],) if ss["c_one"] else ()
    else:
        companies = tuple(ss["c_many"])
    return CompetitorsState(filter=CampaignFilter(**filters_from_widgets("c", companies=False),
                                                  companies=companies),
                            mode=mode, interval=ss["c_interval"], x=ss["c_x"], y=ss["c_y"])


def controls(workbench: Workbench, state: CompetitorsState) -> None:
    st.segmented_control("Mode", COMPETITOR_MODES, key="c_mode", required=True,
                         format_func={"profile": "One company's profile",
                                      "compare": "Compare 2–5 companies"}.get,
                         label_visibility="collapsed")
    names = sorted(set(data.distinct(workbench, "company")) | set(state.companies))
    pick, interval = st.columns([4, 1])
    if st.session_state["c_mode"] == "profile":
        pick.selectbox("Company", names, key="c_one", index=None,
                       placeholder="Choose a company")
    else:
        pick.multiselect("Companies", names, key="c_many", max_selections=MAX_COMPARED,
                         placeholder=f"Choose {MIN_COMPARED} to {MAX_COMPARED} companies")
    interval.selectbox("Period", TREND_INTERVALS, key="c_interval", format_func=pretty)
    with st.sidebar:
        st.header("Filters")
        filter_panel(workbench, "c", state.filter, companies=False)


# ---------------------------------------------------------------------------- profile
def _metrics(workbench: Workbench, state: CompetitorsState, company: str) -> None:
    own = state.filter
    market = data.counts(workbench, ("company",), state.filter.without_companies())
    total = int(market["n"].sum())
    mine = int(market.loc[market["company"] == company, "n"].sum())
    first, _last_launch, seen = data.span(workbench, own)
    tone = data.sentiment(workbench, "company", None, own)
    cols = st.columns(5)
    cols[0].metric("Campaigns", f"{mine:,}")
    cols[1].metric("Share of voice", f"{mine / total:.1%}" if total else "—",
                   help="Its campaigns over all campaigns the filters keep.")
    cols[2].metric("First piece", str(first) if first else "—")
    cols[3].metric("Last seen", str(seen) if seen else "—")
    cols[4].metric("Mean sentiment", f"{tone['mean_score'].iloc[0]:+.2f}" if not tone.empty
                   else "—", help="From −1 (negative) to 1 (positive).")


def _mix_chart(workbench: Workbench, state: CompetitorsState, column: str, key: str
               ) -> pd.DataFrame:
    mix = data.counts(workbench, (column,), state.filter).copy()
    mix[column] = [pretty(v) for v in mix[column]]
    mix = mix.sort_values("n", ascending=False).rename(columns={"n": "campaigns"})
    show_chart(charts.bars(mix, column, "campaigns", None, horizontal=True,
                           title=f"{field_label(column)} mix", x_title=field_label(column),
                           y_title="Campaigns (pieces)"), key=key)
    return mix


def show_profile(workbench: Workbench, state: CompetitorsState) -> None:
    company = state.companies[0]
    st.header(md_escape(company))
    _metrics(workbench, state, company)
    own = state.filter

    series = data.volume(workbench, "channel", state.interval, own, None, 1)
    volume = series.frame.rename(columns={"key": "channel"})
    volume["channel"] = [pretty(v) for v in volume["channel"]]
    show_chart(charts.bars(volume, "period", "count", "channel", stacked=True,
                           title=f"Campaigns per {state.interval} by channel",
                           x_title=f"{pretty(state.interval)} starting",
                           y_title="Campaigns (pieces)"), key="profile_volume")
    download_csv(volume, f"{company}-volume.csv", key="profile_volume_csv")

    left, right = st.columns(2)
    with left:
        download_csv(_mix_chart(workbench, state, "channel", "profile_channels"),
                     f"{company}-channels.csv", key="profile_channels_csv")
    with right:
        download_csv(_mix_chart(workbench, state, "campaign_type", "profile_types"),
                     f"{company}-types.csv", key="profile_types_csv")

    st.subheader("Offers")
    _current_offers(workbench, company, state)
    changes = data.offer_changes(workbench, state.interval, own)
    if not changes.empty:
        st.caption("When its best offer changed, newest first:")
        show_offer_changes(changes, key="profile_changes", with_company=False)

    st.subheader("Tone")
    tone = data.sentiment(workbench, "company", state.interval, own)
    if tone.empty:
        st.caption("No sentiment score yet for these campaigns.")
    else:
        fig = charts.line(tone.sort_values("period"), "period", "mean_score", None,
                          title=f"Mean sentiment score per {state.interval}",
                          x_title=f"{pretty(state.interval)} starting",
                          y_title="Mean sentiment score (−1 to 1)")
        fig.update_yaxes(range=[-1, 1])
        show_chart(fig, key="profile_tone")

    st.subheader("Latest pieces")
    latest = data.search(workbench, SearchRequest(
        filter=replace(state.filter, companies=(company,)), sort="date", limit=10,
        facets=False, highlight=False))
    campaign_table(pd.DataFrame([{"id": h.id, "title": h.title, "channel": h.channel,
                                  "campaign_type": h.campaign_type,
                                  "launch_date": h.launch_date} for h in latest.hits]),
                   key="profile_latest")


def _current_offers(workbench: Workbench, company: str, state: CompetitorsState) -> None:
    current = data.current_offers(workbench, (company,), state.filter.date_to)
    terms = current[0]["terms"] if current else []
    if not terms:
        st.caption("No offer terms in its pieces seen in market over the last 90 days.")
        return
    st.caption(f"Best current terms (pieces seen from {current[0]['since']} to "
               f"{current[0]['as_of']}), with the piece showing each:")
    st.dataframe(pd.DataFrame([{
        "term": offer_label(t["term"], t["unit"]),
        "best": format_offer(t["term"], t["value"], t["unit"]),
        "typical": format_offer(t["term"], t["typical"], t["unit"]),
        "pieces": t["pieces"], "piece": f"campaign?id={t['id']}"} for t in terms]),
        hide_index=True, key="profile_offers", column_config={
            "term": "Term", "best": "Best", "typical": "Typical (median)",
            "pieces": "Pieces stating it",
            "piece": st.column_config.LinkColumn("Piece", display_text=r"campaign\?id=(\d+)")})


# ---------------------------------------------------------------------------- comparison
def show_comparison(workbench: Workbench, state: CompetitorsState) -> None:
    names = state.companies
    comparison = data.comparison(workbench, names, state.interval,
                                 state.filter.without_companies(), state.x, state.y)
    per, x_title = f"per {state.interval}", f"{pretty(state.interval)} starting"
    colours = charts.series_colours(names)  # one colour per company on every chart

    left, right = st.columns(2)
    with left:
        volume = comparison.volume
        show_chart(charts.line(volume, "period", "count", "company",
                               title=f"Campaigns {per}", x_title=x_title,
                               y_title="Campaigns (pieces)", colours=colours), key="cmp_volume")
        download_csv(volume, "comparison-volume.csv", key="cmp_volume_csv")
    with right:
        sov = comparison.share_of_voice
        show_chart(charts.line(sov, "period", "share", "company",
                               title=f"Share of voice {per} (of the whole market)",
                               x_title=x_title, y_title="Share of voice (%)", y_percent=True,
                               colours=colours), key="cmp_sov")
        download_csv(sov, "comparison-share-of-voice.csv", key="cmp_sov_csv")

    left, right = st.columns(2)
    for col, column, frame, key in ((left, "channel", comparison.channel_mix, "cmp_channels"),
                                    (right, "campaign_type", comparison.type_mix, "cmp_types")):
        with col:
            shown = frame.assign(**{column: [pretty(v) for v in frame[column]]})
            show_chart(charts.bars(shown, "company", "share", column, stacked=True,
                                   title=f"{field_label(column)} mix (share of each company's "
                                         "campaigns)",
                                   x_title="Company", y_title="Share of its campaigns (%)",
                                   y_percent=True), key=key)
            download_csv(frame, f"comparison-{column}-mix.csv", key=f"{key}_csv")

    tone = comparison.sentiment.dropna(subset=["mean_score"])
    if not tone.empty:
        fig = charts.line(tone, "period", "mean_score", "company",
                          title=f"Mean sentiment score {per}", x_title=x_title,
                          y_title="Mean sentiment score (−1 to 1)", colours=colours)
        fig.update_yaxes(range=[-1, 1])
        show_chart(fig, key="cmp_tone")

    st.subheader("Best offers")
    best = comparison.best_offers
    if best.empty:
        st.caption("None of these companies states an offer term in this range.")
    else:
        table = best.assign(term=[offer_label(t, u) for t, u in zip(best["term"], best["unit"])],
                            value=[format_offer(t, v, u) for t, v, u in
                                   zip(best["term"], best["best"], best["unit"])])
        pivot = (table.pivot_table(index="term", columns="company", values="value",
                                   aggfunc="first").reindex(columns=list(names)).fillna("—")
                 .rename_axis(index="Term", columns=None))
        st.dataframe(pivot, key="cmp_offers", height=38 + 35 * len(pivot))
        download_csv(best.drop(columns=["best_ids"], errors="ignore"), "comparison-best-offers.csv",
                     key="cmp_offers_csv")

    _positioning(comparison, colours)


def _positioning(comparison: Any, colours: dict[str, str]) -> None:
    st.subheader("Positioning")
    axes = st.columns(2)
    axes[0].selectbox("Across (x)", POSITION_MEASURES, key="c_x",
                      format_func=lambda m: _MEASURE_NAMES[m])
    axes[1].selectbox("Up (y)", POSITION_MEASURES, key="c_y",
                      format_func=lambda m: _MEASURE_NAMES[m])
    position = comparison.positioning
    frame = position.frame
    plotted = frame.dropna(subset=[position.x, position.y])
    if plotted.empty:
        st.caption("No company has both measures in this range.")
    else:
        fig = charts.scatter(plotted, position.x, position.y, "company",
                             title=f"{pretty(position.y)} against {pretty(position.x).lower()}",
                             x_title=_MEASURE_NAMES[position.x],
                             y_title=_MEASURE_NAMES[position.y], colours=colours)
        for axis, measure in (("x", position.x), ("y", position.y)):
            if measure == "share_of_voice":
                fig.update_layout(**{f"{axis}axis_tickformat": ".1%"})
        show_chart(fig, key="cmp_positioning")
    missing = sorted(set(frame["company"]) - set(plotted["company"]))
    if missing:
        st.caption("Not placed (a measure is blank): " + ", ".join(md_escape(m)
                                                                  for m in missing))
    download_csv(frame, "comparison-positioning.csv", key="cmp_positioning_csv")
    for measure in dict.fromkeys((position.x, position.y)):
        st.markdown(f"**{pretty(measure)}** — {md_escape(POSITIONING_MEASURES[measure])}")
    if "generosity" not in (position.x, position.y):
        st.markdown(f"**Generosity** — {md_escape(GENEROSITY_FORMULA)}")
