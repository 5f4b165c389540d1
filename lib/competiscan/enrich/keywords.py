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
from collections import Counter
from collections.abc import Iterable
from operator import itemgetter

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

__all__ = ["KeywordExtractor", "DOMAIN_PHRASES", "STOP_WORDS", "terms_of"]

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
STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS) | _BOILERPLATE

# First word → [(following words, term)], longest first.
_PHRASE_INDEX: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _term, _forms in DOMAIN_PHRASES.items():
    for _form in _forms:
        _first, *_rest = _form.split()
        _PHRASE_INDEX.setdefault(_first, []).append((tuple(_rest), _term))
for _entries in _PHRASE_INDEX.values():
    _entries.sort(key=lambda entry: -len(entry[0]))
_PHRASE_FIRST_WORDS = frozenset(_PHRASE_INDEX)

# Digits, punctuation and symbols end a run of words: they become this token, which is treated
# like a stop word, so no bigram spans them. Hyphens stay inside words ("high-yield"); a lone
# hyphen is a break too.
_BREAK = "|"
_BREAK_RE = re.compile(r"[^a-z_\s-]+")
_DROPPED = STOP_WORDS | {_BREAK, "-", "--"}


def terms_of(text: str) -> list[str]:
    """The unigrams and bigrams of `text`, stop words removed.

    A bigram is two non-stop words next to each other in the text (no stop word, number or
    punctuation between). A domain phrase is one unigram, written with "_" between its words.
    """
    tokens = _BREAK_RE.sub(" | ", text.lower()).split()
    if not _PHRASE_FIRST_WORDS.isdisjoint(tokens):
        tokens = _join_phrases(tokens)
    kept = [word if word not in _DROPPED else "" for word in tokens]
    unigrams = [word for word in kept if word]
    return unigrams + [f"{a} {b}" for a, b in zip(kept, kept[1:]) if a and b]


def _join_phrases(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        token = tokens[i]
        i += 1
        for rest, term in _PHRASE_INDEX.get(token, ()):
            if tuple(tokens[i : i + len(rest)]) == rest:
                token = term
                i += len(rest)
                break
        joined.append(token)
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
        term_lists = [terms_of(text) if text else [] for text in texts]
        if self.fitted:
            idf, unseen_idf = self._idf, self._unseen_idf
        else:
            document_frequency: Counter[str] = Counter()
            for terms in term_lists:
                document_frequency.update(set(terms))
            idf, unseen_idf = _idf(document_frequency, len(term_lists))
        return [_top_terms(terms, idf, unseen_idf, k) for terms in term_lists]


def _idf(document_frequency: Counter[str], documents: int) -> tuple[dict[str, float], float]:
    """Smoothed idf per term, as scikit-learn's TfidfVectorizer(smooth_idf=True) computes it:
    log((1 + n) / (1 + df)) + 1; and the value for a term never seen (df = 0)."""
    log_documents = math.log(documents + 1)
    idf = {term: log_documents - math.log(1 + df) + 1.0 for term, df in document_frequency.items()}
    return idf, log_documents + 1.0


def _top_terms(terms: list[str], idf: dict[str, float], unseen_idf: float, k: int) -> list[str]:
    if not terms:
        return []
    scored = [(count * idf.get(term, unseen_idf), term) for term, count in Counter(terms).items()]
    chosen: list[str] = []
    covered: set[str] = set()
    # sorted() is stable also in reverse, so equal scores keep the order of first appearance.
    for _, term in sorted(scored, key=itemgetter(0), reverse=True):
        words = term.split(" ")
        if covered.issuperset(words):
            continue
        chosen.append(term.replace("_", " "))
        covered.update(words)
        if len(chosen) == k:
            break
    return chosen
