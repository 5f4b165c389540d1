"""Page state as it travels in the URL: parse query parameters, write them back, build requests.

Pure Python (no Streamlit), so the round trip URL -> state -> URL is easy to test. Query
parameters arrive as ``{name: [values]}`` (a repeated key is a list). A value that cannot be
understood is dropped with a note in ``problems`` that the page shows; it never raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Mapping, Sequence

from ..model import NUMERIC_OFFER_FIELDS, CampaignFilter, FilterError
from ..workbench import (DIMENSIONS, MAX_WINDOW, OFFER_TERMS, POSITIONING_MEASURES, SORTS,
                         Market, SearchRequest)

__all__ = ["Params", "SearchState", "TrendsState", "CompetitorsState", "OFFER_BOUNDS",
           "PAGE_SIZES", "TREND_VIEWS", "TREND_INTERVALS", "TREND_DIMENSIONS", "WEIGHT_OPTIONS",
           "COMPETITOR_MODES", "POSITION_MEASURES", "LiveState", "LIVE_INTERVALS",
           "offer_bounds", "bounds_filter", "AuditState"]

Params = Mapping[str, Sequence[str]]

# Each offer term is filtered from the customer's side: a minimum where more is better
# (intro APR months, cash back) and a maximum where less is better (fees, APRs).
OFFER_BOUNDS: dict[str, str] = {
    term: ("min" if OFFER_TERMS[term] == "max" else "max") for term in NUMERIC_OFFER_FIELDS}

PAGE_SIZES: tuple[int, ...] = (20, 50, 100)

TREND_VIEWS: tuple[str, ...] = ("volume", "share_of_voice", "sentiment", "offers", "anomalies",
                                "forecast")
TREND_INTERVALS: tuple[str, ...] = ("week", "month")
TREND_DIMENSIONS: tuple[str, ...] = DIMENSIONS
WEIGHT_OPTIONS: tuple[str, ...] = ("", "est_spend_usd", "est_volume")
COMPETITOR_MODES: tuple[str, ...] = ("profile", "compare")
POSITION_MEASURES: tuple[str, ...] = tuple(POSITIONING_MEASURES)
LIVE_INTERVALS: tuple[int, ...] = (5, 10, 30, 60)   # seconds between polls


# ---------------------------------------------------------------------------- parsing helpers
class _Reader:
    """Reads typed values out of query parameters, noting what it had to drop."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self.problems: list[str] = []

    def text(self, name: str, default: str = "") -> str:
        values = self.params.get(name) or []
        return values[-1].strip() if values else default

    def many(self, name: str) -> tuple[str, ...]:
        values = [v.strip() for v in self.params.get(name) or [] if v.strip()]
        return tuple(dict.fromkeys(values))

    def choice(self, name: str, allowed: Sequence[str], default: str) -> str:
        value = self.text(name, default)
        if value not in allowed:
            self.problems.append(f"{name}={value!r} is not one of {', '.join(map(repr, allowed))}; "
                                 f"showing {default!r}.")
            return default
        return value

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problems.append(f"{name}={value!r} is not a date (YYYY-MM-DD); ignored.")
            return None

    def number(self, name: str) -> float | None:
        value = self.text(name)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")):
            self.problems.append(f"{name}={value!r} is not a number; ignored.")
            return None
        return number

    def whole(self, name: str, default: int, low: int, high: int) -> int:
        value = self.text(name)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            self.problems.append(f"{name}={value!r} is not a whole number; showing {default}.")
            return default
        if not low <= number <= high:
            self.problems.append(f"{name}={number} is outside {low}–{high}; showing "
                                 f"{min(max(number, low), high)}.")
            return min(max(number, low), high)
        return number

    def dates_in_order(self, start: date | None, end: date | None) -> tuple[date | None,
                                                                             date | None]:
        if start and end and start > end:
            self.problems.append(f"from {start} is after to {end}; swapped them.")
            return end, start
        return start, end


def _put(out: dict[str, list[str]], name: str, value: Any) -> None:
    """Add a parameter unless it is empty (a clean URL carries only what differs)."""
    if value is None or value == "" or value == ():
        return
    if isinstance(value, (tuple, list)):
        out[name] = [str(v) for v in value]
    elif isinstance(value, float):
        out[name] = [f"{value:g}"]
    else:
        out[name] = [str(value)]


