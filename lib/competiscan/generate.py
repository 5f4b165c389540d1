"""Sample campaign data: a reproducible, realistic feed of competitors' marketing pieces.

`generate_campaigns` first draws a few thousand distinct messages (a headline, an offer written
the way issuers write it, a short form, disclosure terms, keywords) from templates per industry
and campaign type. Each row then composes one piece from a message, a lead, a call to action and
a layout that fits its channel (emails have subject lines, SMS is short, search ads are
headlines, direct mail has envelope teasers). A piece names one of its company's real products
where the catalogue (`products.py`) has one that fits its offer ("Capital One Venture X Card" for
a premium miles offer, never for "No annual fee"). Composition runs on pyarrow string kernels, so a
million rows take seconds. On top of the original pieces it adds what real feeds contain:
near-duplicates, re-sightings, exact duplicate rows, alias spellings of companies, free-text
channels and missing campaign types.

`write_campaigns` writes a frame in any format the ingest accepts, chosen by file extension.
"""

from __future__ import annotations

import calendar
import datetime
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .companies import KNOWN_COMPANIES, normalise_company_key
from .model import CAMPAIGN_TYPES, CHANNELS
from .products import KNOWN_PRODUCTS, Product

__all__ = ["COLUMNS", "generate_campaigns", "write_campaigns"]

# The channels sources name; "other" is only what ingest stores for a channel it does not know.
_CHANNELS: tuple[str, ...] = tuple(c for c in CHANNELS if c != "other")

COLUMNS: tuple[str, ...] = (
    "company_name",
    "industry",
    "channel",
    "campaign_type",
    "title",
    "subject_line",
    "content",
    "launch_date",
    "keywords",
    "landing_url",
    "audience",
    "geography",
    "est_spend_usd",
    "est_volume",
)

# Servicing messages (payment due, card declined) are no campaign type; they are generated as a
# sixth kind and written with an empty campaign_type.
_KINDS: tuple[str, ...] = (*CAMPAIGN_TYPES, "servicing")
_ACQ, _PROMO, _RET, _EDU, _BRAND, _SERV = range(len(_KINDS))
_INDUSTRIES: tuple[str, ...] = tuple(dict.fromkeys(c.industry for c in KNOWN_COMPANIES))

# Shares of the extra rows a real feed carries on top of the original pieces.
_NEAR_DUPLICATE_SHARE = 0.05
_RESIGHTING_SHARE = 0.10
_EXACT_DUPLICATE_SHARE = 0.01
_ALIAS_SHARE = 0.05
_FREE_TEXT_CHANNEL_SHARE = 0.05
_MISSING_TYPE_SHARE = 0.15
_SECONDARY_INDUSTRY_SHARE = 0.25

# ----------------------------------------------------------------------------- companies
# Heavy advertisers get a larger base size so share of voice has clear leaders.
_BIG_ADVERTISERS = frozenset({
    "Chase", "Capital One", "American Express", "Citi", "Discover", "Bank of America",
    "Wells Fargo", "GEICO", "Progressive", "State Farm", "Verizon", "AT&T", "T-Mobile",
    "Walmart", "Target", "Amazon", "Delta", "Marriott", "Fidelity", "Schwab",
})
# Companies that also market products of a second industry (a card issuer's checking account).
_SECONDARY_INDUSTRY = {
    "Chase": "banking", "Capital One": "banking", "Citi": "banking", "American Express": "banking",
    "Discover": "banking", "Barclays": "banking", "Synchrony": "banking",
    "Wells Fargo": "credit_cards", "Bank of America": "credit_cards", "U.S. Bank": "credit_cards",
    "PNC": "credit_cards", "Navy Federal Credit Union": "credit_cards", "USAA": "banking",
}
# Domains that differ from "<alias key>.com".
_DOMAINS = {
    "T-Mobile": "t-mobile.com", "Marcus by Goldman Sachs": "marcus.com",
    "Navy Federal Credit Union": "navyfederal.org", "American Airlines": "aa.com",
    "Merrill": "merrilledge.com", "Farmers Insurance": "farmers.com",
}

# ----------------------------------------------------------------------------- channel and type mix
_TYPE_WEIGHTS: dict[str, tuple[float, ...]] = {  # acquisition .. brand_awareness, servicing
    "credit_cards": (0.35, 0.23, 0.14, 0.12, 0.14, 0.02),
    "banking": (0.32, 0.18, 0.16, 0.16, 0.15, 0.03),
    "insurance": (0.36, 0.20, 0.16, 0.13, 0.13, 0.02),
    "telecom": (0.30, 0.30, 0.14, 0.10, 0.14, 0.02),
    "retail": (0.15, 0.50, 0.14, 0.08, 0.12, 0.01),
    "travel": (0.18, 0.40, 0.16, 0.10, 0.14, 0.02),
    "investing": (0.30, 0.12, 0.14, 0.26, 0.16, 0.02),
}
_CHANNEL_WEIGHTS: dict[str, tuple[float, ...]] = {  # in _CHANNELS order
    "credit_cards": (0.30, 0.22, 0.12, 0.13, 0.10, 0.05, 0.08),
    "banking": (0.30, 0.18, 0.12, 0.14, 0.12, 0.06, 0.08),
    "insurance": (0.22, 0.15, 0.14, 0.16, 0.16, 0.12, 0.05),
    "telecom": (0.25, 0.10, 0.17, 0.15, 0.12, 0.11, 0.10),
    "retail": (0.34, 0.04, 0.22, 0.14, 0.10, 0.06, 0.10),
    "travel": (0.36, 0.04, 0.18, 0.15, 0.12, 0.08, 0.07),
    "investing": (0.32, 0.10, 0.14, 0.16, 0.14, 0.10, 0.04),
}
# How much more (or less) each kind of piece uses a channel than its industry does on average.
_CHANNEL_BY_KIND = np.array([
    (1.0, 1.4, 1.0, 1.0, 1.5, 0.8, 0.8),  # acquisition
    (1.1, 0.8, 1.1, 1.1, 1.1, 0.8, 1.4),  # promotional
    (1.5, 0.9, 0.6, 0.5, 0.3, 0.4, 1.2),  # retention
    (1.3, 0.4, 1.4, 0.9, 0.6, 1.2, 0.3),  # educational
    (0.5, 0.2, 1.8, 1.6, 0.7, 2.5, 0.1),  # brand_awareness
    (2.0, 0.3, 0.0, 0.0, 0.0, 0.0, 2.5),  # servicing
])
_CHANNEL_SPELLINGS: dict[str, tuple[str, ...]] = {
    "email": ("E-mail", "Email", "EMAIL", "e-mail"),
    "direct_mail": ("Direct Mail", "DM", "Mail", "direct mail"),
    "social": ("Facebook", "Instagram", "Social Media", "LinkedIn", "TikTok"),
    "display": ("Banner", "Display Ad", "Display"),
    "search": ("Paid Search", "Google Ads", "SEM", "Search Ad"),
    "video": ("YouTube", "Video Ad", "CTV", "Online Video"),
    "sms": ("Text", "SMS", "Text Message"),
}
# Estimated volume per piece: (median, log-sigma, min, max, unit cost low, unit cost high, units
# per cost). Mail and texts cost per piece; online channels cost per thousand impressions.
_VOLUME_MODEL: dict[str, tuple[float, float, float, float, float, float, float]] = {
    "email": (400_000, 1.0, 5_000, 30_000_000, 0.8, 3.0, 1000),
    "direct_mail": (250_000, 0.9, 10_000, 2_000_000, 0.45, 1.10, 1),
    "social": (2_000_000, 1.1, 50_000, 80_000_000, 6.0, 14.0, 1000),
    "display": (3_000_000, 1.1, 100_000, 100_000_000, 2.0, 8.0, 1000),
    "search": (500_000, 1.0, 10_000, 20_000_000, 15.0, 60.0, 1000),
    "video": (1_500_000, 1.1, 50_000, 60_000_000, 12.0, 30.0, 1000),
    "sms": (150_000, 0.9, 5_000, 3_000_000, 0.008, 0.02, 1),
}

# ----------------------------------------------------------------------------- dates
_MONTH_FACTOR = (1.25, 0.95, 1.0, 1.0, 0.95, 0.8, 0.75, 0.8, 1.0, 1.1, 1.3, 1.25)
_WEEKDAY_FACTOR = (1.05, 1.1, 1.1, 1.05, 1.0, 0.55, 0.45)

# ----------------------------------------------------------------------------- offer parameters
_CATEGORIES = ("dining", "groceries", "gas", "travel", "streaming", "drugstores", "online shopping",
               "home improvement")
_DEPARTMENTS = ("home", "electronics", "apparel", "beauty", "toys", "furniture", "appliances",
                "outdoor living", "shoes", "kitchen")
_DESTINATIONS = ("Florida", "the Caribbean", "Hawaii", "Europe", "Mexico", "Las Vegas",
                 "New York", "the West Coast", "Chicago", "Denver")
_EVENTS = ("US Open", "city marathon", "college football season", "local youth soccer leagues",
           "Special Olympics", "summer music festival", "Women's World Cup", "Pride celebrations")
_PHONES = ("the new iPhone", "a new Galaxy phone", "the latest Pixel", "a new smartphone")


def _usd(*amounts: int) -> Callable[[random.Random], str]:
    return lambda r: f"${r.choice(amounts):,}"


def _num(*values: int) -> Callable[[random.Random], str]:
    return lambda r: f"{r.choice(values):,}"


def _word(*words: str) -> Callable[[random.Random], str]:
    return lambda r: r.choice(words)


def _apr_range(r: random.Random) -> str:
    low = r.choice((17.24, 18.24, 19.24, 19.49, 20.24, 20.49, 21.24, 21.99, 22.24))
    high = low + r.choice((7, 8, 9, 10))
    return f"{low:.2f}%{r.choice(('–', '-', ' - ', ' to '))}{high:.2f}%"


def _thousands(*values: int) -> Callable[[random.Random], str]:
    return lambda r: f"{r.choice(values) // 1000}k"


# Each placeholder of the offer templates draws its value once per message, on first use.
_PARAMETERS: dict[str, Callable[[random.Random], str]] = {
    "pts": _num(40_000, 50_000, 60_000, 60_000, 75_000, 80_000, 90_000, 100_000, 125_000),
    "ptsk": _thousands(50_000, 60_000, 75_000, 80_000, 100_000),
    "miles": _num(30_000, 40_000, 50_000, 60_000, 70_000, 75_000, 80_000),
    "milesk": _thousands(40_000, 50_000, 60_000, 75_000),
    "spend": _usd(1_000, 2_000, 3_000, 4_000, 4_000, 5_000, 6_000),
    "bm": _num(3, 3, 3, 6),
    "bdays": _num(90, 90, 120),
    "cash": _usd(150, 200, 200, 250, 300),
    "cspend": _usd(500, 500, 1_000, 1_500),
    "intro": _num(12, 15, 15, 18, 21),
    "cycles": _num(12, 15, 18, 18, 21),
    "aprr": _apr_range,
    "fee": _usd(95, 95, 95, 150, 250, 325, 395, 550, 695),
    "pfee": _usd(395, 550, 695),
    "credit": _usd(100, 200, 300),
    "cbtop": _num(2, 3, 3, 4, 5),
    "cbbase": _word("1", "1", "1.5"),
    "cbmax": _num(5, 5, 6),
    "cbflat": _word("1.5", "2"),
    "cat": _word(*_CATEGORIES),
    "cats": _word(*(f"{a} and {b}" for a in _CATEGORIES for b in _CATEGORIES if a < b)),
    "cap": _usd(1_500, 1_500, 2_500, 6_000),
    "mult": _num(2, 3, 4, 5, 10),
    "pts2": _num(5_000, 10_000, 15_000, 20_000),
    "refpts": _num(5_000, 10_000, 15_000),
    "refmax": _num(50_000, 75_000, 100_000),
    "btfee": _num(3, 3, 4, 5),
    "btmin": _num(5, 5, 10),
    "limit": _usd(500, 1_000, 2_000, 3_000, 5_000),
    "dep": _usd(49, 99, 200),
    "yrs": _num(2, 3, 5, 10, 15),
    "thx": _num(1_000, 2_500, 5_000, 10_000),
    "wd": _num(30, 60, 90),
    "wb": _usd(25, 50, 75, 100),
    "apy": _word("3.75%", "3.90%", "4.00%", "4.10%", "4.25%", "4.30%", "4.35%", "4.40%",
                 "4.50%", "4.60%", "4.75%", "5.00%", "5.15%", "5.25%"),
    "chk": _usd(100, 150, 200, 250, 300, 300, 400, 500),
    "ddmin": _usd(500, 1_000, 2_000, 5_000),
    "dddays": _num(60, 90),
    "cdm": _num(6, 9, 11, 12, 13, 18),
    "cdmin": _usd(500, 1_000, 2_500),
    "sav": _usd(200, 300, 400),
    "savmin": _usd(10_000, 15_000, 25_000),
    "ref": _usd(50, 100),
    "refcap": _usd(500, 1_000),
    "natl": _num(5, 7, 10),
    "savepct": _num(5, 10, 12, 15, 15, 20, 25),
    "saveamt": _usd(500, 600, 700, 750, 850, 950),
    "qmin": _num(5, 10, 15),
    "rent": _usd(5, 8, 10, 12),
    "phone": _word(*_PHONES),
    "lines": _num(2, 3, 4, 5),
    "lp": _usd(20, 25, 30, 35),
    "plan": _usd(30, 40, 50, 60, 65, 75),
    "inet": _usd(35, 40, 50, 55, 60),
    "devoff": _usd(200, 300, 500, 800, 1_000),
    "payoff": _usd(650, 800, 1_000),
    "pctoff": _num(10, 15, 20, 25, 30, 40, 50, 60),
    "minord": _usd(25, 35, 50, 75),
    "dept": _word(*_DEPARTMENTS),
    "rew": _usd(5, 10, 20),
    "rewper": _usd(100, 200),
    "gift": _usd(5, 10, 15),
    "fare": _usd(39, 49, 59, 79, 99, 129),
    "tvoff": _num(10, 15, 20, 25, 30),
    "tvamt": _usd(150, 200, 250, 400),
    "tpts": _num(2_000, 3_000, 5_000, 10_000),
    "nights": _num(2, 3, 4),
    "dest": _word(*_DESTINATIONS),
    "tbonus": _usd(100, 300, 500, 1_000, 2_500),
    "tmin": _usd(10_000, 25_000, 50_000, 100_000),
    "fstock": _usd(50, 100, 200),
    "iramatch": _num(1, 2, 3),
    "advfee": _word("0.25", "0.30", "0.35"),
    "due": lambda r: f"${r.uniform(25, 900):,.2f}",
    "dd": _num(3, 5, 7),
    "event": _word(*_EVENTS),
    "volh": _num(100_000, 250_000, 500_000),
    "year": _word("2030", "2035", "2040"),
}


