"""Sentiment of marketing copy: VADER's rules and lexicon, tuned for financial marketing.

Two things are added on top of vaderSentiment:

1. Speed. `SentimentIntensityAnalyzer.polarity_scores` walks every character (emoji lookup)
   and rebuilds the lower-cased word list for each sentiment word. This module ports the same rules so that each step is done once and only words that
   carry sentiment get the neighbourhood checks; `vader_compound` (the port with VADER's own
   lexicon and no domain rules) returns exactly vaderSentiment 3.3.2's compound score (the
   tests compare them on many texts).
2. Domain knowledge. VADER reads "No annual fee, ever!" as negative ("no" is −1.2) and knows
   nothing of "past due" or "declined". A domain lexicon overrides single words, and phrase
   rules (multi-word, which VADER's lexicon cannot hold) add a valence and take their words out
   of the text before VADER's rules run, so "no" in "no annual fee" cannot count as negative.

Scores are VADER compound values in [-1, 1] over the whole piece (title, subject and body).
Averaging per-sentence scores was tried and rejected: most sentences of a marketing piece are
neutral ("Offer ends 12/31. Member FDIC."), so the mean pulls clear offers and clear warnings
towards zero. Instructional copy ("how to", "tips", "guide") has its valence sum multiplied by
INSTRUCTIONAL_DAMPING before normalising: it describes its subject with words VADER reads as
feelings ("help", "free", "protect") while its tone is neutral.

Labels: positive when score >= POSITIVE_THRESHOLD (0.35), negative when score <=
NEGATIVE_THRESHOLD (−0.1), neutral between. The positive bar is far above VADER's customary
0.05 because marketing copy is upbeat by default: a bill notice or a brand slogan with one
"ready" or "good" in it is still neutral. The negative bar is close to zero because marketers
avoid negative words, so even a mildly negative sum (a rate increase worded politely, "thank
you" next to "your APR will rise") is a negative message.
"""

from __future__ import annotations

import re
import string
from itertools import compress, count

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    normalize,
)

from competiscan.enrich.memo import Memo

__all__ = [
    "POSITIVE_THRESHOLD",
    "NEGATIVE_THRESHOLD",
    "INSTRUCTIONAL_DAMPING",
    "DOMAIN_LEXICON",
    "DOMAIN_PHRASES",
    "SentimentScorer",
    "vader_compound",
    "score_sentiment",
    "label_for",
]

POSITIVE_THRESHOLD = 0.35
NEGATIVE_THRESHOLD = -0.1

# Single words, on VADER's scale (−4 … +4).
DOMAIN_LEXICON: dict[str, float] = {
    # Product nouns in finance, not feelings: "credit card", "interest rate", "fraud alert".
    "credit": 0.0,
    "interest": 0.0,
    "alert": 0.0,
    "alerts": 0.0,
    # Paying is routine in finance copy: "pay your bill", "get paid up to 2 days early".
    "pay": 0.0,
    # "Limited time" is the urgency of a deal, not a complaint.
    "limited": 0.0,
    # "Emergency fund", "emergency roadside service": advice and products, not alarms.
    "emergency": 0.0,
    # What a card or an insurance policy covers is named, not suffered: "foreign transaction
    # charges", "collision damage", "accident forgiveness", "liability limits", "trip delay".
    "charges": -0.5,
    "charged": -0.5,
    "debt": -0.5,
    "damage": -0.5,
    "accident": -0.5,
    "loss": -0.5,
    "liability": 0.0,
    "delay": -0.5,
    # Disclaimers ("investing involves risks") are boilerplate.
    "risk": -0.5,
    "risks": -0.5,
    # "Your statement is ready" is servicing, not enthusiasm.
    "ready": 0.5,
    # Direction words flip with their object ("lower your premium", "price will increase");
    # the phrase rules below give them a sign where it is clear.
    "lower": 0.0,
    "increase": 0.0,
    # Servicing and risk vocabulary VADER lacks.
    "declined": -2.0,
    "overdue": -2.0,
    "overdrawn": -2.0,
    "delinquent": -2.0,
    "suspension": -2.0,
    "forfeit": -2.0,
    "forfeited": -2.0,
    "outage": -2.0,
    "breach": -2.0,
    "theft": -2.5,
    "phishing": -1.5,
    "scammers": -2.5,
    "fraudsters": -2.5,
    "unable": -1.2,
    "expire": -2.0,
    "expires": -2.0,
    "expired": -2.0,
    "expiring": -2.0,
    "decreased": -1.0,
    # Marketing words VADER lacks.
    "earn": 1.0,
    "sale": 1.5,
    "deal": 1.5,
    "deals": 1.5,
    "discount": 1.5,
    "discounts": 1.5,
    "perks": 1.5,
    "waived": 1.5,
    "cashback": 1.5,
    "exclusive": 1.2,
    "upgrade": 1.0,
    "reliable": 1.5,
    "thrive": 1.5,
    "priceless": 2.0,
}

