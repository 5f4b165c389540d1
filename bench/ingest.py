"""Ingestion throughput against a raw-load baseline measured in the same run.

    python bench/ingest.py --rows 1000000 [--backends duckdb,postgresql] [--repeat 3] [--json]

For each backend: generated campaigns are written to one CSV file; the baseline loads that file
with the database's own bulk loader (DuckDB read_csv into a table; PostgreSQL COPY); the ingest
path reads the same file through Competiscan's ingestion (sniffing, column mapping,
normalisation, validation, dedupe, hashing, atomic batch write), enrichment and indexing off.
It prints the two phases of the ingest too: preparing (in this process) and the batch write
(mostly the database's work, its indexes included), each against the same baseline.
With ``--repeat N`` each backend runs N times, the baseline and the ingest one after the other
each time (a fresh store every run), and the median ratio is printed: on a shared machine whose
speed moves from minute to minute, one pair of timings can be far off either way (see "The
machine" in docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from competiscan.generate import generate_campaigns, write_campaigns
from competiscan.ingest import prepare_bytes
from competiscan.store import open_store
from pgdb import temporary_database
from runtime import runtime, use_jemalloc

def _ingest(url: str, path: Path) -> tuple[float, dict]:
    store = open_store(url, create=True)
    started = time.perf_counter()
    prepared = prepare_bytes(path.read_bytes(), path.name, source="bench",
                             aliases=store.company_aliases(),
                             industries=store.company_industries())
    written = time.perf_counter()
    result = store.write_batch(prepared.batch)
    elapsed = time.perf_counter() - started
    # The two phases, to tell the client's work (reading, checking, hashing, deduplicating)
    # from the database's (the atomic batch write, its indexes included).
    counts = {"prepare_s": written - started, "write_s": elapsed - (written - started),
              "inserted": result.inserted, "resighted": result.resighted,
              "duplicates": prepared.report.duplicates,
              "rejected": prepared.report.rejected_count, "stored": store.count()}
    store.close()
    return elapsed, counts


def bench_duckdb(path: Path, workdir: Path) -> dict:
    import duckdb
    raw_db, store_db = workdir / "raw.duckdb", workdir / "bench.duckdb"
    for old in (raw_db, store_db, store_db.with_name(store_db.name + ".wal")):
        old.unlink(missing_ok=True)   # a fresh store for each repeat
    con = duckdb.connect(str(raw_db))
    started = time.perf_counter()
    con.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, header = true)", [str(path)])
    baseline = time.perf_counter() - started
    con.close()
    elapsed, counts = _ingest(f"duckdb:///{store_db}", path)
    return {"backend": "duckdb", "baseline_s": baseline, "ingest_s": elapsed, **counts}


def bench_postgresql(path: Path, workdir: Path) -> dict:
    with temporary_database() as url:
        header = path.open(encoding="utf-8").readline().strip().split(",")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE raw (" + ", ".join(f'"{c}" text' for c in header)
                                 + ")"))
            raw = conn.connection.driver_connection
            started = time.perf_counter()
            with raw.cursor() as cur, cur.copy("COPY raw FROM STDIN WITH (FORMAT csv, HEADER)") \
                    as copy, path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
        baseline = time.perf_counter() - started
        engine.dispose()
        elapsed, counts = _ingest(url, path)
    return {"backend": "postgresql", "baseline_s": baseline, "ingest_s": elapsed, **counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", default="duckdb,postgresql")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per backend, baseline and ingest alternating (median)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    results = []
    with tempfile.TemporaryDirectory(prefix="competiscan-bench-") as tmp:
        workdir = Path(tmp)
        path = workdir / "campaigns.csv"
        started = time.perf_counter()
        write_campaigns(generate_campaigns(args.rows, seed=args.seed), path)
        generated = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        for backend in args.backends.split(","):
            run = {"duckdb": bench_duckdb, "postgresql": bench_postgresql}[backend.strip()]
            for repeat in range(1, max(1, args.repeat) + 1):
                row = run(path, workdir)
                row["run"] = repeat
                row["rows"] = args.rows
                row["rows_per_s"] = args.rows / row["ingest_s"]
                row["baseline_rows_per_s"] = args.rows / row["baseline_s"]
                row["ratio_to_baseline"] = row["ingest_s"] / row["baseline_s"]
                row["write_ratio_to_baseline"] = row["write_s"] / row["baseline_s"]
                results.append(row)
    medians = [{"backend": backend, "runs": len(ratios),
                "ratio_to_baseline": statistics.median(ratios),
                "write_ratio_to_baseline": statistics.median(
                    r["write_ratio_to_baseline"] for r in results if r["backend"] == backend),
                "rows_per_s": statistics.median(
                    r["rows_per_s"] for r in results if r["backend"] == backend)}
               for backend in dict.fromkeys(r["backend"] for r in results)
               for ratios in [[r["ratio_to_baseline"] for r in results
                               if r["backend"] == backend]]]

    if args.json:
        print(json.dumps({"rows": args.rows, "file_mb": size_mb,
                          "runtime": runtime(), "results": results, "medians": medians},
                         indent=2))
        return 0
    print(f"{args.rows:,} generated campaigns, {size_mb:.0f} MB CSV (generated in "
          f"{generated:.1f} s); {runtime()}")
    print(f"{'backend':<11} {'baseline':>9} {'prepare':>9} {'write':>9} {'ingest':>9} "
          f"{'rows/s':>10} {'x baseline':>11} {'write x':>8} {'inserted':>9} {'re-sighted':>11} "
          f"{'dups':>7}")
    for r in results:
        print(f"{r['backend']:<11} {r['baseline_s']:>8.2f}s {r['prepare_s']:>8.2f}s "
              f"{r['write_s']:>8.2f}s {r['ingest_s']:>8.2f}s {r['rows_per_s']:>10,.0f} "
              f"{r['ratio_to_baseline']:>10.2f}x {r['write_ratio_to_baseline']:>7.2f}x "
              f"{r['inserted']:>9,} {r['resighted']:>11,} {r['duplicates']:>7,}")
    print("(write x: the batch write alone, indexes included, against the same baseline)")
    if args.repeat > 1:
        for m in medians:
            print(f"{m['backend']:<11} median of {m['runs']} runs: {m['rows_per_s']:,.0f} rows/s, "
                  f"{m['ratio_to_baseline']:.2f}x the baseline (the write alone "
                  f"{m['write_ratio_to_baseline']:.2f}x)")
    return 0


if __name__ == "__main__":
    use_jemalloc()   # as the command line and `make run` run (see competiscan/allocator.py)
    sys.exit(main())
