"""Throughput of the local (rule-based) enricher, with one worker and with every core.

    python bench/enrich_local.py --rows 100000 [--min-chars 300] [--json]

Records come from `competiscan.generate.generate_campaigns`. Its pieces are short (~180
characters of title, subject and body); a piece shorter than --min-chars gets the bodies of the
following pieces appended, as a long email carries several short paragraphs, so that the rate
is measured on text of the length asked for (0 keeps the pieces as generated).
bench/enrich.py imports `measure_local_rate`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from competiscan.enrich import LocalEnricher
from competiscan.enrich.local import PARALLEL_MIN_RECORDS
from competiscan.generate import generate_campaigns

_RECORD_FIELDS = ("title", "subject_line", "content", "channel", "campaign_type")


def benchmark_records(n: int, seed: int = 7, min_chars: int = 300) -> list[dict[str, Any]]:
    """`n` enricher input records from generated campaigns, each with at least `min_chars`
    characters of title, subject and body."""
    frame = generate_campaigns(n, seed=seed)[list(_RECORD_FIELDS)].astype(object)
    records = frame.where(frame.notna(), None).to_dict("records")
    bodies = [record["content"] for record in records if record["content"]]
    for i, record in enumerate(records):
        length = sum(len(record[field] or "") for field in ("title", "subject_line", "content"))
        following = i
        while length < min_chars and bodies:
            following += 1
            # Whole sentences of the next bodies, up to the length asked for.
            extra = _cut_at_sentence(bodies[following % len(bodies)], min_chars - length)
            record["content"] = f"{record['content'] or ''} {extra}".strip()
            length += len(extra) + 1
    return records


def _cut_at_sentence(text: str, length: int) -> str:
    """`text` up to the first sentence end at or after `length` characters."""
    end = text.find(". ", length)
    return text if end < 0 else text[: end + 1]


def measure_local_rate(n: int, seed: int = 7, min_chars: int = 300) -> dict[str, Any]:
    """Enrich `n` records with 1 worker and with all cores; records per second for each.

    Below PARALLEL_MIN_RECORDS the enricher never starts a pool, so both runs are serial then.
    The parallel time includes starting the pool and fitting keyword document frequencies on a
    sample of the batch: it is what a caller waits for. Wall-clock rates assume the cores are
    free; "serial_records_per_cpu_s" much less so.
    """
    records = benchmark_records(n, seed=seed, min_chars=min_chars)
    enricher = LocalEnricher()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    rates: dict[int, float] = {}
    serial_cpu_s = 0.0
    for workers in sorted({1, cores}):
        started, started_cpu = time.perf_counter(), time.process_time()
        results = enricher.enrich_many(records, workers=workers)
        elapsed = time.perf_counter() - started
        if workers == 1:
            serial_cpu_s = time.process_time() - started_cpu
        assert len(results) == n
        rates[workers] = n / elapsed
    # The first pool of a process also starts the forkserver; later calls find it running.
    started = time.perf_counter()
    enricher.enrich_many(records, workers=cores)
    warm_rate = n / (time.perf_counter() - started)
    chars = sum(
        len(record[field] or "") for record in records for field in ("title", "subject_line", "content")
    )
    return {
        "records": n,
        "avg_text_chars": chars / n,
        "enricher": enricher.version,
        "cpu_count": cores,
        "parallel_min_records": PARALLEL_MIN_RECORDS,
        "records_per_s_by_workers": rates,
        "serial_records_per_s": rates[1],
        "parallel_records_per_s": rates[cores],
        "parallel_warm_records_per_s": warm_rate,
        # Records per second of CPU time in the serial run: what one core does, far less
        # affected than wall-clock time by other work running on the machine.
        "serial_records_per_cpu_s": n / serial_cpu_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-chars", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure_local_rate(args.rows, seed=args.seed, min_chars=args.min_chars)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['records']:,} records, {result['avg_text_chars']:.0f} characters of text on average, "
          f"{result['cpu_count']} cores")
    for workers, rate in result["records_per_s_by_workers"].items():
        print(f"{workers} worker(s): {rate:>10,.0f} records/s")
    print(f"{result['cpu_count']} worker(s), pool already started: {result['parallel_warm_records_per_s']:>10,.0f} records/s")
    print(f"serial, per CPU second: {result['serial_records_per_cpu_s']:>10,.0f} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
