"""Competitors page: one company's profile, 2–5 side by side, positioning with its formula."""

from __future__ import annotations

from competiscan.analytics import GENEROSITY_FORMULA

from test_pages_support import (app_env, campaign_tables, chart_specs, dataframes,  # noqa: F401
                                open_page, texts)


def test_profile_of_one_company(app_env):
    at = open_page("competitors", {"company": "Chase", "interval": "month"})
    assert at.selectbox(key="c_one").value == "Chase"
    assert at.header[0].value == "Chase"
    stored = app_env._store.export_frame(["company", "industry"])
    counts = stored["company"].value_counts()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Campaigns"] == f"{counts['Chase']:,}"
    # Share of voice among its industry's companies (no peer set is saved).
    industry = stored.loc[stored["industry"] == "credit_cards", "company"].value_counts()
    assert metrics["Share of voice"] == f"{industry['Chase'] / industry.sum():.1%}"
    titles = [s["layout"]["title"]["text"] for s in chart_specs(at)]
    assert titles[:3] == ["Campaigns per month by channel", "Channel mix",
                          "Campaign type mix"]
    assert all(s["layout"]["xaxis"]["title"]["text"] and s["layout"]["yaxis"]["title"]["text"]
               for s in chart_specs(at))
    offers = next(f for f in dataframes(at) if "best" in f.columns)
    assert offers["piece"].str.startswith("campaign?id=").all()
    [latest] = campaign_tables(at)
    assert len(latest) == min(10, counts["Chase"])
    # month is the default
    assert dict(at.query_params) == {"company": "Chase", "peers": "industry:credit_cards"}


def test_comparison_of_three_companies_on_the_same_axes(app_env):
    names = ["Chase", "Citi", "Discover"]
    at = open_page("competitors", {"mode": "compare", "company": names})
    assert at.multiselect(key="c_many").value == names
    specs = {s["layout"]["title"]["text"]: s for s in chart_specs(at)}
    volume = specs["Campaigns per month"]
    assert {t["name"] for t in volume["data"] if t.get("showlegend") is not False} == set(names)
    sov = specs["Share of voice per month (of the market)"]
    assert [t["name"] for t in sov["data"]] == [*names, "Other companies"]
    assert {t["stackgroup"] for t in sov["data"]} == {"share"}
    positioning = next(s for t, s in specs.items() if t.startswith("Generosity against"))
    assert positioning["layout"]["xaxis"]["title"]["text"] == "Share of voice (% of campaigns)"
    body = " ".join(texts(at.markdown)).replace("\\", "")
    assert GENEROSITY_FORMULA[:60] in body
    best = next(f for f in dataframes(at) if f.index.name == "Company · product")
    assert {r.split(" · ")[0] for r in best.index} <= set(names) and len(best) >= 1
    at.selectbox(key="c_x").set_value("volume").run()
    assert at.query_params["x"] == "volume"


def test_comparison_needs_two_to_five_companies(app_env):
    at = open_page("competitors", {"mode": "compare", "company": "Chase"})
    assert any("Choose 2 to 5 companies" in t for t in texts(at.info))
    at = open_page("competitors")
    assert any("Choose a company" in t for t in texts(at.info))


def test_a_profile_lists_its_products_and_their_offers_apart(app_env):
    at = open_page("competitors", {"company": "Chase", "interval": "month"})
    products = next(f for f in dataframes(at) if "found" in f.columns)
    assert {"Freedom Unlimited", "Sapphire Preferred"} <= set(products["product"])
    assert products["link"].str.startswith("search?company=Chase&product=").all()
    offers = next(f for f in dataframes(at) if "best" in f.columns)
    # offers are per product: never one row pooling two products' terms
    assert "product" in offers.columns and not offers.duplicated(["product", "term"]).any()


def test_the_comparison_lists_best_offers_per_product_never_pooled(app_env):
    at = open_page("competitors", {"mode": "compare", "company": ["Chase", "Citi"]})
    offers = next(f for f in dataframes(at) if f.index.name == "Company · product")
    rows = list(offers.index)
    assert "Chase · Freedom Unlimited" in rows and "Chase · Sapphire Preferred" in rows
    assert all(r.startswith(("Chase · ", "Citi · ")) for r in rows)
    assert rows.index("Chase · Freedom Unlimited") < min(
        i for i, r in enumerate(rows) if r.startswith("Citi · "))   # companies in order
