"""Competitive analytics: aggregates pushed down to the database against the naive way.

    python bench/analytics.py --rows 1000000 [--backends duckdb,postgresql] [--repeat 5] [--json]

For each backend, generated campaigns are loaded through the real ingestion path
(``prepare_bytes`` + ``Store.write_batch``) into a throwaway store (a DuckDB file in a temp dir;
a PostgreSQL database created on 127.0.0.1:5432 and dropped afterwards). Offer terms and
sentiment, which enrichment would add, are drawn at random for a share of the pieces: the
timings do not depend on how they were extracted.

Each analysis runs through the library as the app calls it (median and best of ``--repeat``
runs; the machine's load average is printed with them, as other processes slow them). The
baseline runs the very same analysis code on :class:`PandasQueries`, which reads the whole
campaigns table into pandas (the columns analytics needs, every row, once per analysis) and
answers each aggregate with a pandas groupby. Both answers are compared, so the table also
shows that the pushed-down SQL and the pandas reference agree.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from competiscan import analytics as A
from competiscan.generate import generate_campaigns, write_campaigns
from competiscan.ingest import prepare_bytes
from competiscan.model import BONUS_UNITS, OFFER_FIELD_TYPES
from competiscan.store import Store, open_store
from competiscan.model import CampaignFilter
from pgdb import PG_SERVER, temporary_database
END = date(2026, 6, 28)          # fixed, so a run is the same whatever the day (a Sunday)
GOAL_MS = {"duckdb": 100, "postgresql": 500}
READ_COLUMNS = ["id", "company", "industry", "channel", "campaign_type", "launch_date",
                "last_seen", "est_spend_usd", "est_volume", "sentiment_score",
                *OFFER_FIELD_TYPES]
_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q"}


# ---------------------------------------------------------------------------- naive baseline
class PandasQueries:
    """The methods of ``AnalyticsQueries`` computed in pandas over the whole table.

    The table is read once, on first use: the naive way at its most generous.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._table: pd.DataFrame | None = None

    @property
    def table(self) -> pd.DataFrame:
        if self._table is None:
            table = self.store.export_frame(READ_COLUMNS)
            table["launch_date"] = pd.to_datetime(table["launch_date"])
            table["last_seen"] = pd.to_datetime(table["last_seen"])
            self._table = table
        return self._table

    def _filtered(self, f: CampaignFilter) -> pd.DataFrame:
        t = self.table
        mask = np.ones(len(t), dtype=bool)
        for column, values in (("company", f.companies), ("channel", f.channels),
                               ("campaign_type", f.campaign_types), ("industry", f.industries)):
            if values:
                mask &= t[column].isin(values).to_numpy()
        if f.date_from:
            mask &= (t["launch_date"] >= pd.Timestamp(f.date_from)).to_numpy()
        if f.date_to:
            mask &= (t["launch_date"] <= pd.Timestamp(f.date_to)).to_numpy()
        return t[mask]

    @staticmethod
    def _period(frame: pd.DataFrame, interval: str) -> pd.Series:
        return frame["launch_date"].dt.to_period(_FREQ[interval]).dt.start_time.dt.date

    def span(self, f: CampaignFilter) -> tuple[date | None, date | None, date | None]:
        t = self._filtered(f)
        if t.empty:
            return None, None, None
        return (t["launch_date"].min().date(), t["launch_date"].max().date(),
                t["last_seen"].max().date())

    def _grouped(self, f: CampaignFilter, dims: Sequence[str], interval: str | None
                 ) -> tuple[pd.DataFrame, list[str]]:
        t = self._filtered(f)
        keys = list(dims)
        if interval:
            t = t.assign(period=self._period(t, interval))
            keys = ["period", *keys]
        return t, keys

    def counts(self, dims: Sequence[str], interval: str | None, filters: CampaignFilter,
               weight: str | None = None, *, sentiment: bool = False) -> pd.DataFrame:
        t, keys = self._grouped(filters, dims, interval)
        if not keys:
            t = t.assign(_all=0)
            keys = ["_all"]
        g = t.groupby(keys, dropna=False, sort=False)
        out = g.size().rename("n").to_frame()
        if weight:
            out["weighted"] = g[weight].sum(min_count=1)
            out["missing"] = out["n"] - g[weight].count()
        if sentiment:
            out["scored"] = g["sentiment_score"].count()
            out["mean_score"] = g["sentiment_score"].mean()
        return out.reset_index().drop(columns="_all", errors="ignore")

    def _offer_rows(self, terms: Mapping[str, str], interval: str | None,
                    filters: CampaignFilter, seen_since: date | None) -> pd.DataFrame:
        """One row per (piece, stated term): the long form of the offer columns."""
        t = self._filtered(filters)
        if seen_since is not None:
            t = t[t["last_seen"] >= pd.Timestamp(seen_since)]
        if interval:
            t = t.assign(period=self._period(t, interval))
        keep = ["id", "company", "last_seen", *(["period"] if interval else [])]
        parts = []
        for term in terms:
            rows = t[t[term].notna()]
            unit = (rows["bonus_unit"].where(rows["bonus_unit"].isin(BONUS_UNITS), "")
                    .astype(object) if term == "bonus_amount" else "")
            parts.append(rows[keep].assign(term=term, unit=unit,
                                           value=rows[term].astype(float)))
        return pd.concat(parts, ignore_index=True)

    def offer_stats(self, terms: Mapping[str, str], interval: str | None,
                    filters: CampaignFilter, *, seen_since: date | None = None,
                    ids: int = 0) -> pd.DataFrame:
        keys = ["company", "period", "term", "unit"] if interval else ["company", "term", "unit"]
        long = self._offer_rows(terms, interval, filters, seen_since)
        long["score"] = long["value"] * long["term"].map(
            {k: 1.0 if d == "max" else -1.0 for k, d in terms.items()})
        g = long.groupby(keys, sort=False)
        frame = pd.DataFrame({"best": g["score"].max(), "typical": g["value"].median(),
                              "n": g.size()}).reset_index()
        frame["best"] *= frame["term"].map({k: 1.0 if d == "max" else -1.0
                                            for k, d in terms.items()})
        frame = frame.sort_values(keys).reset_index(drop=True)
        if ids <= 0:
            return frame
        found = self.best_piece_ids(terms, interval, filters, frame, seen_since=seen_since,
                                    limit=ids)
        return frame.merge(found, on=keys, how="left")

    def best_changes(self, terms: Mapping[str, str], interval: str,
                     filters: CampaignFilter, *, limit: int = 0) -> pd.DataFrame:
        stats = self.offer_stats(terms, interval, filters).sort_values(
            ["company", "term", "unit", "period"])
        g = stats.groupby(["company", "term", "unit"], sort=False)
        stats["previous_period"] = g["period"].shift(1)
        stats["previous_best"] = g["best"].shift(1)
        changed = stats[stats["previous_best"].notna()
                        & (stats["best"] != stats["previous_best"])]
        changed = changed[["company", "period", "term", "unit", "best", "previous_period",
                           "previous_best"]].reset_index(drop=True)
        if limit <= 0:
            return changed
        keys = ["company", "period", "term", "unit"]
        ids = self.best_piece_ids(terms, interval, filters, changed, limit=limit)
        return changed.merge(ids, on=keys, how="left")

    def best_piece_ids(self, terms: Mapping[str, str], interval: str | None,
                       filters: CampaignFilter, groups: pd.DataFrame, *,
                       seen_since: date | None = None, limit: int = 5) -> pd.DataFrame:
        keys = ["company", "period", "term", "unit"] if interval else ["company", "term", "unit"]
        long = self._offer_rows(terms, interval, filters, seen_since)
        hits = long.merge(groups[[*keys, "best"]], on=keys)
        hits = hits[hits["value"] == hits["best"]].sort_values(
            [*keys, "last_seen", "id"], ascending=[True] * len(keys) + [False, True])
        g = hits.groupby(keys, sort=False)["id"]
        return pd.DataFrame({"best_n": g.size(),
                             "best_ids": g.agg(lambda s: [int(i) for i in s.iloc[:limit]])}) \
            .reset_index()

    def bucket_piece_ids(self, interval: str, filters: CampaignFilter,
                         buckets: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
        t = self._filtered(filters)
        t = t.assign(period=self._period(t, interval)).merge(
            buckets[["company", "period"]], on=["company", "period"])
        g = t.sort_values(["launch_date", "id"]).groupby(["company", "period"], sort=False)["id"]
        return g.agg(lambda s: [int(i) for i in s.iloc[:limit]]).rename("ids").reset_index()


# ---------------------------------------------------------------------------- the analyses
def analyses(companies: list[str]) -> dict[str, Callable[[Any], Any]]:
    """name -> analysis of a source (a Store, or PandasQueries for the baseline)."""
    three, five = companies[:3], companies[:5]
    return {
        "trends week by company": lambda s: A.trends(s, by="company", interval="week"),
        "volume 4w hopping, spend": lambda s: A.volume_series(
            s, "channel", "week", weight="est_spend_usd", window=4, step=1),
        "share of voice in channel": lambda s: A.share_of_voice(s, "channel", "month"),
        "offer summary by month": lambda s: A.offer_summary(s, "month"),
        "offer changes by month": lambda s: A.offer_changes(s, "month"),
        "current offers (CLI)": lambda s: A.offers(s),
        "compare 3 companies": lambda s: A.compare(s, three, "week"),
        "positioning 5 companies": lambda s: A.positioning(s, five),
        "anomalies weekly": lambda s: A.volume_anomalies(s, "week"),
        "forecast 8 weeks": lambda s: A.forecast_volume(s, horizon=8),
    }


def same(a: Any, b: Any) -> bool:
    """Whether two answers agree (frames, dataclasses, lists, dicts; floats to 1e-9)."""
    if isinstance(a, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                          check_dtype=False, rtol=1e-9, atol=1e-9)
            return True
        except AssertionError:
            return False
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple, np.ndarray)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9,
                                                                 abs_tol=1e-9)
    return a == b


