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
from ..workbench import ANOMALY_FORMULA, OFFER_TERMS, ForecastReport, VolumeSeries, Workbench
from . import charts, data
from .filters import filter_panel, filter_values, filters_from_widgets
from .labels import field_label, format_offer, md_escape, offer_label, pretty, product_label
from .peers import market_caption, peer_picker
from .state import (TREND_DIMENSIONS, TREND_INTERVALS, TREND_VIEWS, WEIGHT_OPTIONS,
                    TrendsState)
from .widgets import (chart_subtitle, download_csv, partial_periods, show_chart,
                      show_offer_changes)

__all__ = ["widget_values", "state_from_widgets", "controls", "show_view", "FORECAST_HORIZON"]

FORECAST_HORIZON = 8   # weeks
_VIEW_NAMES = {"volume": "Volume", "share_of_voice": "Share of voice", "sentiment": "Sentiment",
               "offers": "Offer terms", "anomalies": "Anomalies", "forecast": "Forecast"}
_WEIGHT_NAMES = {"": "Campaigns (count)", "est_spend_usd": "Estimated spend (USD)",
                 "est_volume": "Estimated volume (pieces or impressions)"}
_CONTROLS = ("view", "by", "interval", "window", "weight", "top", "term", "peers")


def widget_values(state: TrendsState) -> dict[str, Any]:
    values = filter_values("t", state.filter)
    values.update({f"t_{name}": getattr(state, name) for name in _CONTROLS})
    return values


def state_from_widgets() -> TrendsState:
    ss = st.session_state
    return TrendsState(filter=CampaignFilter(**filters_from_widgets("t")),
                       market=ss.get("t_market"),
                       **{name: ss[f"t_{name}"] for name in _CONTROLS})


def controls(workbench: Workbench, state: TrendsState) -> None:
    """The view picker and its options in the page; the peer set and filters in the
    sidebar."""
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
    # With companies picked, the chart draws exactly those: the control would contradict them.
    picks = bool(st.session_state.get("t_company")) and st.session_state.get("t_by") in (
        "company", None)
    cols[4].number_input("Series shown", min_value=1, max_value=30, step=1, key="t_top",
                         disabled=picks,
                         help="Every company you picked is drawn." if picks else
                         "The largest groups by the chart's measure.")
    with st.sidebar:
        picked = CampaignFilter(**filters_from_widgets("t"))
        peer_picker(workbench, "t", companies=picked.companies, filters=picked)
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
    """The groups to draw: every one the analyst picked that has data (“Series shown” does
    not hide a pick), else the largest ``top``."""
    if chosen:
        present = set(frame[key])
        return [k for k in chosen if k in present]
    totals = frame.groupby(key)[value].sum().sort_values(ascending=False, kind="stable")
    return list(totals.index[:top])


_PLURAL = {"company": "companies", "channel": "channels", "campaign_type": "campaign types",
           "industry": "industries"}


def _note_shown(frame: pd.DataFrame, key: str, keys: list[str], chosen: tuple[str, ...],
                state: TrendsState, what: str, absent: str = "no data") -> None:
    """Say which series the chart draws, so the count never disagrees with the picks or with
    “Series shown” (the control's own value: a peer set may have raised the state's)."""
    if chosen:
        missing = [k for k in chosen if k not in keys]
        if missing:
            st.caption(f"Not drawn ({absent}): " + ", ".join(md_escape(_label(k, what))
                                                             for k in missing))
        if len(chosen) > st.session_state.get("t_top", state.top):
            st.caption(f"Showing all {len(chosen)} {_PLURAL.get(what, what)} chosen; "
                       "“Series shown” limits the chart only when none is chosen.")
        return
    total = frame[key].nunique()
    if total > len(keys):
        st.caption(f"Showing the {len(keys)} largest of {total} {_PLURAL.get(what, what)}; "
                   "raise “Series shown” or pick some in the sidebar to see others.")


def _label(value: str, by: str) -> str:
    """A series' name in the legend: companies as stored, our vocabulary in words."""
    return value if by == "company" else pretty(value)


