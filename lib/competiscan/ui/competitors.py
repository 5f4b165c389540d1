"""The Competitors page's parts: one company's profile, and 2–5 companies side by side.

Both read aggregates only (cached through :mod:`.data`); the latest pieces of a company come
from the search index, sorted by date.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode
from typing import Any, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from ..model import CampaignFilter
from ..workbench import (MAX_COMPARED, MIN_COMPARED, POSITIONING_MEASURES, Market,
                         NotFoundError, PeerSetError, SearchRequest, Workbench)
from . import charts, data
from .filters import filter_panel, filter_values, filters_from_widgets
from .labels import (NO_PRODUCT, field_label, format_offer, md_escape, offer_label, pretty,
                     product_label)
from .peers import largest_companies, market_caption, peer_picker
from .resources import current_actor
from .state import COMPETITOR_MODES, POSITION_MEASURES, TREND_INTERVALS, CompetitorsState
from .widgets import (campaign_table, chart_subtitle, download_csv, partial_periods,
                      show_chart, show_offer_changes)

__all__ = ["widget_values", "state_from_widgets", "controls", "show_profile", "show_comparison"]

_MEASURE_NAMES = {"share_of_voice": "Share of voice (% of campaigns)",
                  "generosity": "Offer generosity (market percentile, 0–100)",
                  "volume": "Campaigns (pieces)",
                  "sentiment": "Mean sentiment score (−1 to 1)"}


def widget_values(state: CompetitorsState) -> dict[str, Any]:
    values = filter_values("c", state.filter)
    del values["c_company"]
    values.update({"c_mode": state.mode, "c_interval": state.interval, "c_x": state.x,
                   "c_y": state.y, "c_one": state.companies[0] if state.companies else None,
                   "c_many": list(state.companies[:MAX_COMPARED]), "c_peers": state.peers})
    return values


def _companies_in_view() -> tuple[str, ...]:
    ss = st.session_state
    if ss["c_mode"] == "profile":
        return (ss["c_one"],) if ss["c_one"] else ()
    return tuple(ss["c_many"])


def state_from_widgets() -> CompetitorsState:
    ss = st.session_state
    return CompetitorsState(filter=CampaignFilter(**filters_from_widgets("c", companies=False),
                                                  companies=_companies_in_view()),
                            mode=ss["c_mode"], interval=ss["c_interval"], x=ss["c_x"],
                            y=ss["c_y"], peers=ss["c_peers"], market=ss.get("c_market"))


def _compare_market(workbench: Workbench) -> None:
    """Callback: compare the largest companies of the market the analyst chose."""
    ss = st.session_state
    market = ss.get("c_market")
    if ss["c_mode"] != "compare" or market is None:
        return
    if ss.get("c_peers") and ss["c_peers"] != market.key:   # the picker changed
        try:
            market = workbench.peers.market(current_actor(), ss["c_peers"])
        except (NotFoundError, PeerSetError):   # gone meanwhile: the page says so
            return
    ss["c_many"] = list(largest_companies(
        workbench, market, CampaignFilter(**filters_from_widgets("c", companies=False)),
        MAX_COMPARED))


def controls(workbench: Workbench, state: CompetitorsState) -> None:
    """Mode, companies and period in the page; the peer set and filters in the sidebar. A
    comparison takes the chosen peer set's largest companies when the analyst picks one."""
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
                         select_all=False,   # typing "Citi" must not add Citizens
                         placeholder=f"Choose {MIN_COMPARED} to {MAX_COMPARED} companies")
    interval.selectbox("Period", TREND_INTERVALS, key="c_interval", format_func=pretty)
    with st.sidebar:
        market = peer_picker(workbench, "c", companies=_companies_in_view(),
                             filters=CampaignFilter(**filters_from_widgets("c", companies=False)),
                             on_change=lambda: _compare_market(workbench))
        st.header("Filters")
        filter_panel(workbench, "c", state.filter, companies=False)
    if st.session_state["c_mode"] == "compare" and len(_companies_in_view()) < MIN_COMPARED:
        pick.button(f"Compare the largest of {market.label}", key="c_compare_market",
                    icon=":material/groups:", on_click=_compare_market, args=(workbench,))


