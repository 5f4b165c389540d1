"""Charts that read right: shares stacked to 100%, offer terms as steps with gaps, one colour per
company for the whole session, human labels, partial periods marked, titles naming their filters.

The first half checks the figure builders and the coverage arithmetic on small frames; the
second runs the pages (AppTest) and reads the plotly specs they send to the browser.
"""

from __future__ import annotations

import base64
import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from competiscan.analytics.periods import Coverage, coverage
from competiscan.labels import pretty
from competiscan.model import CHANNELS, CampaignFilter
from competiscan.ui import charts

from actors import TESTER
from test_pages_support import app_env, chart_specs, csv_of, open_page, texts  # noqa: F401

# The whole market: pages otherwise measure against an industry (see ui/peers.py), and these
# tests read shares and series against numbers computed over every company.
ALL = "all"


# ---------------------------------------------------------------------------- coverage
def test_a_month_the_data_ends_in_is_partial_and_the_ones_before_are_not():
    covered = coverage(date(2024, 1, 3), date(2024, 6, 10))
    months = [date(2024, m, 1) for m in range(1, 7)]
    assert covered.partial(months, "month") == [True, False, False, False, False, True]
    # The data's own dates inside a filter's range: the filter's dates bound the coverage.
    assert coverage(date(2024, 1, 3), date(2024, 6, 10), date(2024, 2, 1), date(2024, 5, 31)) \
        == Coverage(date(2024, 2, 1), date(2024, 5, 31))
    assert coverage(date(2024, 1, 1), date(2024, 6, 30)).partial(months, "month") == [False] * 6


def test_weeks_and_rolling_windows_are_partial_when_any_of_their_days_is_not_covered():
    covered = Coverage(date(2024, 1, 1), date(2024, 3, 27))   # a Monday to a Wednesday
    mondays = [date(2024, 3, 11), date(2024, 3, 18), date(2024, 3, 25)]
    assert covered.partial(mondays, "week") == [False, False, True]
    # A 2-week window starting on 18 March ends on 31 March, after the data.
    assert covered.partial([pd.Timestamp("2024-03-11"), pd.Timestamp("2024-03-18")], "week",
                           window=2) == [False, True]
    assert Coverage(None, None).partial(mondays, "week") == [False, False, False]


# ---------------------------------------------------------------------------- colours
def test_a_company_keeps_its_colour_and_a_new_one_takes_a_colour_nobody_has():
    known: dict[str, str] = {}
    first = charts.assign_colours(["Chase", "Citi"], known)
    assert first["Chase"] != first["Citi"]
    later = charts.assign_colours(["Discover", "Citi", charts.OTHER], known)
    assert later["Citi"] == first["Citi"]
    assert later["Discover"] not in (first["Chase"], first["Citi"])
    assert later[charts.OTHER] not in charts.PALETTE
    many = charts.assign_colours([f"Company {n}" for n in range(len(charts.PALETTE))], {})
    assert len(set(many.values())) == len(charts.PALETTE)


# ---------------------------------------------------------------------------- builders
def _months(*numbers: int) -> list[date]:
    return [date(2024, m, 1) for m in numbers]


def test_shares_stack_to_one_hundred_percent_with_the_rest_of_the_market():
    frame = pd.DataFrame({"period": _months(1, 1, 1, 2, 2, 2),
                          "company": ["Chase", "Citi", charts.OTHER] * 2,
                          "share": [0.2, 0.3, 0.5, 0.1, 0.1, 0.8]})
    fig = charts.stacked_shares(frame, "period", "share", "company", title="Share of voice",
                                x_title="Month starting", y_title="Share of voice (%)",
                                colours=charts.assign_colours(["Chase", "Citi", charts.OTHER],
                                                              {}))
    traces = fig.data
    assert [t.name for t in traces] == ["Chase", "Citi", charts.OTHER]
    assert {t.stackgroup for t in traces} == {"share"}
    assert {t.groupnorm for t in traces} == {"fraction"}
    assert [sum(t.y[i] for t in traces) for i in range(2)] == pytest.approx([1.0, 1.0])
    assert fig.layout.yaxis.tickformat == ".0%" and tuple(fig.layout.yaxis.range) == (0, 1)