def _labelled(frame: pd.DataFrame, by: str, keys: list[str]) -> tuple[pd.DataFrame,
                                                                       dict[str, str]]:
    """The rows of ``keys`` with ``key`` renamed to ``by`` in people's words, and each
    series' session colour (in the order of ``keys``)."""
    shown = frame[frame["key"].isin(keys)].rename(columns={"key": by})
    shown[by] = [_label(v, by) for v in shown[by]]
    return shown, charts.series_colours([_label(k, by) for k in keys], by)


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
    chosen = _chosen_for(state, state.by)
    keys = _top_keys(frame, "key", measure, state.top, chosen)
    shown, colours = _labelled(frame, state.by, keys)
    per, x_title = _period_title(state)
    y_title = _WEIGHT_NAMES[state.weight]
    title = f"{y_title.split(' (')[0]} {per} by {field_label(state.by).lower()}"
    show_chart(charts.line(
        shown, "period", measure, state.by, title=title, x_title=x_title, y_title=y_title,
        subtitle=chart_subtitle(workbench, state.filter), colours=colours,
        partial=partial_periods(workbench, shown["period"], state.interval, state.filter,
                                state.window)), key="trend_volume")
    _note_shown(frame, "key", keys, chosen, state, state.by)
    if state.weight and series.missing:
        st.caption(f"{series.missing:,} campaigns have no {_WEIGHT_NAMES[state.weight].lower()}"
                   " and are not in the sums.")
    return shown