# ---------------------------------------------------------------------------- profile
def _metrics(workbench: Workbench, state: CompetitorsState, company: str) -> None:
    own = state.filter
    against = state.market or Market.implied_by(state.filter.without_companies())
    market = data.counts(workbench, ("company",), against.applied(state.filter))
    total = int(market["n"].sum())
    mine = int(market.loc[market["company"] == company, "n"].sum())
    measured = against.describe(int(market["company"].notna().sum()))
    first, _last_launch, seen = data.span(workbench, own)
    tone = data.sentiment(workbench, "company", None, own)
    cols = st.columns(5)
    cols[0].metric("Campaigns", f"{mine:,}")
    cols[1].metric("Share of voice", f"{mine / total:.1%}" if total else "—",
                   help=f"Its campaigns over all campaigns {measured} that the filters keep.")
    cols[2].metric("First piece", str(first) if first else "—")
    cols[3].metric("Last seen", str(seen) if seen else "—")
    cols[4].metric("Mean sentiment", f"{tone['mean_score'].iloc[0]:+.2f}" if not tone.empty
                   else "—", help="From −1 (negative) to 1 (positive).")
    market_caption(measured)


def _mix_chart(workbench: Workbench, state: CompetitorsState, column: str, key: str
               ) -> pd.DataFrame:
    mix = data.counts(workbench, (column,), state.filter).copy()
    mix[column] = [pretty(v) for v in mix[column]]
    mix = mix.sort_values("n", ascending=False).rename(columns={"n": "campaigns"})
    show_chart(charts.bars(mix, column, "campaigns", None, horizontal=True,
                           title=f"{field_label(column)} mix", x_title=field_label(column),
                           y_title="Campaigns (pieces)",
                           subtitle=chart_subtitle(workbench, state.filter),
                           colour=_company_colour(state.companies[0])), key=key)
    return mix


def _company_colour(company: str) -> str:
    """The company's colour of the session, the one it has on every chart."""
    return charts.series_colours([company])[company]


def show_profile(workbench: Workbench, state: CompetitorsState) -> None:
    company = state.companies[0]
    st.header(md_escape(company))
    _metrics(workbench, state, company)
    own = state.filter

    series = data.volume(workbench, "channel", state.interval, own, None, 1)
    volume = series.frame.rename(columns={"key": "channel"})
    volume["channel"] = [pretty(v) for v in volume["channel"]]
    channels = volume.groupby("channel")["count"].sum().sort_values(ascending=False,
                                                                     kind="stable")
    show_chart(charts.bars(volume, "period", "count", "channel", stacked=True,
                           title=f"Campaigns per {state.interval} by channel",
                           subtitle=chart_subtitle(workbench, own),
                           x_title=f"{pretty(state.interval)} starting",
                           y_title="Campaigns (pieces)",
                           colours=charts.series_colours(list(channels.index), "channel"),
                           partial=partial_periods(workbench, volume["period"], state.interval,
                                                   own)), key="profile_volume")
    download_csv(volume, f"{company}-volume.csv", key="profile_volume_csv")

    left, right = st.columns(2)
    with left:
        download_csv(_mix_chart(workbench, state, "channel", "profile_channels"),
                     f"{company}-channels.csv", key="profile_channels_csv")
    with right:
        download_csv(_mix_chart(workbench, state, "campaign_type", "profile_types"),
                     f"{company}-types.csv", key="profile_types_csv")

    _products(workbench, company)
    _offers(workbench, company, state)

    st.subheader("Tone")
    tone = data.sentiment(workbench, "company", state.interval, own)
    if tone.empty:
        st.caption("No sentiment score yet for these campaigns.")
    else:
        fig = charts.line(tone.sort_values("period"), "period", "mean_score", None,
                          title=f"Mean sentiment score per {state.interval}",
                          subtitle=chart_subtitle(workbench, own),
                          x_title=f"{pretty(state.interval)} starting",
                          y_title="Mean sentiment score (−1 to 1)",
                          colour=_company_colour(company),
                          partial=partial_periods(workbench, tone["period"], state.interval,
                                                  own))
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