# Multi-word rules: (gate words, regular expression on lower-cased text, valence).
# - A rule is only tried when one of its gate words is among the text's whitespace-separated
#   tokens (bare or with trailing punctuation), so every match must contain a gate word.
# - A match must start at the start of a word; that is checked on each match rather than with a
#   leading \b, which would stop the regex engine from jumping straight to the first literal.
# - Rules run in this order and each takes its matches out of the text, so an earlier rule wins
#   over a later one on the same words.
DOMAIN_PHRASES: tuple[tuple[tuple[str, ...], str, float], ...] = (
    # Absence of a cost is a benefit; VADER scores the "no" as negative.
    (("fee", "fees"), r"no (?:[a-z-]+ ){0,3}fees?\b", 2.0),
    (("fee", "fees", "commission", "commissions"),
     r"\$0 (?:intro(?:ductory)? )?(?:annual fee|fees?|commissions?)", 2.0),
    (("no",), r"no (?:minimum(?: balance| deposit)?s?|contracts?|annual contract|credit check|"
     r"data caps?|impact to your credit(?: score)?|catch|commitment|penalty|strings attached)\b", 1.5),
    (("interest",), r"no interest if paid in full", 1.5),
    (("apr",), r"0 ?% (?:intro(?:ductory)? |promotional )?apr", 2.0),
    (("back", "cashback"), r"cash ?back", 1.5),
    (("pre-approved", "pre-qualified", "preapproved", "prequalified"), r"pre-?(?:approved|qualified)", 2.0),
    (("on",), r"on us\b", 1.5),
    (("miss", "hate"), r"we miss you|we(?:'|’)d hate to see you (?:go|leave)", 1.0),
    (("limited", "limited-time"), r"limited[- ]time", 0.5),
    (("off",), r"(?:\d ?%|\$\d+) off\b", 1.5),
    # Money on offer is the point of the piece: "Get $300 when you open a checking account".
    (("get", "earn", "receive", "enjoy"), r"(?:get|earn|receive|enjoy)(?: an?)?(?: extra)?(?: up to)? \$\d", 1.5),
    # Boilerplate of text messages; VADER reads the ALL-CAPS "STOP" as strongly negative and
    # "HELP for help" as positive.
    (("stop", "help"), r"(?:reply|text|txt|msg) (?:stop|help)\b(?: for help)?", 0.0),
    # Servicing and risk.
    (("due",), r"past due", -2.5),
    (("late",), r"late (?:fee|payment|charge)s?", -2.0),
    (("overdraft",), r"overdraft (?:fee|charge)s?", -2.0),
    (("penalty",), r"penalty apr", -2.5),
    (("alert",), r"fraud alert", -2.5),
    (("unusual", "suspicious", "unauthorized", "unauthorised"), r"(?:unusual|suspicious|unauthori[sz]ed) "
     r"(?:activity|sign-?(?:on|in)|log-?ins?|transactions?|charges?|purchases?)", -2.0),
    (("identity", "takeover"), r"(?:identity|account takeover) (?:theft|fraud)", -2.5),
    (("breach", "incident"), r"(?:data (?:breach|security incident)|security incident)", -2.0),
    (("unable", "able"), r"(?:unable|not able) to (?:approve|process|complete|verify)", -2.0),
    (("raise", "raising", "increase", "increasing"), r"(?:rais(?:e|ing)|increas(?:e|ing)) (?:your |the )?"
     r"(?:apr|rates?|prices?|premiums?|fees?|bills?)\b", -2.0),
    (("increase", "go", "goes", "going", "rise"), r"(?:aprs?|rates?|prices?|premiums?|fees?|bills?)"
     r"(?: [a-z'’]+){0,6}? (?:will |is going to |are going to )?(?:increase|go(?:es)? up|going up|rise)\b", -2.0),
    (("decrease", "decreased", "decreasing"), r"decreas(?:e|ed|ing) (?:your )?(?:credit limit|credit line|rate|apy)",
     -2.0),
    (("decrease", "go", "goes", "going", "drop", "fall"), r"(?:rates?|apy|credit limit|credit line)"
     r"(?: [a-z'’]+){0,6}? (?:will |is going to )?(?:decrease|go(?:es)? down|going down|drop|fall)\b", -2.0),
    # The deadline of an offer is boilerplate, not a loss: "Offer expires 6/30", "Sale ends Sunday".
    (("expire", "expires", "ends"), r"(?:offers?|sale|deals?|promotion|coupons?|codes?) (?:expires?|ends)\b", 0.0),
    # Losing rewards outweighs the positive word for them ("Your rewards are expiring").
    (("expire", "expires", "expired", "expiring"), r"(?:points|miles|rewards|credits?|stars|cash back|balance|"
     r"certificates?|vouchers?)(?: [a-z'’$0-9.,]+){0,3}? (?:are |is |will |soon )*(?:expir(?:e|es|ed|ing)|"
     r"about to expire)\b", -2.5),
    (("lose", "waste"), r"(?:don(?:'|’)?t|do not) lose\b|go to waste", -1.5),
    (("closed", "suspended", "blocked"), r"(?:account|card) (?:will be |has been |is |was )?"
     r"(?:closed|suspended|blocked)", -1.5),
    (("lose",), r"use it or lose it", -1.5),
    (("inconvenience",), r"sorry for the inconvenience", -1.0),
    (("risk",), r"investing involves risk", 0.0),
)

