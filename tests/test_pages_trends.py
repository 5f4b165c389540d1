"""Trends page: each view from its URL, labelled charts, the chart's data as CSV, link state."""

from __future__ import annotations

import pandas as pd

from competiscan.labels import pretty
from competiscan.model import CampaignFilter

from test_pages_support import app_env, chart_specs, dataframes, open_page, texts  # noqa: F401


def _layout(spec: dict) -> tuple[str, str, str]:
    layout = spec["layout"]
    return (layout["title"]["text"], layout["xaxis"]["title"]["text"],
            layout["yaxis"]["title"]["text"])


def _trace_names(spec: dict) -> set[str]:
    """The series in the legend (a partial period's dotted segment has none of its own)."""
    return {t["name"] for t in spec["data"] if t.get("showlegend") is not False}


def test_volume_by_channel_per_month_from_the_url(app_env):
    at = open_page("trends", {"view": "volume", "by": "channel", "interval": "month",
                              "top": "3", "from": "2024-01-01", "to": "2024-06-30"})
    assert at.selectbox(key="t_by").value == "channel"
    [spec] = chart_specs(at)
    title, x_title, y_title = _layout(spec)
    assert title == "Campaigns per month by channel"
    assert x_title == "Month starting" and y_title == "Campaigns (count)"
    filters = CampaignFilter(date_from=pd.Timestamp("2024-01-01").date(),
                              date_to=pd.Timestamp("2024-06-30").date())
    # Trends look at the industry with most pieces unless a peer set is chosen.
    market = app_env.peers.industry_groups()[0].market
    frame = app_env.analytics.volume("channel", "month", filters, market=market).frame
    top3 = set(frame.groupby("key")["count"].sum().sort_values(ascending=False).index[:3])
    assert _trace_names(spec) == {pretty(k) for k in top3}   # "Direct mail", not direct_mail
    assert any("3 largest of" in t for t in texts(at.caption))
    assert dict(at.query_params) == {"by": "channel", "interval": "month", "top": "3",
                                     "peers": market.key, "from": "2024-01-01",
                                     "to": "2024-06-30"}
    assert [b.proto.label for b in at.get("download_button")] == \
        ["Download the chart's data (CSV)"]


def test_share_of_voice_of_chosen_companies_is_against_the_whole_market(app_env):
    at = open_page("trends", {"view": "share_of_voice", "company": ["Chase", "Citi"],
                              "interval": "month", "window": "2"})
    [spec] = chart_specs(at)
    title, x_title, y_title = _layout(spec)
    assert title.startswith("Share of voice per 2-month window")
    assert y_title == "Share of voice (%)" and spec["layout"]["yaxis"]["tickformat"] == ".0%"
    # Stacked to 100%: the picked companies and the rest of the market.
    assert _trace_names(spec) == {"Chase", "Citi", "Other companies"}
    assert {t["stackgroup"] for t in spec["data"]} == {"share"}
    assert at.query_params["window"] == "2"


def test_offer_terms_view_with_its_changes_feed(app_env):
    at = open_page("trends", {"view": "offers", "term": "cash_back_pct", "interval": "month",
                              "peers": "all"})
    [spec] = chart_specs(at)
    title, _x, y_title = _layout(spec)
    assert title.startswith("Best Cash back (%) per month by company")
    assert y_title == "Cash back (%)"
    assert {t["line"]["shape"] for t in spec["data"] if t["mode"] == "lines"} == {"hv"}
    assert any(h.value == "Changes of the best offer" for h in at.subheader)


def test_sentiment_anomalies_and_forecast_views(app_env):
    at = open_page("trends", {"view": "sentiment", "by": "campaign_type"})
    [spec] = chart_specs(at)
    assert spec["layout"]["yaxis"]["range"] == [-1, 1]
    at = open_page("trends", {"view": "anomalies"})
    assert chart_specs(at) and any("How anomalies are found" in t for t in texts(at.caption))
    # The fixture's few pieces a week are too irregular to forecast: the page says why instead
    # of drawing them (a drawn forecast with its bands: tests/test_scores.py).
    at = open_page("trends", {"view": "forecast", "company": ["Chase", "Citi"]})
    assert chart_specs(at) == []
    assert any(t.startswith("No forecast is drawn") for t in texts(at.warning))
    errors = next(f for f in dataframes(at) if "backtest_mae" in f.columns)
    assert set(errors["company"]) == {"Chase", "Citi"} and set(errors["drawn"]) == {"No"}


def test_switching_view_writes_the_url_and_bad_values_are_reported(app_env):
    at = open_page("trends", {"view": "pie", "interval": "fortnight"})
    assert "view" in " ".join(texts(at.warning))
    assert at.segmented_control(key="t_view").value == "volume"
    at.segmented_control(key="t_view").set_value("share_of_voice").run()
    assert at.query_params["view"] == "share_of_voice"
    url = next(c.value for c in at.code)
    assert url.startswith("/trends?view=share_of_voice&peers=industry%3A")


def test_series_shown_never_contradicts_the_companies_picked(app_env):
    picked = open_page("trends", {"view": "volume", "company": ["Chase", "Citi"],
                                  "peers": "all"})
    assert picked.number_input(key="t_top").disabled
    free = open_page("trends", {"view": "volume", "peers": "all"})
    assert not free.number_input(key="t_top").disabled
