"""The Trends page's parts: controls bound to the URL, and one chart + table per view.

Each view function computes only what its chart shows (through the cached analytics of
:mod:`.data`), draws it, and offers the very frame behind the chart as CSV.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ..model import CampaignFilter
from ..workbench import ANOMALY_FORMULA, OFFER_TERMS, VolumeSeries, Workbench
from . import charts, data
from .filters import filter_panel, filter_values, filters_from_widgets
from .labels import field_label, md_escape, offer_label, pretty
from .state import (TREND_DIMENSIONS, TREND_INTERVALS, TREND_VIEWS, WEIGHT_OPTIONS,
                    TrendsState)
from .widgets import download_csv, show_chart, show_offer_changes

__all__ = ["widget_values", "state_from_widgets", "controls", "show_view", "FORECAST_HORIZON"]

FORECAST_HORIZON = 8   # weeks
_VIEW_NAMES = {"volume": "Volume", "share_of_voice": "Share of voice", "sentiment": "Sentiment",
               "offers": "Offer terms", "anomalies": "Anomalies", "forecast": "Forecast"}
_WEIGHT_NAMES = {"": "Campaigns (count)", "est_spend_usd": "Estimated spend (USD)",
                 "est_volume": "Estimated volume (pieces or impressions)"}
_CONTROLS = ("view", "by", "interval", "window", "weight", "top", "term")


def widget_values(state: TrendsState) -> dict[str, Any]:
    values = filter_values("t", state.filter)
    values.update({f"t_{name}": getattr(state, name) for name in _CONTROLS})
    return values


def state_from_widgets() -> TrendsState:
    ss = st.session_state
    return TrendsState(filter=CampaignFilter(**filters_from_widgets("t")),
                       **{name: ss[f"t_{name}"] for name in _CONTROLS})


def controls(workbench: Workbench, state: TrendsState) -> None:
    """The view picker and its options in the page; filters in the sidebar."""
    st.segmented_control("View", TREND_VIEWS, key="t_view", format_func=_VIEW_NAMES.get,
                         required=True, label_visibility="collapsed")
    cols = st.columns(5)
    view = st.session_state["t_view"]
    if view in ("volume", "sentiment"):
        cols[0].selectbox("Group by", TREND_DIMENSIONS, key="t_by", format_func=field_label)
    if view != "forecast":
        cols[1].selectbox("Period", TREND_INTERVALS, key="t_interval", format_func=pretty)
    if view in ("volume", "share_of_voice"):
        cols[2].number_input("Rolling window (periods)", min_value=1, max_value=26, step=1,
                             key="t_window",
                             help="1 = calendar weeks or months; 4 = sums over 4 periods, "
                                  "moving one period at a time.")
        cols[3].selectbox("Measure", WEIGHT_OPTIONS, key="t_weight",
                          format_func=_WEIGHT_NAMES.get)
    if view == "offers":
        cols[2].selectbox("Offer term", tuple(OFFER_TERMS), key="t_term",
                          format_func=offer_label)
    cols[4].number_input("Series shown", min_value=1, max_value=30, step=1, key="t_top",
                         help="The largest groups by the chart's measure.")
    with st.sidebar:
        st.header("Filters")
        filter_panel(workbench, "t", state.filter)


def _period_title(state: TrendsState) -> tuple[str, str]:
    """(per-what phrase, x-axis title) for the chosen interval and window."""
    unit = state.interval
    if state.window > 1:
        return (f"per {state.window}-{unit} window, moving one {unit}",
                f"Window starting ({state.window} {unit}s)")
    return f"per {unit}", f"{pretty(unit)} starting"


def _top_keys(frame: pd.DataFrame, key: str, value: str, top: int,
              chosen: tuple[str, ...] = ()) -> list[str]:
    """The groups to draw: the ones the analyst filtered on, else the largest ``top``."""
    if chosen:
        return [k for k in chosen if k in set(frame[key])]
    totals = frame.groupby(key)[value].sum().sort_values(ascending=False, kind="stable")
    return list(totals.index[:top])


_PLURAL = {"company": "companies", "channel": "channels", "campaign_type": "campaign types",
           "industry": "industries"}


def _note_hidden(total: int, shown: int, what: str) -> None:
    if total > shown:
        st.caption(f"Showing the {shown} largest of {total} {what}; raise “Series shown” or "
                   "filter to see others.")


def _measure(series: VolumeSeries) -> str:
    """The column a volume series' shares are of: the weighted sum when weighted."""
    return "weighted" if series.weight else "count"


def _chosen_for(state: TrendsState, by: str) -> tuple[str, ...]:
    where = state.filter
    return {"company": where.companies, "channel": where.channels,
            "campaign_type": where.campaign_types, "industry": where.industries}[by]


