"""Campaign page (/campaign?id=…): every field, enrichment with provenance, offer terms,
sightings, variants, similar pieces; clear messages for a missing or unknown id."""

from __future__ import annotations

from test_pages_support import (app_env, campaign_tables, csv_of, dataframes,  # noqa: F401
                                open_page, texts)
from actors import TESTER


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
    assert dict(zip(offers["Field"], offers["Value"])).items() >= {
        "intro_apr_months": "15 months", "intro_apr_pct": "0%", "cash_back_pct": "5%",
        "annual_fee_usd": "$0"}.items()
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
