"""Campaign page (/campaign?id=…): every field, enrichment with provenance, offer terms,
sightings, variants, similar pieces; clear messages for a missing or unknown id."""

from __future__ import annotations

from datetime import date

import pytest

from test_pages_support import (app_env, assert_no_literal_none, campaign_tables,  # noqa: F401
                                csv_of, dataframes, open_page, texts)
from actors import TESTER
from competiscan.ui.campaign import link_target, offer_end


def _id_of(workbench, title: str) -> int:
    frame = workbench._store.export_frame(["id", "title"])
    return int(frame.loc[frame["title"] == title, "id"].iloc[0])


def test_a_campaign_shows_its_fields_offers_enrichment_and_relatives(app_env):
    campaign_id = _id_of(app_env, "Chase Freedom Unlimited")
    at = open_page("campaign", {"id": str(campaign_id)})
    assert at.title[0].value == "Chase Freedom Unlimited"
    row = app_env._store.campaign(campaign_id)
    frames = dataframes(at)
    offers = next(f for f in frames if "Term" in f.columns)
    assert dict(zip(offers["Term"], offers["Value"])).items() >= {
        "Intro APR period (months)": "15 months", "Intro APR (%)": "0%", "Cash back (%)": "5%",
        "Annual fee ($)": "$0"}.items()
    enrichment = next(f for f in frames if "Field" in f.columns
                      and "Enriched by" in set(f["Field"]))
    values = dict(zip(enrichment["Field"], enrichment["Value"]))
    assert values["Enriched by"] == row["enriched_by"] and row["enriched_by"]
    assert values["Sentiment"] == row["sentiment_label"]
    assert any(row["enriched_by"] in t.replace("\\", "") for t in texts(at.caption))
    fields = next(f for f in frames if "Field" in f.columns and "Content hash" in set(f["Field"]))
    assert dict(zip(fields["Field"], fields["Value"]))["Company"] == "Chase"
    sightings = next(f for f in frames if "Seen on" in f.columns)
    assert list(sightings["File"]) == ["fixture.csv"]
    similar = next(f for f in campaign_tables(at) if "company" in f.columns)
    assert f"campaign?id={campaign_id}" not in set(similar["id"])
    assert len(similar) >= 1


def test_variants_and_resightings_are_listed(app_env):
    base = {"company_name": "Chase", "channel": "email", "title": "Chase Freedom Flex",
            "content": "Earn 5% cash back on up to $1,500 in bonus categories."}
    report = app_env.campaigns.ingest(TESTER, csv_of([
        {**base, "launch_date": "2024-04-01"},
        {**base, "launch_date": "2024-05-01"},  # the same piece seen again
        {**base, "content": base["content"].replace("$1,500", "$2,000"),
         "launch_date": "2024-04-08"},  # a variant: same text but an amount
    ]), "variants.csv")
    assert report.inserted == 2
    frame = app_env._store.export_frame(["id", "title", "content"])
    mine = frame[(frame["title"] == "Chase Freedom Flex")
                 & frame["content"].str.contains(r"\$1,500", na=False)]
    first = int(mine["id"].iloc[0])
    at = open_page("campaign", {"id": str(first)})
    sightings = next(f for f in dataframes(at) if "Seen on" in f.columns)
    assert len(sightings) == 2
    variants = next(f for f in campaign_tables(at) if "last_seen" in f.columns)
    assert len(variants) == 1


def test_markdown_and_html_in_a_title_stay_text(app_env):
    campaign_id = _id_of(app_env, "Save *big* <b>now</b> [here](http://x.test)")
    at = open_page("campaign", {"id": str(campaign_id)})
    title = at.title[0].value
    assert "\\*big\\*" in title and "\\[here\\]" in title and "\\<b\\>" in title
    body = " ".join(texts(at.markdown))
    assert "\\$50" in body and "\\<script\\>" in body and "\\:red\\[colour\\]" in body


def test_missing_unknown_and_malformed_ids_are_messages(app_env):
    at = open_page("campaign")
    assert any("Open a campaign" in t for t in texts(at.info))
    at = open_page("campaign", {"id": "abc"})
    assert "not a campaign id" in at.error[0].value
    at = open_page("campaign", {"id": "987654"})
    assert "no campaign 987654" in at.error[0].value
    assert at.title[0].value == "Campaign not found"