# Instructional copy ("how to", "tips", "guide", webinars) describes its subject with words that
# VADER reads as feelings ("help", "free", "better", "protect"); its tone is neutral.
INSTRUCTIONAL_DAMPING = 0.5
_INSTRUCTIONAL_GATES = frozenset(
    {
        "how", "what", "learn", "tip", "tips", "guide", "guides", "explain", "explained", "explains",
        "explainer", "checklist", "step", "webinar", "seminar", "workshop", "know", "calculator", "here's",
        "here’s",
    }
)
_INSTRUCTIONAL_RE = re.compile(
    r"(?:how (?:to|do|does|much|can|it works)|what (?:is|are|does|affects)|"
    r"learn (?:how|what|why|about|the)|tips?\b|guides?\b|explain(?:ed|s|er)?\b|checklist|"
    r"step[- ]by[- ]step|webinar|seminar|workshop|did you know|here(?:'|’)s how|calculator)"
)

_PUNCTUATION = string.punctuation
_TRAILING_MARKS = (".", ",", "!", "?", ";", ":", ")", '"', "'", "’", "…")
_NEGATE = frozenset(NEGATE)
# Words that take part in VADER's multi-word idioms and boosters ("kind of", "the bomb").
_IDIOM_WORDS = frozenset(
    w for key in (*SPECIAL_CASES, *(k for k in BOOSTER_DICT if " " in k)) for w in key.split()
)
# One uncommon word of each multi-word idiom: when a text has none of them, no idiom can occur
# in it, and the idiom check (costly) is skipped for the whole text.
_IDIOM_GATES = frozenset(
    {"shit", "bomb", "ass", "bus", "yeah", "kiss", "die", "beating", "enough", "kind", "sort"}
)
assert all(
    not _IDIOM_GATES.isdisjoint(key.split())
    for key in (*SPECIAL_CASES, *BOOSTER_DICT)
    if " " in key
), "every multi-word idiom needs a gate word"
# Every word before a sentiment word that can change its valence in VADER's rules, idioms
# aside: boosters and dampeners, negations, "no", and the words of its special cases ("never
# so", "without doubt", "at least", "no … or"). Words containing "n't" negate too.
_MODIFIERS = (
    frozenset(BOOSTER_DICT)
    | _NEGATE
    | {"no", "so", "this", "never", "without", "doubt", "least", "or", "nor"}
)
# The same with the idiom words, for texts that may hold an idiom.
_MODIFIERS_AND_IDIOMS = _MODIFIERS | _IDIOM_WORDS
# A text with none of these words (and no "n't") gets no valence changed by VADER's rules but
# for words in capitals: no modifier, no idiom, no "but".
_TRIGGERS = _MODIFIERS | _IDIOM_GATES | {"but"}
# A removed phrase leaves this word: for VADER's neighbourhood rules it is a plain neutral word
# (the control character keeps it out of the lexicon); the phrase's valence is added to the sum.
_PHRASE_MARK = " \x01 "