def _products(workbench: Workbench, company: str) -> None:
    """The company's products: pieces per product and how they were linked."""
    coverage = data.product_coverage(workbench, company)
    named = [r for r in coverage.by_product if r["product"] is not None]
    st.subheader("Products")
    if not named:
        st.caption("None of its pieces names a product.")
        return
    pieces: dict[str, int] = {}
    for r in named:
        pieces[r["product"]] = pieces.get(r["product"], 0) + r["pieces"]
    how = {r["product"]: r["source"] for r in sorted(named, key=lambda r: r["pieces"])}
    st.caption(f"{coverage.linked:,} of its {coverage.pieces:,} pieces name a product "
               f"({coverage.share_linked:.0%}); offers are compared within each product.")
    st.dataframe(pd.DataFrame([{
        "product": name, "pieces": n,
        "found": "in the catalogue" if how[name] == "catalogue" else
                 "named by the file" if how[name] == "source" else
                 "by rule (not in the catalogue)" if how[name] == "rule" else "by the model",
        "link": f"search?{urlencode({'company': company, 'product': name})}"}
        for name, n in sorted(pieces.items(), key=lambda kv: -kv[1])]),
        hide_index=True, key="profile_products", column_config={
            "product": "Product", "pieces": "Pieces", "found": "Found",
            "link": st.column_config.LinkColumn("Its pieces", display_text="search")})


def _offers(workbench: Workbench, company: str, state: CompetitorsState) -> None:
    """Its products' current offers, and when a product's best offer changed."""
    st.subheader("Offers")
    _current_offers(workbench, company, state)
    changes = data.offer_changes(workbench, state.interval, state.filter)
    if not changes.empty:
        st.caption("When a product's best offer changed (a change is always within one "
                   "product), newest first:")
        show_offer_changes(changes, key="profile_changes", with_company=False)


def _current_offers(workbench: Workbench, company: str, state: CompetitorsState) -> None:
    """The company's products, each with its best current terms: offers compare per product,
    never pooled across a company's cards and accounts."""
    current = [e for e in data.current_offers(workbench, (company,), state.filter.date_to)
               if e["terms"]]
    if not current:
        st.caption("No offer terms in its pieces seen in market over the last 90 days.")
        return
    st.caption(f"Best current terms per product (pieces seen from {current[0]['since']} to "
               f"{current[0]['as_of']}), with the piece showing each. Pieces naming no "
               "product are listed apart, not pooled with a product.")
    rows = [{"product": e["product"] or NO_PRODUCT, "term": offer_label(t["term"], t["unit"]),
             "best": format_offer(t["term"], t["value"], t["unit"]),
             "typical": format_offer(t["term"], t["typical"], t["unit"]),
             "pieces": t["pieces"], "piece": f"campaign?id={t['id']}"}
            for e in current for t in e["terms"]]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="profile_offers", column_config={
        "product": "Product", "term": "Term", "best": "Best", "typical": "Typical (median)",
        "pieces": "Pieces stating it",
        "piece": st.column_config.LinkColumn("Piece", display_text=r"campaign\?id=(\d+)")})


# ---------------------------------------------------------------------------- comparison
def _sov_with_other(sov: pd.DataFrame, weight: str | None) -> pd.DataFrame:
    """The compared companies' shares of voice and, per period, the rest of the market as
    :data:`charts.OTHER` (the market's volume less theirs), so the stack reaches 100%."""
    measure = "weighted" if weight else "count"
    per = sov.groupby(["period", "period_end"], sort=True, as_index=False) \
        .agg(taken=(measure, "sum"), market=("market", "first"))
    market = per["market"].to_numpy(dtype=float)
    rest = (market - per["taken"].to_numpy(dtype=float)).clip(min=0)
    other = pd.DataFrame({"period": per["period"], "period_end": per["period_end"],
                          "company": charts.OTHER,
                          measure: rest if weight else np.rint(rest).astype(np.int64),
                          "share": np.where(market > 0, rest / np.where(market > 0, market, 1),
                                            0.0),
                          "market": market})
    return pd.concat([sov, other], ignore_index=True).sort_values("period", kind="stable") \
        .reset_index(drop=True)