class _Parameters(dict):
    """Offer parameters for one message, drawn on first use so its texts agree with each other."""

    def __init__(self, r: random.Random) -> None:
        super().__init__()
        self._r = r

    def __missing__(self, key: str) -> str:
        value = self[key] = _PARAMETERS[key](self._r)
        return value


# ----------------------------------------------------------------------------- messages
@dataclass(frozen=True)
class _Theme:
    """Templates of one kind of message: (headline, offer, short form) variants that agree."""

    variants: tuple[tuple[str, str, str], ...]
    products: tuple[str, ...]
    keywords: tuple[str, ...]
    path: str
    terms: bool = True


_TERMS: dict[str, tuple[str, ...]] = {
    "credit_cards": (
        "", "No annual fee.", "{fee} annual fee.", "$0 intro annual fee for the first year, then {fee}.",
        "Variable APR: {aprr}.", "{aprr} variable APR after the intro period.",
        "Balance transfer fee: {btfee}% of each transfer (min ${btmin}).",
        "{btfee}% balance transfer fee (min ${btmin}).", "No annual fee. {aprr} variable APR.",
        "{fee} annual fee. See rates and fees.", "Variable APR {aprr}. {btfee}% balance transfer fee (min ${btmin}).",
    ),
    "banking": ("", "Member FDIC.", "Rates may change after the account is opened.",
                "No monthly maintenance fee.", "Fees may reduce earnings. Member FDIC."),
    "insurance": ("", "Discounts vary by state and coverage.", "Savings based on national averages.",
                  "Not available in all states."),
    "telecom": ("", "Taxes and fees extra.", "With AutoPay and paperless billing.",
                "Eligible trade-in required; credits applied monthly."),
    "retail": ("", "Exclusions apply.", "While supplies last.", "Online only.", "Valid in store and online."),
    "travel": ("", "Blackout dates may apply.", "Taxes and fees included.", "Restrictions apply; seats are limited."),
    "investing": ("", "Investing involves risk, including loss of principal.", "Terms apply.", "Member SIPC."),
}