class SentimentScorer:
    """Scores marketing text with VADER's rules plus a domain lexicon and phrase rules."""

    def __init__(
        self,
        lexicon_overrides: dict[str, float] | None = None,
        phrases: tuple[tuple[tuple[str, ...], str, float], ...] = DOMAIN_PHRASES,
        damp_instructional: bool = True,
    ) -> None:
        """`lexicon_overrides` replace VADER's word valences (default DOMAIN_LEXICON),
        `phrases` are the multi-word rules (default DOMAIN_PHRASES); with `{}`, `()` and
        `damp_instructional=False` the scorer is plain VADER."""
        self._damp_instructional = damp_instructional
        analyzer = SentimentIntensityAnalyzer()
        self.lexicon: dict[str, float] = dict(analyzer.lexicon)
        self.lexicon.update(DOMAIN_LEXICON if lexicon_overrides is None else lexicon_overrides)
        self._emojis: dict[str, str] = analyzer.emojis
        # VADER looks emojis up one character at a time, so only one-character keys can match.
        self._emoji_chars = frozenset(k for k in analyzer.emojis if len(k) == 1)
        self._phrases = [(re.compile(pattern), valence) for _, pattern, valence in phrases]
        # Gate words as str.split() leaves them: bare, or with the punctuation that may follow
        # a word, so that gates are found by one set intersection with the raw tokens.
        self._rules_by_gate: dict[str, list[int]] = {}
        for number, (gates, _, _) in enumerate(phrases):
            for gate in gates:
                for token in (gate, *(gate + mark for mark in _TRAILING_MARKS)):
                    rules = self._rules_by_gate.setdefault(token, [])
                    if number not in rules:
                        rules.append(number)
        self._gate_tokens = frozenset(self._rules_by_gate)

    def score(self, text: str) -> float:
        """Sentiment of `text` in [-1, 1]: VADER's compound over the whole text, with the
        domain lexicon and phrases, damped by INSTRUCTIONAL_DAMPING in instructional copy."""
        if not text:
            return 0.0
        low = text.lower()
        return self.score_split(text, low, low.split())

    def score_split(self, text: str, low: str, tokens: list[str]) -> float:
        """`score(text)` for a caller that has already lower-cased and split the text:
        `low` is text.lower() and `tokens` is low.split()."""
        if not tokens:
            return 0.0
        words, cased_text, low, phrase_valence = self._tokens(text, low, tokens)
        if not words:
            return 0.0
        total = self._valence_sum(words, cased_text, "n't" in low) + phrase_valence
        if (
            total != 0.0
            and self._damp_instructional
            and not _INSTRUCTIONAL_GATES.isdisjoint(words)
            and _search_at_word_start(_INSTRUCTIONAL_RE, low)
        ):
            total *= INSTRUCTIONAL_DAMPING
        return _normalize_with_emphasis(total, low)

    def label_and_score(self, text: str) -> tuple[str, float]:
        """(label, score) for `text`; see the module docstring for the thresholds."""
        value = self.score(text)
        return label_for(value), value

    def _tokens(
        self, text: str, low: str, tokens: list[str]
    ) -> tuple[list[str], str | None, str, float]:
        """VADER's words of `text` (lower-cased, punctuation stripped) after phrase replacement;
        the text with its case, whose words are those words (None when a phrase was replaced,
        which breaks the alignment); the lower-cased text before phrase replacement; the valence
        of the phrases taken out. `low` and `tokens` are `text` lower-cased and split."""
        if not text.isascii() and not self._emoji_chars.isdisjoint(text):
            text = _describe_emojis(text, self._emojis)
            low = text.lower()
            tokens = low.split()
        original_low = low
        gates = self._gate_tokens.intersection(tokens)
        replaced = 0
        phrase_valence = 0.0
        if gates:
            rules = self._rules_by_gate
            # The rules of the gates found, each once, in order (one gate's list already is).
            if len(gates) == 1:
                numbers = rules[next(iter(gates))]
            else:
                numbers = sorted(set().union(*map(rules.__getitem__, gates)))
            for number in numbers:
                pattern, valence = self._phrases[number]
                match = pattern.search(low)
                if match is None:
                    continue
                start, end = match.span()
                if _at_word_start(low, start) and pattern.search(low, end) is None:
                    # The usual case, one match: replaced without a substitution callback.
                    low = low[:start] + _PHRASE_MARK + low[end:]
                    replaced += 1
                    phrase_valence += valence
                    continue
                low, count = _sub_at_word_start(pattern, _PHRASE_MARK, low)
                replaced += count
                phrase_valence += valence * count
        if replaced:
            return _vader_words(low.split()), None, original_low, phrase_valence
        return _vader_words(tokens), text, original_low, 0.0

    def _valence_sum(self, lower: list[str], cased_text: str | None, has_nt: bool) -> float:
        """VADER's sum of word valences, after its "but" rule.

        `lower` are VADER's words, `cased_text` the text they come from with its case (None:
        nothing counts as ALL CAPS); `has_nt` says whether the text contains "n't" (VADER's
        negation by substring). A sentiment word with no modifier word in the three words before
        it (and no idiom in the text) and not in capitals keeps its lexicon valence, without
        further checks: VADER's rules would return it unchanged.

        Long because it is one function on purpose: it runs for every text enriched
        (bench/enrich_local.py), and its early exits share the locals a split would have to
        pass along.
        """
        lexicon = self.lexicon
        # Which words are in the lexicon, found without a Python-level loop.
        in_lexicon = list(map(lexicon.__contains__, lower))
        if True not in in_lexicon:
            return 0.0
        # Whether no sentiment word is written in capitals. In ASCII text a word in capitals
        # holds its lexicon word upper-cased, so when none of those occurs in the text, none is
        # (the text need not be split with its case).
        case_tokens = None
        if cased_text is None or (
            cased_text.isascii()
            and not any(map(cased_text.__contains__, map(str.upper, compress(lower, in_lexicon))))
        ):
            no_caps = True
        else:
            case_tokens = cased_text.split()
            no_caps = not any(map(str.isupper, compress(case_tokens, in_lexicon)))
        if no_caps and not has_nt and _TRIGGERS.isdisjoint(lower):
            # No word of the text can change another's valence (boosters and "kind" are
            # modifiers too), no idiom and no "but", and none is in capitals: the sum of the
            # lexicon's valences, as the loop below would add them up.
            return sum(map(lexicon.__getitem__, compress(lower, in_lexicon)))
        idioms = not _IDIOM_GATES.isdisjoint(lower)
        modifiers = _MODIFIERS_AND_IDIOMS if idioms else _MODIFIERS
        if has_nt:
            modifiers = modifiers.union(w for w in lower if "n't" in w)
        if case_tokens is None and cased_text is not None:
            case_tokens = cased_text.split()
        hits = list(compress(count(), in_lexicon))
        n = len(lower)
        sentiments = [0.0] * n
        cap_diff: bool | None = None
        for i in hits:
            lw = lower[i]
            valence = lexicon[lw]
            if lw in BOOSTER_DICT or (lw == "kind" and i < n - 1 and lower[i + 1] == "of"):
                continue
            if (
                lw != "no"
                and modifiers.isdisjoint(lower[i - 3 if i > 3 else 0 : i])
                and (no_caps or not case_tokens[i].isupper())
            ):
                sentiments[i] = valence
                continue
            if cap_diff is None:
                # Only needed for sentiment words, and costly: computed at most once.
                upper = sum(map(str.isupper, case_tokens)) if case_tokens is not None else 0
                cap_diff = 0 < upper < n
            sentiments[i] = _word_valence(valence, i, case_tokens, lower, lexicon, cap_diff, idioms)
        if "but" in lower:
            sentiments = SentimentIntensityAnalyzer._but_check(lower, sentiments)
        return sum(sentiments)


