"""Distinctive keywords of a campaign: TF-IDF over unigrams and bigrams.

A `KeywordExtractor` learns document frequencies from a corpus (`fit`), then ranks the terms of
each text by term frequency × inverse document frequency (`extract`): words the piece uses that
few other pieces use. English stop words (scikit-learn's list) and marketing boilerplate
("terms apply", "reply STOP") are dropped; domain phrases such as "cash back", "balance transfer"
and "annual fee" are joined into one term before counting, so they are ranked as phrases and
"cashback" and "cash back" are the same keyword.

The counting is plain Python over a dict rather than scikit-learn's TfidfVectorizer: the
vectorizer's per-document analysis is Python too, and a vocabulary-free dict lets terms never seen
in the fitted corpus still be ranked (with the highest idf) instead of being dropped. Fitting a big
store on a sample of a few thousand pieces gives practically the same ranking at a fraction of the
cost; `fit` counts whatever it is given.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter, _count_elements  # type: ignore[attr-defined]
from collections.abc import Iterable
from itertools import chain, compress, count, repeat
from operator import itemgetter, mul

from competiscan.enrich.memo import Memo

__all__ = ["KeywordExtractor", "DOMAIN_PHRASES", "ENGLISH_STOP_WORDS", "STOP_WORDS", "terms_of", "terms_of_tokens"]

# Domain phrases: the single term (shown with spaces) → the word sequences written for it.
DOMAIN_PHRASES: dict[str, tuple[str, ...]] = {
    "cash_back": ("cash back", "cashback", "cash-back"),
    "balance_transfer": ("balance transfer", "balance transfers"),
    "annual_fee": ("annual fee", "annual fees"),
    "foreign_transaction_fee": ("foreign transaction fee", "foreign transaction fees"),
    "intro_apr": ("intro apr", "introductory apr"),
    "bonus_points": ("bonus points",),
    "bonus_miles": ("bonus miles",),
    "sign_up_bonus": ("sign up bonus", "sign-up bonus", "signup bonus"),
    "welcome_offer": ("welcome offer", "welcome bonus"),
    "credit_card": ("credit card", "credit cards"),
    "credit_score": ("credit score", "credit scores"),
    "statement_credit": ("statement credit", "statement credits"),
    "direct_deposit": ("direct deposit", "direct deposits"),
    "gift_card": ("gift card", "gift cards"),
    "checking_account": ("checking account", "checking accounts"),
    "savings_account": ("savings account", "savings accounts"),
    "identity_theft": ("identity theft",),
    "black_friday": ("black friday",),
    "pre_approved": ("pre-approved", "preapproved", "pre approved"),
}
# Boilerplate that says nothing about the piece: opt-out lines, legal tails, calls to action,
# and the pieces of contractions the tokenizer leaves behind.
_BOILERPLATE = frozenset(
    {
        "apply", "terms", "reply", "stop", "txt", "text", "msg", "msgs", "opt", "rates", "data",
        "learn", "visit", "click", "today", "new", "offer", "www", "com", "http", "https", "unsubscribe",
        "ll", "ve", "re", "don", "t", "s", "d", "m",
    }
)
# scikit-learn's ENGLISH_STOP_WORDS (BSD-3-Clause), copied: importing scikit-learn takes about a
# second, paid again by every worker process of a pool.
ENGLISH_STOP_WORDS = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst amoungst amount an and another any anyhow anyone
    anything anyway anywhere are around as at back be became because become becomes becoming
    been before beforehand behind being below beside besides between beyond bill both bottom
    but by call can cannot cant co con could couldnt cry de describe detail do done down due
    during each eg eight either eleven else elsewhere empty enough etc even ever every
    everyone everything everywhere except few fifteen fifty fill find fire first five for
    former formerly forty found four from front full further get give go had has hasnt have
    he hence her here hereafter hereby herein hereupon hers herself him himself his how
    however hundred i ie if in inc indeed interest into is it its itself keep last latter
    latterly least less ltd made many may me meanwhile might mill mine more moreover most
    mostly move much must my myself name namely neither never nevertheless next nine no
    nobody none noone nor not nothing now nowhere of off often on once one only onto or
    other others otherwise our ours ourselves out over own part per perhaps please put
    rather re same see seem seemed seeming seems serious several she should show side since
    sincere six sixty so some somehow someone something sometime sometimes somewhere still
    such system take ten than that the their them themselves then thence there thereafter
    thereby therefore therein thereupon these they thick thin third this those though three
    through throughout thru thus to together too top toward towards twelve twenty two un
    under until up upon us very via was we well were what whatever when whence whenever
    where whereafter whereas whereby wherein whereupon wherever whether which while whither
    who whoever whole whom whose why will with within without would yet you your yours
    yourself yourselves
    """.split()
)
# Fragments that are never a keyword alone: single letters ("x" of "2 x", "u" of "u.s.") and
# the units of amounts written apart from their number ("$15 /mo", "5 pts").
_FRAGMENTS = frozenset(string.ascii_lowercase) | frozenset(
    {"mo", "mos", "yr", "yrs", "pt", "pts", "hr", "hrs", "st", "nd", "rd", "th"}
)
STOP_WORDS: frozenset[str] = ENGLISH_STOP_WORDS | _BOILERPLATE | _FRAGMENTS