def _comparison_charts(workbench: Workbench, state: CompetitorsState, comparison: Any,
                       colours: dict[str, str]) -> None:
    """Volume, share of voice, channel and type mix and tone of the compared companies, each
    company in its session colour, partial periods marked, the filters under each title."""
    per, x_title = f"per {state.interval}", f"{pretty(state.interval)} starting"
    market = state.filter.without_companies()
    subtitle = chart_subtitle(workbench, market, companies=False)
    partial = partial_periods(workbench, comparison.volume["period"], state.interval, market)
    left, right = st.columns(2)
    with left:
        volume = comparison.volume
        show_chart(charts.line(volume, "period", "count", "company", title=f"Campaigns {per}",
                               subtitle=subtitle, x_title=x_title, y_title="Campaigns (pieces)",
                               colours=colours, partial=partial), key="cmp_volume")
        download_csv(volume, "comparison-volume.csv", key="cmp_volume_csv")
    with right:
        sov = _sov_with_other(comparison.share_of_voice, comparison.weight)
        show_chart(charts.stacked_shares(
            sov, "period", "share", "company", title=f"Share of voice {per} (of the market)",
            subtitle=subtitle, x_title=x_title, y_title="Share of voice (%)",
            colours=charts.series_colours([*colours, charts.OTHER]),
            partial=partial), key="cmp_sov")
        market_caption(comparison.market)
        download_csv(sov, "comparison-share-of-voice.csv", key="cmp_sov_csv")

    left, right = st.columns(2)
    for col, column, frame, key in ((left, "channel", comparison.channel_mix, "cmp_channels"),
                                    (right, "campaign_type", comparison.type_mix, "cmp_types")):
        with col:
            shown = frame.assign(**{column: [pretty(v) for v in frame[column]]})
            show_chart(charts.bars(shown, "company", "share", column, stacked=True,
                                   title=f"{field_label(column)} mix (share of each company's "
                                         "campaigns)", subtitle=subtitle,
                                   x_title="Company", y_title="Share of its campaigns (%)",
                                   y_percent=True, colours=charts.series_colours(
                                       list(dict.fromkeys(shown[column])), column)), key=key)
            download_csv(frame, f"comparison-{column}-mix.csv", key=f"{key}_csv")

    tone = comparison.sentiment
    if tone["mean_score"].notna().any():
        fig = charts.line(tone, "period", "mean_score", "company",
                          title=f"Mean sentiment score {per}", subtitle=subtitle,
                          x_title=x_title, y_title="Mean sentiment score (−1 to 1)",
                          colours=colours, partial=partial)
        fig.update_yaxes(range=[-1, 1])
        show_chart(fig, key="cmp_tone")