_THEMES: dict[tuple[str, int], tuple[_Theme, ...]] = {
    ("credit_cards", _ACQ): (
        _Theme((
            ("Earn {pts} bonus points", "Earn {pts} bonus points after you spend {spend} in the first {bm} months.", "Earn {pts} bonus points"),
            ("{ptsk} bonus points", "Earn {ptsk} points when you spend {spend} on purchases within {bm} months of account opening.", "{ptsk} points after {spend} in {bm} months"),
            ("{pts} points are waiting", "Get {pts} bonus points after spending {spend} in your first {bm} months.", "{pts} bonus points are waiting"),
        ), ("Rewards Card", "Preferred Card", "Premier Rewards Card", "Points Card"),
            ("bonus points", "rewards", "sign-up bonus", "travel rewards"), "credit-cards/rewards"),
        _Theme((
            ("Earn {miles} bonus miles", "Earn {miles} bonus miles after you spend {spend} on purchases in the first {bm} months.", "Earn {miles} bonus miles"),
            ("{miles} miles", "Get {miles} miles when you spend {spend} in the first {bdays} days.", "{miles} miles after {spend} in {bdays} days"),
            ("{milesk} bonus miles", "Earn {milesk} bonus miles once you spend {spend} within {bm} months.", "{milesk} bonus miles"),
        ), ("Travel Card", "Miles Card", "Explorer Card", "Travel Rewards Card"),
            ("miles", "travel rewards", "sign-up bonus", "airline miles"), "credit-cards/travel"),
        _Theme((
            ("{cash} cash bonus", "Earn a {cash} cash bonus after you spend {cspend} on purchases in the first 3 months, plus {cbtop}% cash back on {cat}, {cbbase}% on everything else.", "{cash} cash bonus after {cspend} in 3 months"),
            ("Get a {cash} bonus", "{cash} cash bonus after {cspend} in {bdays} days.", "{cash} cash bonus after {cspend} in {bdays} days"),
            ("Earn {cash} back", "Get a {cash} bonus once you spend {cspend} within {bdays} days of account opening. Earn up to {cbmax}% cash back in categories you activate.", "Earn a {cash} bonus"),
        ), ("Cash Rewards Card", "Cash Back Card", "Everyday Card"),
            ("cash bonus", "cash back", "sign-up bonus", "no annual fee"), "credit-cards/cash-back"),
        _Theme((
            ("{cbtop}% cash back on {cat}", "Earn {cbtop}% cash back on {cat}, {cbbase}% on everything else.", "{cbtop}% cash back on {cat}, {cbbase}% on everything else"),
            ("Up to {cbmax}% cash back", "Earn up to {cbmax}% cash back in rotating categories you activate each quarter, and 1% on all other purchases.", "up to {cbmax}% cash back"),
            ("Unlimited {cbflat}% cash back", "Earn unlimited {cbflat}% cash back on every purchase, every day.", "Unlimited {cbflat}% cash back"),
            ("{cbtop}% back on {cats}", "Get {cbtop}% cash back on {cats}, plus {cbbase}% on everything else.", "{cbtop}% cash back on {cats}"),
        ), ("Cash Rewards Card", "Cash Back Card", "Everyday Card", "Freedom Card"),
            ("cash back", "rewards", "no annual fee", "everyday spending"), "credit-cards/cash-back"),
        _Theme((
            ("0% intro APR for {intro} months", "Enjoy 0% intro APR for {intro} months on purchases and balance transfers. After that, {aprr} variable APR.", "0% intro APR for {intro} months on purchases and balance transfers"),
            ("0% intro APR for {cycles} billing cycles", "Get 0% intro APR for {cycles} billing cycles on balance transfers made within the first 4 months. After that, the variable APR will be {aprr}.", "0% intro APR for {cycles} billing cycles"),
            ("0% Intro APR on purchases", "0% Intro APR on purchases for {intro} months, then a variable APR of {aprr}.", "0% intro APR on purchases for {intro} months"),
            ("Transfer a balance, pay 0% APR", "0% introductory APR on balance transfers for {intro} months. Intro balance transfer fee of {btfee}% (min ${btmin}).", "0% intro APR on balance transfers for {intro} months"),
        ), ("Platinum Card", "Balance Transfer Card", "Low Rate Card"),
            ("0% APR", "balance transfer", "intro APR", "low interest"), "credit-cards/balance-transfer"),
        _Theme((
            ("$0 intro annual fee", "$0 intro annual fee for the first year, then {fee}. Earn {pts} bonus points after you spend {spend} in the first {bm} months.", "$0 intro annual fee for the first year, then {fee}"),
            ("Premium travel rewards", "Earn {ptsk} points plus airport lounge access and a {credit} annual travel credit. {pfee} annual fee.", "{ptsk} points plus lounge access"),
            ("No annual fee", "No annual fee and {cbtop}% cash back on {cat}.", "No annual fee, {cbtop}% cash back on {cat}"),
        ), ("Preferred Card", "Gold Card", "Platinum Card", "Signature Card"),
            ("annual fee", "rewards", "premium card", "travel credit"), "credit-cards/premium", terms=False),
        _Theme((
            ("You're pre-approved", "You've been pre-approved for a card with no annual fee and a credit line up to {limit}. Responding won't affect your credit score.", "You're pre-approved - no annual fee"),
            ("Build your credit", "Build credit with responsible use. No annual fee, and we'll review your account for a higher credit line in as little as 6 months.", "Build credit with no annual fee"),
            ("Secured card from {dep}", "Get a secured card with a refundable deposit as low as {dep}. {aprr} variable APR.", "Secured card, deposits from {dep}"),
        ), ("Secured Card", "Credit Builder Card", "Platinum Card"),
            ("pre-approved", "build credit", "credit card", "secured card"), "credit-cards/build-credit", terms=False),
    ),
    ("credit_cards", _PROMO): (
        _Theme((
            ("Activate up to {cbmax}% cash back", "Activate now to earn up to {cbmax}% cash back on {cat} this quarter, on up to {cap} in combined purchases.", "Activate up to {cbmax}% cash back on {cat}"),
            ("{cbtop}% back on {cat} this month", "For a limited time, get {cbtop}% cash back on {cat} when you pay with your card.", "{cbtop}% cash back on {cat} for a limited time"),
        ), ("Cash Back Card", "Cash Rewards Card"), ("cash back", "bonus categories", "activate", "limited time"), "offers/cash-back"),
        _Theme((
            ("{mult}x points on {cat}", "For a limited time, earn {mult}x points on {cat} when you use your card.", "Earn {mult}x points on {cat} for a limited time"),
            ("Add a user, earn {pts2} points", "Add an authorized user and earn {pts2} bonus points after they make their first purchase within {bm} months.", "{pts2} bonus points for adding a user"),
            ("Refer a friend, earn {refpts} points", "Earn {refpts} bonus points for each friend who is approved for a card, up to {refmax} points a year.", "Refer friends, earn {refpts} points each"),
        ), ("Rewards Card", "Preferred Card"), ("bonus points", "limited time", "refer a friend", "rewards"), "offers/points"),
        _Theme((
            ("Limited-time balance transfer offer", "Transfer a balance by the end of the month and pay 0% intro APR for {intro} months. {btfee}% balance transfer fee (min ${btmin}).", "0% APR on balance transfers for {intro} months"),
            ("0% APR on new purchases", "For a limited time, get 0% intro APR for {intro} months on purchases. After that, {aprr} variable APR.", "0% intro APR for {intro} months on purchases"),
        ), ("Platinum Card", "Low Rate Card"), ("0% APR", "balance transfer", "limited time", "intro APR"), "offers/balance-transfer", terms=False),
    ),
    ("credit_cards", _RET): (
        _Theme((
            ("Thank you for {yrs} years", "Thank you for being a cardmember for {yrs} years. As a thank-you, we've added {thx} bonus points to your account.", "Thanks for {yrs} years - {thx} bonus points added"),
            ("Happy card anniversary", "Happy card anniversary! Your anniversary bonus of {thx} points has been added.", "Happy anniversary - {thx} points added"),
            ("Loyalty rewards just for you", "As a loyal cardmember, you've been selected to earn {mult}x points on {cat} for the next {bm} months.", "Loyalty bonus: {mult}x points on {cat}"),
        ), ("Rewards Card", "Preferred Card", "Cash Rewards Card"), ("thank you", "anniversary", "loyalty", "cardmember"), "account/rewards", terms=False),
        _Theme((
            ("We miss you", "We miss you! Use your card in the next {wd} days and get {wb} back.", "We miss you - use your card, get {wb} back"),
            ("Your card renews soon", "Your card membership renews next month. Your {fee} annual fee unlocks {credit} in annual credits.", "Your card membership renews soon"),
        ), ("Rewards Card", "Gold Card", "Platinum Card"), ("we miss you", "renewal", "cardmember", "annual fee"), "account/offers", terms=False),
    ),
    ("banking", _ACQ): (
        _Theme((
            ("Get {chk} with a new checking account", "Get {chk} when you open a new checking account with direct deposit.", "Get {chk} with a new checking account"),
            ("{chk} checking bonus", "Open a new checking account and receive direct deposits totaling {ddmin} or more within {dddays} days to earn a {chk} bonus.", "{chk} bonus with qualifying direct deposits"),
            ("Make the switch, get {chk}", "Switch your direct deposit and get {chk}. No monthly maintenance fees, no overdraft fees.", "Switch and get {chk}"),
        ), ("Total Checking", "Everyday Checking", "Advantage Checking"), ("checking account", "direct deposit", "account bonus", "no monthly fees"), "checking"),
        _Theme((
            ("Earn {apy} APY", "Earn {apy} APY on a high-yield savings account with no monthly fees and no minimum balance.", "Earn {apy} APY on savings"),
            ("{apy} APY savings", "Open a savings account and earn {apy} APY - that's more than {natl}x the national average.", "{apy} APY, no monthly fees"),
            ("{sav} savings bonus", "Earn a {sav} bonus when you deposit {savmin} in new money to a savings account and keep it for {dddays} days.", "{sav} bonus on new savings"),
        ), ("High-Yield Savings", "Online Savings", "Savings"), ("savings account", "APY", "high-yield savings", "interest rate"), "savings"),
        _Theme((
            ("CD rates up to {apy} APY", "Lock in {apy} APY on a {cdm}-month CD with a {cdmin} minimum deposit.", "{cdm}-month CD at {apy} APY"),
        ), ("CD", "Certificate of Deposit"), ("CD", "APY", "certificate of deposit", "savings"), "cd"),
    ),
    ("banking", _PROMO): (
        _Theme((
            ("Limited-time CD special", "For a limited time, get {apy} APY on a {cdm}-month CD.", "{apy} APY on a {cdm}-month CD"),
            ("Boost your savings rate", "Add a recurring transfer this month and earn a rate boost to {apy} APY for {bm} months.", "Rate boost to {apy} APY"),
        ), ("CD", "High-Yield Savings"), ("CD special", "APY", "limited time", "savings"), "offers/rates"),
        _Theme((
            ("Refer a friend, get {ref}", "Get {ref} for every friend who opens a checking account, up to {refcap} a year.", "Refer a friend, get {ref}"),
            ("Get paid up to 2 days early", "Set up direct deposit and get paid up to two days early with no fees.", "Get paid up to 2 days early"),
        ), ("Checking", "Total Checking"), ("refer a friend", "direct deposit", "checking account", "early pay"), "offers/checking"),
    ),
    ("banking", _RET): (
        _Theme((
            ("Thank you for {yrs} years", "Thank you for banking with us for {yrs} years. We're here for whatever comes next.", "Thank you for {yrs} years of banking with us"),
            ("A loyalty rate for you", "As a loyal customer, you qualify for a relationship rate of {apy} APY on savings.", "Loyalty rate: {apy} APY"),
        ), ("Checking", "Savings"), ("thank you", "loyalty", "relationship rate", "banking"), "account", terms=False),
        _Theme((
            ("Your CD is maturing", "Your CD matures soon. Renew for {cdm} months at {apy} APY or explore other options.", "Renew your CD at {apy} APY"),
            ("We miss you", "We noticed you haven't used your account lately. Make a deposit this month and get {wb}.", "We miss you - deposit and get {wb}"),
        ), ("CD", "Checking"), ("renewal", "we miss you", "CD", "deposit"), "account/offers", terms=False),
    ),
    ("insurance", _ACQ): (
        _Theme((
            ("Save up to {savepct}% when you bundle", "Save up to {savepct}% when you bundle home and auto insurance.", "Save up to {savepct}% when you bundle"),
            ("Switch and save {saveamt}", "New customers who switched saved an average of {saveamt} a year.", "Switchers save an average of {saveamt}"),
            ("Get a quote in minutes", "Get a free car insurance quote in as little as {qmin} minutes.", "Free quote in {qmin} minutes"),
            ("Save up to {savepct}% for safe driving", "Sign up for our safe-driving program and save up to {savepct}% on your auto policy.", "Safe drivers save up to {savepct}%"),
        ), ("Auto Insurance", "Home & Auto Bundle", "Car Insurance"), ("car insurance", "quote", "bundle", "save"), "auto"),
        _Theme((
            ("Renters insurance from {rent}/month", "Protect your stuff with renters insurance starting at {rent} a month.", "Renters insurance from {rent}/month"),
            ("Life insurance made simple", "Get a free life insurance quote online in minutes, with coverage that fits your budget.", "Life insurance quotes in minutes"),
        ), ("Renters Insurance", "Life Insurance", "Home Insurance"), ("renters insurance", "life insurance", "quote", "coverage"), "quote"),
    ),
    ("insurance", _PROMO): (
        _Theme((
            ("Multi-car discount", "Insure more than one car and save up to {savepct}%.", "Save up to {savepct}% with multi-car"),
            ("Pay in full and save", "Pay your premium in full and save up to {savepct}%.", "Pay in full, save up to {savepct}%"),
            ("Bundle & save", "Add renters to your auto policy and save up to {savepct}% on both.", "Bundle renters + auto, save {savepct}%"),
            ("Good student discount", "Students with good grades can save up to {savepct}% on car insurance.", "Good students save up to {savepct}%"),
        ), ("Auto Insurance", "Car Insurance"), ("discount", "bundle", "save", "auto insurance"), "discounts"),
    ),
    ("insurance", _RET): (
        _Theme((
            ("Your policy renews soon", "Your policy renews next month. Review your coverage and make sure you have every discount you qualify for.", "Your policy renews soon"),
            ("Thank you for {yrs} years", "Thank you for {yrs} years with us. Your loyalty discount is now applied to your renewal.", "Thanks for {yrs} years - loyalty discount applied"),
            ("Accident forgiveness unlocked", "Thanks to your safe driving and loyalty, you've earned accident forgiveness on your policy.", "You've earned accident forgiveness"),
            ("We miss you", "We miss you. Come back and see how much you could save with a new quote.", "We miss you - get a new quote"),
        ), ("Auto Policy", "Home Policy"), ("renewal", "loyalty", "thank you", "policy"), "policy", terms=False),
    ),
    ("telecom", _ACQ): (
        _Theme((
            ("Get {phone} on us", "Switch and get {phone} on us with eligible trade-in and a new line on an Unlimited plan.", "{phone} on us when you switch"),
            ("Save {devoff} on {phone}", "Save up to {devoff} on {phone} with trade-in of an eligible device.", "Save {devoff} on {phone}"),
            ("We'll pay off your phone", "Switch to us and we'll pay off your phone, up to {payoff} per line.", "Switch and we'll pay off your phone"),
        ), ("Unlimited", "Unlimited Plus", "Wireless"), ("new phone", "trade-in", "switch", "unlimited plan"), "deals/phones"),
        _Theme((
            ("{lines} lines for {lp}/line", "Get {lines} lines of Unlimited for {lp}/line per month with AutoPay.", "{lines} lines for {lp}/line/mo"),
            ("Unlimited for {plan}/mo", "Unlimited talk, text and data for {plan}/month with AutoPay. Taxes and fees included.", "Unlimited for {plan}/mo"),
            ("Home internet for {inet}/mo", "Get home internet for {inet}/month with AutoPay and no annual contract.", "Home internet {inet}/mo"),
        ), ("Unlimited", "Home Internet", "Family Plan"), ("unlimited plan", "home internet", "family plan", "price lock"), "plans"),
    ),
    ("telecom", _PROMO): (
        _Theme((
            ("Buy one, get one", "Buy one, get one free on select phones when you add a line.", "BOGO on select phones"),
            ("{devoff} off the latest phones", "For a limited time, get {devoff} off {phone} with any Unlimited plan.", "{devoff} off {phone}"),
            ("Streaming on us", "Get a streaming subscription included with select Unlimited plans.", "Streaming on us with Unlimited"),
            ("Double your hotspot data", "For a limited time, get double the hotspot data on Unlimited plans.", "Double hotspot data, limited time"),
        ), ("Unlimited", "Wireless"), ("BOGO", "phone deal", "streaming", "limited time"), "deals"),
    ),
    ("telecom", _RET): (
        _Theme((
            ("Upgrade early", "Thank you for being a customer. You're eligible for an early upgrade with {devoff} off.", "Early upgrade with {devoff} off"),
            ("Your loyalty reward", "As a thank-you for {yrs} years, enjoy a free line for {bm} months.", "Loyalty reward: a free line"),
            ("We miss you", "We miss you! Come back and get {wb} when you switch your number back.", "We miss you - come back for {wb}"),
        ), ("Wireless", "Unlimited"), ("upgrade", "loyalty", "thank you", "we miss you"), "account", terms=False),
    ),
    ("retail", _ACQ): (
        _Theme((
            ("{pctoff}% off your first order", "Sign up for emails and get {pctoff}% off your first order.", "{pctoff}% off your first order"),
            ("Join free, get free shipping", "Join our free membership and get free shipping on orders over {minord}.", "Free shipping over {minord} for members"),
            ("Save {pctoff}% today with our card", "Open a store credit card and save {pctoff}% on today's purchase.", "Save {pctoff}% with a new store card"),
            ("Join and earn rewards", "Join our rewards program and earn {rew} for every {rewper} you spend.", "Earn {rew} for every {rewper}"),
        ), ("Rewards", "Membership", "Store Card"), ("sign up", "free shipping", "rewards", "store card"), "join"),
    ),
    ("retail", _PROMO): (
        _Theme((
            ("Up to {pctoff}% off {dept}", "Shop the sale: up to {pctoff}% off {dept}.", "Up to {pctoff}% off {dept}"),
            ("Extra {pctoff}% off clearance", "Take an extra {pctoff}% off clearance {dept}.", "Extra {pctoff}% off clearance"),
            ("BOGO 50% off {dept}", "Buy one, get one 50% off on {dept}.", "BOGO 50% off {dept}"),
            ("{pctoff}% off everything", "Take {pctoff}% off everything with code SAVEMORE.", "{pctoff}% off everything"),
            ("Flash sale: {pctoff}% off", "Flash sale! {pctoff}% off {dept} for the next 48 hours.", "Flash sale: {pctoff}% off {dept}"),
            ("Weekend deals on {dept}", "This weekend only: save {pctoff}% on {dept}.", "Save {pctoff}% on {dept} this weekend"),
            ("Free shipping, no minimum", "Free shipping on every order, no minimum, plus new deals on {dept}.", "Free shipping, no minimum"),
        ), ("Deals", "Sale", "Weekly Ad"), ("sale", "% off", "deals", "discount", "free shipping"), "deals"),
    ),
    ("retail", _RET): (
        _Theme((
            ("We miss you - here's {pctoff}% off", "We miss you! Come back and enjoy {pctoff}% off your next order.", "We miss you - {pctoff}% off"),
            ("Happy birthday", "Happy birthday! Enjoy a {gift} reward on us this month.", "Happy birthday - a {gift} reward"),
            ("Thank you for being a member", "Thank you for being a member. You've earned {rew} in rewards this year.", "Thanks for being a member"),
            ("Your rewards expire soon", "You have {rew} in rewards expiring soon. Use them before they're gone.", "{rew} in rewards expiring soon"),
            ("Renew your membership", "Renew your membership today and keep saving on every order.", "Renew your membership"),
        ), ("Rewards", "Membership"), ("loyalty", "rewards", "membership", "we miss you"), "account", terms=False),
    ),
    ("travel", _ACQ): (
        _Theme((
            ("Earn {miles} bonus miles", "Earn {miles} bonus miles with our co-brand card after you spend {spend} in the first {bm} months.", "{miles} bonus miles with our card"),
            ("{miles} miles", "Get {miles} miles with our credit card when you spend {spend} in the first {bm} months. {fee} annual fee.", "Earn {miles} miles"),
        ), ("Rewards Card", "Co-Brand Card"), ("miles", "co-brand card", "sign-up bonus", "travel rewards"), "credit-card"),
        _Theme((
            ("Join free and earn {tpts} points", "Join our free loyalty program and earn {tpts} bonus points on your first trip.", "Join free, earn {tpts} points"),
            ("Members save up to {tvoff}%", "Members save up to {tvoff}% when they book direct.", "Members save up to {tvoff}%"),
        ), ("Rewards", "Loyalty Program"), ("loyalty program", "points", "book direct", "members"), "join"),
    ),
    ("travel", _PROMO): (
        _Theme((
            ("Fares from {fare} one way", "Fares from {fare} one way to {dest}. Book by the end of the week.", "Fares from {fare} one-way to {dest}"),
            ("Save up to {tvoff}% on trips to {dest}", "Save up to {tvoff}% on trips to {dest} when you book this week.", "Up to {tvoff}% off trips to {dest}"),
            ("Earn double points", "Earn double points on trips of {nights} nights or more booked this month.", "Double points on {nights}+ night trips"),
            ("Bundle and save {tvamt}", "Save up to {tvamt} when you book your flight and hotel together.", "Save {tvamt} on flight + hotel"),
        ), ("Deals", "Vacations"), ("fare sale", "travel deals", "points", "vacation"), "deals"),
    ),
    ("travel", _RET): (
        _Theme((
            ("Thank you for traveling with us", "Thank you for traveling with us this year. Here are {tpts} bonus points as a thank-you.", "Thanks for traveling - {tpts} bonus points"),
            ("Keep your status", "Your elite status is up for renewal. Complete a few more trips to keep your benefits.", "Renew your elite status"),
            ("We miss you", "We miss you! Book a trip in the next {wd} days and earn {tpts} bonus points.", "We miss you - {tpts} bonus points"),
            ("Happy member anniversary", "Happy member anniversary! Thanks for {yrs} years of loyalty.", "Happy member anniversary"),
        ), ("Rewards", "Loyalty Program"), ("loyalty", "status", "thank you", "anniversary"), "account", terms=False),
    ),
    ("investing", _ACQ): (
        _Theme((
            ("Get up to {tbonus}", "Open an account and get up to {tbonus} when you transfer {tmin} or more in new assets.", "Get up to {tbonus} when you transfer assets"),
            ("$0 commissions", "$0 commissions on online U.S. stock and ETF trades. No account minimums.", "$0 online stock and ETF trades"),
            ("Get a free stock", "Open an account and get a free stock worth up to {fstock}.", "Free stock worth up to {fstock}"),
        ), ("Brokerage Account", "Investment Account"), ("brokerage", "transfer bonus", "commission-free", "free stock"), "open-account"),
        _Theme((
            ("Open a Roth IRA today", "Open a Roth IRA and get a {iramatch}% match on contributions.", "{iramatch}% match on Roth IRA contributions"),
            ("Earn {apy} on cash", "Earn {apy} APY on uninvested cash in your brokerage account.", "{apy} APY on uninvested cash"),
        ), ("Roth IRA", "Cash Management Account"), ("IRA", "retirement", "APY", "cash management"), "retirement"),
    ),
    ("investing", _PROMO): (
        _Theme((
            ("{iramatch}% IRA match", "For a limited time, get a {iramatch}% match on new IRA contributions and transfers.", "{iramatch}% IRA match, limited time"),
            ("Transfer bonus up to {tbonus}", "Move {tmin} or more to us by the end of the quarter and get up to {tbonus}.", "Up to {tbonus} when you transfer"),
            ("Managed investing for less", "Get managed investing at a reduced advisory fee of {advfee}% for your first year.", "Advisory fee of {advfee}% for a year"),
        ), ("IRA", "Managed Portfolio", "Brokerage Account"), ("IRA match", "transfer bonus", "managed investing", "limited time"), "offers"),
    ),
    ("investing", _RET): (
        _Theme((
            ("Your annual review is ready", "It's time for your annual financial review. Book a call with your advisor to stay on track.", "Your annual review is ready"),
            ("Thank you for investing with us", "Thank you for {yrs} years of investing with us. Your loyalty means a lot.", "Thank you for {yrs} years"),
            ("We miss you", "We miss you. Log in to see what's new and get {wb} when you fund your account.", "We miss you - get {wb}"),
        ), ("Brokerage Account", "IRA"), ("thank you", "annual review", "loyalty", "we miss you"), "account", terms=False),
    ),
}


