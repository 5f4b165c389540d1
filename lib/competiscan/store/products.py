"""The product catalogue: each company's products and the spellings they go by in copy."""

from __future__ import annotations

import json
from typing import Iterable

import sqlalchemy as sa

from . import schema as S
from .core import StoreCore, utcnow
from .errors import NotFoundError

__all__ = ["ProductCatalogue"]

# (company, name, kind, aliases)
ProductRow = tuple[str, str, str, tuple[str, ...]]


class ProductCatalogue(StoreCore):
    """The ``products`` table: :meth:`products`, :meth:`seed_products`, :meth:`put_product`,
    :meth:`delete_product`, :meth:`product_counts`."""

    def products(self) -> list[ProductRow]:
        """Every catalogue entry, by company and name."""
        return [(r["company"], r["name"], r["kind"], tuple(json.loads(r["aliases"])))
                for r in self._rows("SELECT company, name, kind, aliases FROM products "
                                    "WHERE removed_at IS NULL ORDER BY company, name")]

    def seed_products(self, rows: Iterable[ProductRow]) -> int:
        """Add the shipped entries the store does not have yet (an admin's edits, and the
        products an admin removed, stay as they are). Returns how many were added."""
        with self._write() as conn:
            have = {(r[0], r[1]) for r in conn.execute(
                sa.select(S.products.c.company, S.products.c.name)).fetchall()}
            now = utcnow()
            new = [{"company": c, "name": n, "kind": k, "aliases": json.dumps(list(a)),
                    "added_by": "catalogue", "added_at": now}
                   for c, n, k, a in rows if (c, n) not in have]
            if new:
                conn.execute(S.products.insert(), new)
        return len(new)

    def put_product(self, row: ProductRow, by: str) -> bool:
        """Add a product or replace its kind and aliases; True when it was new."""
        company, name, kind, aliases = row
        values = {"kind": kind, "aliases": json.dumps(list(aliases)), "added_by": by,
                  "added_at": utcnow(), "removed_at": None}
        with self._write() as conn:
            was = conn.execute(sa.select(S.products.c.removed_at).where(
                S.products.c.company == company, S.products.c.name == name)).fetchall()
            if was:
                conn.execute(S.products.update().where(S.products.c.company == company,
                                                       S.products.c.name == name).values(**values))
                return was[0][0] is not None
            conn.execute(S.products.insert().values(company=company, name=name, **values))
            return True

    def delete_product(self, company: str, name: str) -> None:
        """Take a product out of the catalogue (the campaigns linked to it keep the link
        until they are linked again). The row stays, marked removed, so that the shipped
        catalogue does not bring the product back."""
        with self._write() as conn:
            gone = conn.execute(S.products.update().where(
                S.products.c.company == company, S.products.c.name == name,
                S.products.c.removed_at.is_(None)).values(removed_at=utcnow()))
            if not gone.rowcount:
                raise NotFoundError(f"{company} has no product {name!r} in the catalogue.")

    def product_counts(self, companies: Iterable[str] = ()) -> list[dict]:
        """Pieces per (company, product, product_source), most first; ``companies`` limits
        them."""
        wanted = list(companies)
        where = "WHERE company IN :companies" if wanted else ""
        stmt = sa.text(f"SELECT company, product, product_source, count(*) AS pieces, "
                       f"avg(product_confidence) AS confidence FROM campaigns {where} "
                       "GROUP BY company, product, product_source "
                       "ORDER BY company, count(*) DESC, product")
        if wanted:
            stmt = stmt.bindparams(sa.bindparam("companies", expanding=True))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt, {"companies": wanted} if wanted else {}).mappings()
            return [dict(r) for r in rows]

    def product_inputs(self, companies: Iterable[str] = (), after_id: int = 0,
                       limit: int = 50_000) -> list[dict]:
        """What linking reads (id, company, texts, a source-given product), in id order."""
        wanted = list(companies)
        where = "AND company IN :companies" if wanted else ""
        stmt = sa.text("SELECT id, company, title, subject_line, content, product, "
                       f"product_source FROM campaigns WHERE id > :after {where} "
                       "ORDER BY id LIMIT :n")
        if wanted:
            stmt = stmt.bindparams(sa.bindparam("companies", expanding=True))
        params = {"after": after_id, "n": limit, **({"companies": wanted} if wanted else {})}
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt, params).mappings()]
