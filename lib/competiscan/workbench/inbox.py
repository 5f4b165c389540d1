"""``wb.inbox``: the drop folder. Files put into COMPETISCAN_INBOX are ingested once, then
moved aside.

Accepted files go to ``done/``, refused ones to ``refused/`` with ``<name>.report.json`` beside
them, so a file is never ingested twice and a refused one is kept, with the reason, for the
analyst to fix. Files still being written (modified in the last ``settle_seconds``) wait for the
next scan.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ..ingest.readers import FORMATS
from ..model import Actor
from .campaigns import Campaigns

__all__ = ["Inbox", "InboxResult", "pending_files"]


@dataclass(frozen=True)
class InboxResult:
    filename: str
    status: str            # committed | refused
    inserted: int
    resighted: int
    rejected: int
    message: str
    moved_to: str


def pending_files(inbox: Path, settle_seconds: float = 1.0) -> list[Path]:
    """Files waiting in the inbox, oldest first, skipping hidden/partial and fresh ones."""
    if not inbox.is_dir():
        return []
    now = time.time()
    files = [p for p in inbox.iterdir()
             if p.is_file() and not p.name.startswith((".", "~"))
             and p.suffix.lower() in FORMATS and now - p.stat().st_mtime >= settle_seconds]
    return sorted(files, key=lambda p: p.stat().st_mtime)


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():  # the same name dropped again later: keep both
        target = folder / f"{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}"
    shutil.move(str(path), target)
    return target


class Inbox:
    def __init__(self, folder: Path, campaigns: Campaigns) -> None:
        self.folder = folder
        self._campaigns = campaigns

    def pending(self, settle_seconds: float = 1.0) -> list[Path]:
        """Files waiting to be ingested."""
        return pending_files(self.folder, settle_seconds)

    def scan(self, actor: Actor, settle_seconds: float = 1.0) -> list[InboxResult]:
        """Ingest every waiting file; returns what happened to each."""
        actor.require("inbox")
        self.folder.mkdir(parents=True, exist_ok=True)
        return [self._ingest(actor, path) for path in self.pending(settle_seconds)]

    def _ingest(self, actor: Actor, path: Path) -> InboxResult:
        report = self._campaigns.ingest(actor, path.read_bytes(), path.name, source="inbox")
        folder = self.folder / ("done" if report.status == "committed" else "refused")
        moved = _move(path, folder)
        if report.status != "committed" or report.rejected:
            moved.with_name(moved.name + ".report.json").write_text(
                json.dumps(report.to_dict(), default=str, indent=2), encoding="utf-8")
        return InboxResult(filename=path.name, status=report.status,
                           inserted=report.inserted, resighted=report.resighted,
                           rejected=report.rejected_count, message=report.message,
                           moved_to=str(moved))
