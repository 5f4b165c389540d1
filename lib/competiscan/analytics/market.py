"""The market a share of voice is measured against, and how to say it.

A share is a company's campaigns over the market's: a peer set the analyst chose ("Card
issuers: Chase, Capital One, Citi..."), every company of one or more industries, the companies
a filter names, or — only when asked for — every company of every industry. Every share of voice
says which of these it is, so "12%" is never read against the wrong denominator.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from ..labels import pretty
from ..model import CampaignFilter

__all__ = ["Market", "MARKET_KINDS", "ALL_MARKET_KEY", "INDUSTRY_KEY_PREFIX"]

MARKET_KINDS: tuple[str, ...] = ("peer_set", "companies", "industry", "all")

#: How a market is written where text carries it (the ``peers`` URL parameter, ``--peers``):
#: a peer set by its id (or name), an industry as ``industry:<code>``, every company as ``all``.
ALL_MARKET_KEY = "all"
INDUSTRY_KEY_PREFIX = "industry:"

# Names listed in a description before the rest are counted.
_NAMES_LISTED = 8


def _and(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


@dataclass(frozen=True)
class Market:
    """What shares are measured against.

    ``kind`` is ``peer_set`` (a saved peer set: ``name``, ``peer_set_id`` and its
    ``companies``), ``companies`` (companies a filter names), ``industry`` (every company of
    ``industries``) or ``all`` (every company of every industry).
    """

    kind: str
    name: str = ""
    companies: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    peer_set_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in MARKET_KINDS:
            raise ValueError(f"Unknown market kind {self.kind!r}.")
        if self.kind in ("peer_set", "companies") and not self.companies:
            raise ValueError("A market of companies needs at least one company.")
        if self.kind == "industry" and not self.industries:
            raise ValueError("An industry market needs at least one industry.")

    # ---------------------------------------------------------------- making one
    @classmethod
    def of_peer_set(cls, name: str, companies: Sequence[str],
                    peer_set_id: int | None = None) -> "Market":
        return cls("peer_set", name=name, companies=tuple(companies), peer_set_id=peer_set_id)

    @classmethod
    def of_industries(cls, *industries: str) -> "Market":
        return cls("industry", industries=tuple(dict.fromkeys(industries)))

    @classmethod
    def everything(cls) -> "Market":
        return cls("all")

    @classmethod
    def implied_by(cls, filters: CampaignFilter) -> "Market":
        """The market a filter leaves when no market is given: the companies it names, else
        the industries it names, else every company of every industry."""
        if filters.companies:
            return cls("companies", companies=filters.companies)
        if filters.industries:
            return cls.of_industries(*filters.industries)
        return cls.everything()

    # ---------------------------------------------------------------- using one
    @property
    def key(self) -> str:
        """How links and the command line name this market (see :data:`ALL_MARKET_KEY`)."""
        if self.kind == "peer_set" and self.peer_set_id is not None:
            return str(self.peer_set_id)
        if self.kind == "peer_set":
            return self.name
        if self.kind == "industry":
            return INDUSTRY_KEY_PREFIX + ",".join(self.industries)
        if self.kind == "companies":
            return ""
        return ALL_MARKET_KEY

    def applied(self, filters: CampaignFilter) -> CampaignFilter:
        """The campaigns that make the denominator: ``filters`` over this market's companies
        (the filter's own companies, which only pick what to show, are dropped)."""
        if self.kind in ("peer_set", "companies"):
            return replace(filters, companies=self.companies)
        if self.kind == "industry":
            return replace(filters, companies=(), industries=self.industries)
        return replace(filters, companies=())

    def narrowed(self, filters: CampaignFilter) -> CampaignFilter:
        """What a page looks at within this market: ``filters`` with the market's companies
        unless the filter picks companies of its own, and the market's industries."""
        if self.kind in ("peer_set", "companies"):
            return replace(filters, companies=filters.companies or self.companies)
        if self.kind == "industry":
            return replace(filters, industries=self.industries)
        return filters

    def holds(self, company: str, industry: str | None = None) -> bool:
        """Whether ``company`` (of ``industry``, when known) is part of this market."""
        if self.kind in ("peer_set", "companies"):
            return company in self.companies
        if self.kind == "industry":
            return industry in self.industries
        return True

    @property
    def label(self) -> str:
        """A short name for pickers: ``Card issuers (7 companies)``, ``All banking
        companies``."""
        if self.kind == "peer_set":
            return f"{self.name} ({len(self.companies)} companies)"
        if self.kind == "companies":
            return _and(self.companies)
        if self.kind == "industry":
            return f"All {self._industry_words()} companies"
        return "All companies of every industry"

    def describe(self, companies_counted: int | None = None) -> str:
        """What shares are measured against, as a phrase to follow "Share of voice":
        ``among Card issuers: Chase, Capital One, … (7 companies)`` or ``among all banking
        companies (12)``. ``companies_counted`` is how many companies an industry or the
        whole market held in the analysed range (left out when not known)."""
        if self.kind in ("peer_set", "companies"):
            shown = list(self.companies[:_NAMES_LISTED])
            more = len(self.companies) - len(shown)
            names = ", ".join(shown) + (f" and {more} more" if more else "")
            head = f"{self.name}: " if self.kind == "peer_set" else ""
            return f"among {head}{names} ({len(self.companies)} companies)"
        count = f" ({companies_counted:,})" if companies_counted is not None else ""
        if self.kind == "industry":
            return f"among all {self._industry_words()} companies{count}"
        return f"among all companies of every industry{count}"

    def _industry_words(self) -> str:
        return _and([pretty(code).lower() for code in self.industries])
