"""`competiscan` command line: argument parsing and printing around the library, nothing more.

Errors a user can cause print one line saying what was wrong and exit non-zero; no tracebacks.
"""

from __future__ import annotations

import argparse
import json
import runpy
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:
    from .model import Actor, CampaignFilter
    from .workbench import Workbench

__all__ = ["main"]


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _print_json(payload: Any) -> None:
    print(json.dumps(payload, default=_json_default, ensure_ascii=False, indent=2))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _actor(args: argparse.Namespace) -> "Actor":
    """Who acts from the command line: the operating-system user (an admin: whoever runs the
    command holds the store's files or credentials), or ``--as NAME`` where the settings allow
    it, with the role the settings give that name."""
    import getpass
    from .model import Actor, PermissionDenied, is_listed, role_for
    from .settings import load_settings
    if not args.acting_as:
        try:
            return Actor(name=getpass.getuser(), role="admin")
        except (KeyError, OSError):  # no name for this uid (e.g. a bare container)
            return Actor(name="command line", role="admin")
    settings = load_settings()
    name = args.acting_as.strip().lower()
    if not is_listed(name, settings.cli_as):
        raise PermissionDenied(f"--as {name}: the command line may act only as the names in "
                               "COMPETISCAN_CLI_AS, which does not list it.")
    return Actor(name=name, role=role_for(name, settings.admins, settings.analysts))


def _workbench(write: bool = False) -> "Workbench":
    """The Workbench of the settings; ``write``: a command that changes data sets up the store
    first (creates or upgrades its tables), a reading command leaves it as it is."""
    from .workbench import Workbench
    return Workbench(create=write)


