"""One schema for every backend, and the migrations that bring a database up to it.

Migrations are numbered; each runs once, inside a transaction, and is recorded in
``schema_migrations``. They run in the setup step (``open_store(url, create=True)``, which the
app and every writing command take); a store opened only to read is never migrated.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

import sqlalchemy as sa

from ..model import OFFER_FIELD_TYPES

__all__ = ["metadata", "campaigns", "sightings", "upload_batches", "companies",
           "company_aliases", "enrichment_cache", "saved_searches", "saved_search_seen",
           "audit_log", "jobs", "products", "peer_sets",
           "offer_terms", "index_pending", "OFFER_MEASURES", "OFFER_TERM_COLUMNS", "offer_terms_sql", "month_sql",
           "MIGRATIONS", "SCHEMA_VERSION", "CAMPAIGN_COLUMNS", "column_types"]

metadata = sa.MetaData()


_SA_TYPE_OF = {str: sa.Text, int: sa.Integer, float: sa.Double, date: sa.Date}


def _offer_columns() -> list[sa.Column]:
    return [sa.Column(name, _SA_TYPE_OF[kind]) for name, kind in OFFER_FIELD_TYPES.items()]


companies = sa.Table(
    "companies", metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("industry", sa.Text),
)

company_aliases = sa.Table(
    "company_aliases", metadata,
    # normalised key (lowercase, no punctuation/space) -> canonical company name
    sa.Column("alias_key", sa.Text, primary_key=True),
    sa.Column("company", sa.Text, nullable=False),
)

upload_batches = sa.Table(
    "upload_batches", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.Text, nullable=False),      # upload, cli, inbox, sample
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("file_format", sa.Text),
    sa.Column("rows_read", sa.Integer, nullable=False, server_default="0"),
    sa.Column("inserted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("resighted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("duplicates", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status", sa.Text, nullable=False),      # committed | undone
    sa.Column("undone_at", sa.DateTime),
    sa.Column("report", sa.Text),                      # JSON: rejected rows (capped), mapping
    sa.Column("uploaded_by", sa.Text),                 # who acted (None: before version 6)
    sa.Column("file_sha256", sa.Text),                 # the file's bytes: a re-drop is known
)
sa.Index("ix_upload_batches_file", upload_batches.c.file_sha256)

# Hex digests: compared byte by byte on PostgreSQL (COLLATE "C"): the database's collation
# would make building their indexes slower for nothing, as a hash has no linguistic order.
# Equality with any other text still uses their indexes.
HASH_TEXT = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")

campaigns = sa.Table(
    "campaigns", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("content_hash", HASH_TEXT, nullable=False),
    sa.Column("variant_key", HASH_TEXT, nullable=False),
    sa.Column("company", sa.Text, nullable=False),
    sa.Column("industry", sa.Text),
    sa.Column("channel", sa.Text),
    sa.Column("campaign_type", sa.Text),          # effective type: given, else predicted
    sa.Column("campaign_type_source", sa.Text),   # 'source' | 'predicted'
    sa.Column("title", sa.Text),
    sa.Column("subject_line", sa.Text),
    sa.Column("content", sa.Text),
    sa.Column("launch_date", sa.Date, nullable=False),   # first seen in market
    sa.Column("last_seen", sa.Date, nullable=False),
    sa.Column("landing_url", sa.Text),
    sa.Column("audience", sa.Text),
    sa.Column("geography", sa.Text),
    sa.Column("est_spend_usd", sa.Double),
    sa.Column("est_volume", sa.Double),
    sa.Column("keywords", sa.Text),               # comma-separated, as given by the source
    sa.Column("source", sa.Text),
    sa.Column("batch_id", sa.BigInteger, nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
    # enrichment (local at ingest; a model's result replaces it when run)
    sa.Column("sentiment_label", sa.Text),
    sa.Column("sentiment_score", sa.Double),
    sa.Column("campaign_type_predicted", sa.Text),
    sa.Column("campaign_type_confidence", sa.Double),
    sa.Column("extracted_keywords", sa.Text),     # comma-separated
    sa.Column("summary", sa.Text),
    *_offer_columns(),
    # the product the piece markets (see model.PRODUCT_FIELDS)
    sa.Column("product", sa.Text),
    sa.Column("product_confidence", sa.Double),
    sa.Column("product_source", sa.Text),
    sa.Column("enriched_by", sa.Text),
    sa.Column("enriched_at", sa.DateTime),
)
# Secondary indexes serve PostgreSQL's planner; DuckDB scans columnar zone maps instead and
# its ART indexes would slow bulk inserts several times over, so they exist on PostgreSQL only.
# Uniqueness of content_hash: on PostgreSQL a unique index (concurrent writers); on DuckDB the
# file admits one writer process and Store.write_batch inserts only unseen hashes under its lock.
sa.Index("ux_campaigns_content_hash", campaigns.c.content_hash,
         unique=True).ddl_if(dialect="postgresql")
# (ix_campaigns_company_date is replaced by a covering index in migration 3.)
for _name, *_cols in (("ix_campaigns_company_date", "company", "launch_date"),
                      ("ix_campaigns_batch", "batch_id"),
                      ("ix_campaigns_variant", "variant_key")):
    sa.Index(_name, *(campaigns.c[c] for c in _cols)).ddl_if(dialect="postgresql")

# One comparable offer measure per code: a numeric offer term, and for bonus_amount one per
# bonus unit (points are not miles; '' is an unstated or unknown unit). The codes are stored in
# offer_terms.measure, so this list is part of the schema: append only.
OFFER_MEASURES: tuple[tuple[int, str, str], ...] = (
    (1, "intro_apr_pct", ""),
    (2, "intro_apr_months", ""),
    (3, "regular_apr_min_pct", ""),
    (4, "regular_apr_max_pct", ""),
    (5, "bonus_amount", ""),
    (6, "bonus_amount", "points"),
    (7, "bonus_amount", "miles"),
    (8, "bonus_amount", "dollars"),
    (9, "bonus_spend_usd", ""),
    (10, "bonus_window_months", ""),
    (11, "cash_back_pct", ""),
    (12, "annual_fee_usd", ""),
    (13, "balance_transfer_fee_pct", ""),
    (14, "apy_pct", ""),
)

# The offer terms of the campaigns in long form, one row per campaign and stated measure, with
# the columns analytics filters on. It is a projection of ``campaigns`` that the store keeps in
# step in the same transaction as every write (write_batch, write_enrichment, undo_batch): offer
# analyses read narrow rows instead of wide ones and group on a small integer instead of two
# strings.
offer_terms = sa.Table(
    "offer_terms", metadata,
    sa.Column("campaign_id", sa.BigInteger, nullable=False),
    sa.Column("company", sa.Text, nullable=False),
    sa.Column("product", sa.Text),        # NULL: the piece names no product
    sa.Column("industry", sa.Text),
    sa.Column("channel", sa.Text),
    sa.Column("campaign_type", sa.Text),
    sa.Column("launch_date", sa.Date, nullable=False),
    sa.Column("launch_month", sa.Date, nullable=False),   # first day of launch_date's month
    sa.Column("last_seen", sa.Date, nullable=False),
    sa.Column("measure", sa.SmallInteger, nullable=False),   # a code of OFFER_MEASURES
    sa.Column("value", sa.Double, nullable=False),
)
sa.Index("ix_offer_terms_campaign", offer_terms.c.campaign_id).ddl_if(dialect="postgresql")
# The pieces showing a best value: PostgreSQL walks this index once per wanted group instead of
# hashing every offer row.
sa.Index("ix_offer_terms_best", offer_terms.c.company, offer_terms.c.product,
         offer_terms.c.measure,
         offer_terms.c.value, offer_terms.c.launch_date,
         postgresql_include=["last_seen", "campaign_id"]).ddl_if(dialect="postgresql")

OFFER_TERM_COLUMNS: tuple[str, ...] = tuple(c.name for c in offer_terms.columns)


def month_sql(column: str) -> str:
    """SQL of the first day of the month of the DATE ``column`` (on both dialects)."""
    return f"CAST(date_trunc('month', CAST({column} AS TIMESTAMP)) AS DATE)"


def offer_terms_sql(condition: str) -> str:
    """SELECT of the offer_terms rows of the campaigns ``c`` that satisfy ``condition``, in
    the order to store them."""
    codes: dict[str, list[tuple[int, str]]] = {}
    for code, term, unit in OFFER_MEASURES:
        codes.setdefault(term, []).append((code, unit))
    values = []
    for term, units in codes.items():
        if len(units) == 1:
            values.append(f"({units[0][0]}, CAST(c.{term} AS DOUBLE PRECISION))")
            continue
        plain = next(code for code, unit in units if unit == "")
        cases = " ".join(f"WHEN c.bonus_unit = '{unit}' THEN {code}"
                         for code, unit in units if unit)
        values.append(f"(CASE {cases} ELSE {plain} END, CAST(c.{term} AS DOUBLE PRECISION))")
    return (f"SELECT c.id, c.company, c.product, c.industry, c.channel, c.campaign_type, c.launch_date, "
            f"{month_sql('c.launch_date')}, c.last_seen, v.measure, v.value FROM campaigns c "
            f"CROSS JOIN LATERAL (VALUES {', '.join(values)}) AS v(measure, value) "
            f"WHERE ({condition}) AND v.value IS NOT NULL "
            # Stored in company order: DuckDB's zone maps then skip the row groups of other
            # companies and its hash aggregates stay in cache.
            "ORDER BY c.company, c.launch_date")


# Campaigns the search index does not hold as stored yet (new, re-dated, re-enriched, touched
# by an undo): a row each until the index has them. A flag column on campaigns did this until
# version 4, but setting it after indexing rewrote every indexed row, and on PostgreSQL every
# index entry of it; deleting a narrow row here touches nothing else.
index_pending = sa.Table(
    "index_pending", metadata,
    sa.Column("campaign_id", sa.BigInteger, nullable=False),
)
# Uniqueness: a unique index on PostgreSQL; on DuckDB (no ART index, as above) every insert
# skips ids already there.
sa.Index("ux_index_pending", index_pending.c.campaign_id, unique=True).ddl_if(dialect="postgresql")

sightings = sa.Table(
    "sightings", metadata,
    sa.Column("campaign_id", sa.BigInteger, nullable=False),
    sa.Column("batch_id", sa.BigInteger, nullable=False),
    sa.Column("seen_on", sa.Date, nullable=False),
)
sa.Index("ix_sightings_campaign", sightings.c.campaign_id).ddl_if(dialect="postgresql")
sa.Index("ix_sightings_batch", sightings.c.batch_id).ddl_if(dialect="postgresql")

enrichment_cache = sa.Table(
    "enrichment_cache", metadata,
    sa.Column("content_hash", sa.Text, primary_key=True),
    sa.Column("model", sa.Text, primary_key=True),
    sa.Column("prompt_version", sa.Text, primary_key=True),
    sa.Column("result", sa.Text, nullable=False),   # JSON
    sa.Column("created_at", sa.DateTime, nullable=False),
)

saved_searches = sa.Table(
    "saved_searches", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("shared", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("filters", sa.Text, nullable=False),  # JSON: CampaignFilter, sort, last_days
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("owner", "name"),
)

# "New since I last looked", per user and saved search: two analysts each get their own alert.
saved_search_seen = sa.Table(
    "saved_search_seen", metadata,
    sa.Column("search_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("user_name", sa.Text, primary_key=True),
    sa.Column("last_checked_at", sa.DateTime, nullable=False),
)

# Who did what, when, to what, and how it ended.
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("happened_at", sa.DateTime, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target", sa.Text),
    sa.Column("result", sa.Text, nullable=False),    # ok | refused | failed
    sa.Column("detail", sa.Text),                    # JSON: counts, sizes, hashes, messages
)
sa.Index("ix_audit_log_happened_at", audit_log.c.happened_at)

jobs = sa.Table(
    "jobs", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),   # running | done | failed | stopped
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("message", sa.Text),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
)

# The product catalogue: each company's products and the names they go by in copy. Seeded
# from competiscan.products.KNOWN_PRODUCTS; admins add and edit entries.
products = sa.Table(
    "products", metadata,
    sa.Column("company", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),       # card, account, loan, plan, policy, other
    sa.Column("aliases", sa.Text, nullable=False),    # JSON list of other spellings
    sa.Column("added_by", sa.Text, nullable=False),   # 'catalogue' for the shipped entries
    sa.Column("added_at", sa.DateTime, nullable=False),
    # set when an admin takes a product out: the shipped catalogue does not bring it back
    sa.Column("removed_at", sa.DateTime),
)

# Named sets of companies an analysis is measured against ("Card issuers: Chase, Capital
# One, Citi..."), each analyst's own or shared with the team.
peer_sets = sa.Table(
    "peer_sets", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("companies", sa.Text, nullable=False),  # JSON list of company names
    sa.Column("shared", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("owner", "name"),
)

schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)

CAMPAIGN_COLUMNS: tuple[str, ...] = tuple(c.name for c in campaigns.columns)


def _v1_initial(conn: sa.Connection) -> None:
    later = (schema_migrations, offer_terms, index_pending, saved_search_seen, audit_log,
             products, peer_sets)
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables if t not in later])


def _v2_pg_covering_index(conn: sa.Connection) -> None:
    # Trend, share-of-voice and comparison queries group by these columns over date ranges; a
    # covering index lets PostgreSQL answer them from the index without visiting the table.
    # DuckDB scans its columns directly and needs nothing.
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(
            "CREATE INDEX IF NOT EXISTS ix_campaigns_date_covering ON campaigns (launch_date) "
            "INCLUDE (company, channel, campaign_type, industry, est_spend_usd, est_volume, "
            "sentiment_score)"))


def _v3_offer_terms(conn: sa.Connection) -> None:
    _add_version_7_columns(conn)   # offer_terms_sql reads the product
    offer_terms.create(conn)   # with its indexes
    columns = ", ".join(OFFER_TERM_COLUMNS)
    if conn.dialect.name == "postgresql":
        # "Current" offers are those seen up to the latest sighting: its max from the index.
        conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_campaigns_last_seen "
                             "ON campaigns (last_seen)"))
        # Analyses of a few companies (comparison, mixes) read them from the index alone.
        # It replaces the plain (company, launch_date) index of version 1.
        conn.execute(sa.text(
            "CREATE INDEX IF NOT EXISTS ix_campaigns_company_covering ON campaigns "
            "(company, launch_date) INCLUDE (channel, campaign_type, industry, est_spend_usd, "
            "est_volume, sentiment_score)"))
        conn.execute(sa.text("DROP INDEX IF EXISTS ix_campaigns_company_date"))
    conn.execute(sa.text(f"INSERT INTO offer_terms ({columns}) {offer_terms_sql('true')}"))


def _v4_index_pending(conn: sa.Connection) -> None:
    index_pending.create(conn)   # with its index
    # A store made before version 4 has the flag column; later ones never had it (version 1
    # makes campaigns as the table is defined now).
    columns = conn.execute(sa.text("SELECT * FROM campaigns WHERE false")).keys()
    if "indexed" in columns:
        conn.execute(sa.text("INSERT INTO index_pending (campaign_id) "
                             "SELECT id FROM campaigns WHERE NOT indexed"))
        conn.execute(sa.text("DROP INDEX IF EXISTS ix_campaigns_pending"))
        conn.execute(sa.text("ALTER TABLE campaigns DROP COLUMN indexed"))


def _v5_pg_hash_collation(conn: sa.Connection) -> None:
    # (a store made since this version has them so already; the statement then changes nothing)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text('ALTER TABLE campaigns ALTER COLUMN content_hash TYPE TEXT '
                             'COLLATE "C", ALTER COLUMN variant_key TYPE TEXT COLLATE "C"'))


def _v6_team(conn: sa.Connection) -> None:
    # Version 1 makes tables as they are defined now: a store made before version 6 has the old
    # upload_batches and saved_searches, a newer one has them as they are.
    batch_columns = conn.execute(sa.text("SELECT * FROM upload_batches WHERE false")).keys()
    if "uploaded_by" not in batch_columns:
        conn.execute(sa.text("ALTER TABLE upload_batches ADD COLUMN uploaded_by TEXT"))
        conn.execute(sa.text("ALTER TABLE upload_batches ADD COLUMN file_sha256 TEXT"))
        conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_upload_batches_file "
                             "ON upload_batches (file_sha256)"))
    search_columns = conn.execute(sa.text("SELECT * FROM saved_searches WHERE false")).keys()
    saved_search_seen.create(conn, checkfirst=True)
    audit_log.create(conn, checkfirst=True)   # with its index
    if "owner" in search_columns:
        return
    # Saved before anyone signed in: the one local user's, shared with the team. The name was
    # unique across the store and becomes unique per owner, which neither database alters in
    # place: the new table is made beside the old one and takes its name.
    conn.execute(sa.text(
        "INSERT INTO saved_search_seen (search_id, user_name, last_checked_at) "
        "SELECT id, 'local user', last_checked_at FROM saved_searches"))
    saved_searches.to_metadata(sa.MetaData(), name="saved_searches_v6").create(conn)
    conn.execute(sa.text(
        "INSERT INTO saved_searches_v6 (id, owner, name, shared, query, filters, created_at) "
        "SELECT id, 'local user', name, true, query, filters, created_at FROM saved_searches"))
    conn.execute(sa.text("DROP TABLE saved_searches"))
    conn.execute(sa.text("ALTER TABLE saved_searches_v6 RENAME TO saved_searches"))


def _add_version_7_columns(conn: sa.Connection) -> None:
    """The campaign columns of version 7, on a store made before it (version 1 makes
    campaigns as it is defined now, so a newer store has them already)."""
    have = set(conn.execute(sa.text("SELECT * FROM campaigns WHERE false")).keys())
    for name, kind in (("product", "TEXT"), ("product_confidence", "DOUBLE PRECISION"),
                       ("product_source", "TEXT"), ("offer_expires", "DATE")):
        if name not in have:
            conn.execute(sa.text(f"ALTER TABLE campaigns ADD COLUMN {name} {kind}"))


def _v7_products(conn: sa.Connection) -> None:
    _add_version_7_columns(conn)
    offer_columns = set(conn.execute(sa.text("SELECT * FROM offer_terms WHERE false")).keys())
    if "product" not in offer_columns:
        conn.execute(sa.text("ALTER TABLE offer_terms ADD COLUMN product TEXT"))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("DROP INDEX IF EXISTS ix_offer_terms_best"))
        conn.execute(sa.text(
            "CREATE INDEX ix_offer_terms_best ON offer_terms (company, product, measure, "
            "value, launch_date) INCLUDE (last_seen, campaign_id)"))
    products.create(conn, checkfirst=True)
    peer_sets.create(conn, checkfirst=True)


# (version, what it does, function). Append only; never edit a released step.
MIGRATIONS: list[tuple[int, str, Callable[[sa.Connection], None]]] = [
    (1, "initial schema", _v1_initial),
    (2, "covering index for analytics on PostgreSQL", _v2_pg_covering_index),
    (3, "offer_terms: the offer terms in long form for offer analytics; on PostgreSQL a "
        "last_seen index and a covering company index", _v3_offer_terms),
    (4, "index_pending: campaigns the search index has yet to take, instead of a flag on "
        "campaigns", _v4_index_pending),
    (5, "campaign hashes compared byte by byte (COLLATE \"C\") on PostgreSQL",
     _v5_pg_hash_collation),
    (6, "a team: who uploaded each batch and its file's hash; saved searches with an owner "
        "and sharing, 'new since I looked' per user; the audit log", _v6_team),
    (7, "products: the product each campaign markets (with confidence and provenance), the "
        "product catalogue, offer terms per product, the offer's expiry date; peer sets",
     _v7_products),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


# The SQL type names the stores' bulk paths write with (a CSV staging table's DDL, binary COPY),
# most specific first: SmallInteger and BigInteger are Integers too.
_SQL_OF_TYPE: tuple[tuple[type, str], ...] = (
    (sa.BigInteger, "BIGINT"), (sa.SmallInteger, "SMALLINT"), (sa.Integer, "INTEGER"),
    (sa.Double, "DOUBLE PRECISION"), (sa.Date, "DATE"), (sa.DateTime, "TIMESTAMP"),
    (sa.Text, "TEXT"),
)


def column_types(table: str) -> dict[str, str]:
    """The SQL type name of each column of ``table``, read off its definition above."""
    types = {}
    for column in metadata.tables[table].columns:
        kind = next((sql for base, sql in _SQL_OF_TYPE if isinstance(column.type, base)), None)
        if kind is None:
            raise TypeError(f"{table}.{column.name}: no SQL type name for {column.type!r}")
        types[column.name] = kind
    return types
