"""The Store: the source of truth, and the one room where SQL lives.

Pages, the CLI and the other library modules call named methods (``store.write_batch``,
``store.undo_batch``, ``store.summary``...) and never hold SQL. The methods come in groups, a
module each:

- :mod:`.batches` — write_batch, undo_batch, batches, batch, batch_of_file;
- :mod:`.campaigns` — count, summary, campaign, campaigns_by_ids, sightings_of, variants_of,
  newest, distinct_values, text_sample, export_frame;
- :mod:`.index_queue` — pending_index_tables, mark_indexed, mark_all_unindexed, all_ids;
- :mod:`.enrichment` — get_many, put_many (the cache of model answers), enrichment_inputs,
  write_enrichment;
- :mod:`.companies` — ensure_companies, company_aliases, company_industries;
- :mod:`.products` — products, seed_products, put_product, delete_product, product_counts,
  product_inputs;
- :mod:`.saved_searches` — save_search, update_saved_search, saved_searches, saved_search,
  last_checked, last_checked_by, mark_search_checked, delete_saved_search;
- :mod:`.peer_sets` — save_peer_set, update_peer_set, peer_sets, peer_set, delete_peer_set;
- :mod:`.jobs` — start_job, update_job, job, jobs;
- :mod:`.audit` — record_audit, audit_entries;
- :mod:`.core` — migrate, schema_version, check_schema, describe, close, and the hooks a
  backend implements (:mod:`.duckdb_store`, :mod:`.postgres_store`).

Analytics queries are :class:`competiscan.store.analytics_sql.AnalyticsQueries` over a Store.
"""

from __future__ import annotations

from .audit import AuditTrail
from .batches import Batches, BatchResult, BatchWrite
from .campaigns import Campaigns
from .companies import Companies
from .core import StoreCore, as_arrow, utcnow
from .enrichment import Enrichment
from .errors import (AlreadyImportedError, NotFoundError, StoreError, StoreLockedError,
                     StoreMissingError, StoreSchemaError, StoreUnavailableError)
from .index_queue import INDEX_COLUMNS, IndexQueue
from .jobs import Jobs
from .peer_sets import PeerSets
from .products import ProductCatalogue
from .saved_searches import SavedSearches

__all__ = ["Store", "BatchWrite", "BatchResult", "StoreError", "StoreLockedError",
           "StoreUnavailableError", "StoreSchemaError", "StoreMissingError",
           "AlreadyImportedError", "NotFoundError", "INDEX_COLUMNS", "as_arrow", "utcnow"]


class Store(Batches, Campaigns, IndexQueue, Enrichment, Companies, ProductCatalogue,
            SavedSearches, PeerSets, Jobs, AuditTrail, StoreCore):
    """A campaign store over one SQLAlchemy engine. Use :func:`competiscan.store.open_store`."""
