"""Search benchmark: the embedded index against a pandas scan and SQLite FTS5, same queries.

    python bench/search.py --rows 100000 [--seed 7] [--repeat 5] [--json]

Builds ``--rows`` sample campaigns (``competiscan.generate``), indexes them in the embedded
tantivy index, then runs a fixed mix of searches — phrases, boolean queries, typos, field
filters, date and offer-term ranges — each asking for 20 highlighted hits and the five facet
counts. The same mix is then answered the naive way (pandas ``str.contains`` over the frame plus
``value_counts`` for facets) and with SQLite FTS5 (``bm25`` ranking, ``snippet()``, one
``GROUP BY`` per facet), and the latencies are reported side by side with their ratios.

The comparison is generous to the others: pandas and FTS5 do no typo tolerance and no stemming,
pandas matches substrings ("fee" inside "feed") and ranks nothing, FTS5 drops ``%`` and ``$`` (its
``"$200 bonus"`` also finds "200 bonus") and its snippets are not HTML-escaped. The hit counts of
every engine are printed with ``--json`` so the differences can be seen. Offer terms are not in
the sample data; a regular expression fills ``cash_back_pct`` and ``intro_apr_months`` so the
range filters have something to filter. Wall-clock figures depend on what else the machine is
doing; the indexing CPU time (all threads) is reported too.
"""

from __future__ import annotations

import argparse
import html
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from competiscan.generate import generate_campaigns
from competiscan.model import CampaignFilter
from competiscan.search.base import FACET_FIELDS, SearchRequest
from competiscan.search.embedded import EmbeddedIndex
from competiscan.search.query import And, FieldFilter, Node, Not, Or, Phrase, Term, filter_key, prepare
from runtime import runtime, use_jemalloc

_HITS = 20  # hits per page, highlighted
_TEXT_COLUMNS = ("title", "subject_line", "content", "keywords")


@dataclass(frozen=True)
class Case:
    """One search of the mix: a label and the request (first page of 20 hits)."""

    label: str
    request: SearchRequest


def query_mix(last_day: date) -> list[Case]:
    """The fixed mix: 24 searches an analyst would type, most with filters."""
    quarter = last_day - timedelta(days=90)

    def case(label: str, query: str, sort: str = "relevance", **filters: Any) -> Case:
        return Case(label, SearchRequest(query=query, limit=_HITS, sort=sort,
                                         filter=CampaignFilter(**filters)))

    return [
        case("phrase", '"0% intro APR"'),
        case("phrase with %", '"0% APR"'),
        case("phrase", '"cash back"'),
        case("word split", "cashback"),
        case("typo", "rewrds"),
        case("typo", "morgage"),
        case("words", "travel rewards"),
        case("phrase NOT", '"bonus points" -business'),
        case("AND", "balance transfer AND fee"),
        case("phrase", '"no annual fee"'),
        case("amount phrase", '"$95 annual fee"'),
        case("OR", "savings OR checking"),
        case("group NOT", "(points OR miles) -business"),
        case("field filter", 'company:"capital one" rewards'),
        case("channel filter", "apply now", channels=("email",)),
        case("industry + date", "bonus", industries=("credit_cards",), date_from=quarter, date_to=last_day),
        case("offer range", '"balance transfer"', offer_ranges={"intro_apr_months": (12, None)}),
        case("offer range", "cash back", offer_ranges={"cash_back_pct": (3, None)}),
        case("date sort", "limited time", sort="date"),
        case("type filter", "unlimited data", campaign_types=("promotional",)),
        case("words", "security tips"),
        case("type in query", 'type:acquisition "apply now"'),
        case("browse", "", companies=("Chase", "Capital One", "American Express")),
        case("browse", "", date_from=quarter),
    ]


# --------------------------------------------------------------------------- data