def _ingest_one(workbench, row: dict) -> int:
    base = {"company_name": "Chase", "channel": "email", "launch_date": "2026-11-02"}
    report = workbench.campaigns.ingest(TESTER, csv_of([{**base, **row}]), "one.csv")
    assert report.inserted == 1, report
    return _id_of(workbench, row["title"])


def test_the_header_shows_audience_geography_spend_volume_landing_page_and_offer_end(app_env):
    campaign_id = _ingest_one(app_env, {
        "title": "Sapphire Reserve", "audience": "Affluent *travellers*",
        "geography": "US — national", "est_spend_usd": "12300", "est_volume": "250000",
        "landing_url": "https://creditcards.chase.com/rewards (offer)?src=$5",
        "content": "Earn 60,000 bonus points. Offer ends January 19, 2030."})
    at = open_page("campaign", {"id": str(campaign_id)})
    header = " ".join(texts(at.markdown))
    assert "**Audience:** Affluent \\*travellers\\*" in header   # user text stays text
    assert "**Geography:** US — national" in header
    assert "**Estimated spend:** \\$12,300" in header   # "$" escaped: no math
    assert "**Estimated volume:** 250,000" in header
    # a link to the page, its brackets and "$" encoded so Markdown cannot read them
    assert "](https://creditcards.chase.com/rewards%20%28offer%29?src=%245)" in header
    assert "Offer ends 19 January 2030" in header
    offers = next(f for f in dataframes(at) if "Term" in f.columns)
    assert dict(zip(offers["Term"], offers["Value"]))["Offer ends"] == "19 January 2030"


def test_a_landing_url_that_is_not_http_is_plain_text(app_env):
    campaign_id = _ingest_one(app_env, {"title": "Odd link",
                                        "landing_url": "javascript:alert(1)",
                                        "content": "Hello."})
    at = open_page("campaign", {"id": str(campaign_id)})
    line = next(t for t in texts(at.markdown) if "Landing page" in t)
    assert "](" not in line and "javascript\\:alert\\(1\\)" in line
    assert link_target("javascript:alert(1)") is None
    assert link_target("ftp://x.test/a") is None and link_target("/relative") is None
    assert link_target("HTTP://x.test/a b") == "HTTP://x.test/a%20b"


def test_an_offer_end_reads_as_a_sentence():
    assert offer_end(date(2027, 1, 19), today=date(2026, 12, 7)) == "Offer ends 19 January 2027"
    assert offer_end(date(2026, 1, 9), today=date(2026, 12, 7)) == "Offer ended 9 January 2026"
    assert offer_end(None) is None and offer_end(float("nan")) is None


def test_missing_optional_fields_never_read_none(app_env):
    campaign_id = _ingest_one(app_env, {"title": "Bare piece"})   # no text but the title
    at = open_page("campaign", {"id": str(campaign_id)})
    assert_no_literal_none(at)
    assert "**Audience:** —" in " ".join(texts(at.markdown))


@pytest.mark.parametrize("page, params", [
    ("home", {}), ("search", {"q": "bare"}), ("upload", {}), ("live", {}), ("audit", {}),
    ("trends", {}), ("competitors", {"company": "Chase"}),
])
def test_no_page_reads_none_where_a_value_is_missing(app_env, page, params):
    # a bare piece, an unknown channel (a warning) and a row without a company (rejected)
    app_env.campaigns.ingest(TESTER, csv_of([
        {"company_name": "Chase", "title": "Bare piece", "channel": "", "launch_date": ""},
        {"company_name": "Chase", "title": "Billboard piece", "channel": "billboard",
         "launch_date": "2024-06-01"},
        {"company_name": "", "title": "Nobody's piece", "channel": "email",
         "launch_date": "2024-06-02"}]), "sparse.csv")
    assert_no_literal_none(open_page(page, params))


def test_the_header_names_the_product_how_it_was_found_and_links_to_its_offers(app_env):
    campaign_id = _id_of(app_env, "Chase Freedom Unlimited")
    at = open_page("campaign", {"id": str(campaign_id)})
    header = " ".join(texts(at.markdown))
    assert ("**Product:** Freedom Unlimited (found in the copy from the product catalogue, "
            "confidence 95%)") in header
    assert "[its offers](trends?view=offers&company=Chase&product=Freedom+Unlimited)" in header
    other = _ingest_one(app_env, {"title": "Thank you", "content": "We are here for you."})
    header = " ".join(texts(open_page("campaign", {"id": str(other)}).markdown))
    assert "**Product:** none named in this piece" in header
