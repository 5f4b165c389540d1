"""Offer-aware search through the Workbench, on both stores: offer terms extracted at ingest,
found by offer phrases and comparisons, and saved searches whose alerts report an offer worded
otherwise (a saved "0% APR" once missed a piece that said "0% intro APR")."""

from __future__ import annotations

import time

import pytest

from competiscan.workbench import QueryError, SearchRequest, Workbench

from actors import TESTER

FIRST = ("company_name,title,channel,launch_date,content\n"
         'Citi,Simplicity,email,2024-01-15,"0% APR on balance transfers for 21 months."\n'
         'Chase,Freedom,email,2024-01-20,"Earn 5% cash back. No annual fee."\n')
LATER = ("company_name,title,channel,launch_date,content\n"
         'Citi,Diamond Preferred,email,2024-02-01,'
         '"Enjoy 0% intro APR on balance transfers for 21 months."\n'
         'Discover,Discover it,direct_mail,2024-02-02,"Cashback Match. $0 annual fee."\n'
         'American Express,Gold Card,email,2024-02-03,'
         '"Earn 60,000 Membership Rewards points after you spend $6,000 in 6 months. '
         '$325 annual fee."\n'
         'Geico,Car insurance,display,2024-02-04,"15 minutes could save you 15%."\n')


@pytest.fixture
def wb(settings):
    workbench = Workbench(settings, create=True)
    yield workbench
    workbench.close()


def _titles(hits) -> list[str]:
    return [h.title for h in hits]


def test_saved_offer_searches_report_the_offer_worded_otherwise(wb):
    wb.campaigns.ingest(TESTER, FIRST.encode(), "first.csv")
    names = {"0% APR": '"0% APR"', "No annual fee": '"no annual fee"', "Big bonuses": "bonus>=50000"}
    for name, query in names.items():
        wb.searches.save(TESTER, name, SearchRequest(query=query))
    assert wb.searches.pending_alerts(TESTER) == []
    time.sleep(0.01)
    wb.campaigns.ingest(TESTER, LATER.encode(), "later.csv")
    matches = {m.name: m for m in wb.searches.pending_alerts(TESTER)}
    assert {name: _titles(m.hits) for name, m in matches.items()} == {
        "0% APR": ["Diamond Preferred"], "No annual fee": ["Discover it"], "Big bonuses": ["Gold Card"]}
    [reworded] = matches["0% APR"].hits
    assert reworded.offers == {"intro_apr_pct": 0.0, "intro_apr_months": 21.0}
    assert sorted(m.name for m in wb.searches.check_alerts(TESTER)) == sorted(names)
    assert wb.searches.check_alerts(TESTER) == []


def test_ingested_offers_are_found_by_phrase_and_comparison(wb):
    wb.campaigns.ingest(TESTER, (FIRST + LATER.split("\n", 1)[1]).encode(), "all.csv")
    result = wb.searches.run(SearchRequest(query='"0% APR"'))
    assert _titles(result.hits) == ["Simplicity", "Diamond Preferred"]  # the literal one first
    assert result.hits[0].score > 0 == result.hits[1].score
    assert "<mark>" in result.hits[0].snippet
    assert _titles(wb.searches.run(SearchRequest(query="fee:0", sort="date")).hits) == [
        "Discover it", "Freedom"]
    assert _titles(wb.searches.run(SearchRequest(query="fee>300")).hits) == ["Gold Card"]
    [gold] = wb.searches.run(SearchRequest(query='"60,000 points"')).hits
    assert gold.offers["bonus_amount"] == 60000 and gold.offers["bonus_unit"] == "points"
    assert wb.searches.matching_ids(SearchRequest(query="months>=21")) != []


def test_a_saved_search_in_the_offer_language_is_checked_before_it_is_kept(wb):
    wb.campaigns.ingest(TESTER, FIRST.encode(), "first.csv")
    with pytest.raises(QueryError, match="Unknown field 'aprr'"):
        wb.searches.save(TESTER, "typo", SearchRequest(query="aprr:0"))
    assert wb.searches.saved(TESTER) == []
