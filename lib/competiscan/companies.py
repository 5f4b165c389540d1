"""The advertisers Competiscan knows out of the box: canonical names, industries and aliases.

Sources spell one advertiser many ways ("Chase", "Chase Bank", "JPMorgan Chase & Co."). Every
spelling is reduced to an alias key by `normalise_company_key`, and `alias_map` turns a key into
the canonical name, so counts, trends and share of voice add up per company.

A canonical name is the brand's own spelling ("U.S. Bank", "UScellular", "GEICO"); a name the
catalogue once used is kept among the aliases, so data loaded under it still resolves. A company
the catalogue does not know keeps the spelling of the file it first came from (see ingest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Company", "KNOWN_COMPANIES", "alias_map", "normalise_company_key"]


@dataclass(frozen=True)
class Company:
    """One advertiser: its canonical name (the brand's own spelling), its industry (see
    model.INDUSTRIES) and other spellings."""

    name: str
    industry: str
    aliases: tuple[str, ...] = ()


KNOWN_COMPANIES: tuple[Company, ...] = (
    # credit_cards
    Company("Chase", "credit_cards", ("Chase Bank", "JPMorgan Chase", "JP Morgan Chase", "Chase Card Services")),
    Company("Capital One", "credit_cards", ("Capital One Bank", "CapitalOne", "Cap One")),
    Company("American Express", "credit_cards", ("Amex", "AmEx", "American Express Card")),
    Company("Citi", "credit_cards", ("Citibank", "Citigroup", "Citi Cards")),
    Company("Discover", "credit_cards", ("Discover Card", "Discover Financial", "Discover Bank")),
    Company("Barclays", "credit_cards", ("Barclays US", "Barclaycard", "Barclays Bank Delaware")),
    Company("Synchrony", "credit_cards", ("Synchrony Bank", "Synchrony Financial")),
    Company("Bread Financial", "credit_cards", ("Comenity", "Comenity Bank", "Bread")),
    Company("Credit One Bank", "credit_cards", ("Credit One",)),
    Company("Mission Lane", "credit_cards", ()),
    Company("Petal", "credit_cards", ("Petal Card",)),
    Company("Merrick Bank", "credit_cards", ("Merrick",)),
    Company("First PREMIER Bank", "credit_cards", ("First Premier Bank", "PREMIER Bankcard", "First PREMIER")),
    # banking
    Company("Wells Fargo", "banking", ("Wells Fargo Bank", "Wells")),
    Company("Bank of America", "banking", ("BofA", "BoA", "BankAmerica")),
    Company("U.S. Bank", "banking", ("US Bank", "USBank", "U.S. Bancorp")),
    Company("Ally", "banking", ("Ally Bank", "Ally Financial")),
    Company("SoFi", "banking", ("SoFi Bank", "Social Finance")),
    Company("Marcus by Goldman Sachs", "banking", ("Marcus", "Goldman Sachs", "Marcus by GS")),
    Company("PNC", "banking", ("PNC Bank",)),
    Company("Truist", "banking", ("Truist Bank",)),
    Company("TD Bank", "banking", ("TD",)),
    Company("Citizens", "banking", ("Citizens Bank",)),
    Company("Chime", "banking", ()),
    Company("Varo", "banking", ("Varo Bank",)),
    Company("Huntington", "banking", ("Huntington Bank", "Huntington National Bank")),
    Company("Regions", "banking", ("Regions Bank",)),
    Company("Fifth Third", "banking", ("Fifth Third Bank", "5/3 Bank")),
    Company("KeyBank", "banking", ("Key Bank", "KeyCorp")),
    Company("Navy Federal Credit Union", "banking", ("Navy Federal", "NFCU")),
    # insurance
    Company("GEICO", "insurance", ("Geico", "Government Employees Insurance")),
    Company("Progressive", "insurance", ("Progressive Insurance",)),
    Company("State Farm", "insurance", ("State Farm Insurance",)),
    Company("Allstate", "insurance", ("Allstate Insurance",)),
    Company("Liberty Mutual", "insurance", ("Liberty Mutual Insurance",)),
    Company("Farmers Insurance", "insurance", ("Farmers",)),
    Company("Nationwide", "insurance", ("Nationwide Insurance",)),
    Company("USAA", "insurance", ()),
    Company("Travelers", "insurance", ("Travelers Insurance",)),
    Company("Lemonade", "insurance", ("Lemonade Insurance",)),
    Company("MetLife", "insurance", ("Metropolitan Life",)),
    # telecom
    Company("Verizon", "telecom", ("Verizon Wireless", "Verizon Fios")),
    Company("AT&T", "telecom", ("ATT", "AT and T", "AT&T Wireless")),
    Company("T-Mobile", "telecom", ("TMobile", "T Mobile", "T-Mobile US")),
    Company("Xfinity", "telecom", ("Comcast", "Xfinity Mobile", "Comcast Xfinity")),
    Company("Spectrum", "telecom", ("Charter Spectrum", "Spectrum Mobile")),
    Company("Mint Mobile", "telecom", ("Mint",)),
    Company("Cricket Wireless", "telecom", ("Cricket",)),
    Company("Boost Mobile", "telecom", ("Boost",)),
    Company("Visible", "telecom", ("Visible Wireless",)),
    Company("UScellular", "telecom", ("US Cellular", "U.S. Cellular")),
    # retail
    Company("Target", "retail", ()),
    Company("Walmart", "retail", ("Wal-Mart", "Walmart+")),
    Company("Amazon", "retail", ("Amazon.com", "Amazon Prime")),
    Company("Best Buy", "retail", ("BestBuy",)),
    Company("Costco", "retail", ("Costco Wholesale",)),
    Company("The Home Depot", "retail", ("Home Depot",)),
    Company("Lowe's", "retail", ("Lowes", "Lowe's Home Improvement")),
    Company("Macy's", "retail", ("Macys",)),
    Company("Kohl's", "retail", ("Kohls",)),
    Company("Nordstrom", "retail", ()),
    Company("Sephora", "retail", ()),
    # travel
    Company("Delta", "travel", ("Delta Air Lines", "Delta Airlines")),
    Company("United", "travel", ("United Airlines",)),
    Company("American Airlines", "travel", ("AA",)),
    Company("Southwest", "travel", ("Southwest Airlines",)),
    Company("JetBlue", "travel", ("JetBlue Airways", "Jet Blue")),
    Company("Alaska Airlines", "travel", ("Alaska Air",)),
    Company("Marriott", "travel", ("Marriott Bonvoy", "Marriott International")),
    Company("Hilton", "travel", ("Hilton Honors", "Hilton Hotels")),
    Company("Hyatt", "travel", ("World of Hyatt",)),
    Company("IHG", "travel", ("IHG Hotels & Resorts", "Holiday Inn")),
    Company("Expedia", "travel", ()),
    Company("Airbnb", "travel", ()),
    # investing
    Company("Fidelity", "investing", ("Fidelity Investments",)),
    Company("Schwab", "investing", ("Charles Schwab",)),
    Company("Vanguard", "investing", ("Vanguard Group",)),
    Company("Robinhood", "investing", ()),
    Company("E*TRADE", "investing", ("ETRADE", "E-Trade", "E*TRADE from Morgan Stanley")),
    Company("Merrill", "investing", ("Merrill Edge", "Merrill Lynch")),
    Company("Betterment", "investing", ()),
    Company("Wealthfront", "investing", ()),
    Company("Interactive Brokers", "investing", ("IBKR",)),
    Company("Webull", "investing", ()),
)

_THE_PREFIX = re.compile(r"^\s*the\s+")
# Only whole words after a separator count as a suffix, so "Costco" keeps its "co".
_LEGAL_SUFFIX = re.compile(
    r"(?:[\s,]+(?:inc|incorporated|llc|llp|lp|ltd|limited|corp|corporation|co|company|plc|n\.?a)\.?)+\s*$"
)
_NOT_ALNUM = re.compile(r"[\W_]+")


def normalise_company_key(name: str) -> str:
    """The alias key of a company name: 'The JPMorgan Chase & Co.' -> 'jpmorganchase'.

    Lowercases, drops a leading "the " and trailing legal suffixes (Inc, LLC, Corp, Co, Ltd,
    PLC, N.A., ...), then removes punctuation and whitespace.
    """
    key = _THE_PREFIX.sub("", name.casefold())
    key = _LEGAL_SUFFIX.sub("", key)
    return _NOT_ALNUM.sub("", key)


def _build_alias_map() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for company in KNOWN_COMPANIES:
        for spelling in (company.name, *company.aliases):
            key = normalise_company_key(spelling)
            if mapping.setdefault(key, company.name) != company.name:
                raise ValueError(f"alias key {key!r} names both {mapping[key]!r} and {company.name!r}")
    return mapping


_ALIAS_MAP = _build_alias_map()


def alias_map() -> dict[str, str]:
    """Alias key (see `normalise_company_key`) -> canonical name, for every known spelling.

    Each canonical name maps to itself. The result is a fresh dict the caller may change.
    """
    return dict(_ALIAS_MAP)
