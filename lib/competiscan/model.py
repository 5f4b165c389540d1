"""The vocabulary of a campaign record: field names, channels, campaign types and offer terms.

Every module refers to these names instead of spelling them again, so the store, the search
index, the enrichers, the analytics and the pages agree on one record shape (see DOMAIN.md).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any, Iterable, Iterator, Mapping

__all__ = [
    "CHANNELS",
    "CAMPAIGN_TYPES",
    "INDUSTRIES",
    "SENTIMENT_LABELS",
    "OFFER_FIELDS",
    "OFFER_FIELD_TYPES",
    "BONUS_UNITS",
    "CAMPAIGN_FIELDS",
    "TEXT_FIELDS",
    "ENRICHMENT_FIELDS",
    "PRODUCT_FIELDS",
    "PRODUCT_SOURCES",
    "PRODUCT_KINDS",
    "NUMERIC_OFFER_FIELDS",
    "FILTER_COLUMNS",
    "ROLES",
    "PERMISSIONS",
    "PermissionDenied",
    "Actor",
    "role_for",
    "is_listed",
    "CampaignFilter",
    "FilterError",
]

CHANNELS: tuple[str, ...] = (
    "email",
    "direct_mail",
    "social",
    "display",
    "search",
    "video",
    "sms",
    # What ingest stores for a channel it does not recognise (with a warning on the row).
    "other",
)

CAMPAIGN_TYPES: tuple[str, ...] = (
    "acquisition",
    "promotional",
    "retention",
    "educational",
    "brand_awareness",
)

INDUSTRIES: tuple[str, ...] = (
    "banking",
    "credit_cards",
    "insurance",
    "telecom",
    "retail",
    "travel",
    "investing",
    "other",
)

SENTIMENT_LABELS: tuple[str, ...] = ("positive", "neutral", "negative")

BONUS_UNITS: tuple[str, ...] = ("points", "miles", "dollars")

# Offer terms, typed. All numeric except bonus_unit.
OFFER_FIELD_TYPES: dict[str, type] = {
    "intro_apr_pct": float,
    "intro_apr_months": int,
    "regular_apr_min_pct": float,
    "regular_apr_max_pct": float,
    "bonus_amount": float,
    "bonus_unit": str,
    "bonus_spend_usd": float,
    "bonus_window_months": int,
    "cash_back_pct": float,
    "annual_fee_usd": float,
    "balance_transfer_fee_pct": float,
    "apy_pct": float,
    # The last day the offer is stated to be open ("Offer ends January 19, 2027").
    "offer_expires": date,
}
OFFER_FIELDS: tuple[str, ...] = tuple(OFFER_FIELD_TYPES)

# The fields of one campaign as the store keeps them (besides ids and bookkeeping).
CAMPAIGN_FIELDS: tuple[str, ...] = (
    "company",
    "industry",
    "channel",
    "campaign_type",
    "title",
    "subject_line",
    "content",
    "launch_date",
    "last_seen",
    "landing_url",
    "audience",
    "geography",
    "est_spend_usd",
    "est_volume",
    "keywords",
    "source",
)

# Text that full-text search reads.
TEXT_FIELDS: tuple[str, ...] = ("title", "subject_line", "content")

# What enrichment adds to a campaign.
ENRICHMENT_FIELDS: tuple[str, ...] = (
    "sentiment_label",
    "sentiment_score",
    "campaign_type_predicted",
    "campaign_type_confidence",
    "extracted_keywords",
    "summary",
    *OFFER_FIELDS,
)

# The product a campaign markets ("Venture X", "Sapphire Preferred", "Active Cash"): its name
# as the company's product catalogue spells it, how sure the link is (0-1), and what made it:
# "source" (the file named it), "catalogue" (a catalogue name or alias in the text), "rule"
# (a product-like name not in the catalogue yet) or the model's provenance.
PRODUCT_FIELDS: tuple[str, ...] = ("product", "product_confidence", "product_source")
PRODUCT_SOURCES: tuple[str, ...] = ("source", "catalogue", "rule", "model")
#: What a product is; a card's terms are not an account's.
PRODUCT_KINDS: tuple[str, ...] = ("card", "account", "loan", "plan", "policy", "other")


# ---------------------------------------------------------------------------- who acts
#: Roles, weakest first; each may do what the ones before it may.
ROLES: tuple[str, ...] = ("viewer", "analyst", "admin")

#: Action -> (the weakest role allowed, what it is in words). Enforced by the Workbench.
PERMISSIONS: dict[str, tuple[str, str]] = {
    "read": ("viewer", "search and read analyses"),
    "export": ("viewer", "export campaigns"),
    "save_search": ("viewer", "save a search of their own"),
    "share_search": ("analyst", "share a saved search with the team"),
    "upload": ("analyst", "upload campaign files"),
    "inbox": ("analyst", "work the inbox"),
    "enrich": ("analyst", "run enrichment"),
    "undo_own": ("analyst", "undo their own upload"),
    "undo": ("admin", "undo another person's upload"),
    "manage_searches": ("admin", "change or delete another person's saved search"),
    "reindex": ("admin", "rebuild the search index"),
    "audit": ("admin", "read the audit trail"),
    "save_peer_set": ("viewer", "save a peer set of their own"),
    "share_peer_set": ("analyst", "share a peer set with the team"),
    "manage_peer_sets": ("admin", "change or delete another person's peer set"),
    "manage_products": ("admin", "edit the product catalogue"),
}


class PermissionDenied(PermissionError):
    """The acting user's role does not allow the action; the message says which role does."""


