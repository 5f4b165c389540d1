"""Campaign type from weighted cue phrases: acquisition, promotional, retention, educational,
brand_awareness (see DOMAIN.md).

Each cue is a word sequence with a type and a weight. The text is lower-cased and split into
words; numbers match placeholder words ("20%" → "pct", "$300" → "usd", "2025" → "num") after a
cue's first word ("first num months"), and "20% off" / "$50 off" is matched on the text. Cues are matched word by word (the longest cue starting at
a word wins, so "learn more" — a call to action — hides "learn"). Cues in the title or subject line count
CUE_WEIGHT_HEADLINE times: a headline states what the piece is for.

Scores per type are the summed weights of the cues found (each cue once), plus two priors:
a small channel prior (search ads mostly acquire, video and display carry brand work) and, for
brand_awareness, a prior when the piece names no offer at all (no price, rate or amount, and no
acquisition or promotional cue): image pieces rarely say what they are, they just leave out the
offer.

Confidence is (top − second) / (top + second + 1): near 1 for one clear type with strong
evidence, near 0 for a tie or for almost no evidence. Servicing messages (payment due, card
declined, fraud alerts) belong to no type; their cues shrink the confidence by
top / (top + servicing), so a best guess is still returned, with low confidence.
"""

from __future__ import annotations

import re
import string
from itertools import chain, compress, count
from typing import NamedTuple

from competiscan.enrich.memo import Memo
from competiscan.model import CAMPAIGN_TYPES

__all__ = [
    "predict_campaign_type",
    "predict_from_tokens",
    "HEADLINES",
    "Headline",
    "CUES",
    "SERVICING",
    "CUE_WEIGHT_HEADLINE",
    "NO_OFFER_PRIOR",
    "CHANNEL_PRIORS",
    "PRICE_OFF_WEIGHT",
]

SERVICING = "servicing"
CUE_WEIGHT_HEADLINE = 1.5
# Evidence for brand_awareness when a piece has no offer at all.
NO_OFFER_PRIOR = 1.5
CHANNEL_PRIORS: dict[str, tuple[str, float]] = {
    "search": ("acquisition", 0.5),
    "video": ("brand_awareness", 0.5),
    "display": ("brand_awareness", 0.25),
    "sms": ("promotional", 0.25),
}

