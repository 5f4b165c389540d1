"""``wb.products``: the product catalogue, and the link of each campaign to its product.

Offers compare only within one product, so the link matters: pieces are linked at upload (and
again by every enrichment run) from the catalogue; an admin who adds a product or a spelling
links the stored pieces of that company again (:meth:`Products.relink`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import pandas as pd

from ..companies import KNOWN_COMPANIES
from ..enrich.products import ProductLinker
from ..model import PRODUCT_FIELDS, Actor
from ..products import KNOWN_PRODUCTS, PRODUCT_KINDS, Product
from ..store import NotFoundError, Store
from .audit import Audit

if TYPE_CHECKING:
    from .projection import IndexProjection

__all__ = ["Products", "ProductCoverage", "RELINK_CHUNK"]

# Campaigns read and written back per step of a relink: bounded memory for any store size.
RELINK_CHUNK = 50_000


@dataclass(frozen=True)
class ProductCoverage:
    """How a company's pieces are linked: pieces per product and provenance."""

    company: str
    pieces: int
    linked: int
    by_product: list[dict[str, Any]]   # {product, source, pieces, confidence}

    @property
    def share_linked(self) -> float:
        return self.linked / self.pieces if self.pieces else 0.0


class Products:
    def __init__(self, store: Store, index: "IndexProjection", audit: Audit) -> None:
        self._store = store
        self._index = index
        self._audit = audit
        self._linker: ProductLinker | None = None

    # ------------------------------------------------------------------ reading
    def catalogue(self, company: str | None = None) -> list[Product]:
        """The catalogue's products (of one company), by company and name."""
        return [Product(c, n, k, a) for c, n, k, a in self._store.products()
                if company is None or c == company]

    @property
    def linker(self) -> ProductLinker:
        """The linker over the stored catalogue (rebuilt after an edit)."""
        if self._linker is None:
            names = {c.name: c.aliases for c in KNOWN_COMPANIES}
            self._linker = ProductLinker(self.catalogue() or KNOWN_PRODUCTS, names)
        return self._linker

    def coverage(self, company: str) -> ProductCoverage:
        """Pieces of ``company`` per product and how they were linked."""
        rows = self._store.product_counts([company])
        pieces = sum(int(r["pieces"]) for r in rows)
        linked = sum(int(r["pieces"]) for r in rows if r["product"] is not None)
        return ProductCoverage(company, pieces, linked, [
            {"product": r["product"], "source": r["product_source"],
             "pieces": int(r["pieces"]),
             "confidence": None if r["confidence"] is None else float(r["confidence"])}
            for r in rows])

    # ------------------------------------------------------------------ editing
    def add(self, actor: Actor, company: str, name: str, kind: str = "card",
            aliases: Iterable[str] = ()) -> dict[str, Any]:
        """Add a product (or change its kind and spellings) and link the company's pieces
        again. Admins only; audited."""
        product = self._checked(actor, "product.add", company, name, kind, aliases)
        new = self._store.put_product((product.company, product.name, product.kind,
                                       product.aliases), actor.name)
        self._linker = None
        relinked = self._relink([company])
        self._audit.record(actor, "product.add", f"{company} · {name}", "ok",
                           new=new, kind=kind, aliases=list(product.aliases), **relinked)
        return {"new": new, **relinked}

    def remove(self, actor: Actor, company: str, name: str) -> dict[str, Any]:
        """Take a product out of the catalogue and link the company's pieces again."""
        self._require(actor, "product.remove", f"{company} · {name}")
        try:
            self._store.delete_product(company, name)
        except NotFoundError as exc:
            self._audit.record(actor, "product.remove", f"{company} · {name}", "refused",
                               message=str(exc))
            raise
        self._linker = None
        relinked = self._relink([company])
        self._audit.record(actor, "product.remove", f"{company} · {name}", "ok", **relinked)
        return relinked

    def relink(self, actor: Actor, companies: Iterable[str] = ()) -> dict[str, Any]:
        """Link the stored pieces (of ``companies``, default all) to the catalogue again."""
        chosen = list(companies)
        self._require(actor, "product.relink", ", ".join(chosen) or "all companies")
        self._linker = None
        result = self._relink(chosen)
        self._audit.record(actor, "product.relink", ", ".join(chosen) or "all companies",
                           "ok", **result)
        return result

    def _relink(self, companies: list[str]) -> dict[str, Any]:
        """Link again, a chunk at a time; only pieces whose link changes are written (and
        re-indexed). Pieces whose file named the product keep it."""
        after, read, changed = 0, 0, 0
        while True:
            rows = self._store.product_inputs(companies, after_id=after, limit=RELINK_CHUNK)
            if not rows:
                break
            after = int(rows[-1]["id"])
            read += len(rows)
            frame = pd.DataFrame(rows)
            linked = self.linker.link_frame(frame)
            differs = (linked["product"].fillna("\0") != frame["product"].fillna("\0")) | (
                linked["product_source"].fillna("\0") != frame["product_source"].fillna("\0"))
            if differs.any():
                out = linked[differs.to_numpy()].assign(id=frame["id"][differs.to_numpy()])
                self._store.write_enrichment(out[["id", *PRODUCT_FIELDS]])
                changed += int(differs.sum())
        if changed:
            self._index.sync()
        return {"read": read, "changed": changed}

    def _checked(self, actor: Actor, action: str, company: str, name: str, kind: str,
                 aliases: Iterable[str]) -> Product:
        self._require(actor, action, f"{company} · {name}")
        if kind not in PRODUCT_KINDS:
            raise ValueError(f"Unknown product kind {kind!r}: use one of "
                             f"{', '.join(PRODUCT_KINDS)}.")
        if company not in set(self._store.company_aliases().values()):
            raise ValueError(f"No company {company!r} in the store; products belong to a "
                             "company the store knows.")
        cleaned = tuple(dict.fromkeys(a.strip() for a in aliases if a and a.strip()))
        return Product(company.strip(), name.strip(), kind, cleaned)

    def _require(self, actor: Actor, action: str, target: str) -> None:
        if not actor.may("manage_products"):
            self._audit.record(actor, action, target, "refused", message="not allowed")
        actor.require("manage_products")