def _read_filter(reader: _Reader, *, sentiments: bool = False,
                 offers: bool = False) -> CampaignFilter:
    """The campaign filter in the URL: ``company``/``product``/``channel``/``type``/``industry``
    (repeatable), ``from``/``to``; with ``sentiments`` also ``sentiment``, with ``offers`` the
    ``<offer term>_min`` or ``_max`` bounds (see :data:`OFFER_BOUNDS`)."""
    start, end = reader.dates_in_order(reader.day("from"), reader.day("to"))
    ranges: dict[str, tuple[float | None, float | None]] = {}
    if offers:
        for term, side in OFFER_BOUNDS.items():
            value = reader.number(f"{term}_{side}")
            if value is not None:
                ranges[term] = (value, None) if side == "min" else (None, value)
        other_side = {f"{t}_{'max' if s == 'min' else 'min'}" for t, s in OFFER_BOUNDS.items()}
        for name in sorted(other_side & set(reader.params)):
            reader.problems.append(f"{name} is not a filter (offer terms are filtered from the "
                                   "customer's side); ignored.")
    try:
        return CampaignFilter(companies=reader.many("company"), products=reader.many("product"),
                              channels=reader.many("channel"),
                              campaign_types=reader.many("type"),
                              industries=reader.many("industry"),
                              sentiments=reader.many("sentiment") if sentiments else (),
                              date_from=start, date_to=end, offer_ranges=ranges)
    except FilterError as exc:  # the reader checked each value; this is the last guard
        reader.problems.append(f"{exc} Filters ignored.")
        return CampaignFilter()


def _write_filter(out: dict[str, list[str]], where: CampaignFilter) -> None:
    _put(out, "company", where.companies)
    _put(out, "product", where.products)
    _put(out, "channel", where.channels)
    _put(out, "type", where.campaign_types)
    _put(out, "industry", where.industries)
    _put(out, "sentiment", where.sentiments)
    _put(out, "from", where.date_from.isoformat() if where.date_from else None)
    _put(out, "to", where.date_to.isoformat() if where.date_to else None)
    for term, low, high in where.offer_ranges:
        side = OFFER_BOUNDS.get(term)
        bound = low if side == "min" else high
        if bound is not None:
            _put(out, f"{term}_{side}", float(bound))


def offer_bounds(where: CampaignFilter) -> dict[str, float]:
    """Offer term -> the customer's-side bound the filter sets (what the widgets show)."""
    bounds = {}
    for term, low, high in where.offer_ranges:
        bound = low if OFFER_BOUNDS.get(term) == "min" else high
        if bound is not None:
            bounds[term] = bound
    return bounds


def bounds_filter(bounds: Mapping[str, float | None]) -> dict[str, tuple[float | None,
                                                                           float | None]]:
    """The offer ranges of customer's-side bounds (the inverse of :func:`offer_bounds`)."""
    return {term: ((value, None) if OFFER_BOUNDS[term] == "min" else (None, value))
            for term, value in bounds.items() if value is not None}


