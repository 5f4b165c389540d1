"""The Workbench: the one API of every action the pages and the CLI perform.

A Workbench owns the running app's parts (the store, the search index, the enrichers) and hides
them behind a few services, each a noun with verbs:

- ``wb.campaigns``: preview, ingest and undo uploads; upload history; a campaign's detail.
- ``wb.searches``: search, saved searches and their alerts, exports of a search.
- ``wb.analytics``: trends, share of voice, sentiment, offers, anomalies, forecasts, comparisons.
- ``wb.enrichment``: enrichment runs and jobs (local rules, or an OpenAI-compatible model).
- ``wb.inbox``: the drop folder and its worker (exactly once per file, across processes).
- ``wb.index``: the search index as a projection of the store (sync, rebuild, consistency).
- ``wb.products``: the product catalogue and each campaign's link to its product.
- ``wb.peers``: peer sets, and the market every share of voice is measured against.
- ``wb.audit``: the audit trail every action above writes to; admins read it.

Every action that changes data takes an :class:`~competiscan.model.Actor` first: who acts.
Front ends import from this package, :mod:`competiscan.model` and :mod:`competiscan.settings`
only; the types they need (requests, results, constants) are re-exported here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..analytics import ALL_MARKET_KEY, Market
from ..analytics import (ANOMALY_FORMULA, DIMENSIONS, GENEROSITY_FORMULA, OFFER_TERMS,
                         POSITIONING_MEASURES, AnalyticsError, AnomalyReport, Comparison,
                         ForecastReport, VolumeSeries)
from ..analytics.compare import MAX_COMPARED, MIN_COMPARED
from ..companies import KNOWN_COMPANIES, normalise_company_key
from ..products import KNOWN_PRODUCTS, PRODUCT_KINDS, Product
from ..ingest import FORMATS, IngestReport, MappingError, UnreadableFileError, prepare_bytes
from ..ingest.normalise import MAPPABLE_FIELDS
from ..ingest.pipeline import Prepared
from ..search import Hit, QueryError, SearchRequest, SearchResult, SearchUnavailable
from ..search.base import FACET_FIELDS, MAX_WINDOW, SORTS
from ..search.query import tokenize
from ..settings import Settings, load_settings
from ..store import AlreadyImportedError, NotFoundError, Store, StoreError, open_store
from .analytics import Analytics
from .audit import AUDIT_ACTIONS, Audit, AuditEntry
from .campaigns import PREVIEW_ROWS, CampaignDetail, Campaigns, CompanyMatch, FilePreview
from .enrichment import Enrichment
from .export import EXPORT_COLUMNS, ExportError, to_csv_bytes, to_xlsx_bytes
from .files import convert_file, generate_sample, validate_file
from .health import run_checks
from .inbox import INBOX_WORKER, Inbox, InboxError, InboxResult
from .peers import IndustryGroup, PeerSet, PeerSetError, Peers
from .products import ProductCoverage, Products
from .projection import IndexConsistency, IndexProjection, SyncResult
from .searches import RELATIVE_RANGES, AlertMatch, SavedSearch, Searches

if TYPE_CHECKING:
    from ..enrich import LocalEnricher

__all__ = [
    "Workbench",
    # services and their results
    "Campaigns", "FilePreview", "CampaignDetail", "IngestReport", "PREVIEW_ROWS", "CompanyMatch",
    "Searches", "SavedSearch", "AlertMatch", "SearchRequest", "SearchResult", "Hit",
    "Analytics", "VolumeSeries", "AnomalyReport", "ForecastReport", "Comparison",
    "Enrichment", "Inbox", "InboxResult", "InboxError", "INBOX_WORKER", "IndexProjection",
    "SyncResult", "IndexConsistency", "Peers", "PeerSet", "IndustryGroup", "Market",
    "ALL_MARKET_KEY",
    "Audit", "AuditEntry", "AUDIT_ACTIONS", "RELATIVE_RANGES", "Products", "ProductCoverage",
    "Product", "PRODUCT_KINDS",
    # file tools and health checks (no store needed)
    "validate_file", "convert_file", "generate_sample", "run_checks",
    # exports
    "EXPORT_COLUMNS", "to_csv_bytes", "to_xlsx_bytes",
    # what front ends show or offer
    "FORMATS", "MAPPABLE_FIELDS", "FACET_FIELDS", "MAX_WINDOW", "SORTS", "DIMENSIONS",
    "OFFER_TERMS", "POSITIONING_MEASURES", "GENEROSITY_FORMULA", "ANOMALY_FORMULA",
    "MAX_COMPARED", "MIN_COMPARED", "tokenize",
    # errors a user can cause
    "StoreError", "NotFoundError", "AlreadyImportedError", "QueryError", "SearchUnavailable",
    "AnalyticsError", "PeerSetError",
    "ExportError", "MappingError", "UnreadableFileError",
]

KEYWORD_CORPUS_SAMPLE = 5_000


class Workbench:
    """Store + search index + enrichment, wired as the settings say.

    ``Workbench(settings)`` opens the store as it is and writes nothing: a store that does not
    exist yet, or has an older schema, raises ``StoreSchemaError`` saying to run
    ``competiscan init``. ``create=True`` is the set-up step the app and every command that
    writes take: it creates the store or upgrades its tables, and seeds the company catalogue
    (:meth:`setup`).
    """

    def __init__(self, settings: Settings | None = None, *, store: Store | None = None,
                 index: object | None = None, create: bool = False) -> None:
        self.settings = settings or load_settings()
        self._store = store or open_store(self.settings.database_url, create=create)
        self._local_enricher: LocalEnricher | None = None
        self.audit = Audit(self._store)
        self.index = IndexProjection(self.settings, self._store, self.audit,
                                     index)  # type: ignore[arg-type]
        self.campaigns = Campaigns(self, self._store, self.index, self.audit)
        self.searches = Searches(self._store, self.index, self.audit)
        self.analytics = Analytics(self._store)
        self.peers = Peers(self._store, self.audit)
        self.products = Products(self._store, self.index, self.audit)
        self.enrichment = Enrichment(self, self.settings, self._store, self.index, self.audit)
        self.inbox = Inbox(self.settings, self.campaigns, self.audit)
        if create:
            self.setup()

    def setup(self) -> "Workbench":
        """Create or upgrade the store's tables and seed the company catalogue (both only
        when needed; ``create=True`` does it on opening). Returns the Workbench."""
        self._store.migrate()
        if not self._store.company_aliases():
            self._store.ensure_companies(
                (c.name, c.industry,
                 tuple({normalise_company_key(a) for a in (c.name, *c.aliases)}))
                for c in KNOWN_COMPANIES)
        if self._store.seed_products((p.company, p.name, p.kind, p.aliases)
                                     for p in KNOWN_PRODUCTS):
            self.products._linker = None
        return self

    def close(self) -> None:
        self.inbox.close()   # its worker first: it uses the index and the store
        self.index.close()
        self._store.close()

    def describe_store(self) -> str:
        """Where the store lives, in one line (passwords masked)."""
        return self._store.describe()

    # ------------------------------------------------------------------ shared by services
    @property
    def local_enricher(self) -> "LocalEnricher":
        """The local enricher; its keyword weights come from the stored corpus once there is
        one (a small upload's keywords are then distinctive against the whole store)."""
        if self._local_enricher is None:
            from ..enrich import LocalEnricher
            from ..enrich.keywords import KeywordExtractor
            sample = self._store.text_sample(KEYWORD_CORPUS_SAMPLE)
            extractor = KeywordExtractor().fit(sample) if len(sample) >= 500 else None
            self._local_enricher = LocalEnricher(keywords=extractor)
        # (the catalogue's current linker: an admin may have edited it since)
        self._local_enricher.products = self.products.linker
        return self._local_enricher

    def prepare(self, data: bytes, filename: str, *, source: str = "upload",
                mapping: dict[str, str] | None = None, enrich: bool = True,
                today: date | None = None) -> Prepared:
        """Check and shape a file against the stored company catalogue (nothing written);
        ``enrich``: with local enrichment of its pieces, started as soon as the accepted rows
        are known."""
        early = None
        if enrich:
            from ..enrich.apply import EarlyEnrichment
            early = EarlyEnrichment(self.local_enricher)
        return prepare_bytes(data, filename, source=source,
                             aliases=self._store.company_aliases(),
                             industries=self._store.company_industries(), mapping=mapping,
                             enrich=early, today=today)

    def sample_file(self) -> Path:
        """The sample campaigns shipped with the app (loaded on a first start)."""
        return self.settings.data_dir / "sample_campaigns.csv"
