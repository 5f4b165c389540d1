"""Offer terms out of marketing copy: APRs, bonuses, cash back, fees and APY as typed values.

`extract_offers` reads one text (title, subject and body joined) and returns every field of
`model.OFFER_FIELDS`, None when the copy does not state it. The rules are regular expressions,
compiled once, run on the lower-cased text, and each family is skipped when a cheap substring
test shows it cannot match; most pieces mention only one or two kinds of term.

Conventions when the copy states a term more than once (documented because analysts compare
offers on these numbers):

- intro APR: the first intro/promotional APR mentioned (usually the headline one); any 0% APR
  is an intro APR, since no card's ongoing rate is zero.
- regular APR: the first ongoing-rate mention; a range ("19.24%–29.24%") or a list ("17.24%,
  23.74% or 28.99%") gives min and max, a single rate gives min = max, "as low as 5.99% APR"
  gives the min only, "will increase from 21.99% to 24.99%" gives the new rate. Penalty and cash
  advance APRs are not offer terms and are skipped.
- bonus: points or miles only when the copy presents them as a bonus (the word "bonus", an
  earn/get verb before, or a qualifying "after/when" condition), never earn rates such as
  "3X points"; dollars only when named as a bonus, or paid "when/after/upon" an action. The
  largest amount in the unit first mentioned wins ("$150 ... or $200 when you deposit $25,000").
  Spend and window come from the neighbourhood of that bonus; days become months (90 → 3).
- cash back: the highest rate in sentences that talk about cash back (or "earn N% on ...");
  "% off" discounts and savings are not cash back.
- APY: the highest rate offered (tiers, boosts).
- annual fee: "no annual fee" is 0; an intro fee ("$0 intro annual fee for the first year, then
  $95") gives the ongoing fee and puts the intro wording in "annual_fee_intro_note".
- expiry: the first date, with its year, that the copy gives as the offer's end ("Offer ends
  January 19, 2027", "Expires: Jan 19, 2027", "Apply by March 31, 2026", "valid through
  12/31/26", "ends 01/19/27"); numeric dates are month first (US copy). A date without a year
  ("Offer ends March 31") is left out: the text alone does not say which year, and a wrong
  guess would show a running offer as ended. When points or miles expire, that is not the
  offer's end.
"""

from __future__ import annotations

import re
from datetime import date

from competiscan.model import OFFER_FIELDS

__all__ = ["extract_offers", "offer_values", "offer_expiry", "OfferTerms", "INTRO_NOTE_FIELD"]

OfferTerms = dict[str, float | int | str | date | None]

# Extra key next to the OFFER_FIELDS: the wording of an intro annual-fee deal, kept as text
# because its shape varies too much to type.
INTRO_NOTE_FIELD = "annual_fee_intro_note"

_PCT = r"(\d{1,2}(?:\.\d{1,3})?)\s?%"
_RANGE_SEP = r"\s*(?:[-–—‑]|to)\s*"
_AMOUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{2})?"


def _named_amount(name: str) -> str:
    """A dollar amount ("4,000", "95.00") captured as group `name`."""
    return rf"(?P<{name}>\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d{{2}})?"


_APR_WORD = r"(?:aprs?|annual\s+percentage\s+rates?)\b"
# Words that may stand between a rate and "APR"; "penalty" and "cash advance" mark rates that
# are not offer terms.
_APR_ADJECTIVES = (
    r"(?P<adj>(?:(?:intro(?:ductory)?|promotional|promo|special|variable|fixed|standard|"
    r"regular|ongoing|purchase|penalty|cash\s+advance|balance\s+transfer)\s+){0,3})"
)


def _intro_period(name: str) -> str:
    """An optional period after an intro rate ("for 15 months", "for the first 18 billing
    cycles"), its count captured as group `name`."""
    return (
        rf"(?:[^.;%\d]{{0,60}}?\bfor\s+(?:the\s+first\s+|up\s+to\s+)?(?P<{name}>\d{{1,2}})\s+"
        r"(?:months?|mos?\b|billing\s+cycles?|statement\s+(?:periods|cycles)))?"
    )


