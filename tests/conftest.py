"""Shared fixtures: real stores on DuckDB and PostgreSQL, real files, no mocks.

PostgreSQL: COMPETISCAN_TEST_PG_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/. Each
test session gets its own database; each test starts from an empty schema. Under CI=true a
backend that cannot run fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from competiscan.settings import Settings
from competiscan.store import open_store

DATA = Path(__file__).parent / "data"
PG_SERVER = os.environ.get("COMPETISCAN_TEST_PG_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"PostgreSQL is required under CI but unavailable: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def pg_database_url() -> str:
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    name = f"competiscan_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        _unavailable(str(exc.orig).strip().splitlines()[0])
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_pg(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["duckdb", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A URL of an empty database, once per backend."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'store.duckdb'}"
    url = request.getfixturevalue("pg_database_url")
    _reset_pg(url)
    return url


@pytest.fixture
def store(database_url):
    s = open_store(database_url, create=True)
    yield s
    s.close()


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return Settings(database_url=database_url, search_url=str(tmp_path / "index"),
                    inbox=tmp_path / "inbox", root=tmp_path)
