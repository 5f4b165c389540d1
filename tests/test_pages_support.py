"""Shared by the page tests (test_pages_*.py): a real store and index with known campaigns, and
an AppTest opened on one page through the app's router.

Pages link to each other with st.page_link, which only resolves under st.navigation, so a page
is opened by running app.py and switching to it (what a browser does), not run on its own.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from competiscan.generate import generate_campaigns
from competiscan.settings import load_settings
from competiscan.workbench import Workbench
from actors import TESTER

ROOT = Path(__file__).resolve().parents[1]

# Hand-written pieces the tests look for by title; generated ones give the analyses volume.
KNOWN = [
    ("Chase", "email", "acquisition", "Chase Freedom Unlimited", "0% intro APR for 15 months",
     "Earn 5% cash back on travel. 0% intro APR for 15 months. No annual fee. Apply now.",
     "2024-01-15"),
    ("Chase", "direct_mail", "acquisition", "Chase Sapphire Preferred", "60,000 bonus points",
     "Earn 60,000 bonus points after you spend $4,000 in the first 3 months. $95 annual fee.",
     "2024-02-05"),
    ("Citi", "display", "acquisition", "Citi Simplicity", "",
     "0% intro APR on balance transfers for 21 months. Intro balance transfer fee of 3%.",
     "2024-01-20"),
    ("Citi", "email", "promotional", "Citi Double Cash", "Earn 2% cash back",
     "Earn 2% cash back on every purchase: 1% when you buy and 1% as you pay.", "2024-02-12"),
    ("Discover", "sms", "retention", "We miss you at Discover", "",
     "Come back to Discover: 5% cash back in rotating categories this quarter.", "2024-03-04"),
    ("Capital One", "direct_mail", "acquisition", "Quicksilver Cash Rewards",
     "You're pre-approved", "Earn unlimited 1.5% cash back on every purchase. 0% intro APR "
     "for 15 months. No annual fee.", "2024-01-29"),
    # Markdown and HTML in user text: must show as typed, never be interpreted.
    ("Wells Fargo", "display", "promotional", "Save *big* <b>now</b> [here](http://x.test)",
     "", "Get $50 and then $100 back <script>alert(1)</script> with :red[colour]",
     "2024-03-18"),
]
KNOWN_COLUMNS = ["company_name", "channel", "campaign_type", "title", "subject_line", "content",
                 "launch_date"]


def known_frame() -> pd.DataFrame:
    return pd.DataFrame(KNOWN, columns=KNOWN_COLUMNS)


def fixture_csv() -> bytes:
    generated = generate_campaigns(300, seed=7, end=date(2024, 6, 30), months=6)
    frame = pd.concat([known_frame(), generated[KNOWN_COLUMNS]], ignore_index=True)
    return frame.to_csv(index=False).encode()


def csv_of(rows: list[dict[str, Any]]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode()


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workbench]:
    """Point the app at a fresh DuckDB store, index and inbox holding the fixture campaigns.

    Yields a Workbench on the same store for assertions. It is the app's own cached Workbench
    (one process may hold one index writer), so what a test writes the pages see.
    """
    monkeypatch.setenv("COMPETISCAN_DATABASE_URL", f"duckdb:///{tmp_path / 'store.duckdb'}")
    monkeypatch.setenv("COMPETISCAN_SEARCH_URL", str(tmp_path / "index"))
    monkeypatch.setenv("COMPETISCAN_INBOX", str(tmp_path / "inbox"))
    # Ingested before the app opens the store, so the app's first start (which loads the
    # sample file into an empty store) finds an upload and leaves the store as it is.
    loader = Workbench(load_settings(), create=True)
    report = loader.campaigns.ingest(TESTER, fixture_csv(), "fixture.csv")
    loader.close()
    assert report.status == "committed", report.message
    st.cache_resource.clear()
    st.cache_data.clear()
    from competiscan.ui.resources import get_workbench

    workbench = get_workbench()
    yield workbench
    workbench.close()
    st.cache_resource.clear()
    st.cache_data.clear()


def open_page(page: str, params: dict[str, str | list[str]] | None = None) -> AppTest:
    """Run the app, switch to ``views/<page>.py`` with ``params`` in the URL, and return it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(f"views/{page}.py")
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements: Any) -> list[str]:
    return [str(e.value) for e in elements]


def page_links(at: AppTest) -> list[Any]:
    """st.page_link elements (AppTest cannot click them; their proto has label and target)."""
    return [e.proto for e in at.get("page_link")]


def chart_specs(at: AppTest) -> list[dict[str, Any]]:
    """Plotly figures as dicts (AppTest gives them only as a JSON spec)."""
    return [json.loads(e.proto.spec) for e in at.get("plotly_chart")]


def dataframes(at: AppTest) -> list[pd.DataFrame]:
    return [e.value for e in at.dataframe]


def campaign_tables(at: AppTest) -> list[pd.DataFrame]:
    """Tables of campaigns: their id column holds links to the campaign page."""
    return [f for f in dataframes(at) if "id" in f.columns and len(f)
            and f["id"].astype(str).str.startswith("campaign?id=").all()]


# "None", "nan" or "NaT" where a value is missing; "None of these…" is a sentence.
_LITERAL_NONE = re.compile(r"\b(?:None(?! of\b)|nan|NaN|NaT)\b")


def assert_no_literal_none(at: AppTest) -> None:
    """No text on the page reads None, nan or NaT, and every table with a missing value says
    what stands in for it (st.dataframe draws "None" otherwise)."""
    shown = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption",
                                       "text", "info", "warning", "success", "error")
             for e in getattr(at, kind)]
    shown += [f"{m.label} {m.value}" for m in at.metric]
    for text in shown:
        assert not _LITERAL_NONE.search(text), text
    for table in at.dataframe:
        frame = table.value
        cells = frame.astype(object).to_numpy().ravel().tolist() + list(map(str, frame.columns))
        assert not [c for c in cells if isinstance(c, str) and _LITERAL_NONE.fullmatch(c)], frame
        if frame.isna().to_numpy().any():
            assert table.proto.HasField("placeholder"), (table.proto.id, frame)