def test_offer_terms_are_steps_held_over_their_month_with_a_gap_where_no_piece_stated_one():
    frame = pd.DataFrame({"period": _months(1, 2, 4), "period_end": [date(2024, 1, 31),
                                                                      date(2024, 2, 29),
                                                                      date(2024, 4, 30)],
                          "best": [15.0, 18.0, 21.0], "series": ["Chase"] * 3,
                          "stated": ["15 months", "18 months", "21 months"]})
    fig = charts.steps(frame, "period", "period_end", "best", "series", title="Intro APR",
                       x_title="Month starting", y_title="Intro APR period (months)",
                       text="stated")
    line, points = fig.data
    assert line.line.shape == "hv" and line.connectgaps is False
    xs = [pd.Timestamp(x) for x in line.x]
    assert list(line.y) == [15.0, 18.0, 18.0, None, 21.0, 21.0]
    # February's value holds to 1 March, then a gap: March had no piece; April holds to May.
    assert xs[2:4] == [pd.Timestamp("2024-03-01")] * 2
    assert xs[-1] == pd.Timestamp("2024-05-01")
    assert list(points.text) == ["15 months", "18 months", "21 months"]
    assert points.showlegend is False and line.hoverinfo == "skip"


def test_a_partial_last_period_is_dotted_shaded_and_labelled_not_drawn_as_a_dip():
    periods = _months(4, 5, 6)
    frame = pd.DataFrame({"period": periods, "count": [40, 42, 12], "company": ["Chase"] * 3})
    notes = charts.partial_notes(periods, [False, False, True], date(2024, 1, 1),
                                 date(2024, 6, 10))
    assert notes == {periods[2]: "data to 2024-06-10"}
    fig = charts.line(frame, "period", "count", "company", title="Campaigns per month",
                      x_title="Month starting", y_title="Campaigns (pieces)", partial=notes)
    solid, dotted = fig.data
    assert list(solid.y) == [40, 42, None]           # the solid line stops before June
    assert list(dotted.y) == [None, 42, 12] and dotted.line.dash == "dot"
    assert dotted.showlegend is False and list(dotted.hoverinfo)[2] != "skip"
    [band] = fig.layout.shapes
    assert pd.Timestamp(band.x0) < pd.Timestamp(periods[2]) < pd.Timestamp(band.x1)
    [label] = fig.layout.annotations
    assert (label.text, label.hovertext) == ("Partial", "Partial period: data to 2024-06-10")


def test_partial_bars_are_hatched():
    periods = _months(5, 6)
    frame = pd.DataFrame({"period": periods * 2, "count": [5, 1, 3, 2],
                          "channel": ["Email", "Email", "Direct mail", "Direct mail"]})
    fig = charts.bars(frame, "period", "count", "channel", stacked=True, title="Campaigns",
                      x_title="Month starting", y_title="Campaigns (pieces)",
                      partial={periods[1]: "data to 2024-06-10"})
    assert [list(t.marker.pattern.shape) for t in fig.data] == [["", "/"], ["", "/"]]


def test_the_subtitle_names_the_filters_in_words_and_stays_short():
    where = CampaignFilter(companies=("Chase", "Citi"), channels=("email", "direct_mail"),
                           date_from=date(2024, 1, 1), date_to=date(2024, 6, 30))
    assert charts.filter_subtitle(where) == \
        "Chase, Citi · Email, Direct mail · 2024-01-01 to 2024-06-30"
    assert charts.filter_subtitle(where, companies=False) == \
        "Email, Direct mail · 2024-01-01 to 2024-06-30"
    # Open dates read as the days the data covers; many values as "+N more".
    many = CampaignFilter(companies=tuple(f"Bank {n}" for n in range(9)),
                          industries=("credit_cards",), offer_ranges={"cash_back_pct": (3, None)})
    text = charts.filter_subtitle(many, date(2024, 1, 3), date(2024, 6, 10))
    assert text == ("Bank 0, Bank 1, Bank 2 +6 more · Credit cards · Cash back (%) ≥ 3 · "
                    "2024-01-03 to 2024-06-10")
    assert charts.filter_subtitle(CampaignFilter()) == "All campaigns"
    long = CampaignFilter(products=tuple("A very long product name " * 3 + str(n)
                                         for n in range(3)))
    assert len(charts.filter_subtitle(long)) <= 150