# (cue words, type, weight). Weights: 3 = the cue alone names the type ("we miss you"),
# 2 = strong, 1 = supporting; 0 = a phrase that must hide a shorter cue ("learn more").
CUES: tuple[tuple[str, str, float], ...] = (
    # acquisition: wins a new customer or account
    ("apply now", "acquisition", 3), ("apply today", "acquisition", 3), ("apply online", "acquisition", 3),
    ("apply at", "acquisition", 2.5), ("to apply", "acquisition", 2.5), ("and apply", "acquisition", 2.5),
    ("you apply", "acquisition", 2.5), ("apply in", "acquisition", 2.5),
    ("pre approved", "acquisition", 3), ("preapproved", "acquisition", 3), ("pre qualified", "acquisition", 3),
    ("prequalified", "acquisition", 3),
    ("open an account", "acquisition", 3), ("open a new", "acquisition", 3), ("open your account", "acquisition", 2.5),
    ("open your first", "acquisition", 3), ("open and fund", "acquisition", 3), ("open a", "acquisition", 1.5),
    ("account opening", "acquisition", 2.5), ("new account", "acquisition", 2),
    ("sign up", "acquisition", 2), ("signup", "acquisition", 2), ("sign up bonus", "acquisition", 3),
    ("welcome offer", "acquisition", 3), ("welcome bonus", "acquisition", 3),
    ("new customers", "acquisition", 3), ("new customer", "acquisition", 3), ("new cardmembers", "acquisition", 3),
    ("new card members", "acquisition", 3), ("new members", "acquisition", 2),
    ("switch to", "acquisition", 2.5), ("switch and", "acquisition", 2.5), ("switching", "acquisition", 1.5),
    ("switch", "acquisition", 1.5), ("bring your number", "acquisition", 2.5), ("bring your own", "acquisition", 2),
    ("after you spend", "acquisition", 2.5), ("once you spend", "acquisition", 2.5), ("after spending", "acquisition", 2.5),
    ("first num months", "acquisition", 1.5), ("get a quote", "acquisition", 2.5), ("free quote", "acquisition", 2.5),
    ("quote", "acquisition", 1), ("get covered", "acquisition", 2), ("no credit check", "acquisition", 1.5),
    ("join millions", "acquisition", 2.5), ("join today", "acquisition", 2.5), ("become a member", "acquisition", 2.5),
    ("join our", "acquisition", 2), ("join free", "acquisition", 2.5), ("join", "acquisition", 1),
    ("when you open", "acquisition", 2.5), ("when you switch", "acquisition", 2.5),
    ("transfer assets", "acquisition", 2), ("when you sign up", "acquisition", 2.5),
    ("annual fee", "acquisition", 1), ("intro apr", "acquisition", 1), ("invited to apply", "acquisition", 3),
    ("now available", "acquisition", 1.5), ("available at your address", "acquisition", 2.5),
    ("order online", "acquisition", 1), ("get started", "acquisition", 1), ("compare", "acquisition", 1),
    ("no minimums", "acquisition", 1), ("open", "acquisition", 0.5),
    # promotional: a time-limited deal or an incentive for using a product
    ("sale", "promotional", 2.5),
    ("flash sale", "promotional", 3), ("deal", "promotional", 2), ("deals", "promotional", 2),
    ("limited time", "promotional", 1.5), ("for a limited time", "promotional", 2), ("today only", "promotional", 2.5),
    ("this week only", "promotional", 2.5), ("ends sunday", "promotional", 1.5), ("offer ends", "promotional", 1),
    ("sale ends", "promotional", 2), ("hurry", "promotional", 1.5), ("book by", "promotional", 2),
    ("activate", "promotional", 2.5), ("bonus categories", "promotional", 3), ("bonus category", "promotional", 3),
    ("this quarter", "promotional", 1.5), ("bundle", "promotional", 2), ("bundle and save", "promotional", 3),
    ("save up to", "promotional", 1.5), ("save", "promotional", 0.5), ("double points", "promotional", 2.5),
    ("double miles", "promotional", 2.5), ("2x", "promotional", 2), ("3x", "promotional", 1.5), ("4x", "promotional", 1.5),
    ("5x", "promotional", 1.5), ("10x", "promotional", 1.5), ("coupon", "promotional", 2), ("coupons", "promotional", 2),
    ("with code", "promotional", 2), ("promo code", "promotional", 2.5), ("promotion", "promotional", 2),
    ("promotional", "promotional", 1.5), ("special offer", "promotional", 1.5), ("special financing", "promotional", 2),
    ("promotional financing", "promotional", 2.5), ("on us", "promotional", 1.5), ("trade in", "promotional", 1),
    ("free shipping", "promotional", 1.5), ("black friday", "promotional", 3), ("cyber monday", "promotional", 3),
    ("prime day", "promotional", 3), ("early access", "promotional", 1.5), ("add the offer", "promotional", 2.5),
    ("offers", "promotional", 1), ("special rate", "promotional", 2), ("lock in", "promotional", 1.5),
    ("register", "promotional", 1), ("get usd back", "promotional", 2.5), ("earn pct", "promotional", 0.5),
    ("fares from", "promotional", 2.5), ("fares as low as", "promotional", 2.5), ("cardmembers", "promotional", 0.5),
    ("cardmember", "promotional", 0.5), ("members get", "promotional", 1.5), ("upgrade to", "promotional", 1),
    ("pay just", "promotional", 1.5), ("buy num get num", "promotional", 3), ("clip", "promotional", 1.5),
    ("bogo", "promotional", 3), ("buy one get one", "promotional", 3), ("offer expires", "promotional", 1),
    # retention: keeps or wins back an existing customer
    ("thank you for being", "retention", 3), ("thanks for being", "retention", 3), ("thank you for", "retention", 2),
    ("thanks for", "retention", 2), ("thank you", "retention", 1), ("as a thank you", "retention", 3),
    ("as a token of", "retention", 3), ("anniversary", "retention", 2), ("happy anniversary", "retention", 3),
    ("we miss you", "retention", 3), ("miss you", "retention", 2.5), ("come back", "retention", 2.5),
    ("welcome back", "retention", 3), ("been a while", "retention", 2.5), ("been too long", "retention", 2.5),
    ("haven't seen you", "retention", 3), ("we want you back", "retention", 3), ("restart", "retention", 2),
    ("renew", "retention", 2.5), ("renews", "retention", 2.5), ("renewal", "retention", 2.5),
    ("loyalty", "retention", 2.5), ("loyal", "retention", 2), ("as a valued", "retention", 3),
    ("valued customer", "retention", 3), ("valued cardmember", "retention", 3), ("valued member", "retention", 3),
    ("valued client", "retention", 3), ("your membership", "retention", 1.5), ("for num years", "retention", 2),
    ("years together", "retention", 2.5), ("status", "retention", 1.5), ("will expire", "retention", 2.5),
    ("are expiring", "retention", 2.5), ("is expiring", "retention", 2.5), ("expiring", "retention", 1.5),
    ("expire soon", "retention", 2.5), ("expires soon", "retention", 2.5), ("redeem", "retention", 1.5),
    ("your points", "retention", 2), ("your miles", "retention", 2), ("your rewards", "retention", 1.5),
    ("keep enjoying", "retention", 2.5), ("keep your", "retention", 1.5), ("keep the", "retention", 1),
    ("don't lose", "retention", 2), ("lose", "retention", 1), ("before you go we", "retention", 3),
    ("hate to see", "retention", 3),
    ("appreciation", "retention", 2), ("appreciate", "retention", 1.5), ("birthday", "retention", 2.5),
    ("congratulations", "retention", 1.5), ("you've earned", "retention", 2), ("you earned", "retention", 2),
    ("unlocked", "retention", 1.5), ("you qualify", "retention", 2), ("you're eligible", "retention", 1.5),
    ("no action needed", "retention", 1), ("sticking with us", "retention", 3), ("being with us", "retention", 3),
    ("with us for", "retention", 2.5), ("price lock", "retention", 2.5), ("your policy", "retention", 1),
    ("your account", "retention", 0.5), ("customers", "retention", 0.5), ("member", "retention", 0.5),
    # educational: teaches, no offer
    ("how to", "educational", 3), ("how do", "educational", 3), ("how does", "educational", 3),
    ("how much", "educational", 2), ("what is", "educational", 2.5), ("what are", "educational", 2),
    ("what affects", "educational", 2.5), ("tips", "educational", 3), ("tip", "educational", 2),
    ("guide", "educational", 2.5), ("guides", "educational", 2.5), ("learn how", "educational", 2.5),
    ("learn about", "educational", 2.5), ("learn the", "educational", 2.5), ("learn what", "educational", 2.5),
    ("learn", "educational", 1), ("learn more", "educational", 0), ("webinar", "educational", 3),
    ("seminar", "educational", 3), ("workshop", "educational", 2.5), ("workshops", "educational", 2.5),
    ("explained", "educational", 3), ("explainer", "educational", 3), ("explains", "educational", 2.5),
    ("understand", "educational", 2), ("understanding", "educational", 2), ("did you know", "educational", 2.5),
    ("here's how", "educational", 2), ("checklist", "educational", 2.5), ("steps", "educational", 1.5),
    ("step by step", "educational", 2), ("calculator", "educational", 2), ("protect yourself", "educational", 3),
    ("protect your", "educational", 2), ("scam", "educational", 2), ("scams", "educational", 2),
    ("phishing", "educational", 2.5), ("beware", "educational", 2), ("never ask", "educational", 2.5),
    ("identity theft", "educational", 2), ("budget", "educational", 2), ("budgeting", "educational", 2),
    ("basics", "educational", 2), ("articles", "educational", 2),
    ("outlook", "educational", 1.5), ("commentary", "educational", 2), ("difference between", "educational", 2.5),
    ("pros and cons", "educational", 2.5), ("rule of thumb", "educational", 2), ("blog", "educational", 2),
    ("should you", "educational", 2), ("can help", "educational", 1), ("make the most of", "educational", 2),
    ("how it works", "educational", 2.5), ("what to know", "educational", 2.5), ("what to do", "educational", 2),
    ("here's what", "educational", 1.5), ("stay safe", "educational", 2.5), ("knowledge", "educational", 2),
    ("read the", "educational", 1), ("free guide", "educational", 2.5),
    # brand_awareness: image and values, no concrete offer
    ("proud", "brand_awareness", 3), ("sponsor", "brand_awareness", 3), ("sponsorship", "brand_awareness", 3),
    ("sponsors", "brand_awareness", 3), ("official", "brand_awareness", 0.5), ("official card", "brand_awareness", 2.5),
    ("official bank", "brand_awareness", 2.5), ("official banking", "brand_awareness", 2.5),
    ("official partner", "brand_awareness", 2.5), ("official sponsor", "brand_awareness", 3),
    ("partner of", "brand_awareness", 2),
    ("community", "brand_awareness", 2), ("communities", "brand_awareness", 2), ("committed to", "brand_awareness", 2.5),
    ("commitment", "brand_awareness", 2), ("committing", "brand_awareness", 2.5), ("mission", "brand_awareness", 2),
    ("values", "brand_awareness", 2), ("since num", "brand_awareness", 2.5), ("sustainability", "brand_awareness", 2.5),
    ("sustainable", "brand_awareness", 2.5), ("net zero", "brand_awareness", 3), ("planet", "brand_awareness", 2),
    ("environmental", "brand_awareness", 2), ("volunteered", "brand_awareness", 3), ("volunteer", "brand_awareness", 2.5),
    ("grants", "brand_awareness", 2), ("giving", "brand_awareness", 1.5), ("donate", "brand_awareness", 2.5),
    ("for more than num years", "brand_awareness", 2.5), ("our people", "brand_awareness", 1.5),
    ("tradition", "brand_awareness", 2), ("celebrate the", "brand_awareness", 1.5), ("pledged", "brand_awareness", 2.5),
    ("pledge", "brand_awareness", 2), ("most reliable", "brand_awareness", 2), ("named", "brand_awareness", 1),
    ("millions of people", "brand_awareness", 1.5), ("every step", "brand_awareness", 1.5),
    ("reimagined", "brand_awareness", 1.5), ("we're with you", "brand_awareness", 2),
    ("there's", "brand_awareness", 0.5), ("connect the world", "brand_awareness", 2.5),
    # servicing: not a campaign type; lowers the confidence of whatever type wins
    ("payment due", SERVICING, 3), ("is due", SERVICING, 3), ("past due", SERVICING, 3), ("declined", SERVICING, 3),
    ("statement is ready", SERVICING, 3), ("bill is ready", SERVICING, 3), ("amount due", SERVICING, 3),
    ("received your payment", SERVICING, 3), ("overdrawn", SERVICING, 3), ("unusual activity", SERVICING, 3),
    ("fraud alert", SERVICING, 3), ("reply yes", SERVICING, 2), ("change in terms", SERVICING, 3),
    ("account ending in", SERVICING, 2), ("minimum payment", SERVICING, 2), ("we've detected", SERVICING, 2),
    ("unable to approve", SERVICING, 3), ("outage", SERVICING, 3), ("data breach", SERVICING, 3),
    ("late fee", SERVICING, 2.5), ("overdraft fee", SERVICING, 2.5), ("credit limit to", SERVICING, 2.5),
    ("will increase from", SERVICING, 2.5), ("will rise to", SERVICING, 2.5), ("will decrease to", SERVICING, 2.5),
    ("will go up", SERVICING, 2.5), ("effective with your next", SERVICING, 2), ("temporarily blocked", SERVICING, 3),
    ("your application", SERVICING, 1.5), ("security incident", SERVICING, 3), ("deferred interest", SERVICING, 2),
)