def build_frame(rows: int, seed: int) -> pd.DataFrame:
    """Sample campaigns with the columns a search document needs."""
    raw = generate_campaigns(rows, seed)
    df = pd.DataFrame(
        {
            "id": np.arange(1, len(raw) + 1),
            "company": raw["company_name"],
            "industry": raw["industry"],
            "channel": raw["channel"],
            "campaign_type": raw["campaign_type"].astype(object).where(raw["campaign_type"].notna(), None),
            "sentiment_label": None,
            "launch_date": pd.to_datetime(raw["launch_date"]).dt.date,
            "title": raw["title"],
            "subject_line": raw["subject_line"].fillna(""),
            "content": raw["content"],
            "keywords": raw["keywords"].fillna(""),
        }
    )
    # One ingest batch per thousand rows, a minute apart.
    df["ingested_at"] = [datetime(2026, 1, 1) + timedelta(minutes=i // 1000) for i in range(len(df))]
    df["cash_back_pct"] = raw["content"].str.extract(r"(\d+(?:\.\d+)?)% cash back", expand=False).astype(float)
    df["intro_apr_months"] = raw["content"].str.extract(r"intro APR[^.]*?for (\d+) months", expand=False).astype(float)
    return df


def documents(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame as search documents (what the store's search projection hands over)."""
    docs = df.to_dict("records")
    for doc in docs:
        for name in ("cash_back_pct", "intro_apr_months"):
            if doc[name] != doc[name]:
                doc[name] = None
    return docs


# --------------------------------------------------------------------------- pandas, the naive way


class PandasScan:
    """Searches by scanning the frame: substring tests per word, value_counts per facet."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        # Done once, like building an index: the lower-cased text of every searched field.
        self.text = (df["title"] + " " + df["subject_line"] + " " + df["content"] + " " + df["keywords"]).str.lower()

    def _mask(self, node: Node) -> pd.Series:
        if isinstance(node, Term):
            return self.text.str.contains(node.text, regex=False)
        if isinstance(node, Phrase):
            return self.text.str.contains(node.text, regex=False)
        if isinstance(node, FieldFilter):
            return self.df[node.field].map(lambda v: v is not None and filter_key(v) == node.value).astype(bool)
        if isinstance(node, Not):
            return ~self._mask(node.child)
        if isinstance(node, And):
            mask = pd.Series(True, index=self.df.index)
            for child in node.children:
                mask &= self._mask(child)
            return mask
        if isinstance(node, Or):
            mask = pd.Series(False, index=self.df.index)
            for child in node.children:
                mask |= self._mask(child)
            return mask
        raise TypeError(node)

    def search(self, req: SearchRequest) -> int:
        df = self.df
        mask = self._mask(prepare(req.query))
        for name, values in (("company", req.filter.companies), ("channel", req.filter.channels),
                             ("campaign_type", req.filter.campaign_types), ("industry", req.filter.industries)):
            if values:
                mask &= df[name].isin(values)
        if req.filter.date_from:
            mask &= df["launch_date"] >= req.filter.date_from
        if req.filter.date_to:
            mask &= df["launch_date"] <= req.filter.date_to
        for name, low, high in req.filter.offer_ranges:
            if low is not None:
                mask &= df[name] >= low
            if high is not None:
                mask &= df[name] <= high
        found = df[mask]
        for name in FACET_FIELDS:
            found[name].value_counts()
        top = found.nlargest(_HITS, "id") if req.sort == "relevance" else found.sort_values("launch_date").tail(_HITS)
        words = [w for w in req.query.lower().replace('"', " ").split() if w.isalnum()]
        for content in top["content"]:
            at = max((content.lower().find(w) for w in words), default=0)
            html.escape(content[max(at - 60, 0) : at + 140])
        return len(found)


# --------------------------------------------------------------------------- SQLite FTS5


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_match(node: Node) -> str:
    """Our query tree as an FTS5 MATCH expression (every word quoted: never FTS5 syntax)."""
    if isinstance(node, (Term, Phrase)):
        return _fts_string(node.text)
    if isinstance(node, Or):
        return "(" + " OR ".join(fts_match(c) for c in node.children) + ")"
    if isinstance(node, And):
        positive = [fts_match(c) for c in node.children if not isinstance(c, (Not, FieldFilter))]
        negative = [fts_match(c.child) for c in node.children if isinstance(c, Not)]
        return "(" + " AND ".join(positive) + "".join(f" NOT {n}" for n in negative) + ")"
    raise TypeError(f"the bench's FTS5 translation does not cover {node!r}")


class SqliteFts:
    """Searches with an FTS5 table: bm25 ranking, snippet(), GROUP BY per facet."""

    def __init__(self, df: pd.DataFrame, path: Path) -> None:
        self.con = sqlite3.connect(path)
        self.con.create_function("filter_key", 1, lambda v: v and filter_key(v), deterministic=True)
        extra = ("company", "channel", "campaign_type", "industry", "sentiment_label", "launch_date",
                 "cash_back_pct", "intro_apr_months")
        self.con.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(title, subject_line, content, keywords, "
            + ", ".join(f"{c} UNINDEXED" for c in extra)
            + ", tokenize='porter unicode61')"
        )
        columns = [*_TEXT_COLUMNS, *extra]
        rows = df[columns].astype(object).where(df[columns].notna(), None)
        rows["launch_date"] = df["launch_date"].map(date.isoformat)
        with self.con:
            self.con.executemany(
                f"INSERT INTO docs(rowid, {', '.join(columns)}) VALUES (?, {', '.join('?' * len(columns))})",
                zip(df["id"].tolist(), *(rows[c].tolist() for c in columns)),
            )

    def search(self, req: SearchRequest) -> int:
        node = prepare(req.query)
        where: list[str] = []
        args: list[Any] = []
        parts = node.children if isinstance(node, And) else (node,)
        text = [p for p in parts if not isinstance(p, FieldFilter)]
        for part in parts:
            if isinstance(part, FieldFilter):
                where.append(f"filter_key({part.field}) = ?")
                args.append(part.value)
        if text and req.query.strip():
            where.append("docs MATCH ?")
            args.append(fts_match(And(tuple(text))) if len(text) > 1 else fts_match(text[0]))
        for name, values in (("company", req.filter.companies), ("channel", req.filter.channels),
                             ("campaign_type", req.filter.campaign_types), ("industry", req.filter.industries)):
            if values:
                where.append(f"{name} IN ({', '.join('?' * len(values))})")
                args.extend(values)
        if req.filter.date_from:
            where.append("launch_date >= ?")
            args.append(req.filter.date_from.isoformat())
        if req.filter.date_to:
            where.append("launch_date <= ?")
            args.append(req.filter.date_to.isoformat())
        for name, low, high in req.filter.offer_ranges:
            if low is not None:
                where.append(f"{name} >= ?")
                args.append(low)
            if high is not None:
                where.append(f"{name} <= ?")
                args.append(high)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        ranked = "MATCH" in clause and req.sort == "relevance"
        order = "bm25(docs, 3.0, 2.0, 1.0, 1.0)" if ranked else "launch_date DESC"
        self.con.execute(
            f"SELECT rowid, title, snippet(docs, 2, '<mark>', '</mark>', '…', 24) FROM docs {clause} "
            f"ORDER BY {order} LIMIT {_HITS}",
            args,
        ).fetchall()
        total = 0
        for name in FACET_FIELDS:
            counts = self.con.execute(f"SELECT {name}, count(*) FROM docs {clause} GROUP BY {name}", args).fetchall()
            if name == "company":
                total = sum(n for _, n in counts)
        return total


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    """Latencies of one engine over the mix, in milliseconds."""

    engine: str
    latencies_ms: list[float] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run_mix(engine: str, search: Callable[[SearchRequest], int], cases: list[Case], repeat: int, warm: bool) -> Timing:
    """Run the mix ``repeat`` times (after one untimed pass when ``warm``)."""
    timing = Timing(engine)
    if warm:
        for c in cases:
            search(c.request)
    for round_ in range(repeat):
        for c in cases:
            start = time.perf_counter()
            total = search(c.request)
            timing.latencies_ms.append((time.perf_counter() - start) * 1000)
            if round_ == 0:
                timing.totals.append(total)
    return timing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="number of campaigns to generate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the mix (embedded index)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)

    report: dict[str, Any] = {"rows": args.rows, "seed": args.seed,
                              "runtime": runtime()}
    say = (lambda *_: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))

    start = time.perf_counter()
    df = build_frame(args.rows, args.seed)
    docs = documents(df)
    report["generate_s"] = round(time.perf_counter() - start, 2)
    say(f"generated {len(df):,} campaigns in {report['generate_s']} s")
    cases = query_mix(max(df["launch_date"]))

    with tempfile.TemporaryDirectory(prefix="competiscan-bench-") as tmp:
        index = EmbeddedIndex(Path(tmp) / "index")
        start, cpu = time.perf_counter(), time.process_time()
        index.add(docs)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        report["index_docs_per_s"] = round(len(docs) / seconds)
        report["index_cpu_s"] = round(cpu, 1)
        say(f"embedded index: {len(docs):,} documents in {seconds:.1f} s ({report['index_docs_per_s']:,}/s, "
            f"{cpu:.1f} s CPU)")
        del docs

        timings = [run_mix("embedded", lambda r: index.search(r).total, cases, args.repeat, warm=True)]
        say("embedded mix done")
        scan = PandasScan(df)
        timings.append(run_mix("pandas", scan.search, cases, 1, warm=False))
        say("pandas mix done")
        start = time.perf_counter()
        fts = SqliteFts(df, Path(tmp) / "fts.sqlite")
        report["fts5_load_s"] = round(time.perf_counter() - start, 1)
        say(f"FTS5 table loaded in {report['fts5_load_s']} s")
        timings.append(run_mix("sqlite_fts5", fts.search, cases, 1, warm=False))
        fts.con.close()

    base = timings[0]
    report["queries"] = len(cases)
    report["engines"] = {
        t.engine: {
            "p50_ms": round(t.p50, 2),
            "p95_ms": round(t.p95, 2),
            "max_ms": round(max(t.latencies_ms), 2),
            "p50_ratio": round(t.p50 / base.p50, 1),
            "p95_ratio": round(t.p95 / base.p95, 1),
        }
        for t in timings
    }
    report["per_query"] = [
        {"label": c.label, "query": c.request.query, **{f"{t.engine}_total": t.totals[i] for t in timings}}
        for i, c in enumerate(cases)
    ]
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"\n{args.rows:,} campaigns, {len(cases)} searches (20 highlighted hits + 5 facets each)")
    print(f"{'engine':<14}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'p50 ×':>9}{'p95 ×':>9}")
    for name, r in report["engines"].items():
        print(f"{name:<14}{r['p50_ms']:>10.1f}{r['p95_ms']:>10.1f}{r['max_ms']:>10.1f}{r['p50_ratio']:>9.1f}{r['p95_ratio']:>9.1f}")
    print(f"indexing: {report['index_docs_per_s']:,} docs/s ({report['index_cpu_s']} s CPU, all threads; "
          f"{report['runtime']})")
    return 0


if __name__ == "__main__":
    use_jemalloc()   # as the command line and `make run` run (see competiscan/allocator.py)
    sys.exit(main())