def _vader_word(token: str) -> str:
    """VADER's word for a token: stripped of the punctuation around it, unless that leaves two
    characters or fewer (emoticons such as ":)" stay whole)."""
    word = token.strip(_PUNCTUATION)
    return token if len(word) <= 2 else word


_VADER_WORDS: Memo[str, str] = Memo(_vader_word)


def _vader_words(tokens: list[str]) -> list[str]:
    """VADER's word of each token."""
    return list(map(_VADER_WORDS.__getitem__, tokens))


def _at_word_start(text: str, start: int) -> bool:
    # "." counts as part of a word so that "1.0%" is not read as "0%".
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] == ".")


def _sub_at_word_start(pattern: re.Pattern[str], replacement: str, text: str) -> tuple[str, int]:
    """pattern.subn(replacement, text), for matches that start at the start of a word."""
    count = 0

    def replace(m: re.Match[str]) -> str:
        nonlocal count
        if _at_word_start(text, m.start()):
            count += 1
            return replacement
        return m.group()

    return pattern.sub(replace, text), count


def _search_at_word_start(pattern: re.Pattern[str], text: str) -> bool:
    return any(_at_word_start(text, m.start()) for m in pattern.finditer(text))


def _normalize_with_emphasis(total: float, text: str) -> float:
    """VADER's last step: "!" and "?" in `text` push the sum away from zero, then it is
    squashed into [-1, 1]."""
    if total == 0.0:
        return 0.0
    emphasis = _punctuation_emphasis(text)
    return normalize(total + emphasis if total > 0 else total - emphasis)