def _build_phrase_index() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """First word → [(following words, term)], longest first."""
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for term, forms in DOMAIN_PHRASES.items():
        for form in forms:
            first, *rest = form.split()
            index.setdefault(first, []).append((tuple(rest), term))
    for entries in index.values():
        entries.sort(key=lambda entry: -len(entry[0]))
    return index


_PHRASE_INDEX = _build_phrase_index()
_PHRASE_FIRST_WORDS = frozenset(_PHRASE_INDEX)

# Digits, punctuation and symbols end a run of words: they become this token, which is treated
# like a stop word, so no bigram spans them. Hyphens stay inside words ("high-yield"); a lone
# hyphen is a break too. An amount is a break as a whole, with the letters written against its
# digits ("60k", "2x", "$4,000/mo", "24/7", "1st"): split at the digits, "60k bonus points"
# would leave the keywords "k" and "k bonus points".
_BREAK = "|"
_AMOUNT_RE = re.compile(r"[^\s-]*\d[^\s-]*")
_BREAK_RE = re.compile(r"[^a-z_\s-]+")
_DROPPED = STOP_WORDS | {_BREAK, "-", "--"}
# A word → itself, or "" when it is dropped: `map(_KEPT.get, words, words)` runs in C.
_KEPT = dict.fromkeys(_DROPPED, "")


def _words_of_token(token: str) -> tuple[str, ...]:
    """The words of one lower-cased, whitespace-free token, each run of breaking characters
    a "|" word; hyphens at a word's edges ("covid-" of "covid-19") are dropped, and a word of
    hyphens only is the lone hyphen, a break."""
    words = _BREAK_RE.sub(" | ", _AMOUNT_RE.sub(" | ", token)).split()
    return tuple(w if w[0] != "-" and w[-1] != "-" else w.strip("-") or "-" for w in words)


# Per-token work is done once per distinct token, the vocabulary of marketing copy being small.
_WORDS_OF_TOKEN: Memo[str, tuple[str, ...]] = Memo(_words_of_token)
# Tokens holding a word that may start a domain phrase: every token in _KEPT_OF_TOKEN that holds
# one is in here (the set is emptied only together with that memo, between texts).
_PHRASE_TOKENS: set[str] = set()
_PHRASE_TOKENS_LIMIT = 50_000


def _kept_of_token(token: str) -> tuple[str, ...]:
    """The words of a token as `terms_of` keeps them: a dropped word (stop word, break) is ""."""
    words = _WORDS_OF_TOKEN[token]
    if not _PHRASE_FIRST_WORDS.isdisjoint(words):
        _PHRASE_TOKENS.add(token)
    return tuple(map(_KEPT.get, words, words))


_KEPT_OF_TOKEN: Memo[str, tuple[str, ...]] = Memo(_kept_of_token)


def terms_of(text: str) -> list[str]:
    """The unigrams and bigrams of `text`, stop words removed.

    A bigram is two non-stop words next to each other in the text (no stop word, number or
    punctuation between). A domain phrase is one unigram, written with "_" between its words.
    """
    return terms_of_tokens(text.lower().split())


def terms_of_tokens(tokens: list[str]) -> list[str]:
    """`terms_of` the text whose lower-cased, whitespace-split tokens are `tokens`."""
    kept = _kept_words(tokens)
    return list(filter(None, kept)) + _bigrams(kept)


def _kept_words(tokens: list[str]) -> list[str]:
    """The words of the tokens with domain phrases joined, a dropped word being ""."""
    if len(_PHRASE_TOKENS) >= _PHRASE_TOKENS_LIMIT:
        _PHRASE_TOKENS.clear()
        _KEPT_OF_TOKEN.clear()
    kept = list(chain.from_iterable(map(_KEPT_OF_TOKEN.__getitem__, tokens)))
    if not _PHRASE_TOKENS.isdisjoint(tokens):
        # A domain phrase may start here: found on the words (some of its words, "back" or
        # "up", are stop words), it replaces their kept words.
        kept = _join_phrases(list(chain.from_iterable(map(_WORDS_OF_TOKEN.__getitem__, tokens))), kept)
    return kept


def _bigrams(kept: list[str]) -> list[str]:
    return [f"{a} {b}" for a, b in zip(kept, kept[1:]) if a and b]


