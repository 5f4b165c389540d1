"""Settings: environment variables, else `.streamlit/secrets.toml`, else defaults.

This is the only module that reads ``os.environ``. Everything else receives a ``Settings``
(or, to start a process like this one, :func:`process_environment`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

__all__ = ["Settings", "load_settings", "process_environment", "PROJECT_ROOT", "SETTING_NAMES"]

# lib/competiscan/settings.py -> the checkout root, which holds data/ and .streamlit/
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# name -> (attribute, default, description). tests/test_docs.py checks that the README's
# settings table has a row for each.
SETTING_NAMES: dict[str, tuple[str, str | None, str]] = {
    "COMPETISCAN_DATABASE_URL": (
        "database_url",
        None,
        "Store. A SQLAlchemy URL: `duckdb:///path.duckdb` or `postgresql+psycopg://user@host/db`. "
        "Default: the DuckDB file `data/competiscan.duckdb`.",
    ),
    "COMPETISCAN_SEARCH_URL": (
        "search_url",
        None,
        "Search index. A folder path selects the embedded tantivy index (default `data/index`); "
        "an `http(s)://` URL selects Elasticsearch.",
    ),
    "OPENAI_API_KEY": ("openai_api_key", None, "Enables OpenAI enrichment when set."),
    "OPENAI_BASE_URL": (
        "openai_base_url",
        None,
        "Any OpenAI-compatible server (e.g. `http://127.0.0.1:8000/v1`). Default: OpenAI's.",
    ),
    "COMPETISCAN_OPENAI_MODEL": ("openai_model", "gpt-4o-mini", "Model used for enrichment."),
    "COMPETISCAN_INBOX": (
        "inbox",
        None,
        "Drop folder: each file put here becomes one batch, imported by the worker of each "
        "app process or by `competiscan watch` (default `data/inbox`).",
    ),
    "COMPETISCAN_INBOX_MAX_MB": (
        "inbox_max_mb",
        "200",
        "Largest file the inbox takes, in MB; a bigger one goes to `refused/` unread.",
    ),
    "COMPETISCAN_INBOX_POLL_SECONDS": (
        "inbox_poll_seconds",
        "5",
        "Seconds between two looks at the inbox by each worker.",
    ),
    "COMPETISCAN_HOST": (
        "host",
        "127.0.0.1",
        "Address `make run` listens on. The default serves this machine only; `0.0.0.0` opens "
        "the app to the network (set up sign-in first: docs/sign-in.md).",
    ),
    "COMPETISCAN_ADMINS": (
        "admins",
        None,
        "Signed-in users who are admins: comma-separated emails or whole `@domains`.",
    ),
    "COMPETISCAN_ANALYSTS": (
        "analysts",
        None,
        "Signed-in users who are analysts (upload, enrich, undo their own uploads): "
        "comma-separated emails or `@domains`. Everyone else signed in is a viewer.",
    ),
    "COMPETISCAN_CLI_AS": (
        "cli_as",
        None,
        "Who the command line may act as with `--as NAME`: comma-separated emails, `@domains` "
        "or `*`; the role then comes from the two settings above. Unset: `--as` is refused and "
        "commands act as the operating-system user, an admin.",
    ),
}


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved to concrete values."""

    database_url: str
    search_url: str
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    inbox: Path = field(default_factory=lambda: PROJECT_ROOT / "data" / "inbox")
    inbox_max_mb: float = 200.0
    inbox_poll_seconds: float = 5.0
    root: Path = PROJECT_ROOT
    host: str = "127.0.0.1"
    admins: tuple[str, ...] = ()
    analysts: tuple[str, ...] = ()
    cli_as: tuple[str, ...] = ()

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def openai_enabled(self) -> bool:
        return bool(self.openai_api_key)


def _read_secrets(root: Path) -> Mapping[str, object]:
    path = root / ".streamlit" / "secrets.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def load_settings(
    environ: Mapping[str, str] | None = None, root: Path | None = None
) -> Settings:
    """Resolve settings: environment first, then `.streamlit/secrets.toml`, then defaults."""
    env = os.environ if environ is None else environ
    root = PROJECT_ROOT if root is None else root
    secrets = _read_secrets(root)
    values: dict[str, str | None] = {}
    for name, (attr, default, _doc) in SETTING_NAMES.items():
        raw = env.get(name)
        if raw is None or raw == "":
            secret = secrets.get(name)
            if isinstance(secret, list):  # a TOML list: the same as its comma-separated form
                secret = ",".join(str(item) for item in secret)
            raw = str(secret) if secret not in (None, "") else None
        values[attr] = raw if raw is not None else default

    data = root / "data"
    database_url = values["database_url"] or f"duckdb:///{data / 'competiscan.duckdb'}"
    search_url = values["search_url"] or str(data / "index")
    if "://" not in search_url and not Path(search_url).is_absolute():
        search_url = str(root / search_url)  # a folder, like the inbox, is under the checkout
    inbox = Path(values["inbox"]) if values["inbox"] else data / "inbox"
    if not inbox.is_absolute():
        inbox = root / inbox
    return Settings(
        database_url=database_url,
        search_url=search_url,
        openai_api_key=values["openai_api_key"],
        openai_base_url=values["openai_base_url"],
        openai_model=values["openai_model"] or "gpt-4o-mini",
        inbox=inbox,
        inbox_max_mb=_positive_number("COMPETISCAN_INBOX_MAX_MB", values["inbox_max_mb"]),
        inbox_poll_seconds=_positive_number("COMPETISCAN_INBOX_POLL_SECONDS",
                                            values["inbox_poll_seconds"]),
        root=root,
        host=values["host"] or "127.0.0.1",
        admins=_address_list(values["admins"]),
        analysts=_address_list(values["analysts"]),
        cli_as=_address_list(values["cli_as"]),
    )


def _positive_number(name: str, raw: str | None) -> float:
    """A setting that is a number above zero; ValueError naming the setting otherwise."""
    try:
        value = float(raw if raw is not None else SETTING_NAMES[name][1])
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a number above 0, not {raw!r}")
    return value


def _address_list(raw: str | None) -> tuple[str, ...]:
    """``"a@example.com, @example.org"`` -> ``("a@example.com", "@example.org")``: the entries
    of a role setting, trimmed and lower-cased (addresses are compared without case)."""
    if not raw:
        return ()
    return tuple(dict.fromkeys(e.strip().lower() for e in raw.split(",") if e.strip()))


def process_environment() -> dict[str, str]:
    """A copy of this process's environment, to start a process like it (the allocator's
    re-execution, competiscan.allocator): not settings, but read here like all of it."""
    return dict(os.environ)
