"""``wb.peers``: peer sets, and the market every share of voice is measured against.

A peer set is a named list of companies ("Card issuers: Chase, Capital One, Citi..."), owned by
the user who saved it and maybe shared with the team. Trends, Competitors and share of voice
are measured against a market: the peer set the analyst chose, else an industry (the company in
view's, or the one with most pieces), never every company of every industry unless asked for
(:meth:`Peers.choose_market`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

from ..analytics import ALL_MARKET_KEY, INDUSTRY_KEY_PREFIX, AnalyticsQueries, Market
from ..companies import normalise_company_key
from ..labels import pretty
from ..model import INDUSTRIES, Actor, CampaignFilter, PermissionDenied
from ..store import NotFoundError, Store
from .audit import Audit

__all__ = ["Peers", "PeerSet", "IndustryGroup", "PeerSetError", "MIN_PEERS", "MAX_PEERS",
           "SUGGESTED_NAMES"]

MIN_PEERS, MAX_PEERS = 2, 100

#: What an analyst calls the companies of an industry when they start a peer set from it.
SUGGESTED_NAMES: dict[str, str] = {
    "credit_cards": "Card issuers", "banking": "Banks", "insurance": "Insurers",
    "telecom": "Telecoms", "retail": "Retailers", "travel": "Travel brands",
    "investing": "Investment firms", "other": "Other advertisers"}


class PeerSetError(ValueError):
    """A peer set that cannot be saved or used as asked; the message says what to change."""


@dataclass(frozen=True)
class PeerSet:
    """A named set of companies; ``owner`` saved it, ``shared`` lets the team use it."""

    id: int
    name: str
    owner: str
    shared: bool
    companies: tuple[str, ...]
    created_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "PeerSet":
        return cls(id=int(row["id"]), name=row["name"], owner=row["owner"],
                   shared=bool(row["shared"]), companies=tuple(row["companies"]),
                   created_at=row["created_at"])

    def owned_by(self, actor: Actor) -> bool:
        return self.owner == actor.name

    @property
    def market(self) -> Market:
        """This peer set as the market shares are measured against."""
        return Market.of_peer_set(self.name, self.companies, self.id)


@dataclass(frozen=True)
class IndustryGroup:
    """The companies with campaigns in one industry, most pieces first: an industry market,
    and the peer set suggested for it (``name``, e.g. "Card issuers")."""

    industry: str
    name: str
    companies: tuple[str, ...]
    pieces: int

    @property
    def market(self) -> Market:
        return Market.of_industries(self.industry)


class Peers:
    def __init__(self, store: Store, audit: Audit) -> None:
        self._store = store
        self._audit = audit

    # ------------------------------------------------------------------ reading
    def list(self, actor: Actor) -> list[PeerSet]:
        """The peer sets ``actor`` sees: their own (first) and the team's shared ones."""
        return [PeerSet.from_row(row) for row in self._store.peer_sets(visible_to=actor.name)]

    def get(self, actor: Actor, ref: int | str) -> PeerSet:
        """One peer set ``actor`` may see, by name (their own first) or id. Raises
        NotFoundError saying which ones they can use."""
        visible = self.list(actor)
        text = " ".join(str(ref).split())
        for match in (lambda p: p.name == text, lambda p: p.name.casefold() == text.casefold(),
                      lambda p: str(p.id) == text):
            found = next((p for p in visible if match(p)), None)
            if found is not None:
                return found
        if text.isdigit() and actor.may("manage_peer_sets"):
            try:
                return PeerSet.from_row(self._store.peer_set(int(text)))
            except NotFoundError:
                pass
        names = ", ".join(f"“{p.name}”" for p in visible)
        raise NotFoundError(f"There is no peer set “{text}” you can use; "
                            + (f"yours and the team's are {names}." if names else
                               "none is saved yet."))

    def known_companies(self) -> list[str]:
        """Every company the store knows (the catalogue and every uploaded file's), sorted:
        what a peer set may hold."""
        return sorted(set(self._store.company_aliases().values()), key=str.casefold)

    def industry_groups(self) -> list[IndustryGroup]:
        """Each industry with campaigns, most pieces first, with its companies (most pieces
        first): the industry markets, and the peer sets to suggest."""
        counts = AnalyticsQueries(self._store).counts(["industry", "company"], None,
                                                      CampaignFilter())
        companies: dict[str, list[tuple[int, str]]] = {}
        for industry, company, n in zip(counts["industry"].tolist(), counts["company"].tolist(),
                                        counts["n"].tolist()):
            if isinstance(industry, str) and isinstance(company, str):
                companies.setdefault(industry, []).append((int(n), company))
        groups = [IndustryGroup(industry=industry,
                                name=SUGGESTED_NAMES.get(industry, f"{pretty(industry)} companies"),
                                companies=tuple(c for _n, c in sorted(rows, key=lambda r:
                                                                      (-r[0], r[1]))),
                                pieces=sum(n for n, _c in rows))
                  for industry, rows in companies.items()]
        return sorted(groups, key=lambda g: (-g.pieces, g.industry))

    def suggestions(self) -> list[IndustryGroup]:
        """Peer sets to start from: each industry's companies with campaigns (e.g. "Card
        issuers" = the credit-card companies present), where there are at least two."""
        return [g for g in self.industry_groups() if len(g.companies) >= MIN_PEERS]

    # ------------------------------------------------------------------ saving
    def check_companies(self, names: Iterable[str]) -> tuple[str, ...]:
        """The canonical names of ``names`` (any known spelling: "Amex" is American Express),
        in order, each once. Raises PeerSetError naming the unknown ones with close matches,
        or when fewer than two or more than :data:`MAX_PEERS` companies remain."""
        aliases = self._store.company_aliases()
        canonical = set(aliases.values())
        chosen: list[str] = []
        unknown: list[str] = []
        for raw in names:
            text = " ".join(str(raw).split())
            if not text:
                continue
            name = text if text in canonical else aliases.get(normalise_company_key(text))
            if name is None:
                unknown.append(text)
            elif name not in chosen:
                chosen.append(name)
        if unknown:
            raise PeerSetError(" ".join(_unknown_company(text, aliases) for text in unknown))
        if not MIN_PEERS <= len(chosen) <= MAX_PEERS:
            raise PeerSetError(f"A peer set holds {MIN_PEERS} to {MAX_PEERS} different "
                               f"companies; this one has {len(chosen)}.")
        return tuple(chosen)

    def save(self, actor: Actor, name: str, companies: Iterable[str], *,
             shared: bool = False) -> int:
        """Save a peer set as ``actor``'s (sharing it needs the analyst role)."""
        companies = list(companies)
        try:
            actor.require("share_peer_set" if shared else "save_peer_set")
            chosen = self.check_companies(companies)
            peer_set_id = self._store.save_peer_set(actor.name, name, chosen, shared)
        except Exception as exc:
            self._audit.record(actor, "peer_set.create", name, "refused", message=str(exc),
                               companies=companies)
            raise
        self._audit.record(actor, "peer_set.create", name, "ok", id=peer_set_id,
                           companies=list(chosen), shared=shared)
        return peer_set_id

    def change(self, actor: Actor, peer_set_id: int, *, name: str | None = None,
               companies: Iterable[str] | None = None, shared: bool | None = None) -> None:
        """Rename, change the companies of, or (un)share a peer set (its owner, or an
        admin)."""
        current = self.get(actor, peer_set_id)
        wanted = None if companies is None else list(companies)
        try:
            self._require_owner_or_admin(actor, current)
            if shared:
                actor.require("share_peer_set")
            chosen = None if wanted is None else self.check_companies(wanted)
            self._store.update_peer_set(peer_set_id, name=name, companies=chosen,
                                        shared=shared)
        except Exception as exc:
            self._audit.record(actor, "peer_set.change", current.name, "refused",
                               id=peer_set_id, message=str(exc))
            raise
        self._audit.record(actor, "peer_set.change", current.name, "ok", id=peer_set_id,
                           new_name=name, companies=None if chosen is None else list(chosen),
                           shared=shared)

    def delete(self, actor: Actor, peer_set_id: int) -> None:
        """Delete a peer set (its owner, or an admin)."""
        current = self.get(actor, peer_set_id)
        try:
            self._require_owner_or_admin(actor, current)
            self._store.delete_peer_set(peer_set_id)
        except Exception as exc:
            self._audit.record(actor, "peer_set.delete", current.name, "refused",
                               id=peer_set_id, message=str(exc))
            raise
        self._audit.record(actor, "peer_set.delete", current.name, "ok", id=peer_set_id,
                           owner=current.owner, companies=list(current.companies))

    @staticmethod
    def _require_owner_or_admin(actor: Actor, peer_set: PeerSet) -> None:
        actor.require("save_peer_set")
        if not peer_set.owned_by(actor) and not actor.may("manage_peer_sets"):
            raise PermissionDenied(f"“{peer_set.name}” is {peer_set.owner}'s peer set: only "
                                   "they or an admin may change or delete it.")

    def may_change(self, actor: Actor, peer_set: PeerSet) -> bool:
        """Whether ``actor`` may change or delete ``peer_set`` (for pages to offer it)."""
        return actor.may("save_peer_set") and (peer_set.owned_by(actor)
                                               or actor.may("manage_peer_sets"))

    # ------------------------------------------------------------------ markets
    def market(self, actor: Actor, key: str,
               groups: Sequence[IndustryGroup] | None = None) -> Market:
        """The market a key names: a peer set's name or id, ``industry:<code>[,<code>]``,
        or ``all`` (every company of every industry). Raises NotFoundError or
        PeerSetError. ``groups`` are :meth:`industry_groups` when the caller has them."""
        text = key.strip()
        if text.casefold() == ALL_MARKET_KEY:
            return Market.everything()
        if text.casefold().startswith(INDUSTRY_KEY_PREFIX):
            codes = [c.strip() for c in text[len(INDUSTRY_KEY_PREFIX):].split(",") if c.strip()]
            groups = self.industry_groups() if groups is None else groups
            known = set(INDUSTRIES) | {g.industry for g in groups}
            wrong = [c for c in codes if c not in known]
            if wrong or not codes:
                raise PeerSetError(f"{text!r} names no industry; use industry: with one of "
                                   f"{', '.join(sorted(known))}.")
            return Market.of_industries(*codes)
        return self.get(actor, text).market

    def choose_market(self, actor: Actor, key: str = "", *, companies: Sequence[str] = (),
                      filters: CampaignFilter | None = None, preferred: str = "",
                      groups: Sequence[IndustryGroup] | None = None
                      ) -> tuple[Market, list[str]]:
        """The market to measure against, and notes on what was asked for but not used.

        ``key`` is what the analyst chose (see :meth:`market`). Without one: ``preferred``
        (their last choice), else the filter's industries, else their first peer set that
        holds ``companies`` (the companies in view), else the industries of ``companies``,
        else the industry with most pieces. A market that leaves out a company in view, or
        an industry market the industry filter contradicts, is replaced the same way, with a
        note. ``groups`` are :meth:`industry_groups` when the caller has them already.
        """
        filters = filters or CampaignFilter()
        notes: list[str] = []
        if key:
            try:
                market = self.market(actor, key, groups)
            except (NotFoundError, PeerSetError) as exc:
                notes.append(f"{exc} Measuring against the default instead.")
            else:
                problem = self._misfit(market, companies, filters, groups)
                if problem is None:
                    return market, notes
                notes.append(problem)
        if preferred and preferred != key:
            try:
                market = self.market(actor, preferred, groups)
            except (NotFoundError, PeerSetError):
                pass
            else:
                if self._misfit(market, companies, filters, groups) is None:
                    return market, notes
        return self._default(actor, companies, filters, groups), notes

    def _default(self, actor: Actor, companies: Sequence[str], filters: CampaignFilter,
                 groups: Sequence[IndustryGroup] | None) -> Market:
        if filters.industries:
            return Market.of_industries(*filters.industries)
        for peer_set in self.list(actor):
            if all(c in peer_set.companies for c in companies):
                return peer_set.market
        groups = self.industry_groups() if groups is None else groups
        if companies:
            industries = self._industries_of(companies, groups)
            if industries:
                return Market.of_industries(*industries)
        return groups[0].market if groups else Market.everything()

    def _industries_of(self, companies: Sequence[str], groups: Sequence[IndustryGroup]
                       ) -> list[str]:
        """Each company's industry: the catalogue's, else the largest one it has pieces in."""
        catalogue = self._store.company_industries()
        found = []
        for company in companies:
            industry = catalogue.get(company) or next(
                (g.industry for g in groups if company in g.companies), None)
            if industry and industry not in found:
                found.append(industry)
        return found

    def _misfit(self, market: Market, companies: Sequence[str], filters: CampaignFilter,
                groups: Sequence[IndustryGroup] | None) -> str | None:
        """Why ``market`` cannot measure the ``companies`` in view under ``filters`` (None:
        it can)."""
        if market.kind == "industry" and filters.industries and \
                set(market.industries) != set(filters.industries):
            return (f"The industry filter ({', '.join(pretty(i) for i in filters.industries)})"
                    f" leaves nothing of {market.label.lower()}; measuring against the "
                    "filter's industries instead.")
        if market.kind in ("peer_set", "companies"):
            outside = [c for c in companies if c not in market.companies]
        elif market.kind == "industry":
            groups = self.industry_groups() if groups is None else groups
            holding = {c for g in groups if g.industry in market.industries
                       for c in g.companies}
            catalogue = self._store.company_industries()
            outside = [c for c in companies
                       if c not in holding and catalogue.get(c) not in market.industries]
        else:
            outside = []
        if not outside:
            return None
        label = market.label if market.kind == "peer_set" else market.label.lower()
        return (f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not in "
                f"{label}; measuring against {'its' if len(outside) == 1 else 'their'} "
                "peers instead.")


def _unknown_company(text: str, aliases: dict[str, str]) -> str:
    """Says that ``text`` is no company the store knows, with the closest spellings."""
    key = normalise_company_key(text)
    close = difflib.get_close_matches(key, list(aliases), n=6, cutoff=0.7)
    names = list(dict.fromkeys(aliases[k] for k in close))[:3]
    if names:
        return (f"No company “{text}” in the store; did you mean "
                f"{' or '.join(f'“{n}”' for n in names)}?")
    return (f"No company “{text}” in the store (companies come from the catalogue and the "
            "uploaded files).")
