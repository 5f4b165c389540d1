"""The query language: parsing into our tree, leniency, limits, word splits and helpers."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest

from competiscan.search import QueryError
from competiscan.search.query import (
    AMOUNT_MARK_STEPS,
    MATCH_ALL,
    MATCH_NONE,
    MAX_NESTING,
    MAX_QUERY_LENGTH,
    MAX_QUERY_TERMS,
    And,
    FieldFilter,
    Not,
    OfferPhrase,
    OfferRange,
    Or,
    Phrase,
    Term,
    expand_offer_phrases,
    expand_word_splits,
    filter_key,
    fuzzy_candidates,
    fuzzy_distance,
    has_text,
    mark_amounts,
    parse,
    phrase_offer_terms,
    prepare,
    tokenize,
)
from competiscan.store.memory_sql import marked_sql


def T(*words: str):
    """Terms, or one term."""
    terms = tuple(Term(w) for w in words)
    return terms[0] if len(terms) == 1 else terms


# --------------------------------------------------------------------------- words and phrases


@pytest.mark.parametrize(
    "text, tree",
    [
        ("rewards", Term("rewards")),
        ("Travel Rewards", And(T("travel", "rewards"))),
        ("travel AND rewards", And(T("travel", "rewards"))),
        ('"0% APR"', Phrase(("0%", "apr"))),
        ('"$200 bonus"', Phrase(("$200", "bonus"))),
        ("5% cash back", And(T("5%", "cash", "back"))),
        ('"19.24% variable APR"', Phrase(("19.24%", "variable", "apr"))),
        ('"$4,000"', Term("$4,000")),
        ('"rewards"', Term("rewards")),  # a one-word phrase is a word
        ("e-mail", Phrase(("e", "mail"))),  # a word that splits into tokens is a phrase
        ("rewards rewards", Term("rewards")),  # duplicates collapse
    ],
)
def test_words_and_phrases(text, tree):
    assert parse(text) == tree


def test_tokens_keep_amounts_and_percentages_whole():
    assert tokenize("Earn 5% cash back, a $200 bonus; 19.24%–29.24% APR on $4,000!") == [
        "earn", "5%", "cash", "back", "a", "$200", "bonus", "19.24%", "29.24%", "apr", "on", "$4,000",
    ]


def test_amount_marks_keep_every_offset():
    text = "Earn $4,000 at 19.24%–29.24% APR, 5% back. US$ 100 % off, v1.2, $ 5"
    marked = mark_amounts(text)
    assert marked == "Earn j4j000 at 19j24j–29j24j APR, 5j back. US$ 100 % off, v1j2, $ 5"
    assert len(marked.encode()) == len(text.encode())


def _marked_by_steps(text: str) -> str:
    """mark_amounts the way the bulk index path does it: DuckDB's regexp_replace (RE2, no
    lookaround) running AMOUNT_MARK_STEPS in order."""
    expr = "?"
    for pattern, replacement in AMOUNT_MARK_STEPS:
        expr = f"regexp_replace({expr}, '{pattern}', '{replacement}', 'g')"
    return duckdb.execute(f"SELECT {expr}", [text]).fetchone()[0]


@pytest.mark.parametrize("text", [
    "Earn $4,000 at 19.24%–29.24% APR, 5% back. US$ 100 % off, v1.2, $ 5",
    "1,2,3,4,5 and 1.2.3 and 1,,2 and 1.,2 and 5%% and $$5 and $5$6 and 1.5% and $1,000.00%",
    "", "no digits here.", "9", "$", "%", "1.", ".1", "١٫٢ ٣٪ (Arabic digits stay)", "½% $½",
])
def test_amount_mark_steps_mark_what_the_pattern_marks(text):
    assert _marked_by_steps(text) == mark_amounts(text)


def test_amount_marking_sql_on_random_text():
    # Every arrangement of the characters that matter, in 3,000 random strings, through the
    # SQL the embedded index's bulk path runs (the steps, behind its nothing-to-mark test).
    rng = random.Random(5)
    texts = ["".join(rng.choice("12.,%$ a") for _ in range(rng.randint(1, 14))) for _ in range(3_000)]
    con = duckdb.connect()
    con.register("texts", pa.table({"i": range(len(texts)), "text": texts}))
    marked = [row[0] for row in con.execute(f"SELECT {marked_sql('text', AMOUNT_MARK_STEPS)} FROM texts ORDER BY i").fetchall()]
    assert marked == [mark_amounts(t) or None for t in texts]


def test_tokens_split_on_everything_but_letters_and_digits():
    assert tokenize("direct_mail e-mail Q4 5G 1.5x #NoAnnualFee café") == [
        "direct", "mail", "e", "mail", "q4", "5g", "1.5x", "noannualfee", "café",
    ]


def test_tokens_drop_punctuation_emoji_and_overlong_words():
    assert tokenize("🙂 -- ** / \\ ~ ^") == []
    assert tokenize("x" * 39) == ["x" * 39]
    assert tokenize("x" * 40) == []


# --------------------------------------------------------------------------- operators


@pytest.mark.parametrize(
    "text, tree",
    [
        ("a OR b", Or(T("a", "b"))),
        ("a b OR c", Or((And(T("a", "b")), Term("c")))),  # AND binds tighter than OR
        ("a OR b c", Or((Term("a"), And(T("b", "c"))))),
        ("(a OR b) c", And((Or(T("a", "b")), Term("c")))),
        ("a or b", And(T("a", "or", "b"))),  # operators are upper case only
        ("-business", Not(Term("business"))),
        ("NOT business", Not(Term("business"))),
        ('"bonus points" -business', And((Phrase(("bonus", "points")), Not(Term("business"))))),
        ('-"annual fee"', Not(Phrase(("annual", "fee")))),
        ("-(a b)", Not(And(T("a", "b")))),
        ("NOT NOT a", Term("a")),
        ("--a", Not(Term("a"))),  # several dashes are one negation
        ("a OR -b", Or((Term("a"), Not(Term("b"))))),
        ("((a))", Term("a")),
    ],
)
def test_operators(text, tree):
    assert parse(text) == tree


# --------------------------------------------------------------------------- field filters


@pytest.mark.parametrize(
    "text, tree",
    [
        ("company:chase", FieldFilter("company", "chase")),
        ('company:"Capital One"', FieldFilter("company", "capital one")),
        ("Company:Capital-One", FieldFilter("company", "capital one")),
        ("channel:direct_mail", FieldFilter("channel", "direct mail")),
        ("type:acquisition", FieldFilter("campaign_type", "acquisition")),
        ("industry:credit_cards", FieldFilter("industry", "credit cards")),
        ("-channel:email", Not(FieldFilter("channel", "email"))),
        (
            'company:"capital one" rewrds',
            And((FieldFilter("company", "capital one"), Term("rewrds"))),
        ),
        ("company:chase OR company:citi", Or((FieldFilter("company", "chase"), FieldFilter("company", "citi")))),
    ],
)
def test_field_filters(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(
    "text, tree",
    [
        ("title:rewards", Phrase(("title", "rewards"))),  # not a filter field: plain words
        ("https://chase.com/offers", Phrase(("https", "chase", "com", "offers"))),
        ("note:later", Phrase(("note", "later"))),
        ("fee: 0", And(T("fee", "0"))),  # a comparison's ':' is written without a space
        ("fee:", Term("fee")),
        ("foo> bar", And(T("foo", "bar"))),
        ("<script>alert", Phrase(("script", "alert"))),
        ("0% APR <b>", And(T("0%", "apr", "b"))),  # pasted markup after a field name
        ("company:", Term("company")),  # nothing to filter by
        ('company: "capital one"', And((Term("company"), Phrase(("capital", "one"))))),  # detached
        ('company:""', Term("company")),
    ],
)
def test_things_that_look_like_filters_but_are_words(text, tree):
    assert parse(text) == tree


def R(field: str, low=None, high=None, **kw) -> OfferRange:
    return OfferRange(field, low, high, **kw)


@pytest.mark.parametrize(
    "text, tree",
    [
        ("apr:0", R("intro_apr_pct", 0.0, 0.0)),
        ("APR=0%", R("intro_apr_pct", 0.0, 0.0)),
        ("intro_apr:0", R("intro_apr_pct", 0.0, 0.0)),
        ('apr:"0%"', R("intro_apr_pct", 0.0, 0.0)),
        ("intro_apr_months>=15", R("intro_apr_months", 15.0)),
        ("months>15", R("intro_apr_months", 15.0, include_low=False)),
        ("apr_months:12..21", R("intro_apr_months", 12.0, 21.0)),
        ("months:12..", R("intro_apr_months", 12.0)),
        ("months:..21", R("intro_apr_months", None, 21.0)),
        ("regular_apr<=19.99", R("regular_apr_min_pct", None, 19.99)),
        ("regular_apr_max<30", R("regular_apr_max_pct", None, 30.0, include_high=False)),
        ("bonus>=60000", R("bonus_amount", 60000.0)),
        ("bonus>=60,000", R("bonus_amount", 60000.0)),
        ("bonus>=60k", R("bonus_amount", 60000.0)),
        ("bonus >= 60000", R("bonus_amount", 60000.0)),
        ("bonus >=60000", R("bonus_amount", 60000.0)),
        ("bonus>= 60000", R("bonus_amount", 60000.0)),
        ("bonus_points>=50000", R("bonus_amount", 50000.0, unit="points")),
        ("bonus_miles:50000", R("bonus_amount", 50000.0, 50000.0, unit="miles")),
        ("bonus_dollars>=$200", R("bonus_amount", 200.0, unit="dollars")),
        ("spend<=$4,000", R("bonus_spend_usd", None, 4000.0)),
        ("bonus_months<=3", R("bonus_window_months", None, 3.0)),
        ("fee:0", R("annual_fee_usd", 0.0, 0.0)),
        ("annual_fee<$95.50", R("annual_fee_usd", None, 95.5, include_high=False)),
        ("bt_fee<=3%", R("balance_transfer_fee_pct", None, 3.0)),
        ("balance_transfer_fee:0", R("balance_transfer_fee_pct", 0.0, 0.0)),
        ("cashback>=2", R("cash_back_pct", 2.0)),
        ("cash_back>=1.5", R("cash_back_pct", 1.5)),
        ("apy>4.5", R("apy_pct", 4.5, include_low=False)),
        ("cash_back_pct>=2", R("cash_back_pct", 2.0)),  # the term's own name
        ("-fee:0", Not(R("annual_fee_usd", 0.0, 0.0))),
        ("fee:0 rewards", And((R("annual_fee_usd", 0.0, 0.0), Term("rewards")))),
        ("fee:0 OR apr:0", Or((R("annual_fee_usd", 0.0, 0.0), R("intro_apr_pct", 0.0, 0.0)))),
        ('product:"Venture X"', FieldFilter("product", "venture x")),
        ("company:5", FieldFilter("company", "5")),  # a filter field keeps its value
    ],
)
def test_offer_comparisons(text, tree):
    assert parse(text) == tree
    assert prepare(text) == tree  # comparisons are not expanded


@pytest.mark.parametrize(
    "text, message",
    [
        ("aprr:0", r"Unknown field 'aprr' in 'aprr:0'\. Compare offer terms with apr, intro_apr, months"),
        ("ratio>=3", r"Unknown field 'ratio'.*filter with company:, product:, channel:, type:, industry:"),
        ("Points>1000", r'put it in quotes: "Points>1000"'),
        ("bonus>=lots", r"'bonus>=lots': bonus is compared with a number, e.g\. bonus:0"),
        ("bonus >= lots", r"'bonus>=lots': bonus is compared with a number"),
        ("fee:NaN", r"fee is compared with a number"),
        ("fee:1e9", r"fee is compared with a number"),
        ("fee:-5", r"fee is compared with a number"),
        ("months:21..12", r"the range runs from 21 down to 12; swap them"),
        ("months:..", r"a range needs numbers on either side of '\.\.'"),
        ("months:a..b", r"a range needs numbers"),
        ("months>=12..21", r"a range goes with ':' \(months:12\.\.21\), not '>='"),
    ],
)
def test_offer_comparison_errors_say_what_to_write(text, message):
    with pytest.raises(QueryError, match=message):
        parse(text)


def test_offer_comparisons_count_towards_the_limit_and_search_no_text():
    with pytest.raises(QueryError, match="101 words, phrases and filters"):
        parse(" ".join([f"fee:{i}" for i in range(50)] + [f"w{i}" for i in range(51)]))
    assert not has_text(parse("fee:0 cashback>=2 -apr:0"))
    assert has_text(parse('"0% APR"'))


# --------------------------------------------------------------------------- offers in phrases


@pytest.mark.parametrize(
    "phrase, terms",
    [
        ("0% APR", (R("intro_apr_pct", 0.0, 0.0),)),
        ("0% intro APR", (R("intro_apr_pct", 0.0, 0.0),)),
        ("0% introductory APR", (R("intro_apr_pct", 0.0, 0.0),)),
        ("0% APR for 15 months", (R("intro_apr_pct", 0.0, 0.0), R("intro_apr_months", 15.0, 15.0))),
        ("no annual fee", (R("annual_fee_usd", 0.0, 0.0),)),
        ("$0 annual fee", (R("annual_fee_usd", 0.0, 0.0),)),
        ("$95 annual fee", (R("annual_fee_usd", 95.0, 95.0),)),
        ("$200 bonus", (R("bonus_amount", 200.0, 200.0, unit="dollars"),)),
        ("60,000 points", (R("bonus_amount", 60000.0, 60000.0, unit="points"),)),
        ("50,000 bonus miles", (R("bonus_amount", 50000.0, 50000.0, unit="miles"),)),
        ("5% cash back", (R("cash_back_pct", 5.0, 5.0),)),
        ("4.50% APY", (R("apy_pct", 4.5, 4.5),)),
        ("3% balance transfer fee", (R("balance_transfer_fee_pct", 3.0, 3.0),)),
        ("19.99% APR", ()),  # a regular APR: no sign of the same offer
        ("cash back", ()),
        ("travel rewards", ()),
        ("5 points per dollar", ()),  # an earn rate, not a bonus
    ],
)
def test_phrase_offer_terms(phrase, terms):
    assert phrase_offer_terms(tuple(tokenize(phrase))) == terms


def test_offer_phrases_in_the_tree():
    zero = OfferPhrase(Phrase(("0%", "apr")), (R("intro_apr_pct", 0.0, 0.0),))
    assert prepare('"0% APR"') == zero
    assert prepare('-"0% APR" company:citi') == And((Not(zero), FieldFilter("company", "citi")))
    assert prepare('"0% APR" OR rewards') == Or((zero, Term("rewards")))
    assert prepare("0% APR") == And(T("0%", "apr"))  # unquoted words are words
    assert parse('"0% APR"') == Phrase(("0%", "apr"))  # parse keeps what was written
    assert expand_offer_phrases(MATCH_ALL) == MATCH_ALL
    assert expand_offer_phrases(MATCH_NONE) == MATCH_NONE
    assert fuzzy_candidates(prepare('"no annual fee" rewrds')) == {"rewrds", "noannualfee"}


def test_filter_key_ignores_case_accents_and_punctuation():
    assert filter_key("Capital One") == filter_key("capital-one") == filter_key("CAPITAL  ONE") == "capital one"
    assert filter_key("Crédit Agricole") == "credit agricole"
    assert filter_key("AT&T") == "at t"
    assert filter_key("direct_mail") == "direct mail"


# --------------------------------------------------------------------------- leniency


@pytest.mark.parametrize(
    "text, tree",
    [
        ("", MATCH_ALL),
        ("   \t\n", MATCH_ALL),
        ("-", MATCH_NONE),
        ("()", MATCH_NONE),
        ("🙂", MATCH_NONE),
        ("/.*/ ~ ^ { } [ ] \\ :", MATCH_NONE),
        ("AND", Term("and")),  # a query of operators only searches them as words
        ("OR OR", Term("or")),
        ("NOT", Term("not")),
        ("a OR", Term("a")),  # an operator with nothing to join is dropped
        ("OR a", Term("a")),
        ("a AND", Term("a")),
        ("a NOT", Term("a")),
        ("a AND OR b", Or(T("a", "b"))),
        ("(a OR) b", And(T("a", "b"))),
        ('rewards) AND "', Term("rewards")),
        ('"unbalanced quote', Phrase(("unbalanced", "quote"))),
        ("(a OR b", Or(T("a", "b"))),  # closed at the end
        ("a) b", And(T("a", "b"))),  # a stray ")" is ignored
        ("a () b", And(T("a", "b"))),
        ("- a", Term("a")),  # a detached dash is punctuation
        ("'; DROP TABLE campaigns;--", And(T("drop", "table", "campaigns"))),
        ("a\x00b", And(T("a", "b"))),
    ],
)
def test_lenient_parsing(text, tree):
    assert parse(text) == tree


def test_too_long_query_says_the_limit():
    with pytest.raises(QueryError, match=r"10,240 characters long; the limit is 1,000"):
        parse("a" * 10_240)
    assert parse("a " * (MAX_QUERY_LENGTH // 2)) == Term("a")


def test_too_many_words_says_the_limit():
    text = " ".join(f"w{i}" for i in range(MAX_QUERY_TERMS + 1))
    with pytest.raises(QueryError, match=rf"{MAX_QUERY_TERMS + 1} words, phrases and filters; the limit is {MAX_QUERY_TERMS}"):
        parse(text)


def test_deep_nesting_says_where():
    text = "x " + "(" * (MAX_NESTING + 5) + "a"
    with pytest.raises(QueryError, match=rf"nested more than {MAX_NESTING} levels deep \(at character {3 + MAX_NESTING}\)"):
        parse(text)
    assert parse("(" * MAX_NESTING + "a" + ")" * MAX_NESTING) == Term("a")


# --------------------------------------------------------------------------- word splits


@pytest.mark.parametrize(
    "text, tree",
    [
        ("cashback", Or((Term("cashback"), Phrase(("cash", "back"))))),
        ('"cash back"', Or((Phrase(("cash", "back")), Term("cashback")))),
        ("cash back", Or((And(T("cash", "back")), Term("cashback")))),
        (
            '"5% cash back"',
            OfferPhrase(Or((Phrase(("5%", "cash", "back")), Phrase(("5%", "cashback")))),
                        (OfferRange("cash_back_pct", 5.0, 5.0),)),
        ),
        (
            '"5% cashback"',
            OfferPhrase(Or((Phrase(("5%", "cashback")), Phrase(("5%", "cash", "back")))),
                        (OfferRange("cash_back_pct", 5.0, 5.0),)),
        ),
        ("e-mail", Or((Phrase(("e", "mail")), Term("email")))),
        ("email", Or((Term("email"), Phrase(("e", "mail"))))),
        ('"no annual fee"', OfferPhrase(Or((Phrase(("no", "annual", "fee")), Term("noannualfee"))),
                                        (OfferRange("annual_fee_usd", 0.0, 0.0),))),
        ("balancetransfer", Or((Term("balancetransfer"), Phrase(("balance", "transfer"))))),
        (
            "balance transfer AND fee",
            And((Or((And(T("balance", "transfer")), Term("balancetransfer"))), Term("fee"))),
        ),
        ("-cashback", Not(Or((Term("cashback"), Phrase(("cash", "back")))))),
        ("rewards", Term("rewards")),
        ("company:cashback", FieldFilter("company", "cashback")),  # filters are left alone
    ],
)
def test_word_splits(text, tree):
    assert prepare(text) == tree


def test_expansion_keeps_match_all_and_match_none():
    assert expand_word_splits(MATCH_ALL) == MATCH_ALL
    assert expand_word_splits(MATCH_NONE) == MATCH_NONE


# --------------------------------------------------------------------------- fuzzy helpers


@pytest.mark.parametrize(
    "word, distance",
    [("apr", 0), ("fees", 1), ("rewrds", 1), ("rewardss", 2), ("insurnce", 2), ("5%", 0), ("$200", 0), ("4x4x", 0)],
)
def test_fuzzy_distance(word, distance):
    assert fuzzy_distance(word) == distance


def test_fuzzy_candidates_are_plain_words_only():
    tree = prepare('rewrds "bonus points" -busines apr company:chase cashback')
    assert fuzzy_candidates(tree) == {"rewrds", "busines", "cashback"}


def test_has_text():
    assert not has_text(MATCH_ALL)
    assert not has_text(parse("company:chase -channel:email"))
    assert has_text(parse("company:chase offer"))