def label_for(score: float) -> str:
    """The sentiment label of a score, by POSITIVE_THRESHOLD and NEGATIVE_THRESHOLD."""
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


_DEFAULT_SCORER: SentimentScorer | None = None


def _default_scorer() -> SentimentScorer:
    global _DEFAULT_SCORER
    if _DEFAULT_SCORER is None:
        _DEFAULT_SCORER = SentimentScorer()
    return _DEFAULT_SCORER


def score_sentiment(text: str) -> tuple[str, float]:
    """(label, score in [-1, 1]) of marketing text with the default domain-tuned scorer."""
    return _default_scorer().label_and_score(text)


_PLAIN_VADER: SentimentScorer | None = None


def vader_compound(text: str) -> float:
    """vaderSentiment's compound score of `text` (unrounded), computed by the fast port."""
    global _PLAIN_VADER
    if _PLAIN_VADER is None:
        _PLAIN_VADER = SentimentScorer(lexicon_overrides={}, phrases=(), damp_instructional=False)
    return _PLAIN_VADER.score(text)


def _word_valence(
    valence: float,
    i: int,
    words: list[str] | None,
    lower: list[str],
    lexicon: dict[str, float],
    is_cap_diff: bool,
    idioms: bool = True,
) -> float:
    """VADER's `sentiment_valence` for the lexicon word at position i (`words` keep the case;
    None when it is unknown, then nothing counts as ALL CAPS). `idioms`: False when the text
    holds no idiom word of _IDIOM_GATES, which skips the idiom check."""
    n = len(lower)
    lw = lower[i]
    if lw == "no" and i != n - 1 and lower[i + 1] in lexicon:
        valence = 0.0
    if (
        (i > 0 and lower[i - 1] == "no")
        or (i > 1 and lower[i - 2] == "no")
        or (i > 2 and lower[i - 3] == "no" and lower[i - 1] in ("or", "nor"))
    ):
        valence = lexicon[lw] * N_SCALAR
    if is_cap_diff and words is not None and words[i].isupper():
        valence = valence + C_INCR if valence > 0 else valence - C_INCR
    for start_i in range(3):
        j = i - (start_i + 1)
        if j < 0 or lower[j] in lexicon:
            continue
        scalar = _scalar_inc_dec(words[j] if words is not None else lower[j], lower[j], valence, is_cap_diff)
        if start_i == 1 and scalar != 0:
            scalar *= 0.95
        elif start_i == 2 and scalar != 0:
            scalar *= 0.9
        valence += scalar
        valence = _negation_check(valence, lower, start_i, i)
        if start_i == 2 and idioms and _near_idiom_word(lower, i):
            valence = _special_idioms_check(valence, lower, i)
    return _least_check(valence, lower, lexicon, i)


