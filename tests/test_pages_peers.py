"""Peer sets on the pages: Trends and Competitors measure against a peer set or an industry
(never every company of every industry by default), say so under share of voice, keep the
choice in the URL, and let the analyst save, share and delete peer sets from the sidebar."""

from __future__ import annotations

import pandas as pd

from competiscan.labels import pretty
from competiscan.ui.resources import LOCAL_ACTOR

from test_pages_support import app_env, chart_specs, open_page, texts  # noqa: F401

OTHER = "Other companies"   # the stacked share of voice sums the rest of the market as this


def _captions(at) -> list[str]:
    """Captions as they read on the page (markdown escapes removed)."""
    return [t.replace("\\", "") for t in texts(at.caption)]


def _traces(at) -> set[str]:
    [spec] = chart_specs(at)
    return {t["name"] for t in spec["data"]}


def _campaigns(app_env) -> pd.DataFrame:
    return app_env._store.export_frame(["company", "industry"])


def test_trends_default_to_the_industry_with_most_pieces_and_keep_it_in_the_link(app_env):
    biggest = app_env.peers.industry_groups()[0]
    at = open_page("trends", {"view": "share_of_voice"})
    assert at.selectbox(key="t_peers").value == f"industry:{biggest.industry}"
    assert at.query_params["peers"] == f"industry:{biggest.industry}"
    assert f"peers=industry%3A{biggest.industry}" in next(c.value for c in at.code)
    # Every company drawn is of that industry; the rest of it is summed, nothing else is.
    assert _traces(at) - {OTHER} <= set(biggest.companies)
    assert (f"Share of voice among all {pretty(biggest.industry).lower()} companies "
            f"({len(biggest.companies)}).") in _captions(at)
    everyone = "All companies of every industry"
    assert any(label.startswith(everyone) for label in at.selectbox(key="t_peers").options)


def test_a_saved_peer_set_is_the_default_and_links_keep_it(app_env):
    peers = ["Chase", "Citi", "Discover", "Capital One"]
    set_id = app_env.peers.save(LOCAL_ACTOR, "Card issuers", peers)
    at = open_page("trends", {"view": "volume"})
    assert at.query_params["peers"] == str(set_id)
    assert {t.removesuffix(" (partial period)") for t in _traces(at)} <= set(peers)
    at = open_page("trends", {"view": "share_of_voice", "peers": "Card issuers"})  # by name
    assert at.query_params["peers"] == str(set_id)
    assert _traces(at) == set(peers)          # the whole market is drawn: no "Other"
    assert ("Share of voice among Card issuers: Chase, Citi, Discover, Capital One "
            "(4 companies).") in _captions(at)
    counts = _campaigns(app_env)["company"].value_counts()
    [spec] = chart_specs(at)
    assert spec["data"] and counts[peers].sum() > 0
    # A link naming a peer set nobody can use falls back to the default and says why.
    at = open_page("trends", {"view": "share_of_voice", "peers": "Nope"})
    assert at.query_params["peers"] == str(set_id)
    assert any("no peer set “Nope”" in c for c in _captions(at))


def test_saving_sharing_and_deleting_a_peer_set_from_the_page(app_env):
    at = open_page("trends", {"view": "share_of_voice"})
    at.selectbox(key="t_peer_start").set_value("credit_cards").run()
    assert at.text_input(key="t_peer_name").value == "Card issuers"
    cards = set(_campaigns(app_env).query("industry == 'credit_cards'")["company"])
    assert set(at.multiselect(key="t_peer_companies").value) == cards
    at.multiselect(key="t_peer_companies").set_value(["Chase", "Citi", "American Express"]).run()
    at.button(key="t_peer_save").click().run()
    assert not at.exception
    [saved] = app_env.peers.list(LOCAL_ACTOR)
    assert saved.companies == ("Chase", "Citi", "American Express")
    assert at.query_params["peers"] == str(saved.id)      # the page measures against it now
    assert [s.value.replace("\\", "") for s in at.success] == \
        ["Saved “Card issuers”: this page now measures against it."]
    at.button(key=f"t_peer_share_{saved.id}").click().run()
    assert app_env.peers.get(LOCAL_ACTOR, saved.id).shared
    # A set of one company is refused with the reason, and nothing is saved.
    at.text_input(key="t_peer_name").set_value("Alone").run()
    at.multiselect(key="t_peer_companies").set_value(["Chase"]).run()
    at.button(key="t_peer_save").click().run()
    assert [e.value.replace("\\", "") for e in at.error] == \
        ["A peer set holds 2 to 100 different companies; this one has 1."]
    at.button(key=f"t_peer_delete_{saved.id}").click().run()
    assert app_env.peers.list(LOCAL_ACTOR) == []
    assert at.query_params["peers"].startswith("industry:")
    actions = [(e.action, e.result) for e in app_env.audit.entries(LOCAL_ACTOR)
               if e.action.startswith("peer_set")]
    assert actions == [("peer_set.delete", "ok"), ("peer_set.create", "refused"),
                       ("peer_set.change", "ok"), ("peer_set.create", "ok")]


def test_a_company_profile_is_measured_against_its_industry(app_env):
    at = open_page("competitors", {"company": "Chase"})
    assert at.query_params["peers"] == "industry:credit_cards"
    stored = _campaigns(app_env)
    cards = stored[stored["industry"] == "credit_cards"]["company"].value_counts()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Share of voice"] == f"{cards['Chase'] / cards.sum():.1%}"
    assert (f"Share of voice among all credit cards companies ({len(cards)})."
            in _captions(at))


def test_a_peer_set_without_the_company_in_view_gives_way_with_a_note(app_env):
    set_id = app_env.peers.save(LOCAL_ACTOR, "Card issuers", ["Chase", "Citi"])
    at = open_page("competitors", {"company": "Verizon", "peers": str(set_id)})
    assert at.query_params["peers"] == "industry:telecom"
    assert ("Verizon is not in Card issuers (2 companies); measuring against its peers "
            "instead.") in _captions(at)


def test_a_comparison_defaults_to_the_peer_set(app_env):
    peers = ["Chase", "Citi", "Discover", "Capital One", "American Express", "Synchrony"]
    set_id = app_env.peers.save(LOCAL_ACTOR, "Card issuers", peers)
    at = open_page("competitors", {"mode": "compare"})
    assert at.query_params["peers"] == str(set_id)
    at.button(key="c_compare_market").click().run()
    counts = _campaigns(app_env)["company"].value_counts().reindex(peers).fillna(0)
    largest = sorted(peers, key=lambda c: (-counts[c], c))[:5]
    assert at.multiselect(key="c_many").value == largest
    assert at.query_params["company"] == largest
    specs = {s["layout"]["title"]["text"]: s for s in chart_specs(at)}
    assert "Share of voice per month (of the market)" in specs
    assert any(c.startswith("Share of voice among Card issuers: Chase, Citi, Discover")
               for c in _captions(at))