# Each "APR" is found first (a literal the regex engine jumps to), then its rates are read
# around it with anchored patterns.
_APR_WORD_RE = re.compile(_APR_WORD)
# Rate(s) written just before the word APR: "0% intro APR", "19.24%–29.24% variable APR",
# "17.24%, 23.74%, or 28.99% variable APR", "as low as 5.99% APR". Anchored at the APR.
_RATES_BEFORE_APR_RE = re.compile(
    r"(?P<floor>as\s+low\s+as\s+|starting\s+at\s+)?"
    r"(?:(?P<lo>\d{1,2}(?:\.\d{1,3})?)\s?%?" + _RANGE_SEP + r"|"
    r"(?P<list>(?:\d{1,2}(?:\.\d{1,3})?\s?%,\s*)+(?:or\s+|and\s+)?))?"
    r"(?P<val>\d{1,2}(?:\.\d{1,3})?)\s?%\s*" + _APR_ADJECTIVES + r"$"
)
# How far before its "APR" the last "%" of a rate may be, and how far before that "%" the rates
# may start ("as low as 17.24%, 23.74%, or 28.99%").
_RATE_TO_APR = 40
_RATES_SPAN = 60
# Rate(s) written after the word APR: "APR of 21.24%", "variable APR of 18.74% to 29.74%",
# "Purchase APR: 21.24% or 29.99%", "intro APR of 0% for 15 months".
_RATES_AFTER_APR_RE = re.compile(
    r"(?P<gap>[^.%\d]{0,40}?)(?P<val>\d{1,2}(?:\.\d{1,3})?)\s?%"
    r"(?:" + _RANGE_SEP + r"(?P<hi>\d{1,2}(?:\.\d{1,3})?)\s?%"
    r"|(?P<list>(?:,\s*\d{1,2}(?:\.\d{1,3})?\s?%)*,?\s*(?:or|and)\s+\d{1,2}(?:\.\d{1,3})?\s?%))?"
    + _intro_period("months")
)
_ADJECTIVES_BEFORE_APR_RE = re.compile(
    r"(?:(?:intro(?:ductory)?|promotional|promo|penalty|cash\s+advance)\s+){1,2}$"
)
_PERIOD_AFTER_APR_RE = re.compile(_intro_period("months"))
_PCT_NUMBER_RE = re.compile(r"\d{1,2}(?:\.\d{1,3})?")
_INTRO_ADJ_RE = re.compile(r"intro|promo|special")
_SKIPPED_ADJ_RE = re.compile(r"penalty|cash\s+advance")
# "Your APR will increase from 21.99% to 24.99%": a change notice, not a range.
_RATE_CHANGE_RE = re.compile(
    r"\b(?:increas|decreas|ris|rais|chang|go(?:es|ing)?\s+(?:up|down)|drop|fall|lower|reduc)"
)
# "15 months of 0% intro APR": the period written before the rate.
_PERIOD_BEFORE_RE = re.compile(
    r"(\d{1,2})\s+(?:months?|billing\s+cycles?)\s+(?:of|at)\s+(?:an?\s+)?$"
)

_APY_RE = re.compile(
    _PCT + r"\s*(?:annual\s+percentage\s+yield\s*)?\(?\s*apy\b"
    r"|(?:apy|annual\s+percentage\s+yield)\b(?:\s*\(apy\))?[^.%\d]{0,25}?" + _PCT
)

_ANNUAL_FEE_INTRO_RE = re.compile(
    r"(?P<note>\$0\s+(?:intro(?:ductory)?\s+)?annual\s+fee\s+(?:for\s+)?(?:the\s+|your\s+)?"
    r"first\s+(?:year|12\s+months))\s*,?\s*(?:then|and\s+then|after\s+that,?)\s+\$" + _named_amount("fee1")
    + r"|(?P<note2>(?:an?\s+)?intro(?:ductory)?\s+annual\s+fee\s+of\s+\$0\s+(?:for\s+)?"
    r"(?:the\s+)?first\s+year)\s*,?\s*(?:then|and\s+then|after\s+that,?)\s+\$" + _named_amount("fee2")
    + r"|\$" + _named_amount("fee3") + r"\s+annual\s+fee\s+(?P<note3>(?:is\s+)?waived\s+(?:for\s+)?"
    r"(?:the\s+)?first\s+year)"
)
# No leading \b: it would keep the regex engine from skipping to the alternatives' first letters;
# a "no" that ends a longer word ("casino annual fee") is rejected after matching.
_ANNUAL_FEE_RE = re.compile(
    r"(?P<zero>no|zero|without\s+an?)\s+annual\s+fees?\b"
    r"|\$" + _named_amount("before") + r"\s+annual\s+(?:membership\s+)?fee"
    r"|annual\s+(?:membership\s+)?fee\s*(?::|of|is|just|only|\s)\s*(?:just\s+|only\s+)?\$"
    + _named_amount("after")
)

