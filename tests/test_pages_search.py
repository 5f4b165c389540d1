"""Search page: the URL is the view (query, filters, sort, page), hits are highlighted, facets,
export of the whole result set, saving a search, user text never becoming HTML."""

from __future__ import annotations

import io

import pandas as pd

from competiscan.search import SearchRequest
from competiscan.ui.search import export_bytes
from competiscan.ui.state import SearchState

from test_pages_support import app_env, dataframes, open_page, page_links, texts  # noqa: F401
from competiscan.model import CampaignFilter


def _count_line(at) -> str:
    return next(t for t in texts(at.markdown) if "match" in t)


def _snippets(at) -> list[str]:
    return [t for t in texts(at.markdown) if t.startswith('<div class="cs-snippet">')]


def test_query_and_company_from_the_url_give_highlighted_hits_and_facets(app_env):
    at = open_page("search", {"q": "0% APR", "company": ["Chase", "Capital One"]})
    expected = app_env.searches.run(SearchRequest(filter=CampaignFilter(companies=("Chase", "Capital One")), query="0% APR"))
    assert expected.total >= 2
    assert _count_line(at).startswith(f"**{expected.total:,}** campaign")
    assert at.text_input(key="s_q").value == "0% APR"
    assert at.multiselect(key="s_company").value == ["Chase", "Capital One"]
    snippets = _snippets(at)
    assert len(snippets) == min(expected.total, 20)
    assert all("<mark>" in s for s in snippets)
    # every hit links to its campaign page
    targets = [p for p in page_links(at) if p.page == "campaign"]
    assert {link.query_string for link in targets} >= {f"id={h.id}" for h in expected.hits}
    facets = {frame.columns[0]: frame for frame in dataframes(at)}
    companies = facets["Company"].set_index("Company")["Campaigns"].to_dict()
    assert companies == expected.facets["company"]
    assert dict(at.query_params) == {"q": "0% APR", "company": ["Chase", "Capital One"]}


def test_widgets_write_the_url_and_a_new_filter_goes_back_to_page_one(app_env):
    at = open_page("search", {"page": "2", "n": "20"})
    total = app_env.searches.run(SearchRequest()).total
    assert total > 20
    assert "showing 21–40" in _count_line(at)
    at.multiselect(key="s_channel").set_value(["email"]).run()
    assert at.query_params["channel"] == "email"
    assert "page" not in at.query_params
    emails = app_env.searches.run(SearchRequest(filter=CampaignFilter(channels=("email",)))).total
    assert _count_line(at).startswith(f"**{emails:,}**")
    at.selectbox(key="s_sort").set_value("date").run()
    assert at.query_params["sort"] == "date"
    at.button(key="s_next").click().run()
    assert at.query_params["page"] == "2"


def test_offer_term_and_date_filters(app_env):
    at = open_page("search", {"cash_back_pct_min": "5", "from": "2024-01-01",
                              "to": "2024-03-31"})
    assert at.number_input(key="s_offer_cash_back_pct").value == 5
    state = SearchState.from_params({"cash_back_pct_min": ["5"], "from": ["2024-01-01"],
                                     "to": ["2024-03-31"]})
    expected = app_env.searches.run(state.request())
    assert expected.total >= 2  # Chase 5%, Discover 5%
    assert _count_line(at).startswith(f"**{expected.total:,}**")
    ids = app_env._store.campaigns_by_ids([h.id for h in expected.hits], ["id", "cash_back_pct"])
    assert (ids["cash_back_pct"] >= 5).all()


def test_unreadable_link_parameters_are_reported_not_raised(app_env):
    at = open_page("search", {"page": "x", "from": "yesterday", "sort": "best"})
    warning = " ".join(texts(at.warning))
    assert "page" in warning and "from" in warning and "sort" in warning
    assert dict(at.query_params) == {}


def test_a_query_that_cannot_run_is_a_message(app_env):
    at = open_page("search", {"q": "apr " * 400})
    assert at.error and "long" in at.error[0].value.lower()


def test_no_match_says_what_to_do(app_env):
    at = open_page("search", {"q": "zzzqqqxxy"})
    assert any("No campaign matches" in t for t in texts(at.info))


def test_user_text_is_escaped_in_titles_and_snippets(app_env):
    at = open_page("search", {"q": "big", "company": "Wells Fargo"})
    [snippet] = _snippets(at)
    assert "<b>" not in snippet and "&lt;b&gt;" in snippet
    label = next(p.label for p in page_links(at) if p.page == "campaign")
    assert "<b>" in label.replace("\\", "")  # shown literally ...
    assert "\\[here\\]" in label  # ... never as Markdown, the matched word highlighted
    assert "\\*:orange-background[big]\\*" in label


def test_export_is_the_whole_result_set_not_one_page(app_env):
    state = SearchState(query="", per_page=20)
    total = app_env.searches.run(state.request()).total
    assert total > 20
    frame = pd.read_csv(io.BytesIO(export_bytes(app_env, state, "csv")), encoding="utf-8-sig")
    assert len(frame) == total
    xlsx = pd.read_excel(io.BytesIO(export_bytes(app_env, state, "xlsx")))
    assert len(xlsx) == total
    at = open_page("search")
    labels = [b.proto.label for b in at.get("download_button")]
    assert f"Export all {total:,} as CSV" in labels