def _lessons(products: tuple[str, ...], path: str,
             topics: tuple[tuple[str, str, tuple[str, ...]], ...]) -> tuple[_Theme, ...]:
    """Educational themes: a title, a teaching sentence and keywords; never an offer."""
    return tuple(_Theme(((title, body, title),), products, keywords, path, terms=False)
                 for title, body, keywords in topics)


_THEMES.update({
    ("credit_cards", _EDU): _lessons(("Learning Center", "Credit Insights"), "learn", (
        ("5 tips to build your credit", "Pay on time, keep balances low and check your credit report regularly. Small habits add up to a stronger score.", ("credit score", "build credit", "tips")),
        ("How balance transfers work", "A balance transfer moves debt from one card to another. Learn how intro periods, transfer fees and a payoff plan fit together.", ("balance transfer", "debt", "guide")),
        ("What is credit utilization?", "Credit utilization is how much of your available credit you use. Keeping it low can help your score.", ("credit utilization", "credit score", "guide")),
        ("Spot and stop phishing scams", "We will never ask for your full card number or password by email or text. If something looks suspicious, contact us directly.", ("fraud", "phishing", "security")),
        ("Free webinar: managing debt", "Join our free webinar for practical ways to pay down debt and build a budget that works.", ("webinar", "debt", "budgeting")),
        ("Travel smarter with your card", "Know your card's travel benefits and keep a backup card handy before your next trip.", ("travel tips", "card benefits", "guide")),
        ("How to use contactless payments safely", "Tap to pay is fast and secure. Here's how your card protects every tap.", ("contactless", "security", "tips")),
    )),
    ("banking", _EDU): _lessons(("Money Guide", "Learning Center"), "learn", (
        ("Build an emergency fund", "Start small and automate it: a few dollars a week adds up to a cushion for the unexpected.", ("emergency fund", "saving", "tips")),
        ("Budgeting basics", "Track where your money goes, set goals and review them each month.", ("budgeting", "money tips", "guide")),
        ("Protect yourself from scams", "We will never ask for your PIN or one-time passcode. Hang up and call us if in doubt.", ("fraud", "scams", "security")),
        ("First-time homebuyer webinar", "Join our free webinar to learn how mortgages, down payments and closing costs work.", ("webinar", "homebuying", "mortgage")),
        ("How to read your bank statement", "Your statement shows deposits, withdrawals and fees. Here's what each line means.", ("bank statement", "guide", "checking")),
        ("Saving for college", "Learn the difference between savings accounts and education plans, and when to start.", ("college savings", "saving", "guide")),
    )),
    ("insurance", _EDU): _lessons(("Safety Center", "Insurance Guide"), "learn", (
        ("Winter driving tips", "Slow down, leave extra room and keep an emergency kit in your car this winter.", ("driving tips", "safety", "winter")),
        ("Prepare for hurricane season", "Make a plan, document your belongings and review your coverage before a storm.", ("hurricane", "home insurance", "preparedness")),
        ("What does renters insurance cover?", "Renters insurance can cover your belongings, liability and extra living costs.", ("renters insurance", "coverage", "guide")),
        ("Home maintenance checklist", "Seasonal checks on your roof, gutters and smoke detectors help prevent costly claims.", ("home maintenance", "checklist", "tips")),
        ("Tips for teen drivers", "Set clear rules, practice together and talk about distracted driving.", ("teen drivers", "safety", "tips")),
        ("How deductibles work", "Your deductible is what you pay before coverage starts. Here's how to choose one.", ("deductible", "guide", "coverage")),
        ("What to do after an accident", "Check for injuries, move to safety, exchange information and take photos.", ("accident", "claims", "guide")),
    )),
    ("telecom", _EDU): _lessons(("Help Center", "Tech Tips"), "support", (
        ("How to spot a scam call", "Don't share codes or personal details with unknown callers. Use free call-blocking tools.", ("scam calls", "security", "tips")),
        ("5G explained", "Learn what 5G means for speed, coverage and the devices you use every day.", ("5G", "network", "guide")),
        ("Set up parental controls", "Manage screen time and content filters for your family's devices in a few steps.", ("parental controls", "family", "guide")),
        ("Move your data to a new phone", "Back up, transfer and restore your photos and contacts with our step-by-step guide.", ("new phone", "data transfer", "guide")),
        ("Get better Wi-Fi at home", "Router placement and a few settings can make your home Wi-Fi faster.", ("Wi-Fi", "home internet", "tips")),
    )),
    ("retail", _EDU): _lessons(("Guides", "Inspiration"), "ideas", (
        ("How to choose a TV", "Screen size, resolution and refresh rate explained, so you can pick the right TV.", ("TV buying guide", "electronics", "guide")),
        ("DIY workshop: build a planter", "Join our free in-store workshop and learn to build a planter box.", ("DIY", "workshop", "garden")),
        ("Wardrobe essentials guide", "The pieces that work for every season, and how to mix them.", ("style guide", "apparel", "fashion")),
        ("Easy weeknight recipes", "Quick dinners your family will love, with ingredients from your pantry.", ("recipes", "grocery", "ideas")),
        ("How to pick the right mattress", "Firmness, materials and sleep style: what to consider before you buy.", ("mattress", "buying guide", "home")),
        ("Skincare routine basics", "Cleanse, treat and protect: build a simple routine that works for your skin.", ("skincare", "beauty", "guide")),
    )),
    ("travel", _EDU): _lessons(("Travel Guide", "Travel Tips"), "travel-tips", (
        ("Pack like a pro: carry-on only", "Roll, don't fold, and pick versatile pieces to travel light.", ("packing tips", "carry-on", "travel tips")),
        ("Know before you go", "Check passport validity, entry rules and travel advisories before you book.", ("travel documents", "passport", "guide")),
        ("How to earn and redeem points", "Learn the smartest ways to earn points and get the most from every redemption.", ("points", "loyalty program", "guide")),
        ("Stay safe on international trips", "Share your itinerary, keep copies of documents and know local emergency numbers.", ("travel safety", "international travel", "tips")),
        ("Webinar: make the most of your status", "Join our free webinar on elite benefits, upgrades and lounge access.", ("webinar", "elite status", "benefits")),
    )),
    ("investing", _EDU): _lessons(("Insights", "Learning Center"), "learn", (
        ("What is an ETF?", "An exchange-traded fund holds a basket of investments and trades like a stock.", ("ETF", "investing basics", "guide")),
        ("Retirement planning webinar", "Join our free webinar on how much to save and how to invest for retirement.", ("webinar", "retirement", "planning")),
        ("Roth vs. traditional IRA", "The difference comes down to when you pay taxes. Here's how to choose.", ("IRA", "retirement", "taxes")),
        ("Understanding market volatility", "Markets move up and down. A long-term plan helps you stay on course.", ("market volatility", "investing", "insights")),
        ("Protect your account with two-factor authentication", "Add a second step at login so only you can access your account.", ("security", "two-factor", "account safety")),
        ("Market outlook", "Our strategists share what they are watching in stocks, bonds and the economy.", ("market outlook", "insights", "economy")),
    )),
})

_SLOGANS: dict[str, tuple[str, ...]] = {
    "credit_cards": ("Rewards that fit your life", "Spend smarter, live better", "More than a card"),
    "banking": ("Banking that puts you first", "Here when it matters", "Your neighborhood bank, everywhere"),
    "insurance": ("Protection you can count on", "Here for life's surprises", "Peace of mind, every mile"),
    "telecom": ("The network you can count on", "Connecting what matters", "Coverage where you live"),
    "retail": ("Everyday value, every day", "More joy for less", "Where great finds live"),
    "travel": ("The world is waiting", "Travel that brings us together", "Every journey starts here"),
    "investing": ("Invest in what's next", "Your future, your way", "Helping you plan for tomorrow"),
}


def _brand_themes(slogans: tuple[str, ...]) -> tuple[_Theme, ...]:
    """Brand-awareness themes: an industry's slogans, sponsorships and values; never an offer."""
    return (
        _Theme(tuple((line, f"{line}. That's the promise behind everything we do.", line) for line in slogans),
               ("Brand",), ("brand", "values", "community"), "about", terms=False),
        _Theme((
            ("Proud sponsor of the {event}", "We're proud to sponsor the {event} and the fans who make it special.", "Proud sponsor of the {event}"),
            ("Committed to our communities", "This year our employees volunteered {volh} hours in the communities we serve.", "{volh} volunteer hours and counting"),
            ("Our commitment to a greener future", "We're working toward net-zero emissions by {year}, together with our partners.", "On the road to net zero"),
        ), ("Community", "Foundation"), ("sponsorship", "community", "sustainability"), "community", terms=False),
    )


_THEMES.update({(industry, _BRAND): _brand_themes(slogans) for industry, slogans in _SLOGANS.items()})

_SERVICING: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {
    "credit_cards": ("Credit Card", (
        ("Your payment is due", "Your card payment of {due} is due in {dd} days. Pay on time to avoid a late fee.", "Your payment of {due} is due in {dd} days"),
        ("Your card was declined", "A recent purchase on your card was declined. If this was you, reply YES; if not, contact us right away.", "Your card was declined - was this you?"),
        ("Your statement is ready", "Your monthly statement is ready to view online.", "Your statement is ready"),
    )),
    "banking": ("Checking Account", (
        ("Low balance alert", "Your available balance is below the alert amount you set.", "Low balance alert"),
        ("Your card was declined", "A debit card purchase was declined. Review the transaction in the app.", "Your debit card was declined"),
        ("Your statement is ready", "Your account statement is ready to view online.", "Your statement is ready"),
    )),
    "insurance": ("Auto Policy", (
        ("Your payment is due", "Your policy payment of {due} is due in {dd} days.", "Policy payment of {due} due in {dd} days"),
        ("Your ID cards are ready", "Your new insurance ID cards are ready to download.", "Your ID cards are ready"),
    )),
    "telecom": ("Wireless Account", (
        ("Your bill is ready", "Your bill of {due} is ready. AutoPay will process it in {dd} days.", "Your bill of {due} is ready"),
        ("Your payment is due", "Your payment of {due} is due in {dd} days.", "Payment of {due} due in {dd} days"),
    )),
    "retail": ("Store Card", (
        ("Your order has shipped", "Good news: your order is on its way. Track it anytime in your account.", "Your order has shipped"),
        ("Your payment is due", "Your store card payment of {due} is due in {dd} days.", "Store card payment of {due} due"),
    )),
    "travel": ("Reservation", (
        ("Check in for your trip", "It's time to check in. Add your details and get your boarding pass.", "Check in now for your trip"),
        ("Your itinerary has changed", "There's been a change to your itinerary. Review your new times in the app.", "Your itinerary has changed"),
    )),
    "investing": ("Brokerage Account", (
        ("Your statement is ready", "Your quarterly statement is ready to view online.", "Your statement is ready"),
        ("Your tax documents are ready", "Your tax forms are now available to download.", "Your tax documents are ready"),
    )),
}
_THEMES.update({(industry, _SERV): (_Theme(variants, (product,), ("account", "notice"), "account", terms=False),)
                for industry, (product, variants) in _SERVICING.items()})

_INDUSTRY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "credit_cards": ("credit card", "rewards", "apply now"),
    "banking": ("bank account", "banking", "savings"),
    "insurance": ("insurance", "coverage", "quote"),
    "telecom": ("wireless", "phone plan", "5G"),
    "retail": ("shopping", "deals", "online shopping"),
    "travel": ("travel", "vacation", "loyalty"),
    "investing": ("investing", "brokerage", "retirement"),
}

# More draws for kinds whose offers vary by number; fixed-text kinds repeat after a few.
_MESSAGE_DRAWS = (240, 240, 160, 60, 60, 40)

