"""How fast the pages are at scale: server-side run time (cold and warm), first paint, memory.

    python bench/pages.py --rows 100000 [--json] [--no-enrich] [--rebuild]

1. A DuckDB store and search index of --rows generated campaigns (kept in
   bench/results/pages-<rows>[-plain]/ and reused; --rebuild makes it again), with one saved
   search so Live and Home have alerts to check.
2. Server-side run time of every page with typical link parameters, through AppTest: "cold" is
   the first run after clearing the data caches (the Workbench stays open, as in a running
   server), "warm" the rerun after it, the median of --repeat reruns.
3. First paint: from starting `streamlit run` to the Home page's title in chromium, and to its
   content (store counts and newest pieces).
4. Memory: resident size of the streamlit process after chromium visited every page.

Goals at 1M campaigns: warm rerun <= 300 ms per page, first paint <= 3 s, memory <= 1 GB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_helpers import (app_env, chromium_missing, launch_chromium, rss_bytes,  # noqa: E402
                             streamlit_server, wait_idle)
from competiscan.model import Actor  # noqa: E402

TESTER = Actor(name="bench", role="admin")

# (name, page, URL parameters, text the page shows when it is done)
PAGES: list[tuple[str, str, dict[str, Any], str]] = [
    ("home", "home", {}, "Newest pieces"),
    ("search", "search", {"q": '"0% APR"'}, "campaigns match"),
    ("search:filtered", "search", {"q": "cash back", "channel": "email",
                                   "cash_back_pct_min": "3"}, "campaigns match"),
    ("trends:volume", "trends", {}, "Download the chart"),
    ("trends:share_of_voice", "trends", {"view": "share_of_voice"}, "Download the chart"),
    ("trends:offers", "trends", {"view": "offers", "term": "cash_back_pct",
                                 "interval": "month"}, "Changes of the best offer"),
    ("trends:anomalies", "trends", {"view": "anomalies"}, "How anomalies are found"),
    ("trends:forecast", "trends", {"view": "forecast"}, "Back-test"),
    ("competitors:profile", "competitors", {"company": "Chase"}, "Latest pieces"),
    ("competitors:compare", "competitors", {"mode": "compare", "company": [
        "Chase", "Citi", "Discover", "Capital One"]}, "Positioning"),
    ("live", "live", {"paused": "1"}, "Arrived since you opened this page"),
    ("upload", "upload", {}, "Upload history"),
    ("campaign", "campaign", {"id": "1"}, "Similar campaigns"),
]


def build_store(folder: Path, rows: int, seed: int, enrich: bool) -> dict[str, float]:
    from competiscan.generate import generate_campaigns
    from competiscan.settings import load_settings
    from competiscan.workbench import SearchRequest, Workbench

    folder.mkdir(parents=True, exist_ok=True)
    env = app_env(folder / "store.duckdb", folder / "index", folder / "inbox")
    workbench = Workbench(load_settings(environ=env), create=True)
    started = time.perf_counter()
    data = generate_campaigns(rows, seed=seed).to_csv(index=False).encode()
    generated = time.perf_counter()
    report = workbench.campaigns.ingest(TESTER, data, f"generated-{rows}.csv", source="bench", enrich=enrich)
    ingested = time.perf_counter()
    workbench.searches.save(TESTER, "0% APR offers", SearchRequest(query='"0% APR"'))
    stored = workbench._store.count()
    workbench.close()
    if report.status != "committed":
        raise SystemExit(f"the bench store could not be built: {report.message}")
    return {"generate_s": generated - started, "ingest_s": ingested - generated,
            "campaigns": stored}


def server_side(env: dict[str, str], repeat: int) -> list[dict[str, Any]]:
    """Cold and warm AppTest run time of every page, in this process."""
    import os

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ.update({k: env[k] for k in ("COMPETISCAN_DATABASE_URL",
                                           "COMPETISCAN_SEARCH_URL", "COMPETISCAN_INBOX")})
    st.cache_resource.clear()
    st.cache_data.clear()
    results = []
    for name, page, params, _done in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.run()
        at.switch_page(f"views/{page}.py")
        for key, value in params.items():
            at.query_params[key] = value
        st.cache_data.clear()
        started = time.perf_counter()
        at.run()
        cold = time.perf_counter() - started
        if at.exception:
            raise SystemExit(f"{name}: {[e.value for e in at.exception]}")
        warm = []
        for _ in range(repeat):
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
        results.append({"page": name, "cold_ms": cold * 1000,
                        "warm_ms": statistics.median(warm) * 1000,
                        "warm_max_ms": max(warm) * 1000})
    from competiscan.ui.resources import get_workbench
    get_workbench().close()  # release the DuckDB file for the server measured next
    st.cache_resource.clear()
    return results


def browser_side(env: dict[str, str]) -> dict[str, Any]:
    """First paint of Home after `streamlit run`, then memory after visiting every page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        started = time.perf_counter()
        with streamlit_server(env) as (base, process):
            page.goto(base + "/")
            page.get_by_role("heading", name="Competiscan").wait_for(timeout=120_000)
            first_paint = time.perf_counter() - started
            page.get_by_text("Newest pieces").wait_for(timeout=120_000)
            home_ready = time.perf_counter() - started
            visits = {}
            for name, url_path, params, done in PAGES:
                path = "" if url_path == "home" else url_path
                query = urlencode(params, doseq=True)
                opened = time.perf_counter()
                page.goto(f"{base}/{path}" + (f"?{query}" if query else ""))
                page.get_by_text(done).first.wait_for(state="attached", timeout=300_000)
                wait_idle(page, timeout=300_000)
                visits[name] = (time.perf_counter() - opened) * 1000
            rss = rss_bytes(process.pid)
        browser.close()
    return {"first_paint_s": first_paint, "home_ready_s": home_ready, "rss_mb": rss / 2**20,
            "browser_page_ms": visits}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5, help="warm reruns per page")
    parser.add_argument("--no-enrich", dest="enrich", action="store_false",
                        help="store without local enrichment (faster to build; sentiment and "
                             "offer views are then empty)")
    parser.add_argument("--rebuild", action="store_true", help="build the store again")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    folder = ROOT / "bench" / "results" / f"pages-{args.rows}{'' if args.enrich else '-plain'}"
    build: dict[str, Any] = {"reused": True}
    if args.rebuild or not (folder / "store.duckdb").exists():
        import shutil
        shutil.rmtree(folder, ignore_errors=True)
        build = build_store(folder, args.rows, args.seed, args.enrich)
    env = app_env(folder / "store.duckdb", folder / "index", folder / "inbox")

    result: dict[str, Any] = {"rows": args.rows, "enriched": args.enrich, "build": build,
                              "pages": server_side(env, args.repeat)}
    missing = chromium_missing()
    result["browser"] = {"skipped": missing} if missing else browser_side(env)

    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.rows:,} generated campaigns ({'enriched' if args.enrich else 'not enriched'}); "
          f"store {'reused' if build.get('reused') else 'built'}: {build}")
    print(f"{'page':<24}{'cold ms':>10}{'warm ms':>10}{'warm max':>10}")
    for row in result["pages"]:
        print(f"{row['page']:<24}{row['cold_ms']:>10.0f}{row['warm_ms']:>10.0f}"
              f"{row['warm_max_ms']:>10.0f}")
    browser = result["browser"]
    if "skipped" in browser:
        print(f"browser measurements skipped: {browser['skipped']}")
    else:
        print(f"first paint (Home's title) {browser['first_paint_s']:.2f} s, Home's content "
              f"{browser['home_ready_s']:.2f} s after `streamlit run`; streamlit RSS after "
              f"every page {browser['rss_mb']:,.0f} MB")
        print("in chromium (open URL to content, ms): " + ", ".join(
            f"{k} {v:,.0f}" for k, v in browser["browser_page_ms"].items()))


if __name__ == "__main__":
    main()