# ---------------------------------------------------------------------------- pages
def _values(array) -> list:
    """A trace's values from a spec: plotly sends numeric arrays as typed binary data."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]),
                             dtype=np.dtype(array["dtype"])).tolist()
    return list(array)


def _legend(spec: dict) -> list[dict]:
    """The traces with a legend entry (not a partial period's dotted segment or hover points)."""
    return [t for t in spec["data"] if t.get("showlegend") is not False and t.get("name")]


def _colour(trace: dict) -> str:
    return trace.get("line", {}).get("color") or trace.get("marker", {}).get("color")


def _goto(at: AppTest, page: str, params: dict) -> AppTest:
    """Another page in the same session, as a click in the sidebar then a link would do."""
    at.switch_page(f"views/{page}.py")
    at.query_params.clear()
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_trends_share_of_voice_stacks_the_picks_and_the_rest_of_the_market_to_100(app_env):
    at = open_page("trends", {"view": "share_of_voice", "company": ["Chase", "Citi"],
                              "interval": "month", "channel": ["email", "direct_mail"],
                              "peers": ALL})
    [spec] = chart_specs(at)
    stacked = [t for t in spec["data"] if t.get("stackgroup")]
    assert [t["name"] for t in stacked] == ["Chase", "Citi", charts.OTHER]
    assert {t["stackgroup"] for t in stacked} == {"share"}
    assert {t["groupnorm"] for t in stacked} == {"fraction"}
    totals = np.sum([_values(t["y"]) for t in stacked], axis=0)
    assert totals == pytest.approx([1.0] * len(totals))
    # Each company's share is of the market the filters keep, computed independently here.
    market = app_env.analytics.volume("company", "month", CampaignFilter(
        channels=("email", "direct_mail"))).frame
    january = market[market["period"] == date(2024, 1, 1)]
    chase = january.loc[january["key"] == "Chase", "count"].sum() / january["count"].sum()
    assert _values(stacked[0]["y"])[0] == pytest.approx(chase)
    assert spec["layout"]["title"]["subtitle"]["text"].startswith("Email, Direct mail · ")


def test_trends_offer_terms_are_steps_with_a_gap_for_a_month_without_a_piece(app_env):
    # A company stating cash back in January, then silent in February, then again from March.
    pieces = [("2024-01-10", "2%"), ("2024-03-12", "3%"), ("2024-04-05", "3%")]
    report = app_env.campaigns.ingest(TESTER, csv_of([
        {"company_name": "Gapco Bank", "industry": "credit_cards", "channel": "email",
         "campaign_type": "acquisition",
         "title": "Gapco Everyday Card", "launch_date": day,
         "content": f"Earn {rate} cash back on every purchase ({day})."}
        for day, rate in pieces]), "gapco.csv")
    assert report.status == "committed", report.message
    at = open_page("trends", {"view": "offers", "term": "cash_back_pct", "interval": "month",
                              "company": "Gapco Bank", "peers": ALL})
    [spec] = chart_specs(at)
    [line] = [t for t in spec["data"] if t["mode"] == "lines"]
    assert line["name"].startswith("Gapco Bank")
    assert line["line"]["shape"] == "hv" and line["connectgaps"] is False
    # January holds to 1 February, then a gap (no piece in February), then March and April,
    # April's value held to the end of April.
    assert [x[:10] for x in line["x"]] == ["2024-01-01", "2024-02-01", "2024-02-01",
                                           "2024-03-01", "2024-04-01", "2024-05-01"]
    assert _values(line["y"]) == [2.0, 2.0, None, 3.0, 3.0, 3.0]
    [points] = [t for t in spec["data"] if t["mode"] == "markers"]
    assert _values(points["text"]) == ["2%", "3%", "3%"]
    at = open_page("trends", {"view": "offers", "term": "cash_back_pct", "interval": "month",
                              "peers": ALL})
    lines = [t for t in chart_specs(at)[0]["data"] if t["mode"] == "lines"]
    assert {t["line"]["shape"] for t in lines} == {"hv"}


def test_one_company_keeps_one_colour_on_every_chart_of_the_session(app_env):
    at = open_page("trends", {"view": "volume", "company": ["Chase", "Citi"]})
    first = {t["name"]: _colour(t) for t in _legend(chart_specs(at)[0])}
    assert set(first) == {"Chase", "Citi"} and first["Chase"] != first["Citi"]

    _goto(at, "competitors", {"mode": "compare", "company": ["Discover", "Citi", "Chase"]})
    specs = {s["layout"]["title"]["text"]: s for s in chart_specs(at)}
    sov = next(t for t in specs if t.startswith("Share of voice per month"))
    for title in ("Campaigns per month", sov, "Mean sentiment score per month"):
        colours = {t["name"]: _colour(t) for t in _legend(specs[title])}
        assert {n: colours[n] for n in first} == first, title
        assert colours["Discover"] not in first.values()
    positioning = next(s for t, s in specs.items() if " against " in t)
    assert {t["name"]: _colour(t) for t in positioning["data"] if t["name"] in first} == first

    # Back on Trends with another selection: the same companies, the same colours.
    _goto(at, "trends", {"view": "share_of_voice", "company": ["Citi", "Discover"]})
    again = {t["name"]: _colour(t) for t in _legend(chart_specs(at)[0])}
    assert again["Citi"] == first["Citi"] and again["Discover"] == colours["Discover"]


def test_legends_axes_and_hover_read_in_words(app_env):
    at = open_page("trends", {"view": "volume", "by": "channel", "interval": "month"})
    [spec] = chart_specs(at)
    channels = {pretty(c) for c in CHANNELS}
    assert {t["name"] for t in _legend(spec)} <= channels and "Direct mail" in {
        t["name"] for t in _legend(spec)}
    at = open_page("competitors", {"company": "Chase"})
    assert at.header[0].value == "Chase"
    specs = chart_specs(at)
    for spec in specs + chart_specs(open_page("trends", {"view": "anomalies"})):
        layout = spec["layout"]
        words = [layout["title"]["text"], layout["xaxis"]["title"]["text"],
                 layout["yaxis"]["title"]["text"], *(t.get("name", "") for t in spec["data"])]
        words += [str(v) for t in spec["data"] for v in _values(t.get("text", []) or [])]
        assert not [w for w in words if "_" in w or "None" in w], layout["title"]["text"]
    mix = next(s for s in specs if s["layout"]["title"]["text"] == "Channel mix")
    assert "Direct mail" in _values(mix["data"][0]["y"])


def test_a_month_the_data_covers_in_part_is_marked_partial_not_drawn_as_a_dip(app_env):
    at = open_page("trends", {"view": "volume", "interval": "month", "company": ["Chase"],
                              "from": "2024-01-01", "to": "2024-06-10"})
    [spec] = chart_specs(at)
    solid = next(t for t in spec["data"] if t["name"] == "Chase")
    dotted = next(t for t in spec["data"] if t["name"] == "Chase (partial period)")
    assert solid["x"][-1] == "2024-06-01" and _values(solid["y"])[-1] is None
    assert dotted["line"]["dash"] == "dot" and _values(dotted["y"])[-1] is not None
    [label] = spec["layout"]["annotations"]
    assert (label["text"], label["hovertext"]) == ("Partial", "Partial period: data to 2024-06-10")
    assert len(spec["layout"]["shapes"]) == 1
    # The full months are not marked.
    at = open_page("trends", {"view": "volume", "interval": "month", "company": ["Chase"],
                              "from": "2024-02-01", "to": "2024-05-31"})
    [spec] = chart_specs(at)
    assert not spec["layout"].get("shapes") and len(spec["data"]) == 1
    # Bars of a profile are hatched in that month.
    at = open_page("competitors", {"company": "Chase", "to": "2024-06-10"})
    volume = chart_specs(at)[0]
    assert all(t["marker"]["pattern"]["shape"][-1] == "/" for t in volume["data"])


def test_titles_name_their_filters_so_a_downloaded_png_keeps_its_context(app_env):
    at = open_page("trends", {"view": "volume", "interval": "month", "channel": ["email"],
                              "company": ["Chase", "Citi"], "from": "2024-01-01",
                              "to": "2024-06-30", "peers": ALL})
    [spec] = chart_specs(at)
    assert spec["layout"]["title"]["text"] == "Campaigns per month by company"
    assert spec["layout"]["title"]["subtitle"]["text"] == \
        "Chase, Citi · Email · 2024-01-01 to 2024-06-30"
    config = json.loads(at.get("plotly_chart")[0].proto.config)
    assert config["toImageButtonOptions"]["filename"] == "trend_volume"
    # With no date filter the subtitle gives the dates the data covers.
    at = open_page("trends", {"view": "volume", "peers": ALL})
    first, last, seen = app_env.analytics.span()
    subtitle = chart_specs(at)[0]["layout"]["title"]["subtitle"]["text"]
    assert subtitle == f"{first.isoformat()} to {max(last, seen).isoformat()}"


def test_series_shown_never_hides_a_pick_nor_counts_against_it(app_env):
    picks = ["Chase", "Citi", "Discover"]
    at = open_page("trends", {"view": "volume", "company": picks, "top": "2", "peers": ALL})
    [spec] = chart_specs(at)
    assert [t["name"] for t in _legend(spec)] == picks
    captions = texts(at.caption)
    assert any("Showing all 3 companies chosen" in c for c in captions)
    assert not any("largest" in c for c in captions)
    at = open_page("trends", {"view": "volume", "top": "2", "peers": ALL})
    [spec] = chart_specs(at)
    assert len(_legend(spec)) == 2
    assert any("Showing the 2 largest of" in c for c in texts(at.caption))
