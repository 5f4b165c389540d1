"""Local enrichment speed, and ingestion with enrichment and indexing on, against plain ingestion.

    python bench/enrich.py --rows 100000 [--ingest-rows 1000000] [--json]

1. Local enrichment rate over --rows generated campaigns, with 1 worker and with every core.
2. The same CSV of --ingest-rows campaigns ingested into a fresh DuckDB store three ways in one
   run: plain (enrichment and indexing off: the baseline), enriched, and enriched + indexed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from competiscan.enrich import LocalEnricher
from competiscan.generate import generate_campaigns, write_campaigns
from competiscan.settings import Settings
from competiscan.workbench import Workbench
from runtime import runtime, use_jemalloc
from competiscan.model import Actor

TESTER = Actor(name="bench", role="admin")


def local_rate(rows: int, seed: int) -> dict:
    frame = generate_campaigns(rows, seed=seed)
    records = frame.rename(columns={"company_name": "company"})[
        ["title", "subject_line", "content", "channel", "campaign_type"]].astype(object)
    records = records.where(records.notna(), None).to_dict("records")
    out = {"rows": rows, "cores": os.cpu_count()}
    for workers in (1, os.cpu_count() or 1):
        enricher = LocalEnricher()
        started, started_cpu = time.perf_counter(), time.process_time()
        enricher.enrich_many(records, workers=workers)
        elapsed = time.perf_counter() - started
        if workers == 1:
            # CPU time of the serial run: what a record costs, little affected by other work
            # running on the machine (wall-clock rates are).
            out["cpu_us_per_record"] = (time.process_time() - started_cpu) / rows * 1e6
        out[f"workers_{workers}_s"] = elapsed
        out[f"workers_{workers}_per_s"] = rows / elapsed
    return out


def ingest_modes(rows: int, seed: int, workdir: Path) -> dict:
    path = workdir / "campaigns.csv"
    write_campaigns(generate_campaigns(rows, seed=seed), path)
    data = path.read_bytes()
    out = {"rows": rows}
    for mode, enrich, index in (("plain", False, False), ("enriched", True, False),
                                ("enriched_indexed", True, True)):
        folder = workdir / mode
        folder.mkdir()
        settings = Settings(database_url=f"duckdb:///{folder / 'store.duckdb'}",
                            search_url=str(folder / "index"), root=folder)
        wb = Workbench(settings, create=True)
        started = time.perf_counter()
        report = wb.campaigns.ingest(TESTER, data, path.name, source="bench", enrich=enrich, index=index)
        out[f"{mode}_s"] = time.perf_counter() - started
        out[f"{mode}_inserted"] = report.inserted
        if index:
            out["indexed_docs"] = wb.index.backend.count()
        wb.close()
    out["enriched_vs_plain"] = out["enriched_s"] / out["plain_s"]
    out["enriched_indexed_vs_plain"] = out["enriched_indexed_s"] / out["plain_s"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--ingest-rows", type=int, default=None,
                        help="rows for the ingestion part (default: --rows)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rate = local_rate(args.rows, args.seed)
    with tempfile.TemporaryDirectory(prefix="competiscan-bench-") as tmp:
        ingest = ingest_modes(args.ingest_rows or args.rows, args.seed, Path(tmp))
    if args.json:
        print(json.dumps({"runtime": runtime(), "local": rate, "ingest": ingest},
                         indent=2))
        return 0
    cores = rate["cores"]
    print(runtime())
    print(f"local enrichment of {rate['rows']:,} campaigns: "
          f"1 worker {rate['workers_1_per_s']:,.0f}/s, {cores} workers "
          f"{rate[f'workers_{cores}_per_s']:,.0f}/s "
          f"({rate[f'workers_{cores}_per_s'] / rate['workers_1_per_s']:.2f}x); "
          f"{rate['cpu_us_per_record']:.0f} µs of CPU per record")
    print(f"ingest {ingest['rows']:,} rows into DuckDB: plain {ingest['plain_s']:.1f} s; "
          f"+ enrichment {ingest['enriched_s']:.1f} s ({ingest['enriched_vs_plain']:.2f}x); "
          f"+ enrichment + indexing {ingest['enriched_indexed_s']:.1f} s "
          f"({ingest['enriched_indexed_vs_plain']:.2f}x); "
          f"{ingest['enriched_indexed_inserted']:,} campaigns, "
          f"{ingest['indexed_docs']:,} indexed")
    return 0


if __name__ == "__main__":
    use_jemalloc()   # as the command line and `make run` run (see competiscan/allocator.py)
    sys.exit(main())