def _add_filter_options(p: argparse.ArgumentParser, *, companies: bool = True) -> None:
    """The campaign filter as options (each repeatable)."""
    if companies:
        p.add_argument("--company", action="append", default=[], help="repeatable")
    p.add_argument("--product", action="append", default=[],
                   help="a product as the catalogue names it; repeatable")
    p.add_argument("--channel", action="append", default=[], help="repeatable")
    p.add_argument("--type", action="append", default=[], help="campaign type; repeatable")
    p.add_argument("--industry", action="append", default=[], help="repeatable")
    p.add_argument("--from", dest="date_from", type=_date, help="first launch date, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=_date, help="last launch date, YYYY-MM-DD")


def _filter(args: argparse.Namespace) -> "CampaignFilter":
    from .model import CampaignFilter
    return CampaignFilter(companies=getattr(args, "company", ()), products=args.product,
                          channels=args.channel,
                          campaign_types=args.type, industries=args.industry,
                          date_from=args.date_from, date_to=args.date_to)


def _table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    if not rows:
        return "(none)"
    # a missing value (None, NaN, NaT) is an empty cell, never "None" or "nan"
    cells = [[str(r[c]) if r.get(c) is not None and r[c] == r[c] else "" for c in columns]
             for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ commands
def cmd_generate(args: argparse.Namespace) -> int:
    from .workbench import generate_sample
    if args.rows < 1:
        raise CliError("--rows must be at least 1")
    count = generate_sample(args.rows, Path(args.out), seed=args.seed)
    print(f"wrote {count:,} campaigns to {args.out}", file=sys.stderr)
    return 0


def _read_file(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise CliError(f"{path}: no such file")
    return p.read_bytes()


def _report_lines(report, inserted: str = "inserted", resighted: str = "re-sighted"
                  ) -> list[str]:
    lines = [f"{report.filename}: {report.status}"
             + (f" — {report.message}" if report.message else "")]
    lines.append(f"  rows read {report.rows_read:,}, {inserted} {report.inserted:,}, "
                 f"{resighted} {report.resighted:,}, duplicates {report.duplicates:,}, "
                 f"rejected {report.rejected_count:,}"
                 + (f", batch {report.batch_id}" if report.batch_id else ""))
    for issue in report.rejected[:50]:
        where = f"{report.row_label} {issue.row}" + (f", column {issue.column}"
                                                     if issue.column else "")
        shown = f" ({issue.value!r})" if issue.value is not None else ""
        lines.append(f"  rejected {where}: {issue.reason}{shown}")
    if len(report.rejected) > 50:
        lines.append(f"  … and {len(report.rejected) - 50:,} more rejected rows (use --json)")
    for issue in report.warnings[:20]:
        lines.append(f"  warning {report.row_label} {issue.row}, column {issue.column}: "
                     f"{issue.reason}")
    return lines


def cmd_validate(args: argparse.Namespace) -> int:
    from .workbench import validate_file
    report = validate_file(_read_file(args.file), Path(args.file).name)
    if args.json:
        payload = report.to_dict()
        for stored_only in ("batch_id", "indexed"):
            payload.pop(stored_only, None)
        payload["would_insert"] = payload.pop("inserted")
        payload["would_resight"] = payload.pop("resighted")
        _print_json(payload)
    else:
        print("\n".join(_report_lines(report, inserted="would insert",
                                       resighted="repeated sightings")))
        print("  nothing was stored (validate only checks the file)")
    return 0 if report.status == "valid" else 1


def cmd_convert(args: argparse.Namespace) -> int:
    from .workbench import convert_file
    source = Path(args.input)
    if not source.is_file():
        raise CliError(f"{args.input}: no such file")
    count = convert_file(source, Path(args.output))
    print(f"wrote {count:,} rows to {args.output}", file=sys.stderr)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    wb = _workbench(write=True)
    actor = _actor(args)
    status = 0
    reports = []
    for path in args.files:
        data = _read_file(path)
        report = wb.campaigns.ingest(actor, data, Path(path).name, source="cli",
                                     enrich=not args.no_enrich)
        reports.append(report)
        if report.status != "committed":
            status = 1
    # The report is JSON whether or not --json is given: it is what scripts read.
    payloads = [r.to_dict() for r in reports]
    _print_json(payloads[0] if len(payloads) == 1 else payloads)
    return status


def _inbox_line(result: Any) -> str:
    """One file the inbox worker handled, for people."""
    if result.status == "committed":
        what = (f"imported as upload {result.batch_id}: {result.inserted:,} new, "
                f"{result.resighted:,} re-sighted, {result.rejected:,} rejected")
    elif result.status == "already_imported":
        what = result.message or f"already imported as upload {result.batch_id}"
    else:
        what = f"{result.status.replace('_', ' ')}: {result.message}"
    return f"{result.filename}: {what}" + (f" -> {result.moved_to}" if result.moved_to else "")


def cmd_watch(args: argparse.Namespace) -> int:
    import signal
    import threading
    from dataclasses import asdict
    from .workbench import INBOX_WORKER, InboxError
    wb = _workbench(write=True)

    def show(results: list[Any]) -> None:
        for result in results:
            print(json.dumps(asdict(result), default=_json_default, ensure_ascii=False)
                  if args.json else _inbox_line(result), flush=True)

    stop = threading.Event()
    try:
        if args.once:
            results = wb.inbox.scan(INBOX_WORKER)
            if args.json:
                _print_json([asdict(r) for r in results])
            else:
                show(results)
                if not results:
                    print("nothing waiting in the inbox", file=sys.stderr)
            return 1 if any(r.status == "retry" for r in results) else 0
        for signum in (signal.SIGTERM, signal.SIGINT):   # finish the current file, then stop
            signal.signal(signum, lambda *_: stop.set())
        print(f"watching {wb.inbox.folder} every {wb.inbox.poll_seconds:g} s "
              "(Ctrl-C or SIGTERM stops)", file=sys.stderr, flush=True)
        wb.inbox.watch(INBOX_WORKER, stop, on_pass=show)
        return 0
    except InboxError as exc:
        raise CliError(str(exc)) from None
    finally:
        wb.close()


def cmd_batches(args: argparse.Namespace) -> int:
    rows = _workbench().campaigns.batches(limit=args.limit)
    if args.json:
        _print_json(rows)
    else:
        print(_table(rows, ["id", "created_at", "source", "filename", "inserted", "resighted",
                            "duplicates", "rejected", "status"]))
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    result = _workbench(write=True).campaigns.undo(_actor(args), args.batch_id)
    payload = {"batch_id": args.batch_id, "removed_campaigns": result.deleted,
               "index_error": result.error}
    if args.json:
        _print_json(payload)
    else:
        print(f"undid batch {args.batch_id}: {result.deleted:,} campaigns removed"
              + (f"; search index not updated: {result.error}" if result.error else ""))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    wb = _workbench(write=True)
    summary = wb.campaigns.summary()
    if args.json:
        _print_json({"store": wb.describe_store(),
                     "campaigns": summary["campaigns"]})
    else:
        print(f"{wb.describe_store()} is ready: {summary['campaigns']:,} campaigns")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .workbench import run_checks
    checks = run_checks()
    if args.json:
        _print_json(checks)
    else:
        for check in checks:
            mark = {"ok": "ok ", "off": "-- ", "fail": "!! "}[check["status"]]
            print(f"{mark} {check['part']}: {check['detail']}")
    return 0 if all(c["status"] != "fail" for c in checks) else 1


def cmd_reindex(args: argparse.Namespace) -> int:
    wb = _workbench(write=True)
    result = wb.index.rebuild(_actor(args))
    if result.error:
        raise CliError(f"reindex failed after {result.indexed:,} campaigns: {result.error}")
    counts = wb.index.consistency()
    if args.json:
        _print_json({"indexed": result.indexed, "store": counts.store, "index": counts.index,
                     "missing_from_index": counts.missing_from_index,
                     "stale_in_index": counts.stale_in_index})
    else:
        print(f"indexed {result.indexed:,} campaigns; store {counts.store:,}, "
              f"index {counts.index:,}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from .workbench import SearchRequest
    req = SearchRequest(query=args.query, filter=_filter(args), sort=args.sort,
                        limit=args.limit)
    result = _workbench().searches.run(req)
    payload = {
        "total": result.total,
        "hits": [{"id": h.id, "company": h.company, "product": h.product, "channel": h.channel,
                  "campaign_type": h.campaign_type, "launch_date": h.launch_date,
                  "title": h.title, "snippet": h.snippet, "score": h.score}
                 for h in result.hits],
        "facets": result.facets,
    }
    if args.json:
        _print_json(payload)
    else:
        print(f"{result.total:,} campaigns match")
        print(_table(payload["hits"], ["id", "launch_date", "company", "channel", "title"]))
    return 0


def _trend_table(rows: list[dict[str, Any]]) -> str:
    """Trend rows for people: one line per period and key that saw something, shares as
    percentages."""
    shown = [{"period": r["period"], "key": r["key"], "campaigns": f"{r['count']:,}",
              "share": f"{r['share'] * 100:.1f}%"}
             for r in rows if r["count"]]
    if not shown:
        return "(no campaigns in this range)"
    return _table(shown, ["period", "key", "campaigns", "share"])


def cmd_trends(args: argparse.Namespace) -> int:
    wb = _workbench()
    where = _filter(args)
    if args.peers and where.companies:
        raise CliError("--peers and --company both choose the companies; use one of them")
    market = None
    if args.peers:
        market = wb.peers.market(_actor(args), args.peers)
    elif args.by == "company" and not where.companies:
        # Shares by company are shares of voice: of the user's peer set or an industry.
        market, _notes = wb.peers.choose_market(_actor(args), filters=where)
    series = wb.analytics.volume(args.by, args.interval, where, market=market)
    rows = series.to_records(["period", "key", "count", "share"])
    if args.json:
        _print_json([{**row, "market": series.market} for row in rows] if series.market
                    else rows)
    else:
        print(_trend_table(rows))
        if series.market:
            print(f"shares {series.market}", file=sys.stderr)
    return 0


def cmd_peers(args: argparse.Namespace) -> int:
    wb = _workbench(write=args.action != "list")
    actor = _actor(args)
    if args.action == "list":
        peer_sets = [{"id": p.id, "name": p.name, "owner": p.owner, "shared": p.shared,
                      "companies": list(p.companies)} for p in wb.peers.list(actor)]
        if args.json:
            _print_json(peer_sets)
        else:
            print(_table([{**p, "shared": "yes" if p["shared"] else "no",
                           "companies": ", ".join(p["companies"])} for p in peer_sets],
                         ["id", "name", "owner", "shared", "companies"]))
        return 0
    if not args.name:
        raise CliError(f"peers {args.action} needs the peer set's NAME")
    if args.action == "delete":
        peer_set = wb.peers.get(actor, args.name)
        wb.peers.delete(actor, peer_set.id)
        print(f"deleted peer set “{peer_set.name}” ({len(peer_set.companies)} companies)")
        return 0
    companies = list(args.company)
    for industry in args.industry:
        group = next((g for g in wb.peers.industry_groups() if g.industry == industry), None)
        if group is None:
            raise CliError(f"--industry {industry}: no campaigns of that industry are stored")
        companies += group.companies
    if not companies:
        raise CliError("peers save needs its companies: --company C (repeatable) or "
                       "--industry I")
    peer_set_id = wb.peers.save(actor, args.name, companies, shared=args.shared)
    saved = wb.peers.get(actor, peer_set_id)
    if args.json:
        _print_json({"id": saved.id, "name": saved.name, "companies": list(saved.companies),
                     "shared": saved.shared})
    else:
        print(f"saved peer set {saved.id} “{saved.name}”: {', '.join(saved.companies)}")
    return 0


def _offers_table(rows: list[dict[str, Any]]) -> str:
    from .labels import format_offer, offer_label
    lines = []
    for row in rows:
        name = row["company"] + (f" · {row['product']}" if row.get("product") else
                                 " · pieces naming no product")
        if not row["terms"]:
            lines.append(f"{row['company']}: no offer terms in pieces seen recently")
            continue
        lines.append(f"{name} (pieces seen {row['since']} to {row['as_of']})")
        table = [{"term": offer_label(t["term"], t["unit"]),
                  "best": format_offer(t["term"], t["value"], t["unit"]),
                  "typical": format_offer(t["term"], t["typical"], t["unit"]),
                  "pieces": f"{t['pieces']:,}", "shown in": f"campaign {t['id']}"}
                 for t in row["terms"]]
        lines.extend("  " + line for line in _table(table, ["term", "best", "typical",
                                                            "pieces", "shown in"]).splitlines())
    return "\n".join(lines) or "(no companies)"


def cmd_offers(args: argparse.Namespace) -> int:
    from .model import CampaignFilter
    rows = _workbench().analytics.current_offers(
        CampaignFilter(companies=args.company, products=args.product))
    if args.json:
        _print_json(rows)
    else:
        print(_offers_table(rows))
    return 0


def cmd_products(args: argparse.Namespace) -> int:
    wb = _workbench(write=args.action != "list")
    actor = _actor(args)
    if args.action == "list":
        return _list_products(wb, args)
    if args.action == "relink":
        result = wb.products.relink(actor, args.company)
    else:
        if len(args.company) != 1 or not args.name:
            raise CliError(f"products {args.action} needs one --company and the product's "
                           "NAME")
        if args.action == "add":
            result = wb.products.add(actor, args.company[0], args.name, args.kind, args.alias)
        else:
            result = wb.products.remove(actor, args.company[0], args.name)
    if args.json:
        _print_json(result)
    else:
        print(f"linked {result['read']:,} pieces again; {result['changed']:,} changed product")
    return 0


def _list_products(wb: "Workbench", args: argparse.Namespace) -> int:
    companies = args.company or sorted({p.company for p in wb.products.catalogue()})
    rows = []
    for company in companies:
        pieces: dict[str, int] = {}
        for r in wb.products.coverage(company).by_product:
            if r["product"] is not None:
                pieces[r["product"]] = pieces.get(r["product"], 0) + r["pieces"]
        named = {p.name: p for p in wb.products.catalogue(company)}
        for name in [*named, *sorted(set(pieces) - set(named))]:
            product = named.get(name)
            rows.append({"company": company, "product": name,
                         "kind": product.kind if product else "",
                         "aliases": list(product.aliases) if product else [],
                         "in catalogue": product is not None, "pieces": pieces.get(name, 0)})
    if args.json:
        _print_json(rows)
    else:
        print(_table([{**r, "aliases": ", ".join(r["aliases"]),
                       "in catalogue": "yes" if r["in catalogue"] else "no (found by rule)",
                       "pieces": f"{r['pieces']:,}"} for r in rows],
                     ["company", "product", "kind", "pieces", "in catalogue", "aliases"]))
    return 0


def cmd_enrich(args: argparse.Namespace) -> int:
    if args.file:
        if not args.out:
            raise CliError("--file needs --out OUT.jsonl")
        summary = _workbench().enrichment.enrich_file(Path(args.file), Path(args.out),
                                                      provider=args.provider)
    else:
        limits = {k: v for k, v in (("budget_requests", args.max_requests),
                                    ("budget_tokens", args.max_tokens)) if v is not None}
        progress = None if args.json else _stderr_progress
        summary = _workbench(write=True).enrichment.run(
            _actor(args), provider=args.provider, only_pending=not args.all, progress=progress,
            limits=limits)
    if args.json:
        _print_json(summary)
    else:
        print(summary.get("message") or json.dumps(summary, default=_json_default))
    return 0


def _stderr_progress(done: int, total: int) -> None:
    print(f"\renriched {done:,}/{total:,}", end="" if done < total else "\n", file=sys.stderr,
          flush=True)


def cmd_export(args: argparse.Namespace) -> int:
    from .workbench import SearchRequest
    request = SearchRequest(query=args.query, filter=_filter(args))
    count = _workbench().searches.export(_actor(args), Path(args.out), request)
    print(f"wrote {count:,} campaigns to {args.out}", file=sys.stderr)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from datetime import datetime, time
    since = datetime.combine(args.since, time()) if args.since else None
    entries = _workbench().audit.entries(_actor(args), user=args.user, action=args.action,
                                         since=since, limit=args.limit)
    if args.json:
        _print_json([{"at": e.at, "user": e.user, "role": e.role, "action": e.action,
                      "target": e.target, "result": e.result, "detail": e.detail}
                     for e in entries])
    else:
        from .workbench import Audit
        rows = Audit.frame(entries).to_dict("records")
        for row in rows:
            row["at"] = f"{row['at']:%Y-%m-%d %H:%M:%S}"
        print(_table(rows, ["at", "user", "role", "action", "target", "result", "detail"]))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .settings import PROJECT_ROOT
    script = PROJECT_ROOT / "bench" / f"{args.which}.py"
    if not script.is_file():
        raise CliError(f"no benchmark {args.which!r} (looked for {script})")
    sys.argv = [str(script), *args.rest]
    sys.path.insert(0, str(script.parent))  # as `python bench/NAME.py` has it
    runpy.run_path(str(script), run_name="__main__")
    return 0


# ------------------------------------------------------------------------------ parser
Adder = Callable[..., argparse.ArgumentParser]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="competiscan",
        description="Competitive-marketing intelligence: ingest, search and analyse campaigns.")
    parser.add_argument("--as", dest="acting_as", metavar="NAME",
                        help="act as this user (where COMPETISCAN_CLI_AS allows it); the "
                             "audit trail records them")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help: str,
            json_flag: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON")
        return p

    _file_commands(add)
    _store_commands(add)
    _analysis_commands(add)
    p = add("bench", cmd_bench, "run a benchmark from bench/ (ingest, search, enrich, "
                                "analytics, pages)", False)
    p.add_argument("which")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _file_commands(add: Adder) -> None:
    """Commands on files that store nothing."""
    p = add("generate", cmd_generate, "write realistic sample campaigns to a file", False)
    p.add_argument("out", help="output file; format from the extension "
                               "(.csv .json .jsonl .xlsx .parquet)")
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)

    p = add("validate", cmd_validate, "check a file without storing it (exit 1 if any row is bad)")
    p.add_argument("file")

    p = add("convert", cmd_convert, "convert a campaign file between formats", False)
    p.add_argument("input")
    p.add_argument("output")


def _store_commands(add: Adder) -> None:
    """Commands that write to the store, or look after it."""
    add("init", cmd_init, "create the store, or upgrade its tables, and load the company "
                          "catalogue (the app does this when it starts)")
    p = add("ingest", cmd_ingest, "load files into the store and the search index")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--no-enrich", action="store_true", help="skip local enrichment")

    p = add("batches", cmd_batches, "list upload batches")
    p.add_argument("--limit", type=int, default=50)

    p = add("undo", cmd_undo, "remove exactly what an upload batch added")
    p.add_argument("batch_id", type=int)

    p = add("watch", cmd_watch, "work the inbox folder: import each file dropped there once, "
                                "until stopped (SIGTERM, Ctrl-C)")
    p.add_argument("--once", action="store_true", help="one pass over the inbox, then exit")

    add("doctor", cmd_doctor, "what is configured and reachable: store, search, OpenAI")
    add("reindex", cmd_reindex, "rebuild the search index from the store")

    p = add("audit", cmd_audit, "who did what and when (admins): uploads, undos, enrichment "
                                "runs, saved searches, exports, sign-ins")
    p.add_argument("--user", help="only this user")
    p.add_argument("--action", help="only this action (upload, undo, enrich, export, "
                                    "saved_search.create, ...)")
    p.add_argument("--since", type=_date, help="from this day on, YYYY-MM-DD")
    p.add_argument("--limit", type=int, default=1000)

    p = add("enrich", cmd_enrich, "enrich stored campaigns, or a file into JSON Lines")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--pending", action="store_true", help="only campaigns not yet "
                       "enriched by the provider (default)")
    group.add_argument("--all", action="store_true", help="every campaign")
    p.add_argument("--provider", choices=["local", "openai"], default="local")
    p.add_argument("--max-requests", type=int, help="openai: stop after this many requests")
    p.add_argument("--max-tokens", type=int, help="openai: stop once this many tokens are used")
    p.add_argument("--file", help="enrich the records of this upload file without storing them")
    p.add_argument("--out", help="with --file: the JSON Lines file to write")


def _analysis_commands(add: Adder) -> None:
    """Commands that read: search, analyses, exports."""
    p = add("search", cmd_search, "search campaigns with the query language")
    p.add_argument("query")
    _add_filter_options(p)
    p.add_argument("--sort", choices=["relevance", "date"], default="relevance")
    p.add_argument("--limit", type=int, default=20)

    p = add("trends", cmd_trends, "campaign volume and share over time")
    p.add_argument("--by", choices=["company", "product", "channel", "type", "industry"], default="company")
    p.add_argument("--interval", choices=["day", "week", "month"], default="week")
    p.add_argument("--peers", metavar="NAME",
                   help="measure shares against this peer set (its name or id), "
                        "industry:CODE or all; by default your first peer set, else the "
                        "industry with most pieces")
    _add_filter_options(p)

    p = add("peers", cmd_peers, "list, save or delete peer sets: the companies shares of "
                                "voice are measured against")
    p.add_argument("action", choices=["list", "save", "delete"])
    p.add_argument("name", nargs="?", metavar="NAME", help="the peer set (save, delete)")
    p.add_argument("--company", action="append", default=[],
                   help="save: a company of the set (any known spelling); repeatable")
    p.add_argument("--industry", action="append", default=[],
                   help="save: every company of this industry with campaigns; repeatable")
    p.add_argument("--shared", action="store_true", help="save: share it with the team")

    p = add("offers", cmd_offers, "best current offer terms per company and product")
    p.add_argument("--company", action="append", default=[], help="repeatable")
    p.add_argument("--product", action="append", default=[],
                   help="only this product (as the catalogue names it); repeatable")

    from .model import PRODUCT_KINDS
    p = add("products", cmd_products, "the product catalogue: list, add, remove, relink")
    p.add_argument("action", choices=("list", "add", "remove", "relink"))
    p.add_argument("name", nargs="?", metavar="NAME", help="the product (add, remove)")
    p.add_argument("--company", action="append", default=[],
                   help="the product's company; list/relink: only these (repeatable)")
    p.add_argument("--kind", default="card", choices=PRODUCT_KINDS, help="add: what it is")
    p.add_argument("--alias", action="append", default=[],
                   help="add: another spelling seen in copy (repeatable)")

    p = add("export", cmd_export, "export campaigns (all, or a search's results)", False)
    p.add_argument("out", help="output file: .csv or .xlsx")
    p.add_argument("--query", default="", help="only campaigns matching this search")
    _add_filter_options(p)


def main(argv: Sequence[str] | None = None) -> int:
    from .errors import USER_ERRORS
    if argv is None:   # the console script, not a caller in this process
        from .allocator import use_jemalloc
        use_jemalloc()   # returns here unless it re-executed this command with jemalloc
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"competiscan: {exc}", file=sys.stderr)
        return 2
    except USER_ERRORS as exc:
        print(f"competiscan: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `competiscan ... | head` closed the pipe: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("competiscan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