# ---------------------------------------------------------------------------- data
def _with_enrichment(pieces: pd.DataFrame | pa.Table, seed: int) -> pa.Table:
    """Random offer terms (each on 5-15% of pieces) and sentiment scores, as enrichment would
    add them."""
    table = pieces if isinstance(pieces, pa.Table) else pa.Table.from_pandas(pieces)
    rng = np.random.default_rng(seed)
    n = table.num_rows

    def put(name: str, share: float, choices: list, kind: pa.DataType) -> None:
        nonlocal table
        column = pa.array(rng.choice(choices, n), mask=rng.random(n) >= share, type=kind)
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, column)
        else:
            table = table.append_column(name, column)

    put("sentiment_score", 0.9, list(np.linspace(-1, 1, 201).round(2)), pa.float64())
    put("intro_apr_months", 0.15, [6, 12, 15, 18, 21], pa.int32())
    put("intro_apr_pct", 0.15, [0.0, 1.99, 2.99], pa.float64())
    put("regular_apr_min_pct", 0.10, [17.24, 19.24, 20.49], pa.float64())
    put("regular_apr_max_pct", 0.10, [27.24, 29.24], pa.float64())
    put("bonus_amount", 0.12, [200.0, 20000.0, 60000.0, 75000.0], pa.float64())
    put("bonus_unit", 1.0, ["points", "miles", "dollars"], pa.string())  # read with a bonus only
    put("bonus_spend_usd", 0.08, [500.0, 3000.0, 4000.0], pa.float64())
    put("bonus_window_months", 0.08, [3, 6], pa.int32())
    put("cash_back_pct", 0.10, [1.0, 1.5, 2.0, 3.0, 5.0], pa.float64())
    put("annual_fee_usd", 0.10, [0.0, 95.0, 250.0, 550.0], pa.float64())
    put("balance_transfer_fee_pct", 0.05, [3.0, 5.0], pa.float64())
    put("apy_pct", 0.05, [0.5, 4.25, 4.5, 5.0], pa.float64())
    return table