_BT_FEE_RE = re.compile(
    r"\bno\s+(?P<zero>(?:intro(?:ductory)?\s+)?balance\s+transfer\s+fees?)\b"
    r"|(?P<before>\d{1,2}(?:\.\d{1,3})?)\s?%\s+(?:intro(?:ductory)?\s+)?balance\s+transfer\s+fees?\b"
    r"|balance\s+transfer\s+fees?\b[^.%\d$]{0,30}?(?:\$\d+(?:\.\d{2})?\s+or\s+)?"
    r"(?P<after>\d{1,2}(?:\.\d{1,3})?)\s?%"
)

# Points and miles are found by their unit (a word the regex engine can jump to); the amount
# is read just before it, with up to four words between ("80,000 Membership Rewards® points").
_POINTS_UNIT_RE = re.compile(r"(points|pts|miles)\b(\s+(?:after|when|once|if)\b)?")
_POINTS_AMOUNT_BEFORE_RE = re.compile(
    r"(?P<amount>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<k>k)?\s+(?P<words>(?:[a-z®℠™*]+\s+){0,4})$"
)
# The longest stretch from an amount to its unit: digits, "k" and four words.
_POINTS_REACH = 80
_POINTS_VERB_BEFORE_RE = re.compile(
    r"\b(?:earn|get|receive|enjoy|plus|collect|with)\s+(?:an?\s+)?(?:up\s+to\s+)?"
    r"(?:an?\s+)?(?:extra\s+|additional\s+)?$"
)
# Points or miles below this are earn rates ("5 points per dollar"), never sign-up bonuses.
_MIN_POINTS_BONUS = 500
_BONUS_QUALIFIER = r"(?:cash|rewards?|online|sign-?up|welcome|new|account|checking|savings|one-time|referral|statement|extra)"
# A dollar amount is a bonus when what follows or precedes it says so. Each amount is found by
# its "$" (a literal the regex engine jumps to), then its context is checked with anchored
# patterns, instead of one regex whose leading word alternatives would be tried at every position.
_DOLLARS_RE = re.compile(r"\$" + _AMOUNT)
# "$200 cash bonus", "$200 online cash rewards bonus", "$1,000 bonus"
_NAMED_BONUS_AFTER_RE = re.compile(r"\s+(?:" + _BONUS_QUALIFIER + r"\s+){0,3}bonus\b")
# "$60 Amazon Gift Card instantly upon approval", "$200 cash back after you spend $500"
_CREDIT_AFTER_RE = re.compile(
    r"\s+(?:[a-z'’]+\s+){0,2}?(?:statement\s+credit|gift\s+card|reward\s+card|prepaid\s+card|cash\s+back)\b"
    r"(?=[^.]{0,20}?\b(?:after|when|upon|once)\b)"
)
# "Get $300 when you open", "worth up to $150 when you sign up", "Up to $1,000 when you transfer"
_OFFER_VERB_BEFORE_RE = re.compile(
    r"(?:\b(?:get|earn|receive|enjoy|score|worth|or|and)\s+(?:an?\s+)?(?:extra\s+)?(?:up\s+to\s+)?"
    r"|\bup\s+to\s+)$"
)
_CONDITION_AFTER_RE = re.compile(
    r"\s+(?:in\s+cash\s+)?(?:when|after|once|upon|for\s+(?:opening|signing|switching|joining))\b"
)
# A dollar bonus needs one of these words after its amount (see the three patterns above); most
# pieces with a "$" have none, and their amounts need not be looked at.
def _may_name_dollar_bonus(low: str) -> bool:
    return (
        "bonus" in low or "when" in low or "after" in low or "once" in low or "upon" in low
        or "opening" in low or "signing" in low or "switching" in low or "joining" in low
    )


