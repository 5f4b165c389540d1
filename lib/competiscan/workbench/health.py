"""Health checks (`competiscan doctor`): what is configured, and whether each part answers.

They open each part themselves, so they report a store or index that cannot be opened instead
of failing with it."""

from __future__ import annotations

from typing import Any

from ..settings import Settings, load_settings

__all__ = ["run_checks"]


def _check(part: str, status: str, detail: str) -> dict[str, Any]:
    return {"part": part, "status": status, "detail": detail}


def check_store(settings: Settings) -> dict[str, Any]:
    from ..store import StoreError, StoreMissingError, open_store
    try:
        store = open_store(settings.database_url, create=False)
    except StoreMissingError as exc:  # not set up yet: nothing is broken
        return _check("store", "off", str(exc))
    except StoreError as exc:
        return _check("store", "fail", str(exc))
    try:
        summary = store.summary()
        return _check("store", "ok", f"{store.describe()} — schema v{store.schema_version()}, "
                                     f"{summary['campaigns']:,} campaigns, "
                                     f"{summary['pending_index']:,} pending indexing")
    finally:
        store.close()


def check_search(settings: Settings) -> dict[str, Any]:
    from ..search import SearchUnavailable, open_index
    try:
        index = open_index(settings.search_url)
    except SearchUnavailable as exc:
        return _check("search", "fail", str(exc))
    try:
        if not index.ping():
            return _check("search", "fail", f"{index.describe()} does not answer")
        return _check("search", "ok", f"{index.describe()} — {index.count():,} documents")
    except SearchUnavailable as exc:
        return _check("search", "fail", str(exc))
    finally:
        index.close()


def check_openai(settings: Settings) -> dict[str, Any]:
    if not settings.openai_enabled:
        return _check("openai", "off", "OPENAI_API_KEY not set: enrichment is local only")
    import openai
    where = settings.openai_base_url or "api.openai.com"
    client = openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                           max_retries=0, timeout=5.0)
    try:
        client.models.list()
    except openai.APIError as exc:
        return _check("openai", "fail", f"{where} (model {settings.openai_model}) did not "
                                        f"answer: {type(exc).__name__}: {exc}")
    return _check("openai", "ok", f"{where} answers; model {settings.openai_model}")


def check_allocator() -> dict[str, Any]:
    from ..allocator import describe
    in_use, detail = describe()
    return _check("allocator", "ok" if in_use else "off", detail)


def run_checks(settings: Settings | None = None) -> list[dict[str, Any]]:
    settings = settings or load_settings()
    return [
        _check("settings", "ok", f"database {settings.database_url}; search {settings.search_url}"
                                 f"; inbox {settings.inbox}"),
        check_store(settings),
        check_search(settings),
        check_openai(settings),
        check_allocator(),
    ]