# ----------------------------------------------------------------------------- products
# What each catalogue product is, so a piece names a product its offer fits. Traits: the line
# (card, account, plan; travel, cash, balance-transfer, build-credit, secured; checking, savings;
# wireless, internet), the currency (points, miles, cash), the annual fee (no-fee, low-fee up to
# $150, premium-fee), the cash-back style (flat-1.5, flat-2, tiered, rotating) and extras (lounge,
# high-yield, no-monthly-fee). A piece names a product only when the product has every trait its
# theme and its text call for: a premium card never reads "No annual fee", a flat 1.5% card never
# promises 5% categories you activate. A card whose fee the templates never state (QuicksilverOne's
# $39) has no fee trait, so only pieces silent on the fee name it. Products left out (CDs, loans,
# Bilt) are never named.
_PRODUCT_TRAITS: dict[tuple[str, str], str] = {
    ("Chase", "Sapphire Preferred"): "card travel points low-fee",
    ("Chase", "Sapphire Reserve"): "card travel points premium-fee lounge",
    ("Chase", "Freedom Unlimited"): "card cash flat-1.5 tiered no-fee balance-transfer",
    ("Chase", "Freedom Flex"): "card cash rotating no-fee",
    ("Chase", "Freedom Rise"): "card cash flat-1.5 build-credit no-fee",
    ("Chase", "Slate Edge"): "card balance-transfer no-fee",
    ("Chase", "Ink Business Preferred"): "card points low-fee",
    ("Chase", "Ink Business Cash"): "card cash tiered no-fee",
    ("Chase", "Ink Business Unlimited"): "card cash flat-1.5 no-fee",
    ("Chase", "United Explorer"): "card travel miles low-fee",
    ("Chase", "Southwest Rapid Rewards Plus"): "card travel points low-fee",
    ("Chase", "Marriott Bonvoy Boundless"): "card travel points low-fee",
    ("Chase", "Prime Visa"): "card cash tiered no-fee",
    ("Chase", "Total Checking"): "account checking",
    ("Chase", "Secure Banking"): "account checking",
    ("Chase", "Premier Plus Checking"): "account checking",
    ("Chase", "Chase Savings"): "account savings",
    ("Capital One", "Venture X"): "card travel miles premium-fee lounge",
    ("Capital One", "Venture"): "card travel miles low-fee",
    ("Capital One", "VentureOne"): "card travel miles no-fee",
    ("Capital One", "Quicksilver"): "card cash flat-1.5 no-fee balance-transfer",
    ("Capital One", "QuicksilverOne"): "card cash flat-1.5 build-credit",
    ("Capital One", "Savor"): "card cash tiered no-fee balance-transfer",
    ("Capital One", "Platinum"): "card build-credit no-fee",
    ("Capital One", "Platinum Secured"): "card build-credit secured no-fee",
    ("Capital One", "Spark Cash Plus"): "card cash flat-2 low-fee",
    ("Capital One", "Spark Miles"): "card travel miles low-fee",
    ("Capital One", "360 Checking"): "account checking no-monthly-fee",
    ("Capital One", "360 Performance Savings"): "account savings high-yield no-monthly-fee",
    ("American Express", "Platinum Card"): "card travel points premium-fee lounge",
    ("American Express", "Gold Card"): "card points premium-fee",
    ("American Express", "Green Card"): "card travel points low-fee",
    ("American Express", "Blue Cash Preferred"): "card cash tiered low-fee",
    ("American Express", "Blue Cash Everyday"): "card cash tiered no-fee balance-transfer",
    ("American Express", "Delta SkyMiles Gold"): "card travel miles low-fee",
    ("American Express", "Delta SkyMiles Platinum"): "card travel miles premium-fee",
    ("American Express", "Delta SkyMiles Reserve"): "card travel miles premium-fee lounge",
    ("American Express", "Hilton Honors Card"): "card travel points no-fee",
    ("American Express", "Business Platinum"): "card travel points premium-fee lounge",
    ("American Express", "Business Gold"): "card points premium-fee",
    ("American Express", "Blue Business Plus"): "card points no-fee",
    ("American Express", "High Yield Savings"): "account savings high-yield no-monthly-fee",
    ("American Express", "Rewards Checking"): "account checking no-monthly-fee",
    ("Citi", "Double Cash"): "card cash flat-2 no-fee balance-transfer",
    ("Citi", "Custom Cash"): "card cash tiered no-fee",
    ("Citi", "Strata Premier"): "card travel points low-fee",
    ("Citi", "Strata Elite"): "card travel points premium-fee lounge",
    ("Citi", "Simplicity"): "card balance-transfer no-fee",
    ("Citi", "Diamond Preferred"): "card balance-transfer no-fee",
    ("Citi", "AAdvantage Platinum Select"): "card travel miles low-fee",
    ("Citi", "AAdvantage Executive"): "card travel miles premium-fee lounge",
    ("Citi", "Rewards+"): "card points no-fee",
    ("Citi", "Costco Anywhere Visa"): "card cash tiered no-fee",
    ("Citi", "Citi Priority"): "account checking",
    ("Citi", "Accelerate Savings"): "account savings high-yield",
    ("Discover", "it Cash Back"): "card cash rotating no-fee balance-transfer",
    ("Discover", "it Miles"): "card travel miles no-fee",
    ("Discover", "it Chrome"): "card cash tiered no-fee",
    ("Discover", "it Secured"): "card build-credit secured no-fee",
    ("Discover", "it Student Cash Back"): "card cash rotating build-credit no-fee",
    ("Discover", "it Balance Transfer"): "card cash rotating balance-transfer no-fee",
    ("Discover", "Online Savings"): "account savings high-yield no-monthly-fee",
    ("Discover", "Cashback Debit"): "account checking no-monthly-fee",
    ("Wells Fargo", "Active Cash"): "card cash flat-2 no-fee balance-transfer",
    ("Wells Fargo", "Autograph"): "card points no-fee",
    ("Wells Fargo", "Autograph Journey"): "card travel points low-fee",
    ("Wells Fargo", "Reflect"): "card balance-transfer no-fee",
    ("Wells Fargo", "Attune"): "card cash tiered no-fee",
    ("Wells Fargo", "Everyday Checking"): "account checking",
    ("Wells Fargo", "Way2Save Savings"): "account savings",
    ("Wells Fargo", "Platinum Savings"): "account savings high-yield",
    ("Bank of America", "Customized Cash Rewards"): "card cash tiered no-fee balance-transfer",
    ("Bank of America", "Unlimited Cash Rewards"): "card cash flat-1.5 no-fee balance-transfer",
    ("Bank of America", "Travel Rewards"): "card travel points no-fee",
    ("Bank of America", "Premium Rewards Elite"): "card travel points premium-fee lounge",
    ("Bank of America", "Premium Rewards"): "card travel points low-fee",
    ("Bank of America", "BankAmericard"): "card balance-transfer no-fee",
    ("Bank of America", "Advantage Banking"): "account checking",
    ("Bank of America", "Advantage Savings"): "account savings",
    ("U.S. Bank", "Altitude Go"): "card points no-fee",
    ("U.S. Bank", "Altitude Connect"): "card travel points no-fee",
    ("U.S. Bank", "Altitude Reserve"): "card travel points premium-fee lounge",
    ("U.S. Bank", "Cash+"): "card cash tiered no-fee",
    ("U.S. Bank", "Shopper Cash Rewards"): "card cash tiered low-fee",
    ("U.S. Bank", "Visa Platinum"): "card balance-transfer no-fee",
    ("U.S. Bank", "Smartly Checking"): "account checking",
    ("U.S. Bank", "Smartly Savings"): "account savings high-yield",
    ("Barclays", "AAdvantage Aviator Red"): "card travel miles low-fee",
    ("Barclays", "JetBlue Plus"): "card travel points low-fee",
    ("Barclays", "Wyndham Rewards Earner"): "card travel points no-fee",
    ("Barclays", "View Mastercard"): "card balance-transfer no-fee",
    ("Ally", "Online Savings"): "account savings high-yield no-monthly-fee",
    ("Ally", "Spending Account"): "account checking no-monthly-fee",
    ("SoFi", "Checking and Savings"): "account checking savings high-yield no-monthly-fee",
    ("Marcus by Goldman Sachs", "Online Savings"): "account savings high-yield no-monthly-fee",
    ("Verizon", "Unlimited Welcome"): "plan wireless",
    ("Verizon", "Unlimited Plus"): "plan wireless",
    ("Verizon", "Unlimited Ultimate"): "plan wireless",
    ("Verizon", "Fios Home Internet"): "plan internet",
    ("T-Mobile", "Go5G"): "plan wireless",
    ("T-Mobile", "Essentials"): "plan wireless",
    ("T-Mobile", "Experience More"): "plan wireless",
    ("T-Mobile", "Home Internet"): "plan internet",
    ("AT&T", "Unlimited Starter"): "plan wireless",
    ("AT&T", "Unlimited Extra"): "plan wireless",
    ("AT&T", "Unlimited Premium"): "plan wireless",
    ("AT&T", "AT&T Fiber"): "plan internet",
}
# The line a theme markets, by (industry, theme path); a product must have it to be named.
# Themes not listed (guides, brand pieces, CDs) name no catalogue product.
_THEME_LINES: dict[tuple[str, str], str] = {
    ("credit_cards", "credit-cards/rewards"): "card",
    ("credit_cards", "credit-cards/travel"): "travel",
    ("credit_cards", "credit-cards/cash-back"): "cash",
    ("credit_cards", "credit-cards/balance-transfer"): "balance-transfer",
    ("credit_cards", "credit-cards/premium"): "card",
    ("credit_cards", "credit-cards/build-credit"): "build-credit",
    ("credit_cards", "offers/cash-back"): "cash",
    ("credit_cards", "offers/points"): "card",
    ("credit_cards", "offers/balance-transfer"): "balance-transfer",
    ("credit_cards", "account/rewards"): "card",
    ("credit_cards", "account/offers"): "card",
    ("credit_cards", "account"): "card",
    ("banking", "checking"): "checking",
    ("banking", "savings"): "savings",
    ("banking", "offers/rates"): "account",
    ("banking", "offers/checking"): "checking",
    ("banking", "account"): "account",
    ("banking", "account/offers"): "account",
    ("telecom", "deals/phones"): "wireless",
    ("telecom", "plans"): "plan",
    ("telecom", "deals"): "wireless",
    ("telecom", "account"): "plan",
}
# What a piece of an industry calls its product when no catalogue product fits it and its theme's
# generic product would spell a catalogue product of the company ("American Express Gold Card").
_PLAIN_PRODUCTS: dict[str, str] = {
    "credit_cards": "Credit Card", "banking": "Bank Account", "insurance": "Insurance", "telecom": "Wireless Plan",
    "retail": "Rewards", "travel": "Rewards", "investing": "Investment Account",
}
_ANNUAL_FEE = re.compile(r"\$(\d+) annual fee|annual fee for the first year, then \$(\d+)")
_FLAT_RATE = re.compile(r"(?i)unlimited (\d(?:\.\d)?)% cash back")
# Annual fees from here up are premium cards' (lounges, travel credits); below, everyday cards'.
_PREMIUM_FEE_USD = 250


def _card_traits(text: str) -> set[str]:
    """What a card must be to carry this text: its currency, fee, cash-back style, lounge, secured."""
    traits = {trait for trait, pattern in (("points", r"\bpoints?\b"), ("miles", r"\bmiles\b"),
                                           ("cash", r"(?i)cash back|cash bonus"), ("lounge", r"(?i)lounge"),
                                           ("secured", r"(?i)secured")) if re.search(pattern, text)}
    fees = [int(a or b) for a, b in _ANNUAL_FEE.findall(text)]
    if re.search(r"(?i)no annual fee|\$0 annual fee", text):
        traits.add("no-fee")
    elif fees:
        traits.add("premium-fee" if max(fees) >= _PREMIUM_FEE_USD else "low-fee")
    flat = _FLAT_RATE.search(text)
    if re.search(r"(?i)rotating|activate", text):
        traits.add("rotating")
    elif flat:
        traits.add(f"flat-{flat.group(1)}")
    elif re.search(r"\b[2-9]% (?:cash )?back on ", text):
        traits.add("tiered")
    return traits


def _account_traits(text: str) -> set[str]:
    """What a deposit account must be to carry this text: CD, savings (high-yield when it quotes
    an APY) or checking, and free of monthly fees when it says so."""
    traits = set()
    if re.search(r"\bCDs?\b", text):
        traits.add("cd")
    elif re.search(r"(?i)savings", text):
        traits.update(("savings", "high-yield") if "APY" in text else ("savings",))
    elif re.search(r"(?i)checking|direct deposit|debit card", text):
        traits.add("checking")
    if re.search(r"(?i)no monthly (?:maintenance )?fees?", text):
        traits.add("no-monthly-fee")
    return traits


def _plan_traits(text: str) -> set[str]:
    """What a telecom plan must be to carry this text: home internet or wireless."""
    if re.search(r"(?i)internet", text):
        return {"internet"}
    if re.search(r"(?i)unlimited|phone|line|hotspot|upgrade", text):
        return {"wireless"}
    return set()


_TEXT_TRAITS: dict[str, Callable[[str], set[str]]] = {
    "credit_cards": _card_traits, "banking": _account_traits, "telecom": _plan_traits,
}


def _traits_called_for(industry: str, path: str, text: str) -> frozenset[str] | None:
    """The traits a product needs for a message of this theme and text to name it; None when
    the theme markets no catalogue product."""
    line = _THEME_LINES.get((industry, path))
    if line is None:
        return None
    return frozenset({line, *_TEXT_TRAITS[industry](text)})


def _written_name(product: Product) -> str:
    """A product as pieces name it: after its company ("Capital One Venture X Card"), with "Card"
    after a card's name that does not already say what it is."""
    name = product.name if product.name.startswith(product.company) else f"{product.company} {product.name}"
    if product.kind == "card" and not re.search(r"(?i)(?:card|visa|mastercard)$", name):
        name += " Card"
    return name