# How far before an amount its verb is looked for ("receive an extra up to " is 24 characters).
_VERB_WINDOW = 32
# The spend requirement and the window of a bonus are found by their literal parts (the "$"
# of the amount; the digits before "months"/"days"), then the words before them are checked
# with patterns anchored at the literal.
_SPEND_VERB_BEFORE_RE = re.compile(
    r"\b(?:spend(?:ing)?|after|make|making|purchases\s+totaling)\s+(?:at\s+least\s+|a\s+minimum\s+of\s+)?$"
)
_WINDOW_RE = re.compile(r"(\d{1,3})\s+(months?|days?)\b")
_WINDOW_BEFORE_RE = re.compile(r"\b(?:in|within|during)\s+(?:the\s+|your\s+)?(?:first\s+|next\s+)?$")
# How far before an amount or a count the words that qualify it are looked for.
_QUALIFIER_WINDOW = 40
# How far around a bonus its spend requirement and window are looked for.
_BONUS_CONTEXT_BEFORE = 150
_BONUS_CONTEXT_AFTER = 250

_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?;])\s+|\n+")
_CASH_BACK_CUE_RE = re.compile(
    r"cash\s*back|cash\s+rewards?|\d\s?%\s+(?:daily\s+)?back\b"
    r"|earn\s+(?:an?\s+(?:additional|extra)\s+)?(?:unlimited\s+)?(?:up\s+to\s+)?\d{1,2}(?:\.\d+)?\s?%\s+(?:on|at|in|back|cash)\b"
)
# A percentage in a cash-back sentence, unless it is a discount, a rate, a fee or a match.
_CASH_BACK_PCT_RE = re.compile(
    r"(?<![\d.])(?<!save\s)(?<!save\sup\sto\s)(?<!extra\s)" + _PCT
    + r"(?!\s*(?:off|apr|apy|intro|introductory|promotional|variable|fixed|interest|match|more\b|"
    r"of\s|balance|foreign|annual\s+(?:fee|percentage)|expense|penalty|fee|utilization|apy))"
)

_MONTH_NUMBERS = {name: n for n, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}
_MONTH_NAME = r"\b(?:" + "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
# Every date the rule reads has a year, found first by its digits (literals the regex engine
# skips to); the rest of the date, and the words that make it the offer's end, are read just
# before it with patterns anchored there.
_YEAR_RE = re.compile(r"20\d\d(?![\d%])|/\d\d(?![\d/%])")
# The month and day before a year: "january 19, ", "19 january ", "1/19/" (month first).
_MONTH_DAY_RE = re.compile(
    r"(?:(?P<month>" + _MONTH_NAME + r")\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+"
    r"|(?P<day2>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month2>" + _MONTH_NAME + r"),?\s+"
    r"|(?P<m>\d{1,2})/(?P<d>\d{1,2})/)$"
)
# The month and day before a two-digit year's "/": "12/31" of "12/31/26".
_SHORT_MONTH_DAY_RE = re.compile(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})$")
_ISO_TAIL_RE = re.compile(r"-(\d\d)-(\d\d)(?!\d)")
_DATE_REACH = 24   # "september 30th, " and a little more
# What says a date ends the offer: "offer ends", "expires:", "valid through", "apply by",
# "now through", "deadline", maybe followed by a time, "on" and a weekday.
_EXPIRY_CUE_RE = re.compile(
    r"\b(?:(?:ends?|ending|expires?|expiring|expiration\s+date|deadline)(?:\s+(?:is|on))?"
    r"|(?:valid|good|available|runs?)\s+(?:through|thru|until|till)"
    r"|(?:apply|respond|reply|sign\s+up|enroll|register|book|act|redeem|activate|join|switch"
    r"|open\s+(?:an?\s+|your\s+)?(?:[a-z]+\s+){0,2}?account)\s+(?:now\s+|online\s+|today\s+)?by"
    r"|(?:now\s+)?(?:through|thru|until|till))"
    r"\s*:?\s*(?:(?:at\s+)?(?:midnight|\d{1,2}(?::\d{2})?\s*[ap]\.?m\.?)\s*"
    r"(?:[a-z]{2,4}\b\.?)?,?\s*)?"
    r"(?:on\s+)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?$"
)
_CUE_REACH = 60   # "offer ends at 11:59 p.m. et on wednesday, " and a little more
# "Your points will expire on March 3, 2026": a balance's end, not the offer's.
_NOT_THE_OFFER_RE = re.compile(r"\b(?:points|miles|pts|password)\b[^.;!?]{0,25}$")