def _volume(workbench: Workbench, state: TrendsState) -> pd.DataFrame:
    series = data.volume(workbench, state.by, state.interval, state.filter,
                         state.weight or None, state.window)
    frame = series.frame
    measure = _measure(series)
    keys = _top_keys(frame, "key", measure, state.top, _chosen_for(state, state.by))
    shown = frame[frame["key"].isin(keys)].rename(columns={"key": state.by})
    per, x_title = _period_title(state)
    y_title = _WEIGHT_NAMES[state.weight]
    title = f"{y_title.split(' (')[0]} {per} by {field_label(state.by).lower()}"
    show_chart(charts.line(shown, "period", measure, state.by, title=title, x_title=x_title,
                           y_title=y_title), key="trend_volume")
    _note_hidden(frame["key"].nunique(), len(keys), _PLURAL[state.by])
    if state.weight and series.missing:
        st.caption(f"{series.missing:,} campaigns have no {_WEIGHT_NAMES[state.weight].lower()}"
                   " and are not in the sums.")
    return shown


def _share_of_voice(workbench: Workbench, state: TrendsState) -> pd.DataFrame:
    # The market is everything the other filters keep; the company filter picks which
    # companies to draw, it does not shrink the denominator.
    market = state.filter.without_companies()
    series = data.sov(workbench, state.interval, market, state.weight or None, state.window)
    frame = series.frame
    keys = _top_keys(frame, "key", _measure(series), state.top, state.filter.companies)
    shown = frame[frame["key"].isin(keys)].rename(columns={"key": "company"})
    per, x_title = _period_title(state)
    basis = "estimated spend" if state.weight == "est_spend_usd" else (
        "estimated volume" if state.weight else "campaigns")
    show_chart(charts.line(shown, "period", "share", "company",
                           title=f"Share of voice {per} (share of all {basis} the filters keep)",
                           x_title=x_title, y_title="Share of voice (%)", y_percent=True),
               key="trend_sov")
    _note_hidden(frame["key"].nunique(), len(keys), "companies")
    return shown.drop(columns=["scope"], errors="ignore")


def _sentiment(workbench: Workbench, state: TrendsState) -> pd.DataFrame:
    frame = data.sentiment(workbench, state.by, state.interval, state.filter)
    if frame.empty:
        st.info("No campaign in this selection has a sentiment score yet. Enrichment scores "
                "new uploads; `competiscan enrich` scores the ones stored before.")
        return frame
    frame = frame.sort_values(["period", "key"])
    keys = _top_keys(frame, "key", "n", state.top, _chosen_for(state, state.by))
    shown = frame[frame["key"].isin(keys)].rename(columns={"key": state.by})
    per, x_title = _period_title(replace(state, window=1))
    fig = charts.line(shown, "period", "mean_score", state.by,
                      title=f"Mean sentiment score {per} by {field_label(state.by).lower()}",
                      x_title=x_title, y_title="Mean sentiment score (−1 negative to 1 positive)")
    fig.update_yaxes(range=[-1, 1])
    show_chart(fig, key="trend_sentiment")
    _note_hidden(frame["key"].nunique(), len(keys), _PLURAL[state.by])
    return shown


def _offers(workbench: Workbench, state: TrendsState) -> pd.DataFrame:
    frame = data.offer_summary(workbench, state.interval, state.filter,
                               (state.term,))
    if frame.empty:
        st.info(f"No campaign in this selection states the term “{offer_label(state.term)}”. "
                "Try another term or widen the filters.")
        return frame
    keys = _top_keys(frame, "company", "n", state.top, state.filter.companies)
    shown = frame[frame["company"].isin(keys)].copy()
    shown["series"] = [c if not u else f"{c} ({u})" for c, u in zip(shown["company"],
                                                                    shown["unit"])]
    per, x_title = _period_title(replace(state, window=1))
    better = "highest" if OFFER_TERMS[state.term] == "max" else "lowest"
    show_chart(charts.line(shown, "period", "best", "series",
                           title=f"Best {offer_label(state.term)} {per} by company "
                                 f"(the {better} stated)",
                           x_title=x_title, y_title=offer_label(state.term)),
               key="trend_offers")
    _note_hidden(frame["company"].nunique(), len(keys), "companies")
    changes = data.offer_changes(workbench, state.interval, state.filter)
    changes = changes[changes["term"] == state.term]
    st.subheader("Changes of the best offer")
    if changes.empty:
        st.caption("No company changed its best value of this term between periods.")
    else:
        show_offer_changes(changes, key="offer_changes")
    return shown.drop(columns=["series", "best_ids"], errors="ignore")