def load(rows: int, seed: int, workdir: Path) -> tuple[Any, float]:
    """Generate ``rows`` campaigns, write them as CSV and prepare them as one upload batch."""
    started = time.perf_counter()
    path = workdir / "campaigns.csv"
    write_campaigns(generate_campaigns(rows, seed=seed, end=END), path)
    prepared = prepare_bytes(path.read_bytes(), path.name, source="bench", aliases={},
                             industries={})
    prepared.batch.pieces = _with_enrichment(prepared.batch.pieces, seed)
    return prepared.batch, time.perf_counter() - started


def _timed(run: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median ms, best ms, answer) of ``repeat`` runs."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), min(times), result


def bench_store(backend: str, store: Store, repeat: int, naive_repeat: int) -> list[dict]:
    # The biggest advertisers are the ones an analyst compares.
    ranked = A.volume_series(store, "company", "quarter").frame.groupby("key")["count"].sum()
    companies = list(ranked.sort_values(ascending=False).index)
    rows = []
    for name, analysis in analyses(companies).items():
        analysis(store)   # warm the connection pool and the database's caches
        fast_ms, best_ms, fast = _timed(lambda: analysis(store), repeat)
        naive_ms, _best, naive = _timed(lambda: analysis(PandasQueries(store)), naive_repeat)
        rows.append({"backend": backend, "analysis": name, "ms": fast_ms, "best_ms": best_ms,
                     "naive_ms": naive_ms, "speedup": naive_ms / fast_ms,
                     "goal_ms": GOAL_MS[backend],
                     "within_goal": fast_ms <= GOAL_MS[backend], "same_result": same(fast, naive)})
    return rows