def _may_state_expiry(low: str) -> bool:
    """Whether ``low`` may give an offer's end date: it has something like a year."""
    return "20" in low or "/" in low


def offer_expiry(low: str) -> date | None:
    """The date the (lower-cased) copy gives as the offer's end; see the module's
    conventions."""
    for year in _YEAR_RE.finditer(low):
        found = _dated(low, year)
        if found is None:
            continue
        day, start = found
        cue = _EXPIRY_CUE_RE.search(low, max(0, start - _CUE_REACH), start)
        if cue is not None and not _NOT_THE_OFFER_RE.search(low, max(0, cue.start() - 40),
                                                             cue.start()):
            return day
    return None


def _dated(low: str, year: re.Match[str]) -> tuple[date, int] | None:
    """The calendar date whose year ``year`` is, and where that date starts in ``low``."""
    at = year.start()
    text = year.group()
    if text[0] == "/":   # "/26": month and day come before the "/"
        m = _SHORT_MONTH_DAY_RE.search(low, max(0, at - 5), at)
        if m is None:
            return None
        return _date(2000 + int(text[1:]), int(m.group("m")), int(m.group("d")), m.start())
    if at and (low[at - 1].isdigit() or low[at - 1] in ",.$"):
        return None   # part of a longer number or an amount
    iso = _ISO_TAIL_RE.match(low, year.end())
    if iso is not None:
        return _date(int(text), int(iso.group(1)), int(iso.group(2)), at)
    m = _MONTH_DAY_RE.search(low, max(0, at - _DATE_REACH), at)
    if m is None:
        return None
    if m.group("m"):
        return _date(int(text), int(m.group("m")), int(m.group("d")), m.start())
    month = _MONTH_NUMBERS[(m.group("month") or m.group("month2")).rstrip(".")]
    return _date(int(text), month, int(m.group("day") or m.group("day2")), m.start())


def _date(year: int, month: int, day: int, start: int) -> tuple[date, int] | None:
    try:
        return date(year, month, day), start
    except ValueError:   # "February 30", "13/01/2026"
        return None


def extract_offers(text: str, low: str | None = None) -> OfferTerms:
    """Return every offer field of `model.OFFER_FIELDS` found in `text` (None when absent).

    Adds "annual_fee_intro_note" when the copy states an intro annual fee. `text` is usually
    title, subject line and body joined; an empty or missing text gives all None. `low`:
    text.lower(), when the caller has it already.
    """
    terms: OfferTerms = dict.fromkeys(OFFER_FIELDS)
    if not text:
        return terms
    if low is None:
        low = text.lower()
    if "apr" in low or "annual percentage rate" in low:
        _extract_aprs(low, terms)
    if "apy" in low or "annual percentage yield" in low:
        _extract_apy(low, terms)
    if "annual" in low:
        _extract_annual_fee(low, terms)
    if "balance transfer fee" in low:
        _extract_balance_transfer_fee(low, terms)
    if "points" in low or "miles" in low or "pts" in low or ("$" in low and _may_name_dollar_bonus(low)):
        _extract_bonus(low, terms)
    if "%" in low and ("back" in low or "cash" in low or "earn" in low):
        _extract_cash_back(low, terms)
    if _may_state_expiry(low):
        terms["offer_expires"] = offer_expiry(low)
    return terms


_NO_TERMS: tuple[None, ...] = (None,) * len(OFFER_FIELDS)
_EXPIRES_AT = OFFER_FIELDS.index("offer_expires")