def _anomalies(workbench: Workbench, state: TrendsState) -> pd.DataFrame:
    report = data.anomalies(workbench, state.interval, state.filter)
    scores = report.scores
    if scores.empty:
        st.info("No volume to score in this selection.")
        return scores
    # Unless companies are chosen, draw the ones with the most anomalies.
    most_flagged = pd.Series([a.company for a in report.anomalies], dtype=object) \
        .value_counts(sort=True)
    keys = _top_keys(scores, "company", "count", state.top,
                     state.filter.companies or tuple(most_flagged.index[:state.top]))
    shown = scores[scores["company"].isin(keys)]
    per, x_title = _period_title(replace(state, window=1))
    fig = charts.line(shown, "period", "count", "company",
                      title=f"Campaigns {per}, with spikes and drops marked",
                      x_title=x_title, y_title="Campaigns (pieces)")
    marks = shown[shown["kind"].notna()]
    fig.add_trace(go.Scatter(x=marks["period"], y=marks["count"], mode="markers",
                             name="Anomaly", marker=dict(size=13, symbol="circle-open",
                                                         line=dict(width=3, color="crimson")),
                             text=marks["company"] + ": " + marks["kind"],
                             hovertemplate="%{text}<extra></extra>"))
    show_chart(fig, key="trend_anomalies")
    st.caption(f"How anomalies are found: {md_escape(ANOMALY_FORMULA)}")
    if report.anomalies:
        table = pd.DataFrame([{
            "company": a.company, "period": a.period, "kind": a.kind, "count": a.count,
            "baseline_median": a.median, "z": round(a.z, 2),
            "first_piece": f"campaign?id={a.piece_ids[0]}" if a.piece_ids else None}
            for a in report.anomalies]).sort_values("period", ascending=False)
        st.dataframe(table, hide_index=True, key="anomaly_table", column_config={
            "company": "Company", "period": f"{pretty(state.interval)} starting",
            "kind": "Kind", "count": "Campaigns", "baseline_median": "Baseline (median)",
            "z": st.column_config.NumberColumn("z", format="%.2f", help="See the formula above"),
            "first_piece": st.column_config.LinkColumn(
                "A piece behind it", display_text=r"campaign\?id=(\d+)")})
    else:
        st.caption("No spike or drop in this selection.")
    return shown


def _forecast(workbench: Workbench, state: TrendsState) -> pd.DataFrame:
    companies = state.filter.companies
    if not companies:
        # Forecasting every company is slow and unreadable: take the largest ones.
        totals = data.counts(workbench, ("company",), state.filter)
        companies = tuple(totals.sort_values("n", ascending=False)["company"][:min(state.top, 5)])
        st.caption(f"Forecasts of the {len(companies)} largest companies; choose companies in "
                   "the sidebar to forecast others.")
    report = data.forecast(workbench, companies, state.filter, FORECAST_HORIZON)
    if not report.forecasts:
        st.info("Not enough complete weeks in this selection to forecast.")
        return pd.DataFrame()
    frame = report.to_frame()
    show_chart(charts.forecast_chart(
        frame, title=f"Campaigns per week: history and the next {report.horizon} weeks",
        y_title="Campaigns per week (pieces)"), key="trend_forecast")
    st.caption(f"Fitted on complete weeks up to {report.through}. Back-test: each of the last "
               f"{report.backtest_weeks} weeks was forecast from the weeks before it; MAE is "
               "the mean absolute error in pieces per week, compared with repeating the last "
               "week (naive).")
    st.dataframe(pd.DataFrame([{
        "company": f.company, "method": f.method, "backtest_mae": f.backtest.mae,
        "backtest_mape_pct": f.backtest.mape, "naive_mae": f.backtest.naive_mae,
        "points_tested": f.backtest.points, "note": f.note} for f in report.forecasts]),
        hide_index=True, key="forecast_errors", column_config={
            "company": "Company", "method": "Method",
            "backtest_mae": st.column_config.NumberColumn("Back-test MAE (pieces/week)",
                                                          format="%.2f"),
            "backtest_mape_pct": st.column_config.NumberColumn("Back-test MAPE (%)",
                                                               format="%.1f"),
            "naive_mae": st.column_config.NumberColumn("Naive MAE (pieces/week)",
                                                       format="%.2f"),
            "points_tested": "Forecasts checked", "note": "Note"})
    return frame


_VIEWS = {"volume": _volume, "share_of_voice": _share_of_voice, "sentiment": _sentiment,
          "offers": _offers, "anomalies": _anomalies, "forecast": _forecast}


def show_view(workbench: Workbench, state: TrendsState) -> None:
    shown = _VIEWS[state.view](workbench, state)
    if not shown.empty:
        download_csv(shown, f"competiscan-{state.view}.csv",
                     label="Download the chart's data (CSV)", key="trend_csv")