def _offers_by_product(best: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Best terms with a row per company and product (companies in the order compared) and a
    column per term."""
    table = best.assign(
        term=[offer_label(t, u) for t, u in zip(best["term"], best["unit"])],
        value=[format_offer(t, v, u) for t, v, u in zip(best["term"], best["best"],
                                                        best["unit"])],
        row=[product_label(c, p if isinstance(p, str) else None)
             for c, p in zip(best["company"], best["product"])],
        order=[(list(names).index(c) if c in names else len(names), not isinstance(p, str),
                p if isinstance(p, str) else "") for c, p in zip(best["company"],
                                                                  best["product"])])
    rows = list(dict.fromkeys(table.sort_values("order")["row"]))
    terms = list(dict.fromkeys(table["term"]))
    return (table.pivot_table(index="row", columns="term", values="value", aggfunc="first")
            .reindex(index=rows, columns=terms).fillna("—")
            .rename_axis(index="Company · product", columns=None))


def show_comparison(workbench: Workbench, state: CompetitorsState) -> None:
    names = state.companies
    comparison = data.comparison(workbench, names, state.interval,
                                 state.filter.without_companies(), state.x, state.y,
                                 state.market)
    colours = charts.series_colours(names)  # the session's colour of each company
    _comparison_charts(workbench, state, comparison, colours)

    st.subheader("Best offers")
    best = comparison.best_offers
    if best.empty:
        st.caption("None of these companies states an offer term in this range.")
    else:
        st.caption("One row per product: offers compare within a product, never pooled "
                   "across a company's cards and accounts.")
        st.dataframe(_offers_by_product(best, names), key="cmp_offers",
                     height=min(38 + 35 * best[["company", "product"]].drop_duplicates()
                                .shape[0], 600))
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
        show_chart(_position_chart(position, plotted, colours), key="cmp_positioning")
        scale = comparison.market or f"the {len(position.market):,} companies the filters keep"
        st.caption(f"Each measure is read against the market ({md_escape(scale)}), not only "
                   "the compared companies. Dotted lines: the market's median company.")
    missing = sorted(set(frame["company"]) - set(plotted["company"]))
    if missing:
        st.caption("Not placed (a measure is blank): " + ", ".join(md_escape(m)
                                                                  for m in missing))
    download_csv(frame, "comparison-positioning.csv", key="cmp_positioning_csv")
    for measure in dict.fromkeys((position.x, position.y, "generosity")):
        st.markdown(f"**{pretty(measure)}** — {md_escape(POSITIONING_MEASURES[measure])}")
        st.markdown("\n".join(f"- {md_escape(position.explain(measure, company))}"
                              for company in frame["company"]))
    _generosity_detail(comparison.generosity)


def _position_chart(position: Any, plotted: pd.DataFrame, colours: dict[str, str]) -> Any:
    """The compared companies on the two measures, with the market's median on each axis."""
    fig = charts.scatter(plotted, position.x, position.y, "company",
                         title=f"{pretty(position.y)} against {pretty(position.x).lower()}",
                         x_title=_MEASURE_NAMES[position.x],
                         y_title=_MEASURE_NAMES[position.y], colours=colours)
    for axis, measure in (("x", position.x), ("y", position.y)):
        if measure == "share_of_voice":
            fig.update_layout(**{f"{axis}axis_tickformat": ".1%"})
        if measure == "generosity":     # a percentile: the whole scale, so 50 sits mid-way
            fig.update_layout(**{f"{axis}axis_range": [-5, 105]})
        median = position.market_median(measure)
        if median is not None:
            mark = dict(line_dash="dot", line_color="#888", annotation_text="market median",
                        annotation_font=dict(size=11, color="#555"))
            if axis == "x":
                fig.add_vline(x=median, **mark)
            else:
                fig.add_hline(y=median, **mark)
    return fig


def _generosity_detail(cells: pd.DataFrame) -> None:
    """Each compared product's percentile per term: what the generosity scores average."""
    if cells.empty:
        return
    with st.expander("Generosity per product and term"):
        st.dataframe(pd.DataFrame({
            "company": cells["company"],
            "product": [p if isinstance(p, str) and p else "(no product named)"
                        for p in cells["product"]],
            "term": [offer_label(t, u) for t, u in zip(cells["term"], cells["unit"])],
            "best": [format_offer(t, v, u) for t, v, u in
                     zip(cells["term"], cells["best"], cells["unit"])],
            "percentile": cells["percentile"],
            "market_products": cells["market_products"]}),
            hide_index=True, key="cmp_generosity", column_config={
                "company": "Company", "product": "Product", "term": "Term",
                "best": "Its best",
                "percentile": st.column_config.NumberColumn(
                    "Market percentile", format="%.0f",
                    help="Share of the market's other products offering this term that it "
                         "beats (a tie counts half); blank when no other product offers it."),
                "market_products": "Market products offering the term"})
