"""Page state in the URL (competiscan.ui.state): what a link says is what the page shows, and
writing the state back gives the same link."""

from __future__ import annotations

from datetime import date

from competiscan.model import CampaignFilter
from competiscan.ui.labels import format_offer, md_escape, offer_label
from competiscan.ui.campaign import similar_query
from competiscan.ui.state import CompetitorsState, LiveState, SearchState, TrendsState


def test_search_state_round_trips_and_builds_the_request():
    params = {"q": ['"0% APR" -business'], "company": ["Chase", "Capital One"],
              "channel": ["email"], "from": ["2024-01-01"], "to": ["2024-03-31"],
              "intro_apr_months_min": ["12"], "annual_fee_usd_max": ["0"], "sort": ["date"],
              "page": ["3"], "n": ["50"]}
    state = SearchState.from_params(params)
    assert not state.problems
    assert state.to_params() == params
    req = state.request()
    assert req.filter.companies == ("Chase", "Capital One")
    assert req.filter.date_to == date(2024, 3, 31)
    assert req.filter.offer_range("intro_apr_months") == (12.0, None)
    assert req.filter.offer_range("annual_fee_usd") == (None, 0.0)
    assert (req.limit, req.offset, req.sort) == (50, 100, "date")


def test_a_request_reopens_as_the_same_view():
    state = SearchState(query="cash back", sort="date", filter=CampaignFilter(
        companies=("Citi",), offer_ranges={"cash_back_pct": (2.0, None)}))
    assert SearchState.from_request(state.request()) == state
    assert SearchState.from_params(state.to_params()) == state


def test_bad_values_are_dropped_with_a_note_never_raised():
    state = SearchState.from_params({"page": ["0"], "n": ["37"], "from": ["2024-13-01"],
                                     "cash_back_pct_max": ["3"], "annual_fee_usd_max": ["x"]})
    assert state.page == 1 and state.per_page == 50 and state.filter.date_from is None
    assert state.filter.offer_ranges == ()
    assert len(state.problems) == 4  # page, from, the wrong-side bound, the non-number
    swapped = SearchState.from_params({"from": ["2024-05-01"], "to": ["2024-01-01"]})
    assert (swapped.filter.date_from, swapped.filter.date_to) == (date(2024, 1, 1),
                                                                  date(2024, 5, 1))


def test_trends_competitors_and_live_states_write_only_what_differs():
    assert TrendsState().to_params() == {}
    trends = TrendsState.from_params({"view": ["offers"], "term": ["apy_pct"],
                                      "window": ["4"], "company": ["Ally"]})
    assert trends.to_params() == {"view": ["offers"], "window": ["4"], "term": ["apy_pct"],
                                  "company": ["Ally"]}
    compare = CompetitorsState.from_params({"mode": ["compare"], "company": ["A", "B", "A"]})
    assert compare.companies == ("A", "B")
    assert compare.filter.without_companies().companies == ()
    assert LiveState.from_params({"every": ["30"], "paused": ["1"]}).to_params() == {
        "every": ["30"], "paused": ["1"]}
    assert LiveState.from_params({"every": ["7"]}).problems


def test_user_text_is_made_literal_for_markdown():
    assert md_escape("Save *50%* [now](x) $5 :red[a] <b>") == \
        "Save \\*50%\\* \\[now\\]\\(x\\) \\$5 \\:red\\[a\\] \\<b\\>"
    assert md_escape("two\n\nlines") == "two lines"


def test_offer_values_read_as_analysts_write_them():
    assert format_offer("intro_apr_months", 15.0) == "15 months"
    assert format_offer("annual_fee_usd", 95) == "$95"
    assert format_offer("cash_back_pct", 1.5) == "1.5%"
    assert format_offer("bonus_amount", 60000, "points") == "60,000 points"
    assert format_offer("bonus_amount", 200, "dollars") == "$200"
    assert offer_label("bonus_amount", "miles") == "Sign-up bonus (miles)"


def test_similar_query_is_words_only_never_syntax():
    query = similar_query('Save OR "big" company:evil (now) -x', None)
    assert query == "big OR company OR evil"  # common words and 1-2 letter ones left out
    assert similar_query(None, None, None) == ""
