"""Companies: canonical names, their industries, and the alias keys that map spellings to them."""

from __future__ import annotations

from typing import Iterable, Sequence

import sqlalchemy as sa

from . import schema as S
from .core import StoreCore

__all__ = ["Companies", "register_companies"]


def register_companies(conn: sa.Connection, rows: list[tuple[str, str, str | None]]) -> None:
    """Add the (canonical name, alias key, industry) rows the store does not know yet; a known
    company keeps its industry and a known alias key its company."""
    if not rows:
        return
    known = {r[0] for r in conn.execute(sa.select(S.companies.c.name)).fetchall()}
    known_alias = {r[0] for r in conn.execute(
        sa.select(S.company_aliases.c.alias_key)).fetchall()}
    companies = {name: industry for name, _key, industry in rows if name not in known}
    aliases = {key: name for name, key, _industry in rows if key not in known_alias}
    if companies:
        conn.execute(S.companies.insert(),
                     [{"name": k, "industry": v} for k, v in companies.items()])
    if aliases:
        conn.execute(S.company_aliases.insert(),
                     [{"alias_key": k, "company": v} for k, v in aliases.items()])


class Companies(StoreCore):
    """Companies: :meth:`ensure_companies`, :meth:`company_aliases`,
    :meth:`company_industries`."""

    def ensure_companies(self, rows: Iterable[tuple[str, str | None, Sequence[str]]]) -> None:
        """Register canonical companies (name, industry, alias keys); existing ones are kept."""
        flat = [(name, key, industry) for name, industry, keys in rows for key in keys]
        with self._write() as conn:
            register_companies(conn, flat)

    def company_aliases(self) -> dict[str, str]:
        return {r["alias_key"]: r["company"] for r in
                self._rows("SELECT alias_key, company FROM company_aliases")}

    def company_industries(self) -> dict[str, str]:
        return {r["name"]: r["industry"] for r in
                self._rows("SELECT name, industry FROM companies WHERE industry IS NOT NULL")}
