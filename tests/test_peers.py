"""Peer sets and the market share of voice is measured against: the store and ``wb.peers`` on
DuckDB and PostgreSQL (roles, audit, unknown companies), share of voice among a peer set or an
industry, the default market, and ``competiscan peers`` / ``trends --peers``.

The campaigns (hand-made, counted below) go in through the real ingestion path:

    company        industry       Jan  Feb
    Chase          credit_cards     3    1
    Citi           credit_cards     1    2
    Discover       credit_cards     1    0
    Wells Fargo    banking          2    1
    Verizon        telecom          4    4
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from competiscan.analytics import Market, share_of_voice
from competiscan.model import Actor, CampaignFilter, PermissionDenied
from competiscan.store import NotFoundError, StoreError
from competiscan.workbench import PeerSetError, Workbench

from actors import TESTER
from test_cli import env, run, write  # noqa: F401

ANN = Actor("ann@bank.test", "analyst")
BOB = Actor("bob@bank.test", "analyst")
VIC = Actor("vic@bank.test", "viewer")
ADA = Actor("ada@bank.test", "admin")

COUNTS = {("Chase", 1): 3, ("Chase", 2): 1, ("Citi", 1): 1, ("Citi", 2): 2,
          ("Discover", 1): 1, ("Wells Fargo", 1): 2, ("Wells Fargo", 2): 1,
          ("Verizon", 1): 4, ("Verizon", 2): 4}


def campaigns_csv() -> bytes:
    lines = ["company,title,channel,launch_date,content"]
    for (company, month), n in COUNTS.items():
        for i in range(n):
            lines.append(f"{company},{company} offer {month}-{i},email,2024-{month:02d}-"
                         f"{i + 3:02d},Piece {i} of {company} in month {month}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def wb(settings):
    workbench = Workbench(settings, create=True)
    report = workbench.campaigns.ingest(TESTER, campaigns_csv(), "peers.csv", enrich=False)
    assert report.status == "committed", report.message
    yield workbench
    workbench.close()


# ------------------------------------------------------------------ saving, roles, audit
def test_saved_peer_sets_are_each_users_own_or_shared(wb):
    first = wb.peers.save(ANN, "Card issuers", ["Chase", "Citi", "Discover"], shared=True)
    mine = wb.peers.save(ANN, "Big two", ["Chase", "Citi"])
    bobs = wb.peers.save(BOB, "Card issuers", ["Chase", "Discover"])   # names are per owner
    assert [p.name for p in wb.peers.list(ANN)] == ["Big two", "Card issuers"]
    seen_by_bob = wb.peers.list(BOB)
    assert [(p.owner, p.name) for p in seen_by_bob] == [
        (BOB.name, "Card issuers"), (ANN.name, "Card issuers")]   # own first
    assert wb.peers.get(BOB, "Card issuers").id == bobs
    assert wb.peers.get(BOB, str(first)).companies == ("Chase", "Citi", "Discover")
    with pytest.raises(NotFoundError, match="no peer set “Big two” you can use"):
        wb.peers.get(BOB, "Big two")          # Ann's, not shared
    with pytest.raises(StoreError, match="already"):
        wb.peers.save(ANN, "  Big   two ", ["Chase", "Discover"])
    assert wb.peers.get(ANN, mine).market == Market.of_peer_set("Big two", ("Chase", "Citi"),
                                                                mine)


def test_company_names_are_checked_with_their_spellings(wb):
    set_id = wb.peers.save(ANN, "Issuers", ["chase bank", "Citibank", "Amex", "Chase"])
    # any known spelling, in order, each once (the catalogue knows Amex without campaigns)
    assert wb.peers.get(ANN, set_id).companies == ("Chase", "Citi", "American Express")
    with pytest.raises(PeerSetError) as refused:
        wb.peers.save(ANN, "Typos", ["Chase", "Capitol One", "Zorblax Bank"])
    message = str(refused.value)
    assert "No company “Capitol One” in the store; did you mean “Capital One”?" in message
    assert "No company “Zorblax Bank” in the store" in message
    with pytest.raises(PeerSetError, match="2 to 100 different companies; this one has 1"):
        wb.peers.save(ANN, "Alone", ["Chase", "JPMorgan Chase"])
    assert [p.name for p in wb.peers.list(ANN)] == ["Issuers"]


def test_roles_are_enforced_whatever_the_page_offers(wb):
    own = wb.peers.save(VIC, "Mine", ["Chase", "Citi"])       # a viewer keeps their own
    with pytest.raises(PermissionDenied, match="analyst role"):
        wb.peers.save(VIC, "Team", ["Chase", "Citi"], shared=True)
    with pytest.raises(PermissionDenied, match="analyst role"):
        wb.peers.change(VIC, own, shared=True)
    shared = wb.peers.save(ANN, "Team", ["Chase", "Citi"], shared=True)
    assert not wb.peers.may_change(BOB, wb.peers.get(BOB, shared))
    with pytest.raises(PermissionDenied, match="only they or an admin"):
        wb.peers.delete(BOB, shared)
    with pytest.raises(PermissionDenied, match="only they or an admin"):
        wb.peers.change(BOB, shared, companies=["Chase", "Discover"])
    wb.peers.change(ANN, shared, name="Team cards", companies=["Chase", "Citi", "Discover"])
    assert wb.peers.get(BOB, shared).companies == ("Chase", "Citi", "Discover")
    wb.peers.delete(ADA, shared)                              # an admin may delete anyone's
    assert [p.name for p in wb.peers.list(BOB)] == []
    with pytest.raises(NotFoundError):
        wb.peers.get(ADA, "Mine")             # another's private set: by id, for admins only
    assert wb.peers.get(ADA, own).name == "Mine"


def test_every_change_is_in_the_audit_trail(wb):
    set_id = wb.peers.save(ANN, "Issuers", ["Chase", "Citi"])
    with pytest.raises(PeerSetError):
        wb.peers.save(ANN, "Bad", ["Chase", "Nobody Inc"])
    wb.peers.change(ANN, set_id, shared=True)
    with pytest.raises(PermissionDenied):
        wb.peers.delete(BOB, set_id)
    wb.peers.delete(ANN, set_id)
    entries = [(e.user, e.action, e.target, e.result)
               for e in reversed(wb.audit.entries(ADA)) if e.action.startswith("peer_set")]
    assert entries == [
        (ANN.name, "peer_set.create", "Issuers", "ok"),
        (ANN.name, "peer_set.create", "Bad", "refused"),
        (ANN.name, "peer_set.change", "Issuers", "ok"),
        (BOB.name, "peer_set.delete", "Issuers", "refused"),
        (ANN.name, "peer_set.delete", "Issuers", "ok")]
    created = next(e for e in wb.audit.entries(ADA, action="peer_set.create")
                   if e.result == "ok")
    assert created.detail["companies"] == ["Chase", "Citi"]


def test_suggestions_are_each_industrys_companies_present(wb):
    groups = {g.industry: g for g in wb.peers.industry_groups()}
    assert groups["credit_cards"].name == "Card issuers"
    assert groups["credit_cards"].companies == ("Chase", "Citi", "Discover")  # most pieces first
    assert groups["credit_cards"].pieces == 8 and groups["telecom"].pieces == 8
    assert [g.industry for g in wb.peers.suggestions()] == ["credit_cards"]  # 2+ companies


# ------------------------------------------------------------------ share of voice
def _shares(series) -> dict[tuple[date, str], float]:
    return {(r["period"], r["key"]): r["share"]
            for r in series.frame[["period", "key", "share"]].to_dict("records")}


def test_share_of_voice_among_a_peer_set_is_of_those_companies_only(wb):
    set_id = wb.peers.save(ANN, "Card issuers", ["Chase", "Citi", "Discover"])
    market = wb.peers.get(ANN, set_id).market
    series = wb.analytics.share_of_voice("month", market=market)
    frame = series.frame
    assert set(frame["key"]) == {"Chase", "Citi", "Discover"}
    assert frame.groupby("period")["share"].sum().round(9).tolist() == [1.0, 1.0]
    shares = _shares(series)
    assert shares[(date(2024, 1, 1), "Chase")] == pytest.approx(3 / 5)
    assert shares[(date(2024, 2, 1), "Citi")] == pytest.approx(2 / 3)
    assert series.market == "among Card issuers: Chase, Citi, Discover (3 companies)"
    # A company filter picks what to show; it never shrinks the denominator.
    picked = wb.analytics.share_of_voice("month", CampaignFilter(companies=["Chase"]),
                                         market=market)
    assert _shares(picked)[(date(2024, 1, 1), "Chase")] == pytest.approx(3 / 5)


def test_share_of_voice_among_an_industry_and_what_it_says(wb):
    series = wb.analytics.share_of_voice("month", market=Market.of_industries("credit_cards"))
    assert set(series.frame["key"]) == {"Chase", "Citi", "Discover"}
    assert series.market == "among all credit cards companies (3)"
    everyone = wb.analytics.share_of_voice("month")
    assert _shares(everyone)[(date(2024, 1, 1), "Chase")] == pytest.approx(3 / 11)
    assert everyone.market == "among all companies of every industry (5)"
    named = wb.analytics.share_of_voice("month", CampaignFilter(companies=["Chase", "Citi"]))
    assert named.market == "among Chase, Citi (2 companies)"


def test_comparison_shares_are_of_the_chosen_market(wb):
    market = Market.of_peer_set("Majors", ("Chase", "Citi", "Wells Fargo"))
    result = wb.analytics.compare(["Chase", "Citi"], "month", market=market)
    sov = result.share_of_voice.set_index(["period", "company"])["share"]
    assert sov[(date(2024, 1, 1), "Chase")] == pytest.approx(3 / 6)
    assert sov[(date(2024, 2, 1), "Citi")] == pytest.approx(2 / 4)
    assert result.market == "among Majors: Chase, Citi, Wells Fargo (3 companies)"
    position = result.positioning.frame.set_index("company")
    assert position.loc["Chase", "share_of_voice"] == pytest.approx(4 / 10)


# ------------------------------------------------------------------ the default market
def test_default_market_is_never_every_company_of_every_industry(wb):
    # No peer set: the industry with most pieces (a tie goes to the first in order).
    market, notes = wb.peers.choose_market(ANN)
    assert market == Market.of_industries("credit_cards") and notes == []
    # The company in view: its industry.
    assert wb.peers.choose_market(ANN, companies=["Verizon"])[0] == \
        Market.of_industries("telecom")
    # The industries a filter names.
    assert wb.peers.choose_market(ANN, filters=CampaignFilter(industries=["banking"]))[0] \
        == Market.of_industries("banking")
    # A peer set: the analyst's first, or the first that holds the companies in view.
    wb.peers.save(ANN, "Issuers", ["Chase", "Citi", "Discover"])
    assert wb.peers.choose_market(ANN)[0].name == "Issuers"
    assert wb.peers.choose_market(ANN, companies=["Verizon"])[0] == \
        Market.of_industries("telecom")
    # Every company only when asked for.
    assert wb.peers.choose_market(ANN, "all")[0] == Market.everything()


def test_a_market_that_cannot_measure_the_view_is_replaced_with_a_note(wb):
    set_id = wb.peers.save(ANN, "Issuers", ["Chase", "Citi"])
    market, notes = wb.peers.choose_market(ANN, str(set_id), companies=["Verizon"])
    assert market == Market.of_industries("telecom")
    assert notes == ["Verizon is not in Issuers (2 companies); measuring against its peers "
                     "instead."]
    market, notes = wb.peers.choose_market(ANN, "industry:banking", companies=["Chase"])
    assert market.name == "Issuers"      # the first peer set that holds Chase
    assert notes == ["Chase is not in all banking companies; measuring against its peers "
                     "instead."]
    market, notes = wb.peers.choose_market(ANN, "No such set")
    assert market.name == "Issuers" and "no peer set “No such set”" in notes[0]
    market, notes = wb.peers.choose_market(ANN, "industry:banking",
                                           filters=CampaignFilter(industries=["telecom"]))
    assert market == Market.of_industries("telecom") and "industry filter" in notes[0]
    with pytest.raises(PeerSetError, match="names no industry"):
        wb.peers.market(ANN, "industry:fintech")


# ------------------------------------------------------------------ command line
def test_cli_peers_save_list_delete(env, tmp_path):
    assert run(env, "ingest", "--no-enrich",
               str(write(tmp_path, "c.csv", campaigns_csv().decode()))).returncode == 0
    saved = run(env, "peers", "save", "Card issuers", "--company", "Chase", "--company",
                "Citibank", "--company", "Discover", "--json")
    assert saved.returncode == 0, saved.stderr
    assert json.loads(saved.stdout)["companies"] == ["Chase", "Citi", "Discover"]
    suggested = run(env, "peers", "save", "Cards", "--industry", "credit_cards")
    assert suggested.returncode == 0 and "Chase, Citi, Discover" in suggested.stdout
    listed = json.loads(run(env, "peers", "list", "--json").stdout)
    assert [p["name"] for p in listed] == ["Card issuers", "Cards"]
    typo = run(env, "peers", "save", "Typo", "--company", "Chase", "--company", "Citti")
    assert typo.returncode == 2 and "did you mean “Citi”" in typo.stderr
    assert "Traceback" not in typo.stderr
    assert run(env, "peers", "save").returncode == 2
    deleted = run(env, "peers", "delete", "Cards")
    assert deleted.returncode == 0 and "deleted peer set “Cards”" in deleted.stdout
    assert [p["name"] for p in json.loads(run(env, "peers", "list", "--json").stdout)] == \
        ["Card issuers"]


def test_cli_trends_measures_shares_against_a_peer_set(env, tmp_path):
    assert run(env, "ingest", "--no-enrich",
               str(write(tmp_path, "c.csv", campaigns_csv().decode()))).returncode == 0
    run(env, "peers", "save", "Majors", "--company", "Chase", "--company", "Wells Fargo")
    proc = run(env, "trends", "--interval", "month", "--peers", "Majors", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {r["key"] for r in rows} == {"Chase", "Wells Fargo"}
    shares = {(r["period"], r["key"]): r["share"] for r in rows}
    assert shares[("2024-01-01", "Chase")] == pytest.approx(3 / 5)
    assert rows[0]["market"] == "among Majors: Chase, Wells Fargo (2 companies)"
    # Without --peers: the user's first peer set, said on stderr.
    table = run(env, "trends", "--interval", "month")
    assert "shares among Majors: Chase, Wells Fargo (2 companies)" in table.stderr
    unknown = run(env, "trends", "--peers", "Minors")
    assert unknown.returncode == 2 and "no peer set “Minors”" in unknown.stderr
    both = run(env, "trends", "--peers", "Majors", "--company", "Citi")
    assert both.returncode == 2 and "use one of them" in both.stderr