def _join_phrases(words: list[str], kept: list[str]) -> list[str]:
    """`kept` (the kept word of each of `words`) with each domain phrase of `words` replaced by
    its single term."""
    starts = compress(count(), map(_PHRASE_FIRST_WORDS.__contains__, words))
    joined: list[str] = []
    done = 0
    for i in starts:
        if i < done:
            continue  # inside a phrase already joined
        for rest, term in _PHRASE_INDEX[words[i]]:
            if tuple(words[i + 1 : i + 1 + len(rest)]) == rest:
                joined.extend(kept[done:i])
                joined.append(term)
                done = i + 1 + len(rest)
                break
    joined.extend(kept[done:])
    return joined


class KeywordExtractor:
    """TF-IDF keyword extraction with document frequencies learned by `fit`."""

    def __init__(self) -> None:
        self._idf: dict[str, float] = {}
        self._unseen_idf = 1.0
        self._documents = 0

    @property
    def fitted(self) -> bool:
        """True once `fit` has seen at least one document."""
        return self._documents > 0

    def fit(self, texts: Iterable[str]) -> KeywordExtractor:
        """Learn document frequencies from `texts` (replacing any earlier fit); returns self."""
        # Counted text by text, so that a large corpus need not fit in memory as terms.
        document_frequency: Counter[str] = Counter()
        documents = 0
        for text in texts:
            documents += 1
            if text:
                document_frequency.update(set(terms_of(text)))
        self._idf, self._unseen_idf = _idf(document_frequency, documents)
        self._documents = documents
        return self

    def extract(self, texts: list[str], k: int = 5) -> list[list[str]]:
        """The `k` most distinctive keywords of each text, best first.

        When the extractor was never fitted, document frequencies come from `texts` themselves
        (the extractor stays unfitted). A term made only of words already chosen is skipped
        ("bonus" after "bonus points"), so the k keywords say k different things; among equal
        scores the term that appears first in the text wins.
        """
        return self.extract_tokens([text.lower().split() if text else [] for text in texts], k)

    def extract_tokens(
        self, token_lists: list[list[str]], k: int = 5, weights: list[int] | None = None
    ) -> list[list[str]]:
        """`extract` for texts already lower-cased and split on whitespace. `weights`: how
        many times each text counts as a document when the extractor is not fitted (a text
        that stands for several identical ones); default once."""
        # Term frequencies per text, terms in order of first appearance.
        counts = list(map(_term_counts, token_lists))
        if self.fitted:
            idf, unseen_idf = self._idf, self._unseen_idf
        elif weights is None:
            # In how many of the texts each term occurs.
            idf, unseen_idf = _idf(Counter(chain.from_iterable(counts)), len(counts))
        else:
            documents = chain.from_iterable(map(repeat, counts, weights))
            idf, unseen_idf = _idf(Counter(chain.from_iterable(documents)), sum(weights))
        return [_top_terms(text_counts, idf, unseen_idf, k) for text_counts in counts]


def _term_counts(tokens: list[str]) -> dict[str, int]:
    """How often each term of the text occurs, terms in order of first appearance."""
    kept = _kept_words(tokens)
    counts: dict[str, int] = {}
    # Counter's own counting loop (in C), without building a Counter for every text;
    # unigrams first, as terms_of_tokens lists them.
    _count_elements(counts, filter(None, kept))
    _count_elements(counts, _bigrams(kept))
    return counts


def _idf(document_frequency: Counter[str], documents: int) -> tuple[dict[str, float], float]:
    """Smoothed idf per term, as scikit-learn's TfidfVectorizer(smooth_idf=True) computes it:
    log((1 + n) / (1 + df)) + 1; and the value for a term never seen (df = 0)."""
    log_documents = math.log(documents + 1)
    # One logarithm per distinct frequency (most terms share a few small ones), not per term.
    most = max(document_frequency.values(), default=0)
    by_frequency = [log_documents - math.log(1 + df) + 1.0 for df in range(most + 1)]
    idf = dict(zip(document_frequency, map(by_frequency.__getitem__, document_frequency.values())))
    return idf, log_documents + 1.0


def _top_terms(counts: dict[str, int], idf: dict[str, float], unseen_idf: float, k: int) -> list[str]:
    if not counts:
        return []
    # tf × idf per term, computed by map() so that the per-term work stays in C.
    scores = map(mul, counts.values(), map(idf.get, counts, repeat(unseen_idf)))
    chosen: list[str] = []
    covered: set[str] = set()
    # sorted() is stable also in reverse, so equal scores keep the order of first appearance.
    for _, term in sorted(zip(scores, counts), key=_SCORE, reverse=True):
        if " " in term:  # a bigram
            words = term.split(" ")
            if covered.issuperset(words):
                continue
            covered.update(words)
        elif term in covered:
            continue
        else:
            covered.add(term)
        chosen.append(term.replace("_", " ") if "_" in term else term)
        if len(chosen) == k:
            break
    return chosen


_SCORE = itemgetter(0)