def test_save_this_search_stores_it_and_lists_it(app_env):
    at = open_page("search", {"q": '"cash back"', "channel": "email"})
    at.text_input(key="s_save_name").input("Cash back emails").run()
    at.button(key="s_save").click().run()
    assert any("Saved as" in t for t in texts(at.success))
    [saved] = app_env._store.saved_searches()
    assert saved["name"] == "Cash back emails" and saved["query"] == '"cash back"'
    assert saved["filters"]["channels"] == ["email"]
    at.run()
    link = next(p for p in page_links(at) if p.page == "search")
    assert "q=%22cash+back%22" in link.query_string and "channel=email" in link.query_string


def _offer_chips(at) -> list[str]:
    return [t for t in texts(at.markdown) if t.startswith(":blue-badge[")]


def test_an_offer_phrase_shows_re_worded_pieces_with_chips_and_highlighted_titles(app_env):
    at = open_page("search", {"q": '"0% APR"'})
    expected = app_env.searches.run(SearchRequest(query='"0% APR"'))
    literal = [h for h in expected.hits if h.score > 0]
    assert literal and len(literal) < expected.total  # the fixture words 0% APR several ways
    assert _count_line(at).startswith(f"**{expected.total:,}** campaign")
    # one row of chips per hit, each naming the intro APR the search matched
    chips = _offer_chips(at)
    assert len(chips) == len(expected.hits)
    assert all("0% intro APR" in c.replace("\\", "") for c in chips)
    labels = [p.label for p in page_links(at) if p.page == "campaign"]
    assert len(labels) == len(expected.hits)
    # the literal matches come first; their titles mark the matched words when they hold them
    titled = [h for h in literal if "<mark>" in h.title_html]
    assert all(":orange-background[" in label for label in labels[:len(titled)] if titled)
    assert any(":orange-background[" in label for label in labels) == bool(titled)


def test_offer_comparisons_and_their_errors_on_the_page(app_env):
    at = open_page("search", {"q": "fee:0 cashback>=2"})
    expected = app_env.searches.run(SearchRequest(query="fee:0 cashback>=2"))
    assert expected.total
    assert _count_line(at).startswith(f"**{expected.total:,}** campaign")
    assert all("No annual fee" in c and "cash back" in c for c in _offer_chips(at))
    bad = open_page("search", {"q": "aprr:0"})
    assert bad.error and "Unknown field 'aprr'" in bad.error[0].value
    assert "put it in quotes" in bad.error[0].value


def test_the_help_names_offer_fields_and_phrases(app_env):
    from competiscan.ui.search import SYNTAX_HELP
    for example in ('`"0% APR"`', "0% intro APR", "`apr:0`", "`bonus>=60000`", "`fee:0`",
                    "`cashback>=2`", "`intro_apr_months>=15`", '`product:"Venture X"`',
                    "Saved searches and alerts use the same language"):
        assert example in SYNTAX_HELP.replace("\\\n", ""), example
    at = open_page("search")
    assert any("apr:0" in t for t in texts(at.caption))


def test_offer_chips_read_as_an_analyst_writes_them():
    from competiscan.ui.search import offer_chips
    assert offer_chips({"intro_apr_pct": 0.0, "intro_apr_months": 15.0, "regular_apr_min_pct": 19.24,
                        "regular_apr_max_pct": 29.24, "bonus_amount": 60000.0, "bonus_unit": "points",
                        "bonus_spend_usd": 4000.0, "bonus_window_months": 3.0, "cash_back_pct": 1.5,
                        "annual_fee_usd": 95.0, "balance_transfer_fee_pct": 3.0, "apy_pct": 4.5}) == [
        "0% intro APR · 15 months", "19.24%–29.24% APR", "60,000 points bonus · spend $4,000 in 3 months",
        "1.5% cash back", "$95 annual fee", "3% balance transfer fee", "4.5% APY"]
    assert offer_chips({"intro_apr_months": 1.0, "regular_apr_min_pct": 5.99, "bonus_amount": 200.0,
                        "bonus_unit": "dollars", "bonus_window_months": 3.0, "annual_fee_usd": 0.0,
                        "balance_transfer_fee_pct": 0.0}) == [
        "Intro APR for 1 month", "From 5.99% APR", "$200 bonus · within 3 months", "No annual fee",
        "No balance transfer fee"]
    assert offer_chips({}) == []


def test_highlighted_titles_stay_literal():
    from competiscan.ui.search import title_markdown
    assert title_markdown("Chase Freedom: 5% <mark>cash</mark> back", "") == \
        "Chase Freedom\\: 5% :orange-background[cash] back"
    assert title_markdown("<mark>0%</mark> <mark>APR</mark> &amp; [link](x) $5 &lt;b&gt;", "") == \
        ":orange-background[0% APR] \\& \\[link\\]\\(x\\) \\$5 \\<b\\>"
    assert title_markdown("", "Security *alert* <b>") == "Security \\*alert\\* \\<b\\>"
    assert title_markdown("a <mark>]:red[x</mark>", "") == "a :orange-background[\\]\\:red\\[x]"
    assert title_markdown("", "") == ""