# ---------------------------------------------------------------------------- Search
@dataclass(frozen=True)
class SearchState:
    """Everything the Search page shows, as URL parameters:

    ``q``, ``company``/``channel``/``type``/``industry``/``sentiment`` (repeatable), ``from``,
    ``to`` (YYYY-MM-DD), ``<offer term>_min`` or ``_max`` (see :data:`OFFER_BOUNDS`),
    ``sort`` (relevance|date), ``page`` (from 1) and ``n`` (hits per page).
    """

    query: str = ""
    filter: CampaignFilter = CampaignFilter()
    sort: str = "relevance"
    page: int = 1
    per_page: int = PAGE_SIZES[0]
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_params(cls, params: Params) -> "SearchState":
        reader = _Reader(params)
        per_page = reader.whole("n", PAGE_SIZES[0], PAGE_SIZES[0], PAGE_SIZES[-1])
        if per_page not in PAGE_SIZES:
            per_page = min(PAGE_SIZES, key=lambda size: abs(size - per_page))
        state = cls(query=reader.text("q"),
                    filter=_read_filter(reader, sentiments=True, offers=True),
                    sort=reader.choice("sort", SORTS, "relevance"),
                    page=reader.whole("page", 1, 1, MAX_WINDOW), per_page=per_page)
        return replace(state, problems=tuple(reader.problems))

    def to_params(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        _put(out, "q", self.query)
        _write_filter(out, self.filter)
        if self.sort != "relevance":
            _put(out, "sort", self.sort)
        if self.page != 1:
            _put(out, "page", self.page)
        if self.per_page != PAGE_SIZES[0]:
            _put(out, "n", self.per_page)
        return out

    @property
    def has_filters(self) -> bool:
        return not self.filter.is_empty

    def request(self, *, page: int | None = None) -> SearchRequest:
        """The index request for one page of this view (the page is clamped by the caller)."""
        page = page or self.page
        return SearchRequest(query=self.query, filter=self.filter, sort=self.sort,
                             limit=self.per_page, offset=(page - 1) * self.per_page)

    @classmethod
    def from_request(cls, req: SearchRequest) -> "SearchState":
        """The view of a search request (e.g. a saved search's)."""
        return cls(query=req.query, filter=req.filter, sort=req.sort)


# ---------------------------------------------------------------------------- Trends
@dataclass(frozen=True)
class TrendsState:
    """The Trends page in the URL: ``view``, ``by``, ``interval``, ``window`` (periods in a
    rolling window; 1 = calendar buckets), ``weight``, ``top`` (series shown), ``term`` (offer
    term of the offers view), ``peers`` (the market: a peer set's id or name,
    ``industry:<code>`` or ``all``) and the campaign filters.

    ``market`` is what ``peers`` resolved to on the page (not in the URL)."""

    filter: CampaignFilter = CampaignFilter()
    view: str = "volume"
    by: str = "company"
    interval: str = "week"
    window: int = 1
    weight: str = ""
    top: int = 8
    term: str = "intro_apr_months"
    peers: str = ""
    market: Market | None = field(default=None, compare=False)
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_params(cls, params: Params) -> "TrendsState":
        reader = _Reader(params)
        state = cls(filter=_read_filter(reader),
                    view=reader.choice("view", TREND_VIEWS, "volume"),
                    by=reader.choice("by", TREND_DIMENSIONS, "company"),
                    interval=reader.choice("interval", TREND_INTERVALS, "week"),
                    window=reader.whole("window", 1, 1, 26),
                    weight=reader.choice("weight", WEIGHT_OPTIONS, ""),
                    top=reader.whole("top", 8, 1, 30),
                    term=reader.choice("term", tuple(OFFER_TERMS), "intro_apr_months"),
                    peers=reader.text("peers"))
        return replace(state, problems=tuple(reader.problems))

    def to_params(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        defaults = TrendsState()
        for name in ("view", "by", "interval", "window", "weight", "top", "term", "peers"):
            value = getattr(self, name)
            if value != getattr(defaults, name):
                _put(out, name, value)
        _write_filter(out, self.filter)
        return out


# ---------------------------------------------------------------------------- Competitors
@dataclass(frozen=True)
class CompetitorsState:
    """The Competitors page in the URL: ``mode`` (profile|compare), the companies (``company``,
    repeatable: one for a profile, 2–5 to compare), ``interval``, ``x``/``y`` positioning
    measures, ``peers`` (the market, as on Trends) and ``channel``/``type``/``industry``/
    ``from``/``to`` filters. ``market`` is what ``peers`` resolved to (not in the URL)."""

    filter: CampaignFilter = CampaignFilter()
    mode: str = "profile"
    interval: str = "month"
    x: str = "share_of_voice"
    y: str = "generosity"
    peers: str = ""
    market: Market | None = field(default=None, compare=False)
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_params(cls, params: Params) -> "CompetitorsState":
        reader = _Reader(params)
        state = cls(filter=_read_filter(reader),
                    mode=reader.choice("mode", COMPETITOR_MODES, "profile"),
                    interval=reader.choice("interval", TREND_INTERVALS, "month"),
                    x=reader.choice("x", POSITION_MEASURES, "share_of_voice"),
                    y=reader.choice("y", POSITION_MEASURES, "generosity"),
                    peers=reader.text("peers"))
        return replace(state, problems=tuple(reader.problems))

    def to_params(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        defaults = CompetitorsState()
        for name in ("mode", "interval", "x", "y", "peers"):
            value = getattr(self, name)
            if value != getattr(defaults, name):
                _put(out, name, value)
        _write_filter(out, self.filter)
        return out

    @property
    def companies(self) -> tuple[str, ...]:
        """The profiled or compared companies."""
        return self.filter.companies


# ---------------------------------------------------------------------------- Live
@dataclass(frozen=True)
class LiveState:
    """The Live page in the URL: ``every`` (seconds between polls) and ``paused`` (1 or 0)."""

    every: int = 10
    paused: bool = False
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_params(cls, params: Params) -> "LiveState":
        reader = _Reader(params)
        every = reader.choice("every", tuple(str(s) for s in LIVE_INTERVALS), "10")
        paused = reader.choice("paused", ("0", "1"), "0") == "1"
        return cls(every=int(every), paused=paused, problems=tuple(reader.problems))

    def to_params(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if self.every != LiveState.every:
            _put(out, "every", self.every)
        if self.paused:
            _put(out, "paused", "1")
        return out


# ---------------------------------------------------------------------------- Audit
@dataclass(frozen=True)
class AuditState:
    """The Audit page in the URL: ``user``, ``action`` (one of the recorded actions),
    ``from`` and ``to`` (YYYY-MM-DD, both inclusive)."""

    user: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_params(cls, params: Params, actions: Sequence[str]) -> "AuditState":
        reader = _Reader(params)
        start, end = reader.dates_in_order(reader.day("from"), reader.day("to"))
        return cls(user=reader.text("user"), action=reader.choice("action", ("", *actions), ""),
                   date_from=start, date_to=end, problems=tuple(reader.problems))

    def to_params(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        _put(out, "user", self.user)
        _put(out, "action", self.action)
        _put(out, "from", self.date_from.isoformat() if self.date_from else None)
        _put(out, "to", self.date_to.isoformat() if self.date_to else None)
        return out