def offer_values(text: str, low: str) -> tuple[float | int | str | date | None, ...]:
    """The values of `extract_offers(text)` in the order of OFFER_FIELDS, `low` being
    text.lower(). Most pieces name no kind of offer term at all (no rate, fee, points, bonus or
    cash back): for them, the same substring tests extract_offers starts with say so at once,
    and only an end date is looked for."""
    if not (
        "apr" in low or "apy" in low or "annual" in low or "balance transfer fee" in low
        or "points" in low or "miles" in low or "pts" in low
        or ("$" in low and _may_name_dollar_bonus(low))
        or ("%" in low and ("back" in low or "cash" in low or "earn" in low))
    ):
        expires = offer_expiry(low) if _may_state_expiry(low) else None
        if expires is None:
            return _NO_TERMS
        return (*_NO_TERMS[:_EXPIRES_AT], expires, *_NO_TERMS[_EXPIRES_AT + 1:])
    return tuple(map(extract_offers(text, low).get, OFFER_FIELDS))


def _number(raw: str) -> float:
    return float(raw.replace(",", ""))


def _extract_aprs(low: str, terms: OfferTerms) -> None:
    for apr in _APR_WORD_RE.finditer(low):
        at, after_apr = apr.span()
        if at and low[at - 1].isalnum():
            continue
        before = None
        last_pct = low.rfind("%", max(0, at - _RATE_TO_APR), at)
        if last_pct >= 0:
            before = _RATES_BEFORE_APR_RE.search(low, max(0, last_pct - _RATES_SPAN), at)
        if before is not None:
            start = before.start()
            adjectives = before.group("adj")
            value = float(before.group("val"))
            if before.group("list"):
                rates = [float(x) for x in _PCT_NUMBER_RE.findall(before.group("list"))] + [value]
            else:
                rates = [float(before.group("lo")), value] if before.group("lo") else [value]
            months = _PERIOD_AFTER_APR_RE.match(low, after_apr).group("months")
            floor_only = before.group("floor") is not None
            changed = False
        else:
            after = _RATES_AFTER_APR_RE.match(low, after_apr)
            if after is None:
                continue
            prefix = _ADJECTIVES_BEFORE_APR_RE.search(low, max(0, at - _RATE_TO_APR), at)
            start = prefix.start() if prefix else at
            adjectives = prefix.group() if prefix else ""
            rates = [float(after.group("val"))]
            if after.group("hi"):
                rates.append(float(after.group("hi")))
            elif after.group("list"):
                rates += [float(x) for x in _PCT_NUMBER_RE.findall(after.group("list"))]
            months = after.group("months")
            floor_only = "as low as" in after.group("gap")
            changed = _RATE_CHANGE_RE.search(after.group("gap")) is not None
        if _SKIPPED_ADJ_RE.search(adjectives):
            continue
        is_intro = (
            _INTRO_ADJ_RE.search(adjectives) is not None
            or months is not None
            or (len(rates) == 1 and rates[0] == 0.0)
        )
        if is_intro:
            if terms["intro_apr_pct"] is None:
                terms["intro_apr_pct"] = rates[0]
                if months is None:
                    period = _PERIOD_BEFORE_RE.search(low, max(0, start - 30), start)
                    months = period.group(1) if period else None
                terms["intro_apr_months"] = int(months) if months is not None else None
        elif terms["regular_apr_min_pct"] is None:
            if changed:
                rates = rates[-1:]
            terms["regular_apr_min_pct"] = min(rates)
            terms["regular_apr_max_pct"] = None if floor_only else max(rates)


def _extract_apy(low: str, terms: OfferTerms) -> None:
    rates = [float(a or b) for a, b in _APY_RE.findall(low)]
    if rates:
        terms["apy_pct"] = max(rates)


def _extract_annual_fee(low: str, terms: OfferTerms) -> None:
    # Every intro wording names the "first" year or months.
    intro = _ANNUAL_FEE_INTRO_RE.search(low) if "first" in low else None
    if intro is not None:
        fee = intro.group("fee1") or intro.group("fee2") or intro.group("fee3")
        note = intro.group("note") or intro.group("note2") or f"annual fee {intro.group('note3')}"
        terms["annual_fee_usd"] = _number(fee)
        terms[INTRO_NOTE_FIELD] = note
        return
    for m in _ANNUAL_FEE_RE.finditer(low):
        if m.group("zero"):
            if m.start() and low[m.start() - 1].isalnum():
                continue
            terms["annual_fee_usd"] = 0.0
        else:
            terms["annual_fee_usd"] = _number(m.group("before") or m.group("after"))
        return