def _describe_emojis(text: str, emojis: dict[str, str]) -> str:
    """VADER's emoji step: each emoji replaced by its description, space-separated."""
    parts: list[str] = []
    prev_space = True
    for ch in text:
        description = emojis.get(ch)
        if description is not None:
            if not prev_space:
                parts.append(" ")
            parts.append(description)
            prev_space = False
        else:
            parts.append(ch)
            prev_space = ch == " "
    return "".join(parts).strip()


def _scalar_inc_dec(word: str, word_lower: str, valence: float, is_cap_diff: bool) -> float:
    scalar = BOOSTER_DICT.get(word_lower, 0.0)
    if scalar == 0.0:
        return 0.0
    if valence < 0:
        scalar *= -1
    if word.isupper() and is_cap_diff:
        scalar = scalar + C_INCR if valence > 0 else scalar - C_INCR
    return scalar


def _negated(word_lower: str) -> bool:
    return word_lower in _NEGATE or "n't" in word_lower


def _negation_check(valence: float, lower: list[str], start_i: int, i: int) -> float:
    if start_i == 0:
        if _negated(lower[i - 1]):
            valence *= N_SCALAR
    elif start_i == 1:
        if lower[i - 2] == "never" and lower[i - 1] in ("so", "this"):
            valence *= 1.25
        elif lower[i - 2] == "without" and lower[i - 1] == "doubt":
            pass
        elif _negated(lower[i - 2]):
            valence *= N_SCALAR
    else:
        if (lower[i - 3] == "never" and lower[i - 2] in ("so", "this")) or lower[i - 1] in ("so", "this"):
            valence *= 1.25
        elif lower[i - 3] == "without" and (lower[i - 2] == "doubt" or lower[i - 1] == "doubt"):
            pass
        elif _negated(lower[i - 3]):
            valence *= N_SCALAR
    return valence


def _near_idiom_word(lower: list[str], i: int) -> bool:
    return not _IDIOM_WORDS.isdisjoint(lower[max(0, i - 3) : i + 3])


def _special_idioms_check(valence: float, lower: list[str], i: int) -> float:
    onezero = f"{lower[i - 1]} {lower[i]}"
    twoonezero = f"{lower[i - 2]} {lower[i - 1]} {lower[i]}"
    twoone = f"{lower[i - 2]} {lower[i - 1]}"
    threetwoone = f"{lower[i - 3]} {lower[i - 2]} {lower[i - 1]}"
    threetwo = f"{lower[i - 3]} {lower[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
            break
    n = len(lower)
    if n - 1 > i:
        zeroone = f"{lower[i]} {lower[i + 1]}"
        if zeroone in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroone]
    if n - 1 > i + 1:
        zeroonetwo = f"{lower[i]} {lower[i + 1]} {lower[i + 2]}"
        if zeroonetwo in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in BOOSTER_DICT:
            valence += BOOSTER_DICT[n_gram]
    return valence


def _least_check(valence: float, lower: list[str], lexicon: dict[str, float], i: int) -> float:
    if i > 1 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        if lower[i - 2] not in ("at", "very"):
            valence *= N_SCALAR
    elif i > 0 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        valence *= N_SCALAR
    return valence


def _punctuation_emphasis(text: str) -> float:
    exclamations = min(text.count("!"), 4) * 0.292
    questions = text.count("?")
    if questions <= 1:
        return exclamations
    return exclamations + (questions * 0.18 if questions <= 3 else 0.96)