# "20% off", "$50 off": a discount, the surest promotional cue. Matched on the text because
# cue words are looked up by their first word, and a number is no word.
_PRICE_OFF_RE = re.compile(r"(?:\d\s?%|\$\d[\d,.]*)\s+off\b")
PRICE_OFF_WEIGHT = 3.0
# Punctuation stripped from the ends of words; "$" and "%" stay, they tell amounts and rates.
_STRIPPED = string.punctuation.replace("$", "").replace("%", "")
_NUMBER_CHARACTERS = frozenset("0123456789,.")
_PLACEHOLDERS = frozenset({"usd", "pct", "num"})


# A cue entry: (cue number of the word alone, or None; second word → [(words after the second,
# whether they hold a number placeholder, cue number)], longest first; whether a second word
# is a number placeholder).
_Entry = tuple[int | None, dict[str, list[tuple[tuple[str, ...], bool, int]]], bool]


def _build_index(cues: tuple[tuple[str, str, float], ...]) -> dict[str, _Entry]:
    """First word → its cues. Looking up the first two words in nested dicts finds a multi-word
    cue with two dict lookups, without comparing slices of the text for every candidate."""
    singles: dict[str, int] = {}
    multis: dict[str, dict[str, list[tuple[tuple[str, ...], bool, int]]]] = {}
    for number, (phrase, _, _) in enumerate(cues):
        first, *rest = phrase.split()
        if not rest:
            singles[first] = number
            continue
        second, *after = rest
        entries = multis.setdefault(first, {}).setdefault(second, [])
        entries.append((tuple(after), not _PLACEHOLDERS.isdisjoint(after), number))
        entries.sort(key=lambda entry: -len(entry[0]))
    return {
        word: (singles.get(word), multis.get(word, {}), not _PLACEHOLDERS.isdisjoint(multis.get(word, ())))
        for word in {*singles, *multis}
    }