def _lineups() -> dict[str, list[tuple[str, frozenset[str]]]]:
    """Each company's nameable products, as pieces write them, with their traits."""
    catalogue = {(p.company, p.name): p for p in KNOWN_PRODUCTS}
    unknown = sorted(set(_PRODUCT_TRAITS) - set(catalogue))
    if unknown:
        raise ValueError(f"Products not in the catalogue: {unknown}")
    lineups: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for key, traits in _PRODUCT_TRAITS.items():
        lineups.setdefault(key[0], []).append((_written_name(catalogue[key]), frozenset(traits.split())))
    return lineups

# ----------------------------------------------------------------------------- layouts
_KIND_LEADS: tuple[tuple[str, ...], ...] = (
    ("Meet the {P}.", "Introducing the {P}.", "There's never been a better time to choose the {P}.",
     "Switch to {C} and see what you've been missing.", "Join millions of customers who choose {C}.",
     "The {P} was built for the way you live."),
    ("Here's a limited-time offer from {C}.", "New at {C} this week:", "Good news from {C}.",
     "A special offer from {C}, just for you.", "For a limited time only at {C}:", "Don't miss this {C} deal."),
    ("As a valued {C} customer, you mean a lot to us.", "A note for our {C} customers.", "From all of us at {C}:",
     "Thanks for choosing {C}.", "We're glad you're with {C}."),
    ("From the {C} learning center:", "A quick guide from {C}.", "{C} is here to help you make smart decisions.",
     "Here's a tip from {C}.", "Learn with {C}."),
    ("At {C}, we believe in more than business.", "{C} is proud to stand with our communities.", "This is {C}.",
     "For generations, {C} has been there.", "Everything we do at {C} starts with you."),
    ("This is an account notice from {C}.", "A message about your {P}.", "Please review this notice about your {C} account."),
)
_KIND_GREETINGS: tuple[tuple[str, ...], ...] = (
    ("Hi there,", "Hello,", "Good news!", ""),
    ("Hi there,", "Hello,", "Good news!", ""),
    ("Hi there,", "Hello,", "Dear Valued Customer,", ""),
    ("Hi there,", "Hello,", ""),
    ("Hello,", ""),
    ("Dear Customer,", "Hello,", ""),
)
_SOCIAL_LEADS: tuple[tuple[str, ...], ...] = (
    ("Big news!", "Ready for more?", "Say hello to something new.", ""),
    ("Deal alert!", "Don't miss this.", "Hurry!", ""),
    ("Thank you!", "We appreciate you.", ""),
    ("Tip of the day:", "Did you know?", "Quick tip:", ""),
    ("Proud moment.", "This is who we are.", ""),
    ("",),
)
_OFFER_CTAS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # (long, short)
    "credit_cards": (("Apply now - it only takes a few minutes.", "See if you're pre-approved with no impact to your credit score.",
                      "Apply today at {D}.", "Respond by the date on this offer to lock in these terms.", "Learn more and apply at {D}."),
                     ("Apply now", "See if you're pre-approved", "Learn more")),
    "banking": (("Open an account online in minutes at {D}.", "Visit a branch or open your account online today.",
                 "Get started at {D}.", "Open your account today."),
                ("Open an account", "Get started", "Learn more")),
    "insurance": (("Get a free quote at {D}.", "Call your local agent today.", "See how much you could save at {D}.",
                   "Get your quote in minutes."),
                  ("Get a quote", "Start your quote", "Compare rates")),
    "telecom": (("Switch today at {D} or visit a store.", "Shop now at {D}.", "Order online and get free shipping.",
                 "Visit a store near you."),
                ("Switch now", "Shop now", "Get yours")),
    "retail": (("Shop now at {D}.", "Shop in store or online.", "Use code SAVEMORE at checkout.", "Find your nearest store at {D}."),
               ("Shop now", "Shop the sale", "Find deals")),
    "travel": (("Book now at {D}.", "Book direct for the best price.", "Reserve your trip today.", "Plan your next getaway at {D}."),
               ("Book now", "Plan your trip", "See deals")),
    "investing": (("Open an account at {D}.", "Start investing today.", "Talk with a financial consultant today.",
                   "Get started in minutes at {D}."),
                  ("Open an account", "Get started", "Start investing")),
}
_KIND_CTAS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    _RET: (("Log in to {D} to see your rewards.", "Thank you for being with us.", "Renew today at {D}.",
            "Come back and see what's new at {D}."),
           ("See your rewards", "Renew now", "Come back", "Learn more")),
    _EDU: (("Read the full guide at {D}.", "Register for the free webinar at {D}.", "Learn more at {D}.",
            "Watch the video series at {D}."),
           ("Read more", "Register free", "Learn more", "Watch now")),
    _BRAND: (("Learn more about our commitment at {D}.", "See the story at {D}.", "Discover more at {D}."),
             ("Learn more", "Watch the story", "See our story")),
    _SERV: (("Log in at {D} to review your account.", "Pay now at {D} or in our app.",
             "Call the number on your statement with any questions."),
            ("Pay now", "Review now", "Log in")),
}
_EMAIL_SUBJECTS: tuple[tuple[str, ...], ...] = (
    ("{H}", "{H} with the {P}", "Just for you: {H}", "{C}: {H}", "Your offer inside: {H}", "{H} - details inside"),
    ("{H}", "Don't miss this: {H}", "{H} - this week only", "Ends soon: {H}", "{C} deals: {H}"),
    ("{H}", "{C}: {H}", "A thank-you from {C}", "Something special for you, from {C}", "{H}, from {C}"),
    ("{H}", "{C} Insights: {H}", "New guide: {H}", "Quick read: {H}"),
    ("{H}", "{C}: {H}", "A message from {C}"),
    ("{H}", "{C}: {H}", "Action required: {H}", "Account alert: {H}"),
)
_ENVELOPE_TEASERS: tuple[tuple[str, ...], ...] = (
    ("Your invitation is enclosed - open immediately", "Important information enclosed", "Time-sensitive: your {C} offer is inside",
     "Your {P} offer is enclosed", "Priority mail: please respond"),
    ("Savings inside", "Limited-time offer enclosed", "A special offer from {C} inside", "{H} - details inside"),
    ("A thank-you from {C} inside", "Your renewal notice", "For our valued customers", "{H} - details inside"),
    ("Your guide inside", "Helpful tips enclosed", "{H}"),
    ("A message from {C}", "Inside: our commitment to you"),
    ("Important account information", "Time-sensitive account notice", "Important information about your {P}"),
)
_CHANNEL_TITLES: dict[str, tuple[str, ...]] = {
    "email": ("{H}",),
    "direct_mail": ("{H}", "{P}"),
    "social": ("{H}",),
    "display": ("{H}", "{P}"),
    "search": ("{P} | {H}", "{H} | {C}", "{H} - {C}"),
    "video": ("{C} | {H}", "{H}", "{H} | {C}"),
    "sms": ("{H}",),
}
_CHANNEL_CONTENTS: dict[str, tuple[str, ...]] = {
    "email": ("{G} {L} {O} {T} {X} {A} {SIG}", "{L} {O} {X} {A} {T} {SIG}", "{G} {O} {T} {X} {A} {SIG}",
              "{L} {O} {T} {X} {A}"),
    "direct_mail": ("{SAL} {L} {O} {T} {X} {A} Sincerely, {C}", "{SAL} {L} {O} {X} {A} {T}",
                    "{SAL} {O} {L} {T} {X} {A} Sincerely, the {C} team"),
    "social": ("{SL} {S}. {XS} {AS}. #{TAG}", "{S}. {XS} {AS} at the link in our bio. #{TAG}", "{SL} {O} {XS} #{TAG}"),
    "display": ("{S}. {XS} {AS}.", "{S}. {AS} at {D}. {XS}", "{P}. {S}. {XS}"),
    "search": ("{S}. {XS} {AS}.", "{AS} - {S}. {XS}", "{S}. Official {C} site. {XS}"),
    "video": ("{L} {S}. {XS} {AS} at {D}.", "{O} {XS} {AS}.", "Watch: {L} {S}. {XS}"),
    "sms": ("{C}: {S}. {XS} {AS} at {URL} Reply STOP to opt out.", "{C} Alert: {S}. {XS} {AS}: {URL}",
            "{S} from {C}! {XS} {AS}: {URL}. Msg&data rates may apply."),
}
# The per-piece detail that makes one send differ from the next: an offer's end date, a
# webinar's date, "member since", a masked account number. Long form, then short form, per kind.
_KIND_CLAUSES: tuple[tuple[str, ...], ...] = (
    ("Offer ends {EXP}.", "Offer expires {EXP}.", "Offer valid through {EXP}.", "Respond by {EXP}."),
    ("Offer ends {EXP}.", "Ends {EXP}.", "Valid through {EXP}.", "Offer expires {EXP}."),
    ("Valid through {EXP}.", "Customer since {SINCE}.", "Offer valid through {EXP}.", "Member since {SINCE}."),
    ("Join our live Q&A on {EVT}.", "Live webinar: {EVT}.", "Updated {PUB}.", "Posted {PUB}."),
    ("Proud to call {CITY} home.", "Celebrating our neighbors in {CITY}.", "Tune in {EVT}.", "Posted {PUB}."),
    ("Account ending in {L4}.", "For your account ending in {L4}.", "Notice date: {PUB}."),
)
_KIND_SHORT_CLAUSES: tuple[tuple[str, ...], ...] = (
    ("Ends {EXPS}.", "Offer ends {EXPS}.", "Expires {EXPS}."),
    ("Ends {EXPS}.", "Through {EXPS}.", "Now through {EXPS}."),
    ("Through {EXPS}.", "Member since {SINCE}.", "Customer since {SINCE}."),
    ("Live {EVTS}.", "New {PUBS}.", "Live Q&A {EVTS}."),
    ("Proud to call {CITY} home.", "Live {EVTS}.", "In {CITY} and beyond."),
    ("Acct ending {L4}.", "Ending in {L4}."),
)
_CITIES = ("Atlanta", "Austin", "Baltimore", "Boston", "Charlotte", "Chicago", "Cleveland", "Columbus", "Dallas",
           "Denver", "Detroit", "Houston", "Indianapolis", "Jacksonville", "Kansas City", "Las Vegas",
           "Los Angeles", "Miami", "Milwaukee", "Minneapolis", "Nashville", "New Orleans", "New York",
           "Oklahoma City", "Omaha", "Orlando", "Philadelphia", "Phoenix", "Pittsburgh", "Portland",
           "Raleigh", "Sacramento", "Salt Lake City", "San Antonio", "San Diego", "San Francisco",
           "San Jose", "Seattle", "St. Louis", "Tampa")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SIGN_OFFS = ("— The {C} Team", "Thank you, {C}", "Sincerely, {C}", "")
_SALUTATIONS = ("Dear Valued Customer,", "Dear Friend,", "Dear Neighbor,", "Dear Resident,")
_LANDING_URLS = ("https://www.{D}/{U}", "https://www.{D}/{U}?utm_source={CH}&utm_campaign={K}")
_AUDIENCES: tuple[tuple[str, ...], ...] = (
    ("Prospects", "New customers", "Students", "Small business owners", "Homeowners", "Young professionals", "Families"),
    ("Existing customers", "All customers", "Deal seekers", "Members", "Prospects"),
    ("Existing customers", "Lapsed customers", "Loyalty members", "Long-tenure customers"),
    ("All customers", "General public", "New customers", "Existing customers"),
    ("General public", "All adults", "Sports fans"),
    ("Existing customers",),
)
_GEOGRAPHIES = ("US", "CA", "NY", "TX", "FL", "IL", "PA", "OH", "GA", "Northeast", "Southeast", "Midwest", "West")
_GEOGRAPHY_WEIGHTS = (0.55, 0.05, 0.05, 0.04, 0.04, 0.02, 0.02, 0.02, 0.02, 0.05, 0.05, 0.05, 0.04)
_OFFER_PREFIXES = ("Limited time: ", "Last chance: ", "Ends soon: ")
_PLAIN_PREFIXES = ("New: ", "Reminder: ", "Updated: ")
# A whole number that is not part of a decimal, a word ("5G", "60k") or a larger number.
_NUMBER = re.compile(r"(?<![\w.,])[1-9]\d{0,2}(?:,\d{3})+(?![\w,]|\.\d)|(?<![\w.,])[1-9]\d*(?![\w,]|\.\d)")
# Dates and years are not offer terms; a near-duplicate changes a number outside them.
_DATE_OR_YEAR = re.compile(r"\b(?:%s)[a-z]* \d{1,2}(?:, \d{4})?|\b(?:19|20)\d\d\b" % "|".join(m[:3] for m in _MONTHS))
# Nor are numbers in a product's name ("Capital One 360 Checking").
_NAMED_NUMBER = re.compile("|".join(re.escape(p.name) for p in KNOWN_PRODUCTS if re.search(r"\b\d+\b", p.name)))
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