def _with_other(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The shown companies' rows of a share-of-voice frame plus, per period, one row of every
    other company summed as :data:`charts.OTHER`: the stack then reaches 100%."""
    shown = frame[frame["key"].isin(keys)]
    rest = frame[~frame["key"].isin(keys)]
    shown = shown.rename(columns={"key": "company"}).drop(
        columns=["scope", "change", "change_pct"], errors="ignore")
    if rest.empty:
        return shown.reset_index(drop=True)
    sums = [c for c in ("count", "weighted", "missing", "share") if c in rest.columns]
    other = rest.groupby(["period", "period_end"], sort=True, as_index=False)[sums].sum()
    other["company"] = charts.OTHER
    return pd.concat([shown, other[shown.columns]], ignore_index=True) \
        .sort_values("period", kind="stable").reset_index(drop=True)


def _share_of_voice(workbench: Workbench, state: TrendsState) -> pd.DataFrame:
    # The market is the peer set or industry chosen (everything the other filters keep when
    # none is); the company filter picks which companies to draw, not the denominator.
    market = (state.market.applied(state.filter) if state.market is not None
              else state.filter.without_companies())
    series = data.sov(workbench, state.interval, market, state.weight or None, state.window,
                      state.market)
    frame = series.frame
    keys = _top_keys(frame, "key", _measure(series), state.top, state.filter.companies)
    shown = _with_other(frame, keys)
    per, x_title = _period_title(state)
    basis = "estimated spend" if state.weight == "est_spend_usd" else (
        "estimated volume" if state.weight else "campaigns")
    show_chart(charts.stacked_shares(
        shown, "period", "share", "company",
        title=f"Share of voice {per} (share of the market's {basis})",
        subtitle=chart_subtitle(workbench, market), x_title=x_title,
        y_title="Share of voice (%)", colours=charts.series_colours([*keys, charts.OTHER]),
        partial=partial_periods(workbench, shown["period"], state.interval, market,
                                state.window)), key="trend_sov")
    _note_shown(frame, "key", keys, state.filter.companies, state, "company")
    market_caption(series.market)
    return shown


def _sentiment(workbench: Workbench, state: TrendsState) -> pd.DataFrame:
    frame = data.sentiment(workbench, state.by, state.interval, state.filter)
    if frame.empty:
        st.info("No campaign in this selection has a sentiment score yet. Enrichment scores "
                "new uploads; `competiscan enrich` scores the ones stored before.")
        return frame
    frame = frame.sort_values(["period", "key"])
    chosen = _chosen_for(state, state.by)
    keys = _top_keys(frame, "key", "n", state.top, chosen)
    shown, colours = _labelled(frame, state.by, keys)
    per, x_title = _period_title(replace(state, window=1))
    fig = charts.line(shown, "period", "mean_score", state.by,
                      title=f"Mean sentiment score {per} by {field_label(state.by).lower()}",
                      subtitle=chart_subtitle(workbench, state.filter), x_title=x_title,
                      y_title="Mean sentiment score (−1 negative to 1 positive)",
                      colours=colours, partial=partial_periods(
                          workbench, shown["period"], state.interval, state.filter))
    fig.update_yaxes(range=[-1, 1])
    show_chart(fig, key="trend_sentiment")
    _note_shown(frame, "key", keys, chosen, state, state.by, "no scored piece")
    return shown


def _offer_series(frame: pd.DataFrame) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Each row's series name (company, with its product when the offer names one, and the
    bonus unit: ``Capital One · Venture X (miles)``), each series' colour (its company's) and
    line style (one per product of a company)."""
    products = frame["product"] if "product" in frame.columns else [None] * len(frame)
    names = []
    for company, product, unit in zip(frame["company"], products, frame["unit"]):
        name = product_label(company, product if isinstance(product, str) else None)
        names.append(f"{name} ({unit})" if unit else name)
    company_of = dict(zip(names, frame["company"]))
    company_colours = charts.series_colours(list(dict.fromkeys(frame["company"])))
    colours = {name: company_colours[company_of[name]] for name in dict.fromkeys(names)}
    seen: dict[str, int] = {}
    dashes = {}
    for name in colours:
        count = seen.get(company_of[name], 0)
        seen[company_of[name]] = count + 1
        dashes[name] = _DASHES[count % len(_DASHES)]
    return names, colours, dashes


_DASHES = ("solid", "dash", "dot", "dashdot", "longdash")


def _offers(workbench: Workbench, state: TrendsState) -> pd.DataFrame:
    frame = data.offer_summary(workbench, state.interval, state.filter, (state.term,))
    if frame.empty:
        st.info(f"No campaign in this selection states the term “{offer_label(state.term)}”. "
                "Try another term or widen the filters.")
        return frame
    keys = _top_keys(frame, "company", "n", state.top, state.filter.companies)
    shown = frame[frame["company"].isin(keys)].copy()
    shown["company"] = pd.Categorical(shown["company"], categories=keys)
    shown = shown.sort_values(["company", "period"]).astype({"company": str})
    names, colours, dashes = _offer_series(shown)
    shown["series"] = names
    shown["stated"] = [format_offer(state.term, v, u) for v, u in zip(shown["best"],
                                                                     shown["unit"])]
    per, x_title = _period_title(replace(state, window=1))
    better = "highest" if OFFER_TERMS[state.term] == "max" else "lowest"
    show_chart(charts.steps(
        shown, "period", "period_end", "best", "series",
        title=f"Best {offer_label(state.term)} {per} by company and product (the {better} "
              "stated)",
        subtitle=chart_subtitle(workbench, state.filter), x_title=x_title,
        y_title=offer_label(state.term), text="stated", colours=colours, dashes=dashes,
        partial=partial_periods(workbench, shown["period"], state.interval, state.filter)),
        key="trend_offers")
    unnamed = " A company's pieces that name no product are one series of their own: " \
        "several products' offers may be among them, so the changes below leave them out." \
        if shown["product"].isna().any() else ""
    st.caption(f"Each step holds the best value stated in its {state.interval}; a gap is a "
               f"{state.interval} without a piece stating it.{unnamed}")
    _note_shown(frame, "company", keys, state.filter.companies, state, "company",
                "no piece states it")
    changes = data.offer_changes(workbench, state.interval, state.filter)
    changes = changes[changes["term"] == state.term]
    st.subheader("Changes of the best offer")
    if changes.empty:
        st.caption("No product's best value of this term changed between periods.")
    else:
        show_offer_changes(changes, key="offer_changes")
    return shown.drop(columns=["series", "stated", "best_ids"], errors="ignore")


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
                      subtitle=chart_subtitle(workbench, state.filter), x_title=x_title,
                      y_title="Campaigns (pieces)", colours=charts.series_colours(keys),
                      partial=partial_periods(workbench, shown["period"], state.interval,
                                              state.filter))
    marks = shown[shown["kind"].notna()]
    fig.add_trace(go.Scatter(x=marks["period"], y=marks["count"], mode="markers",
                             name="Anomaly", marker=dict(size=13, symbol="circle-open",
                                                         line=dict(width=3, color="crimson")),
                             text=[f"{c}: {pretty(k)}" for c, k in zip(marks["company"],
                                                                        marks["kind"])],
                             hovertemplate="%{text}<extra></extra>"))
    show_chart(fig, key="trend_anomalies")
    if state.filter.companies:
        _note_shown(scores, "company", keys, state.filter.companies, state, "company")
    else:
        most = "most spikes and drops" if len(most_flagged) else "most campaigns"
        st.caption(f"Drawn: the {len(keys)} companies with the {most}; pick companies in the "
                   "sidebar to see others.")
    st.caption(f"How anomalies are found: {md_escape(ANOMALY_FORMULA)}")
    if report.anomalies:
        table = pd.DataFrame([{
            "company": a.company, "period": a.period, "kind": pretty(a.kind), "count": a.count,
            "baseline_median": a.median, "z": round(a.z, 2),
            "first_piece": f"campaign?id={a.piece_ids[0]}" if a.piece_ids else None}
            for a in report.anomalies]).sort_values("period", ascending=False)
        st.dataframe(table, hide_index=True, key="anomaly_table", placeholder="—", column_config={
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
    refused = report.refused
    if refused:
        lines = [f"- **{md_escape(f.company)}**: {md_escape(f.refusal)}." for f in refused]
        head = ("No forecast is drawn" if len(refused) == len(report.forecasts)
                else "Not drawn")
        st.warning(f"{head}: a forecast this unsure would mislead.\n\n" + "\n".join(lines))
    if not frame.empty:
        show_chart(charts.forecast_chart(
            frame, title=f"Campaigns per week: history and the next {report.horizon} weeks",
            y_title="Campaigns per week (pieces)"), key="trend_forecast")
    st.caption(f"Fitted on complete weeks up to {report.through}. Back-test: each of the last "
               f"{report.backtest_weeks} weeks was forecast from the weeks before it. The "
               "shaded bands are the 80% and 95% prediction intervals, from the spread of "
               f"those back-test errors. {report.drawing_rule}")
    _forecast_table(report)
    return frame


def _forecast_table(report: ForecastReport) -> None:
    """Each forecast's method, back-test error and whether it is drawn (and why not)."""
    st.dataframe(pd.DataFrame([{
        "company": f.company, "method": f.method_name,
        "drawn": "Yes" if f.drawable else "No", "backtest_wape_pct": f.backtest.wape,
        "backtest_mae": f.backtest.mae, "naive_mae": f.backtest.naive_mae,
        "points_tested": f.backtest.points,
        "note": "; ".join(n for n in (f.refusal, f.note) if n)} for f in report.forecasts]),
        hide_index=True, key="forecast_errors", placeholder="—", column_config={
            "company": "Company", "method": "Method", "drawn": "Drawn",
            "backtest_wape_pct": st.column_config.NumberColumn(
                "Back-test error (% of volume)", format="%.0f",
                help="WAPE: the back-test's absolute errors summed, over the actual pieces."),
            "backtest_mae": st.column_config.NumberColumn("Back-test MAE (pieces/week)",
                                                          format="%.2f"),
            "naive_mae": st.column_config.NumberColumn(
                "Naive MAE (pieces/week)", format="%.2f",
                help="The error of repeating the last week: the baseline to beat."),
            "points_tested": "Forecasts checked", "note": "Note"})


_VIEWS = {"volume": _volume, "share_of_voice": _share_of_voice, "sentiment": _sentiment,
          "offers": _offers, "anomalies": _anomalies, "forecast": _forecast}


def show_view(workbench: Workbench, state: TrendsState) -> None:
    if state.market is not None:   # every view looks at the peer set's or industry's companies
        narrowed = state.market.narrowed(state.filter)
        # A peer set's companies are all drawn, as companies the analyst picks are.
        state = replace(state, filter=narrowed, top=max(state.top, len(narrowed.companies)))
    shown = _VIEWS[state.view](workbench, state)
    if not shown.empty:
        download_csv(shown, f"competiscan-{state.view}.csv",
                     label="Download the chart's data (CSV)", key="trend_csv")