_INDEX = _build_index(CUES)
_CUE_TYPES = [cue_type for _, cue_type, _ in CUES]
_CUE_WEIGHTS = [weight for _, _, weight in CUES]


def _words_of_token(token: str) -> tuple[str, ...]:
    """The cue words of one lower-cased, whitespace-free token (looked up in a memo: the
    vocabulary is small, so this is done once per distinct token)."""
    return tuple(word.strip(_STRIPPED) for word in token.replace("’", "'").replace("-", " ").split())


_WORDS_OF_TOKEN: Memo[str, tuple[str, ...]] = Memo(_words_of_token)


def _words(tokens: list[str]) -> list[str]:
    """The cue words of lower-cased, whitespace-split tokens: hyphens separate words, and the
    punctuation around each word is stripped."""
    return list(chain.from_iterable(map(_WORDS_OF_TOKEN.__getitem__, tokens)))


def _placeholder(token: str) -> str:
    """The cue word for a number: "usd" for "$300", "pct" for "20%", "num" for "2025"."""
    if token.startswith("$"):
        return "usd"
    if token.endswith("%"):
        return "pct"
    if token and _NUMBER_CHARACTERS.issuperset(token):
        return "num"
    return token


_PLACEHOLDER: Memo[str, str] = Memo(_placeholder)


