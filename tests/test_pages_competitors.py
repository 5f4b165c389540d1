"""Competitors page: one company's profile, 2–5 side by side, positioning with its formula."""

from __future__ import annotations

from competiscan.analytics import GENEROSITY_FORMULA

from test_pages_support import (app_env, campaign_tables, chart_specs, dataframes,  # noqa: F401
                                open_page, texts)


def test_profile_of_one_company(app_env):
    at = open_page("competitors", {"company": "Chase", "interval": "month"})
    assert at.selectbox(key="c_one").value == "Chase"
    assert at.header[0].value == "Chase"
    counts = app_env._store.export_frame(["company"])["company"].value_counts()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Campaigns"] == f"{counts['Chase']:,}"
    assert metrics["Share of voice"] == f"{counts['Chase'] / counts.sum():.1%}"
    titles = [s["layout"]["title"]["text"] for s in chart_specs(at)]
    assert titles[:3] == ["Campaigns per month by channel", "Channel mix",
                          "Campaign type mix"]
    assert all(s["layout"]["xaxis"]["title"]["text"] and s["layout"]["yaxis"]["title"]["text"]
               for s in chart_specs(at))
    offers = next(f for f in dataframes(at) if "best" in f.columns)
    assert offers["piece"].str.startswith("campaign?id=").all()
    [latest] = campaign_tables(at)
    assert len(latest) == min(10, counts["Chase"])
    assert dict(at.query_params) == {"company": "Chase"}  # month is the default


def test_comparison_of_three_companies_on_the_same_axes(app_env):
    names = ["Chase", "Citi", "Discover"]
    at = open_page("competitors", {"mode": "compare", "company": names})
    assert at.multiselect(key="c_many").value == names
    specs = {s["layout"]["title"]["text"]: s for s in chart_specs(at)}
    volume = specs["Campaigns per month"]
    assert {t["name"] for t in volume["data"]} == set(names)
    assert "Share of voice per month (of the whole market)" in specs
    positioning = next(s for t, s in specs.items() if t.startswith("Generosity against"))
    assert positioning["layout"]["xaxis"]["title"]["text"] == "Share of voice (% of campaigns)"
    body = " ".join(texts(at.markdown)).replace("\\", "")
    assert GENEROSITY_FORMULA[:60] in body
    best = next(f for f in dataframes(at) if set(names) <= set(f.columns))
    assert len(best) >= 1
    at.selectbox(key="c_x").set_value("volume").run()
    assert at.query_params["x"] == "volume"


def test_comparison_needs_two_to_five_companies(app_env):
    at = open_page("competitors", {"mode": "compare", "company": "Chase"})
    assert any("Choose 2 to 5 companies" in t for t in texts(at.info))
    at = open_page("competitors")
    assert any("Choose a company" in t for t in texts(at.info))