@dataclass(frozen=True)
class Actor:
    """Who performs an action: a signed-in user, the local user of a single-user app, or the
    operating-system user behind a CLI command. Every action that changes data takes one."""

    name: str
    role: str = "admin"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("An actor needs a name.")
        if self.role not in ROLES:
            raise ValueError(f"Unknown role {self.role!r}: use one of {', '.join(ROLES)}.")

    def may(self, action: str) -> bool:
        """Whether this actor's role allows ``action`` (a key of :data:`PERMISSIONS`)."""
        needed, _what = PERMISSIONS[action]
        return ROLES.index(self.role) >= ROLES.index(needed)

    def require(self, action: str) -> None:
        """Raise :class:`PermissionDenied`, saying which role is needed, unless allowed."""
        if not self.may(action):
            needed, what = PERMISSIONS[action]
            raise PermissionDenied(f"{self.name} is a {self.role} and may not {what}; that "
                                   f"needs the {needed} role (ask an admin).")


def role_for(email: str, admins: Iterable[str] = (), analysts: Iterable[str] = ()) -> str:
    """The role of a signed-in user: ``admins`` and ``analysts`` list email addresses or whole
    domains (``@example.com``); everyone else is a viewer. Case does not matter."""
    if is_listed(email, admins):
        return "admin"
    if is_listed(email, analysts):
        return "analyst"
    return "viewer"


def is_listed(email: str, entries: Iterable[str]) -> bool:
    """Whether ``email`` is one of ``entries`` (emails, whole ``@domains``, or ``*`` for
    anyone), without regard to case."""
    address = email.strip().lower()
    domain = "@" + address.rsplit("@", 1)[-1] if "@" in address else None
    wanted = {e.strip().lower() for e in entries if e.strip()}
    return "*" in wanted or address in wanted or (domain is not None and domain in wanted)


# ---------------------------------------------------------------------------- filters
class FilterError(ValueError):
    """A filter value cannot be understood; the message says which and what to write."""


#: Offer terms a filter can bound: the numeric ones.
NUMERIC_OFFER_FIELDS: tuple[str, ...] = tuple(
    name for name, kind in OFFER_FIELD_TYPES.items() if kind in (int, float))

#: CampaignFilter field -> the campaign column it restricts (for the value filters).
FILTER_COLUMNS: dict[str, str] = {
    "companies": "company",
    "products": "product",
    "channels": "channel",
    "campaign_types": "campaign_type",
    "industries": "industry",
    "sentiments": "sentiment_label",
}

OfferRange = tuple[str, "float | None", "float | None"]