# ----------------------------------------------------------------------------- vectorised templates
def _fill(templates: Sequence[str], chosen: np.ndarray, values: Mapping[str, pa.Array]) -> pa.Array:
    """Row i gets templates[chosen[i]] with each {name} replaced by values[name][i].

    Rows are grouped by the sequence of placeholders their template has, so each group is one
    pyarrow join of literal and value columns instead of a Python loop over rows.
    """
    parsed = [_PLACEHOLDER.split(t) for t in templates]
    shapes: dict[tuple[str, ...], list[int]] = {}
    for i, parts in enumerate(parsed):
        shapes.setdefault(tuple(parts[1::2]), []).append(i)
    shape_of = np.empty(len(templates), dtype=np.int64)
    for s, ids in enumerate(shapes.values()):
        shape_of[ids] = s
    row_shape = shape_of[chosen]
    filled: list[pa.Array] = []
    positions: list[np.ndarray] = []
    for s, names in enumerate(shapes):
        rows = np.flatnonzero(row_shape == s)
        if rows.size == 0:
            continue
        template_ids = chosen[rows]
        every_row = rows.size == len(chosen)
        columns: list[pa.Array] = []
        for k in range(len(names) + 1):
            literal = pa.array([parts[2 * k] if len(parts) > 2 * k else "" for parts in parsed], pa.string())
            columns.append(literal.take(template_ids))
            if k < len(names):
                columns.append(values[names[k]] if every_row else values[names[k]].take(rows))
        filled.append(pc.binary_join_element_wise(*columns, ""))
        positions.append(rows)
    if not filled:
        return pa.array([], pa.string())
    if len(filled) == 1:
        return filled[0]
    order = np.empty(len(chosen), dtype=np.int64)
    order[np.concatenate(positions)] = np.arange(len(chosen))
    return pa.concat_arrays(filled).take(order)


