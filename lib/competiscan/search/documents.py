"""Turn stored campaign rows into search documents (the index is a projection of the store)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd

__all__ = ["frame_to_docs"]


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def frame_to_docs(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``Store.pending_index_docs`` -> documents for ``SearchIndex.add``."""
    docs = []
    for record in frame.to_dict("records"):
        doc = {k: _clean(v) for k, v in record.items()}
        doc["id"] = int(doc["id"])
        launch = doc.get("launch_date")
        if isinstance(launch, datetime):
            doc["launch_date"] = launch.date()
        elif launch is not None and not isinstance(launch, date):
            doc["launch_date"] = pd.Timestamp(launch).date()
        docs.append(doc)
    return docs