def run_duckdb(batch: Any, workdir: Path, repeat: int, naive_repeat: int) -> tuple[list, float]:
    store = open_store(f"duckdb:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.duckdb'}", create=True)
    try:
        started = time.perf_counter()
        store.write_batch(batch)
        loaded = time.perf_counter() - started
        return bench_store("duckdb", store, repeat, naive_repeat), loaded
    finally:
        store.close()


def run_postgresql(batch: Any, workdir: Path, repeat: int, naive_repeat: int
                   ) -> tuple[list, float]:
    with temporary_database(PG_SERVER) as url:
        store = open_store(url, create=True)
        try:
            started = time.perf_counter()
            store.write_batch(batch)
            loaded = time.perf_counter() - started
            # What autovacuum does shortly after a bulk load: planner statistics and the
            # visibility map. Timing before it ran would measure a state that does not last.
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("VACUUM ANALYZE campaigns"))
                c.execute(sa.text("VACUUM ANALYZE offer_terms"))
            return bench_store("postgresql", store, repeat, naive_repeat), loaded
        finally:
            store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", default="duckdb,postgresql")
    parser.add_argument("--repeat", type=int, default=5, help="runs per analysis (median)")
    parser.add_argument("--naive-repeat", type=int, default=1,
                        help="runs of the naive baseline per analysis (median)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    runners = {"duckdb": run_duckdb, "postgresql": run_postgresql}
    results, loads = [], {}
    # Other processes on the machine slow every timing down: the load is reported with them.
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="competiscan-bench-") as tmp:
        batch, prepared_s = load(args.rows, args.seed, Path(tmp))
        for backend in (b.strip() for b in args.backends.split(",")):
            rows, loads[backend] = runners[backend](batch, Path(tmp), args.repeat,
                                                    args.naive_repeat)
            results += rows
    load_after = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"rows": args.rows, "campaigns": len(batch.pieces),
                          "prepare_s": prepared_s, "load_s": loads, "cpus": os.cpu_count(),
                          "loadavg_before": load_before, "loadavg_after": load_after,
                          "results": results}, indent=2))
        return 0
    print(f"{args.rows:,} generated rows -> {len(batch.pieces):,} campaigns (prepared in "
          f"{prepared_s:.1f} s; loaded in " +
          ", ".join(f"{b} {s:.1f} s" for b, s in loads.items()) +
          f"); {os.cpu_count()} CPUs, load average {load_before:.1f} before, "
          f"{load_after:.1f} after")
    print(f"{'backend':<11} {'analysis':<27} {'median ms':>10} {'best ms':>8} {'naive ms':>10} "
          f"{'speedup':>8} {'goal':>6} {'same':>5}")
    for r in results:
        print(f"{r['backend']:<11} {r['analysis']:<27} {r['ms']:>10.1f} {r['best_ms']:>8.1f} "
              f"{r['naive_ms']:>10.1f} {r['speedup']:>7.1f}x "
              f"{'ok' if r['within_goal'] else 'SLOW':>6} {'yes' if r['same_result'] else 'NO':>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