def _pick(counts: np.ndarray, keys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per row, a uniform choice among the counts[key] consecutive entries that belong to its key."""
    offsets = np.cumsum(counts) - counts
    return offsets[keys] + (rng.random(len(keys)) * counts[keys]).astype(np.int64)


class _Choices:
    """Lists of templates under integer keys; `pick` draws one template per row from its key's list."""

    def __init__(self, lists: Sequence[Sequence[str]]) -> None:
        if not all(lists):
            raise ValueError("every key needs at least one template")
        self.templates = [t for options in lists for t in options]
        self._counts = np.array([len(options) for options in lists], dtype=np.int64)

    def pick(self, keys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return _pick(self._counts, keys, rng)

    def fill(self, keys: np.ndarray, rng: np.random.Generator, values: Mapping[str, pa.Array]) -> pa.Array:
        return _fill(self.templates, self.pick(keys, rng), values)


def _cdf(weights: np.ndarray) -> np.ndarray:
    """Cumulative probabilities along the last axis, ending at exactly 1."""
    cdf = np.cumsum(weights / weights.sum(axis=-1, keepdims=True), axis=-1)
    cdf[..., -1] = 1.0
    return cdf


def _draw(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Category index per row for per-row cumulative probabilities `cdf` (rows x categories)."""
    return (u[:, None] >= cdf).sum(axis=1)


# ----------------------------------------------------------------------------- messages
@dataclass(frozen=True)
class _Messages:
    """The message pool: distinct messages grouped by industry and kind, columns as pyarrow arrays."""

    counts: np.ndarray  # messages per key industry * len(_KINDS) + kind, stored in key order
    headline: pa.Array
    offer: pa.Array
    short: pa.Array
    terms: pa.Array
    path: pa.Array
    keywords: pa.Array  # four joined variants per message: its first 2, 3, 4 and 5 keywords
    needs: np.ndarray  # per message, the index in `traits` of the traits a product needs to be named
    traits: tuple[frozenset[str] | None, ...]  # distinct needs; None: the message names no catalogue product
    generic: np.ndarray  # per message, the index in `generics` of its generic products
    generics: tuple[tuple[str, ...], ...]  # distinct (drawn generic product, its industry's plain one)


def _build_messages(r: random.Random) -> _Messages:
    rows: list[tuple[str, str, str, str, str]] = []
    keywords: list[str] = []
    counts: list[int] = []
    needs: list[int] = []
    traits: dict[frozenset[str] | None, int] = {}
    generic: list[int] = []
    generics: dict[tuple[str, ...], int] = {}
    for industry in _INDUSTRIES:
        for kind in range(len(_KINDS)):
            themes = _THEMES[industry, kind]
            seen: set[tuple[str, str, str, str, str]] = set()
            for _ in range(_MESSAGE_DRAWS[kind]):
                theme = r.choice(themes)
                headline, offer, short = r.choice(theme.variants)
                params = _Parameters(r)
                terms = r.choice(_TERMS[industry]) if theme.terms else ""
                short_text = short.format_map(params)
                # The short form often starts a sentence (search, display and social copy).
                text = (headline.format_map(params), offer.format_map(params), short_text[:1].upper() + short_text[1:],
                        terms.format_map(params), r.choice(theme.products))
                if text in seen:
                    continue
                seen.add(text)
                rows.append((*text[:4], theme.path))
                needed = _traits_called_for(industry, theme.path, " ".join(text[:4]))
                needs.append(traits.setdefault(needed, len(traits)))
                options = tuple(dict.fromkeys((text[4], _PLAIN_PRODUCTS[industry])))
                generic.append(generics.setdefault(options, len(generics)))
                picked = r.sample(theme.keywords, min(3, len(theme.keywords)))
                words = list(dict.fromkeys((*picked, *_INDUSTRY_KEYWORDS[industry], *theme.keywords)))
                keywords.extend(", ".join(words[:k]) for k in (2, 3, 4, 5))
            counts.append(len(seen))
    columns = [pa.array(column, pa.string()) for column in zip(*rows)]
    return _Messages(np.array(counts, dtype=np.int64), *columns, pa.array(keywords, pa.string()),
                     np.array(needs, dtype=np.int64), tuple(traits), np.array(generic, dtype=np.int64),
                     tuple(generics))


# ----------------------------------------------------------------------------- dates
def _start_date(end: datetime.date, months: int) -> datetime.date:
    """The day after the same calendar day `months` months before `end`."""
    year, month = divmod(end.year * 12 + end.month - 1 - months, 12)
    day = min(end.day, calendar.monthrange(year, month + 1)[1])
    return datetime.date(year, month + 1, day) + datetime.timedelta(days=1)


def _day_intensity(start: datetime.date, n_days: int, sizes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Relative number of new pieces per company and day: size x season x weekday x bursts."""
    days = np.arange(n_days)
    dates = np.datetime64(start, "D") + days
    month = dates.astype("datetime64[M]").astype(np.int64) % 12
    weekday = (dates.astype(np.int64) - 4) % 7  # 1970-01-01 was a Thursday
    season = np.take(_MONTH_FACTOR, month) * np.take(_WEEKDAY_FACTOR, weekday) * (1 + 0.15 * days / n_days)
    intensity = sizes[:, None] * season[None, :]
    for company in range(len(sizes)):
        for _ in range(rng.integers(1, 4)):
            length = int(rng.integers(14, 36))
            first = int(rng.integers(0, max(1, n_days - length)))
            intensity[company, first:first + length] *= rng.uniform(3.0, 6.0)
    return intensity


# ----------------------------------------------------------------------------- the frame
def _original_pieces(n: int, start: datetime.date, n_days: int, rng: np.random.Generator,
                     r: random.Random) -> pa.Table:
    """`n` pieces composed from the message pool, with company, date and estimates. (The
    steps draw from `rng` in a fixed order: a seed gives the same pieces every time.)"""
    names = [c.name for c in KNOWN_COMPANIES]
    sizes = rng.lognormal(0.0, 0.6, len(names)).clip(0.3, 3.0) * np.array(
        [3.5 if name in _BIG_ADVERTISERS else 1.0 for name in names])
    intensity = _day_intensity(start, n_days, sizes, rng)
    cell = rng.choice(intensity.size, size=n, p=(intensity / intensity.sum()).ravel())
    company, day = np.divmod(cell, n_days)
    industry, kind, channel = _industry_kind_channel(company, rng)

    messages = _build_messages(r)
    industry_kind = industry * len(_KINDS) + kind
    message = _pick(messages.counts, industry_kind, rng)
    v = _template_values(names, company, channel, kind, messages, message, rng)
    v.update(_date_values(start, n_days, day, rng))
    _add_details(v, start, kind, industry_kind, rng)
    subject, content = _subject_and_content(channel, kind, rng, v)

    n_keywords = rng.integers(0, 4, n)
    spend, volume = _estimates(channel, sizes[company] / np.median(sizes), rng)
    return pa.table({
        "company_name": v["C"],
        "industry": pa.array(_INDUSTRIES, pa.string()).take(industry),
        "channel": v["CH"],
        "campaign_type": v["K"],
        "title": _Choices([_CHANNEL_TITLES[ch] for ch in _CHANNELS]).fill(channel, rng, v),
        "subject_line": pc.if_else(pc.equal(subject, ""), pa.scalar(None, pa.string()), subject),
        "content": content,
        "keywords": messages.keywords.take(message * 4 + n_keywords),
        "landing_url": _missing(_Choices([_LANDING_URLS]).fill(np.zeros(n, dtype=np.int64), rng, v), 0.08, rng),
        "audience": _missing(_Choices(_AUDIENCES).fill(kind, rng, v), 0.2, rng),
        "geography": _missing(pa.array(_GEOGRAPHIES, pa.string()).take(
            rng.choice(len(_GEOGRAPHIES), size=n, p=_GEOGRAPHY_WEIGHTS)), 0.1, rng),
        "est_spend_usd": spend,
        "est_volume": volume,
        "_company": company,
        "_channel": channel,
        "_kind": kind,
        "_day": day,
    })


def _industry_kind_channel(company: np.ndarray, rng: np.random.Generator
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each piece's industry (its company's, or its second one's), campaign type and channel."""
    industry_of = np.array([_INDUSTRIES.index(c.industry) for c in KNOWN_COMPANIES])
    second = np.array([_INDUSTRIES.index(_SECONDARY_INDUSTRY.get(c.name, c.industry)) for c in KNOWN_COMPANIES])
    n = len(company)
    industry = np.where(rng.random(n) < _SECONDARY_INDUSTRY_SHARE, second[company], industry_of[company])
    type_cdf = _cdf(np.array([_TYPE_WEIGHTS[i] for i in _INDUSTRIES]))
    kind = _draw(type_cdf[industry], rng.random(n))
    channel_weights = np.array([_CHANNEL_WEIGHTS[i] for i in _INDUSTRIES])[:, None, :] * _CHANNEL_BY_KIND[None, :, :]
    channel = _draw(_cdf(channel_weights)[industry, kind], rng.random(n))
    return industry, kind, channel


def _template_values(names: list[str], company: np.ndarray, channel: np.ndarray, kind: np.ndarray,
                     messages: _Messages, message: np.ndarray, rng: np.random.Generator) -> dict[str, pa.Array]:
    """The values of the templates' placeholders that follow from each piece's company,
    channel, kind and message ({C} company, {H} headline, {P} product...), a column each."""
    company_names = pa.array(names, pa.string())
    domains = pa.array([_DOMAINS.get(nm, normalise_company_key(nm) + ".com") for nm in names], pa.string())
    hashtags = pa.array([re.sub(r"\W", "", nm) for nm in names], pa.string())
    v: dict[str, pa.Array] = {
        "C": company_names.take(company),
        "D": domains.take(company),
        "TAG": hashtags.take(company),
        "H": messages.headline.take(message),
        "O": messages.offer.take(message),
        "S": messages.short.take(message),
        "T": messages.terms.take(message),
        "U": messages.path.take(message),
        "CH": pa.array(_CHANNELS, pa.string()).take(channel),
        "K": pa.array(_KINDS, pa.string()).take(kind),
    }
    v["P"] = _product_names(names, company, messages, message, rng)
    return v


def _product_names(names: list[str], company: np.ndarray, messages: _Messages, message: np.ndarray,
                   rng: np.random.Generator) -> pa.Array:
    """Each piece's product as its copy names it: one of its company's catalogue products that
    fits its message, drawn among those that do ("Capital One Venture X Card"), else a generic
    product of the message after the company's name ("Capital One Travel Card")."""
    lineups = _lineups()
    fitting = [tuple(name for name, traits in lineups.get(company_name, ()) if needed is not None and needed <= traits)
               for company_name in names for needed in messages.traits]
    # An empty name stands for "none fits"; _Choices needs an option under every key.
    choices = _Choices([options or ("",) for options in fitting])
    picked = choices.pick(company * len(messages.traits) + messages.needs[message], rng)
    none_fits = np.array([name == "" for name in choices.templates])[picked]
    spellings = _catalogue_spellings()
    # One take from the fitting names followed by every company's generic names is cheaper than
    # joining strings per row.
    written = choices.templates + [_generic_name(company_name, options, spellings.get(company_name, frozenset()))
                                   for company_name in names for options in messages.generics]
    generic = len(choices.templates) + company * len(messages.generics) + messages.generic[message]
    return pa.array(written, pa.string()).take(np.where(none_fits, generic, picked))


def _spelled(text: str) -> str:
    """`text` as product names are compared: lower case, words between single spaces."""
    return " " + " ".join(re.findall(r"[\w+&]+", text.lower())) + " "


def _catalogue_spellings() -> dict[str, frozenset[str]]:
    """Every spelling of every catalogue product, by company, as `_spelled` writes it."""
    spellings: dict[str, set[str]] = {}
    for product in KNOWN_PRODUCTS:
        spellings.setdefault(product.company, set()).update(_spelled(s) for s in product.spellings)
    return {company: frozenset(found) for company, found in spellings.items()}


def _generic_name(company: str, options: tuple[str, ...], spellings: frozenset[str]) -> str:
    """The first generic product that, after the company's name, spells none of the company's
    catalogue products (American Express's secured-card offer is no "American Express Platinum
    Card"); the last one when each does."""
    for option in options:
        written = f"{company} {option}"
        if not any(spelling in _spelled(written) for spelling in spellings):
            return written
    return f"{company} {options[-1]}"


def _add_details(v: dict[str, pa.Array], start: datetime.date, kind: np.ndarray,
                 industry_kind: np.ndarray, rng: np.random.Generator) -> None:
    """The drawn placeholders: numbers and a city, then the clauses, leads, calls to action,
    greetings and sign-offs (templates themselves, filled from the values before them)."""
    n = len(kind)
    v["SINCE"] = pc.cast(pa.array(rng.integers(start.year - 20, start.year, n)), pa.string())
    v["L4"] = pc.cast(pa.array(rng.integers(1000, 10_000, n)), pa.string())
    v["CITY"] = pa.array(_CITIES, pa.string()).take(rng.integers(0, len(_CITIES), n))
    v["X"] = _Choices(_KIND_CLAUSES).fill(kind, rng, v)
    v["XS"] = _Choices(_KIND_SHORT_CLAUSES).fill(kind, rng, v)
    v["URL"] = _fill(["{D}/{U}"], np.zeros(n, dtype=np.int64), v)
    offer_ctas = [_OFFER_CTAS[i] if k in (_ACQ, _PROMO) else _KIND_CTAS[k]
                  for i in _INDUSTRIES for k in range(len(_KINDS))]
    v["L"] = _Choices(_KIND_LEADS).fill(kind, rng, v)
    v["A"] = _Choices([long for long, _ in offer_ctas]).fill(industry_kind, rng, v)
    v["AS"] = _Choices([short for _, short in offer_ctas]).fill(industry_kind, rng, v)
    v["G"] = _Choices(_KIND_GREETINGS).fill(kind, rng, v)
    v["SL"] = _Choices(_SOCIAL_LEADS).fill(kind, rng, v)
    v["SAL"] = _Choices([_SALUTATIONS]).fill(np.zeros(n, dtype=np.int64), rng, v)
    v["SIG"] = _Choices([_SIGN_OFFS]).fill(np.zeros(n, dtype=np.int64), rng, v)


def _subject_and_content(channel: np.ndarray, kind: np.ndarray, rng: np.random.Generator,
                         v: dict[str, pa.Array]) -> tuple[pa.Array, pa.Array]:
    """Each piece's subject line ('' where its channel has none) and body."""
    subjects = _Choices([_EMAIL_SUBJECTS[k] if ch == "email" else _ENVELOPE_TEASERS[k] if ch == "direct_mail" else ("",)
                         for ch in _CHANNELS for k in range(len(_KINDS))])
    subject = subjects.fill(channel * len(_KINDS) + kind, rng, v)
    content = _Choices([_CHANNEL_CONTENTS[ch] for ch in _CHANNELS]).fill(channel, rng, v)
    # An empty part (no terms, no greeting) leaves a double space, never more, since layouts
    # have no two optional parts side by side; a short form ending in "?" meets the layout's ".".
    # Literal replacements: a regex here would cost more than composing the text.
    for double, single in (("  ", " "), ("?.", "?"), ("!.", "!")):
        content = pc.replace_substring(content, double, single)
    return subject, pc.utf8_trim_whitespace(content)


def _date_values(start: datetime.date, n_days: int, day: np.ndarray,
                 rng: np.random.Generator) -> dict[str, pa.Array]:
    """Dates a piece mentions, as text: when it was posted, when its offer ends, when its event is."""
    dates = [start + datetime.timedelta(days=d) for d in range(n_days + 90)]
    long_form = pa.array([f"{_MONTHS[d.month - 1]} {d.day}, {d.year}" for d in dates], pa.string())
    short_form = pa.array([f"{_MONTHS[d.month - 1][:3]} {d.day}" for d in dates], pa.string())
    event_form = pa.array([f"{_WEEKDAYS[d.weekday()]}, {_MONTHS[d.month - 1]} {d.day}" for d in dates], pa.string())
    event_short = pa.array([f"{_WEEKDAYS[d.weekday()][:3]}, {_MONTHS[d.month - 1][:3]} {d.day}" for d in dates],
                           pa.string())
    expires = day + rng.integers(14, 76, len(day))
    event = day + rng.integers(5, 31, len(day))
    return {"PUB": long_form.take(day), "PUBS": short_form.take(day), "EXP": long_form.take(expires),
            "EXPS": short_form.take(expires), "EVT": event_form.take(event), "EVTS": event_short.take(event)}


def _missing(values: pa.Array, share: float, rng: np.random.Generator) -> pa.Array:
    """`values` with about `share` of them set to null."""
    return pc.if_else(pa.array(rng.random(len(values)) < share), pa.scalar(None, values.type), values)


def _estimates(channel: np.ndarray, scale: np.ndarray, rng: np.random.Generator) -> tuple[pa.Array, pa.Array]:
    """Estimated spend (USD) and volume (pieces or impressions) per piece; each ~30% missing."""
    model = np.array([_VOLUME_MODEL[ch] for ch in _CHANNELS])[channel]
    median, sigma, low, high, cost_low, cost_high, per = model.T
    # Big advertisers buy somewhat bigger drops and flights, not proportionally bigger ones.
    volume = np.round(np.clip(median * scale ** 0.3 * np.exp(sigma * rng.standard_normal(len(channel))), low, high))
    spend = np.round(volume / per * rng.uniform(cost_low, cost_high))
    u = rng.random(len(channel))
    spend_missing = u < 0.30
    volume_missing = (u < 0.25) | ((u >= 0.30) & (u < 0.35))
    return pa.array(spend, mask=spend_missing), pa.array(volume, mask=volume_missing)


def _offer_number(text: str) -> str | None:
    """The first whole number of `text` outside dates, years and product names, as written; None
    if there is none."""
    kept = [m.span() for pattern in (_DATE_OR_YEAR, _NAMED_NUMBER) for m in pattern.finditer(text)]
    for match in _NUMBER.finditer(text):
        if not any(start <= match.start() < stop for start, stop in kept):
            return match.group()
    return None


def _bumped(number: str) -> str:
    """A slightly larger number written the same way: 60,000 -> 65,000, 15 -> 20, 3 -> 4."""
    digits = number.replace(",", "")
    value = int(digits) + max(1, 10 ** (len(digits) - 1) // 2)
    return f"{value:,}" if "," in number else str(value)


def _replace_number(text: str | None, old: str, new: str) -> str | None:
    """`text` with every whole-number occurrence of `old` written as `new`."""
    if text is None:
        return None
    return re.sub(r"(?<![\w.,])%s(?![\w,]|\.\d)" % re.escape(old), new, text)


def _near_duplicates(pieces: pa.Table, n: int, n_days: int, rng: np.random.Generator) -> pa.Table:
    """`n` variants of random pieces: same company and channel, one number or a prefix changed.

    A changed number (a different bonus, rate or fee) is changed wherever the piece states it,
    so title, subject and content still agree; otherwise the content gets a prefix such as
    "Limited time: ".
    """
    variants = pieces.take(rng.integers(0, pieces.num_rows, n))
    offers = np.isin(variants["_kind"].to_numpy(), (_ACQ, _PROMO, _RET))
    prefix_pick = rng.integers(0, len(_OFFER_PREFIXES), n)
    # Only offers get a changed number: a guide's "5 tips" or an account number would change meaning.
    change_number = offers & (rng.random(n) < 0.5)
    titles, subjects, contents = [], [], []
    for title, subject, content, offer, pick, number in zip(
            variants["title"].to_pylist(), variants["subject_line"].to_pylist(), variants["content"].to_pylist(),
            offers, prefix_pick, change_number):
        old = _offer_number(content) if number else None
        if old is None:
            prefix = (_OFFER_PREFIXES if offer else _PLAIN_PREFIXES)[pick]
            content = prefix + content
        else:
            new = _bumped(old)
            title, subject, content = (_replace_number(text, old, new) for text in (title, subject, content))
        titles.append(title)
        subjects.append(subject)
        contents.append(content)
    day = np.minimum(variants["_day"].to_numpy() + rng.integers(0, 46, n), n_days - 1)
    for name, column in (("title", pa.array(titles, pa.string())), ("subject_line", pa.array(subjects, pa.string())),
                         ("content", pa.array(contents, pa.string())), ("_day", pa.array(day))):
        variants = variants.set_column(variants.schema.get_field_index(name), name, column)
    return variants


def _resightings(pieces: pa.Table, n: int, n_days: int, rng: np.random.Generator) -> pa.Table:
    """`n` copies of random pieces seen again on a later day (within about four months)."""
    day = pieces["_day"].to_numpy()
    candidates = np.flatnonzero(day < n_days - 1)
    if n == 0 or candidates.size == 0:
        return pieces.slice(0, 0)
    source = candidates[rng.integers(0, candidates.size, n)]
    room = np.minimum(120, n_days - 1 - day[source])
    later = day[source] + 1 + (rng.random(n) * room).astype(np.int64)
    seen = pieces.take(source)
    return seen.set_column(seen.schema.get_field_index("_day"), "_day", pa.array(later))


def _spell_like_sources(pieces: pa.Table, rng: np.random.Generator) -> pa.Table:
    """Write some company names as aliases, some channels as free text, drop some campaign types."""
    n = pieces.num_rows
    company = pieces["_company"].to_numpy()
    spellings = _Choices([(*c.aliases, c.name.lower()) for c in KNOWN_COMPANIES])
    alias = pa.array(spellings.templates, pa.string()).take(spellings.pick(company, rng))
    names = pc.if_else(pa.array(rng.random(n) < _ALIAS_SHARE), alias, pieces["company_name"])

    free_text = _Choices([_CHANNEL_SPELLINGS[ch] for ch in _CHANNELS])
    written = pa.array(free_text.templates, pa.string()).take(free_text.pick(pieces["_channel"].to_numpy(), rng))
    channels = pc.if_else(pa.array(rng.random(n) < _FREE_TEXT_CHANNEL_SHARE), written, pieces["channel"])

    no_type = (rng.random(n) < _MISSING_TYPE_SHARE) | (pieces["_kind"].to_numpy() == _SERV)
    types = pc.if_else(pa.array(no_type), pa.scalar(None, pa.string()), pieces["campaign_type"])
    for name, column in (("company_name", names), ("channel", channels), ("campaign_type", types)):
        pieces = pieces.set_column(pieces.schema.get_field_index(name), name, column)
    return pieces


def generate_campaigns(rows: int, seed: int = 0, end: datetime.date | None = None,
                       months: int = 20) -> pd.DataFrame:
    """A realistic sample feed of `rows` marketing pieces, identical for the same arguments.

    Launch dates span `months` months up to `end` (default: today), with more pieces in Q4 and
    January, fewer in summer, and a few weeks-long bursts per company. About 5% of rows are
    near-duplicates of another piece, 10% re-sightings of an earlier piece on a later date and 1%
    exact duplicate rows; about 5% of company names are aliases, 5% of channels free text, and
    15% of campaign types are missing (servicing messages have none). Columns are `COLUMNS`:
    text as strings (missing as NaN), launch_date as 'YYYY-MM-DD', keywords comma-separated,
    est_spend_usd and est_volume as floats with about 30% missing.
    """
    if rows < 0:
        raise ValueError(f"rows must be zero or more, got {rows}")
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    end = end or datetime.date.today()
    start = _start_date(end, months)
    n_days = (end - start).days + 1
    rng = np.random.default_rng(seed)
    r = random.Random(seed)

    n_near = round(rows * _NEAR_DUPLICATE_SHARE)
    n_resighted = round(rows * _RESIGHTING_SHARE)
    n_exact = round(rows * _EXACT_DUPLICATE_SHARE)
    n_original = rows - n_near - n_resighted - n_exact

    pieces = _original_pieces(n_original, start, n_days, rng, r)
    pieces = pa.concat_tables([pieces, _near_duplicates(pieces, n_near, n_days, rng)])
    resighted = _resightings(pieces, n_resighted, n_days, rng)
    pieces = _spell_like_sources(pa.concat_tables([pieces, resighted]), rng)
    pieces = pa.concat_tables([pieces, pieces.take(rng.integers(0, pieces.num_rows, n_exact))])

    # Sources list pieces by date; shuffling first keeps same-day pieces in no particular order.
    day = pieces["_day"].to_numpy()
    shuffled = rng.permutation(pieces.num_rows)
    order = shuffled[np.argsort(day[shuffled], kind="stable")]
    pieces = pieces.take(order)
    launch = pc.cast(pa.array(pieces["_day"].to_numpy().astype(np.int32) + _epoch_day(start), pa.date32()), pa.string())
    pieces = pieces.append_column("launch_date", launch)
    return pieces.select(list(COLUMNS)).to_pandas()


def _epoch_day(day: datetime.date) -> int:
    return (day - datetime.date(1970, 1, 1)).days


# Excel's sheet limit, header row included.
_EXCEL_MAX_ROWS = 1_048_576


def write_campaigns(df: pd.DataFrame, path: str | Path) -> None:
    """Write `df` to `path` in the format its extension names.

    .csv (UTF-8, standard quoting), .json (an array of objects), .jsonl (one object per line),
    .xlsx (openpyxl; meant for small frames, at most Excel's 1,048,575 data rows) or .parquet.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        df.to_csv(path, index=False, encoding="utf-8")
    elif suffix == ".json":
        df.to_json(path, orient="records", force_ascii=False)
    elif suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True, force_ascii=False)
    elif suffix == ".xlsx":
        if len(df) >= _EXCEL_MAX_ROWS:
            raise ValueError(f"{len(df):,} rows do not fit in an Excel sheet (at most {_EXCEL_MAX_ROWS - 1:,}); "
                             "write .csv or .parquet instead")
        df.to_excel(path, index=False, engine="openpyxl")
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        raise ValueError(f"cannot write {path.name!r}: use a .csv, .json, .jsonl, .xlsx or .parquet file name")