def _find_cues(tokens: list[str]) -> set[int]:
    """Numbers of the cues in `tokens`; the longest cue starting at a word wins."""
    found: set[int] = set()
    last = len(tokens) - 1
    # Only the positions of words that start a cue are visited, found by map() in C.
    for i in compress(count(), map(_INDEX.__contains__, tokens)):
        single, by_second, numbered = _INDEX[tokens[i]]
        if by_second and i < last:
            candidates = by_second.get(tokens[i + 1])
            if candidates is None and numbered:
                candidates = by_second.get(_PLACEHOLDER[tokens[i + 1]])
            if candidates is not None and _add_longest(candidates, tokens, i + 2, found):
                continue
        if single is not None:
            found.add(single)
    return found


def _add_longest(
    candidates: list[tuple[tuple[str, ...], bool, int]], tokens: list[str], start: int, found: set[int]
) -> bool:
    """Add the longest candidate whose remaining words follow at `start`; False if none does."""
    for rest, has_placeholder, number in candidates:
        following = tuple(tokens[start : start + len(rest)])
        if has_placeholder:
            following = tuple(map(_PLACEHOLDER.__getitem__, following))
        if following == rest:
            found.add(number)
            return True
    return False


def predict_campaign_type(
    title: str | None, subject: str | None, content: str | None, channel: str | None
) -> tuple[str, float]:
    """(campaign type, confidence in [0, 1]) for one piece; any argument may be None or empty.

    Always returns one of `model.CAMPAIGN_TYPES`; servicing messages and pieces without cues
    get the best guess with a low confidence.
    """
    headline = " ".join(part for part in (title, subject) if part)
    return predict_from_tokens(
        HEADLINES[headline],
        content or "",
        content.lower().split() if content else [],
        channel,
        any("$" in part or "%" in part for part in (title, subject, content) if part),
    )