def _as_values(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (tuple, list, set, frozenset)):
        raise FilterError(f"{what} must be a list of values, not {value!r}.")
    cleaned = (str(v).strip() for v in value if v is not None)
    return tuple(dict.fromkeys(v for v in cleaned if v))


def _as_day(value: Any, what: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise FilterError(f"{what} {value!r} is not a date; write it as YYYY-MM-DD.") from None


def _as_bound(value: Any, term: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FilterError(f"The bound of {term} must be a number, not {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FilterError(f"The bound of {term} must be a number, not {value!r}.") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise FilterError(f"The bound of {term} must be a finite number, not {value!r}.")
    return number


def _as_ranges(value: Any) -> tuple[OfferRange, ...]:
    if not value:
        return ()
    items = value.items() if isinstance(value, Mapping) else (
        (entry[0], tuple(entry[1:])) for entry in value)
    ranges: dict[str, OfferRange] = {}
    for term, bounds in items:
        if term not in NUMERIC_OFFER_FIELDS:
            raise FilterError(f"{term!r} is not a numeric offer term; use one of: "
                              f"{', '.join(NUMERIC_OFFER_FIELDS)}.")
        if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
            raise FilterError(f"The range of {term} must be (min, max), not {bounds!r}.")
        low, high = _as_bound(bounds[0], term), _as_bound(bounds[1], term)
        if low is not None and high is not None and low > high:
            raise FilterError(f"The range of {term} runs from {low:g} down to {high:g}; "
                              "swap them.")
        if low is not None or high is not None:
            ranges[term] = (term, low, high)
    return tuple(ranges[term] for term in sorted(ranges))


@dataclass(frozen=True)
class CampaignFilter:
    """Which campaigns a search, an analysis, a saved search or an export reads.

    The one filter type of the product: pages keep it in their URL, the CLI builds it from its
    options, the search backends and the store's SQL each translate it. Empty values mean "all";
    ``date_from``/``date_to`` bound ``launch_date`` inclusively; ``offer_ranges`` holds
    ``(term, min, max)`` for numeric offer terms, either end ``None`` (open).

    Loose values are accepted and normalised (a single string, lists, ISO date strings, a
    ``{term: (min, max)}`` mapping); what cannot be understood raises :class:`FilterError`.
    Adding a filter is one field here plus each backend's translation
    (``store/analytics_sql.py``, ``search/embedded.py``, ``search/elastic.py``).
    """

    companies: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    campaign_types: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    offer_ranges: tuple[OfferRange, ...] = ()

    def __post_init__(self) -> None:
        for name in FILTER_COLUMNS:
            object.__setattr__(self, name, _as_values(getattr(self, name), name))
        start = _as_day(self.date_from, "date_from")
        end = _as_day(self.date_to, "date_to")
        if start and end and start > end:
            raise FilterError(f"date_from {start} is after date_to {end}; swap them.")
        object.__setattr__(self, "date_from", start)
        object.__setattr__(self, "date_to", end)
        object.__setattr__(self, "offer_ranges", _as_ranges(self.offer_ranges))

    def values(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """(column, allowed values) of each value filter that restricts something."""
        for name, column in FILTER_COLUMNS.items():
            values = getattr(self, name)
            if values:
                yield column, values

    def offer_range(self, term: str) -> tuple[float | None, float | None]:
        """The (min, max) bounds of one offer term; (None, None) when it is not filtered."""
        for name, low, high in self.offer_ranges:
            if name == term:
                return low, high
        return None, None

    @property
    def is_empty(self) -> bool:
        return self == CampaignFilter()

    def without_companies(self) -> "CampaignFilter":
        """The same filter over every company: the market the companies are measured in."""
        return replace(self, companies=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (saved searches keep it): lists, ISO dates, {term: [min, max]}."""
        out: dict[str, Any] = {name: list(getattr(self, name)) for name in FILTER_COLUMNS}
        out["date_from"] = self.date_from.isoformat() if self.date_from else None
        out["date_to"] = self.date_to.isoformat() if self.date_to else None
        out["offer_ranges"] = {term: [low, high] for term, low, high in self.offer_ranges}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CampaignFilter":
        """The inverse of :meth:`to_dict`; unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