def _extract_balance_transfer_fee(low: str, terms: OfferTerms) -> None:
    m = _BT_FEE_RE.search(low)
    if m is not None:
        terms["balance_transfer_fee_pct"] = 0.0 if m.group("zero") else float(m.group("before") or m.group("after"))


def _extract_bonus(low: str, terms: OfferTerms) -> None:
    # (position, amount, unit, span) of every bonus-like mention.
    found: list[tuple[int, float, str, tuple[int, int]]] = []
    if "points" in low or "miles" in low or "pts" in low:
        for unit_match in _POINTS_UNIT_RE.finditer(low):
            at = unit_match.start()
            if at and low[at - 1].isalnum():
                continue  # part of a longer word
            m = _POINTS_AMOUNT_BEFORE_RE.search(low, max(0, at - _POINTS_REACH), at)
            if m is None:
                continue
            start = m.start()
            if start and low[start - 1] in ".,0123456789":
                continue  # the tail of a longer number
            amount = _number(m.group("amount")) * (1000 if m.group("k") else 1)
            if amount < _MIN_POINTS_BONUS:
                continue
            verb = _POINTS_VERB_BEFORE_RE.search(low, max(0, start - _VERB_WINDOW), start)
            if verb is not None or "bonus" in m.group("words") or unit_match.group(2):
                unit = "miles" if unit_match.group(1) == "miles" else "points"
                found.append((start, amount, unit, (verb.start() if verb else start, unit_match.end())))
    if "$" in low and _may_name_dollar_bonus(low):
        for m in _DOLLARS_RE.finditer(low):
            start, end = m.span()
            amount = _number(m.group(1))
            named = _NAMED_BONUS_AFTER_RE.match(low, end) or _CREDIT_AFTER_RE.match(low, end)
            if named is not None:
                found.append((start, amount, "dollars", (start, named.end())))
            elif _CONDITION_AFTER_RE.match(low, end):
                verb = _OFFER_VERB_BEFORE_RE.search(low, max(0, start - _VERB_WINDOW), start)
                if verb is not None:
                    found.append((verb.start(), amount, "dollars", (verb.start(), end)))
    if not found:
        return
    first_unit = min(found)[2]
    _, amount, unit, (start, end) = max((f for f in found if f[2] == first_unit), key=lambda f: f[1])
    terms["bonus_amount"] = amount
    terms["bonus_unit"] = unit
    context_start = max(0, start - _BONUS_CONTEXT_BEFORE)
    context_end = end + _BONUS_CONTEXT_AFTER
    spend = _nearest(_DOLLARS_RE, _SPEND_VERB_BEFORE_RE, low, context_start, context_end, start)
    if spend is not None:
        terms["bonus_spend_usd"] = _number(spend.group(1))
    window = _nearest(_WINDOW_RE, _WINDOW_BEFORE_RE, low, context_start, context_end, start)
    if window is not None:
        count = int(window.group(1))
        # Issuers write qualifying windows in days as multiples of 30 (90 days = 3 months).
        terms["bonus_window_months"] = count if window.group(2).startswith("month") else max(1, round(count / 30))


def _nearest(
    pattern: re.Pattern[str], before: re.Pattern[str], low: str, start: int, end: int, anchor: int
) -> re.Match[str] | None:
    """The match of `pattern` within low[start:end] that `before` matches just in front of,
    closest to position `anchor`."""
    matches = [
        m
        for m in pattern.finditer(low, start, end)
        if before.search(low, max(0, m.start() - _QUALIFIER_WINDOW), m.start())
    ]
    if not matches:
        return None
    return min(matches, key=lambda m: abs(m.start() - anchor))


def _extract_cash_back(low: str, terms: OfferTerms) -> None:
    if _CASH_BACK_CUE_RE.search(low) is None:
        return
    best = 0.0
    for sentence in _SENTENCE_SPLIT_RE.split(low):
        if "%" not in sentence or _CASH_BACK_CUE_RE.search(sentence) is None:
            continue
        for raw in _CASH_BACK_PCT_RE.findall(sentence):
            best = max(best, float(raw))
    if best > 0:
        terms["cash_back_pct"] = best