class Headline(NamedTuple):
    """What the campaign type takes from a headline (title and subject joined by a space)."""

    words: int  # whitespace-separated words
    cues: frozenset[int]  # numbers of the cues found in it
    price_off: bool  # whether it offers "20% off" or "$50 off"


def _headline(headline: str) -> Headline:
    tokens = headline.lower().split()
    price_off = "off" in headline and _PRICE_OFF_RE.search(headline.lower()) is not None
    return Headline(len(tokens), frozenset(_find_cues(_words(tokens))), price_off)


# Headlines repeat much more than bodies (one subject line goes out in many pieces).
HEADLINES: Memo[str, Headline] = Memo(_headline, limit=50_000)


def predict_from_tokens(
    headline: Headline,
    content: str,
    content_tokens: list[str],
    channel: str | None,
    has_amount: bool,
) -> tuple[str, float]:
    """`predict_campaign_type` for a caller that has split the text already: `headline` is
    HEADLINES[title and subject joined by a space], `content` the body and `content_tokens` the
    body lower-cased and split on whitespace; `has_amount`: whether any part holds "$" or "%"."""
    if headline.price_off:
        price_off = 2
    else:
        price_off = 1 if "off" in content and _PRICE_OFF_RE.search(content.lower()) else 0
    content_cues = frozenset(_find_cues(_words(content_tokens)))
    return _DECISIONS[(content_cues, headline.cues, price_off, has_amount, channel)]


def _decide(evidence: tuple[frozenset[int], frozenset[int], int, bool, str | None]) -> tuple[str, float]:
    """The type and confidence for (cues in the body, cues in the headline, "% off" in the
    headline (2), in the body (1) or nowhere (0), whether the piece has "$" or "%", channel)."""
    content_cues, headline_cues, price_off, has_amount, channel = evidence
    scores = dict.fromkeys(CAMPAIGN_TYPES, 0.0)
    servicing = 0.0
    for number in content_cues | headline_cues:
        weight = _CUE_WEIGHTS[number] * (CUE_WEIGHT_HEADLINE if number in headline_cues else 1.0)
        cue_type = _CUE_TYPES[number]
        if cue_type == SERVICING:
            servicing += weight
        else:
            scores[cue_type] += weight
    if price_off:
        scores["promotional"] += PRICE_OFF_WEIGHT * (CUE_WEIGHT_HEADLINE if price_off == 2 else 1.0)
    if not (has_amount or scores["acquisition"] > 0 or scores["promotional"] > 0):
        scores["brand_awareness"] += NO_OFFER_PRIOR
    prior = CHANNEL_PRIORS.get(channel or "")
    if prior is not None:
        scores[prior[0]] += prior[1]
    # Ties go to the earlier type in CAMPAIGN_TYPES: max() keeps the first of equal scores.
    best = max(scores, key=scores.__getitem__)
    top, second = sorted(scores.values(), reverse=True)[:2]
    confidence = (top - second) / (top + second + 1.0)
    if servicing:
        confidence *= top / (top + servicing) if top else 0.0
    return best, round(confidence, 4)


# The same evidence recurs often (templates, one offer in many pieces): decisions are kept.
_DECISIONS: Memo[tuple[frozenset[int], frozenset[int], int, bool, str | None], tuple[str, float]] = Memo(
    _decide, limit=50_000
)
