"""``wb.inbox``: the drop folder. A file put into COMPETISCAN_INBOX becomes one batch, once,
however many processes work the folder and whichever of them crashes.

The folder's layout::

    <inbox>/              files dropped here wait to be taken
    <inbox>/processing/   claims, one folder each: <worker>~<attempt>~<nonce>/<name>;
                          and <worker>.lock, held (flock) by each live worker
    <inbox>/done/         files whose content is in the store, each with <name>.report.json
    <inbox>/refused/      files that were not imported, each with <name>.report.json saying why

How a file is taken exactly once:

- **Claim before reading.** A worker renames the file into a claim folder of its own inside
  ``processing/``; renaming is atomic on one filesystem, so of several processes the first wins
  and the others find the file gone and move on. Only the claimed file is read.
- **The store knows the file.** Its SHA-256 is recorded with its batch in the store's write
  transaction, so the same bytes dropped again are reported as already imported (and go to
  ``done/``) instead of re-sighting their pieces.
- **Crashes are recovered.** Each worker holds an exclusive ``flock`` on its own lock file for
  as long as it lives; the kernel releases it when the process dies, however it dies. A claim
  whose worker's lock can be taken belongs to a dead worker and is taken over (renamed to a
  claim of the new worker, again atomically). A crash between the commit and the move thus
  finds the file's batch on the next pass: the file goes to ``done/``, no second batch.
- **Nothing blocks the queue.** A file that cannot be processed (unreadable, bigger than
  COMPETISCAN_INBOX_MAX_MB, nested too deep to parse, a name too long to keep a report beside
  it, or one that stopped the worker :data:`MAX_ATTEMPTS` times) goes to ``refused/`` with its
  reason. Only a store that does not answer leaves a claim for the next pass.
- **Only files put into the folder.** Symbolic links, folders, hidden and partial files
  (``.x``, ``~x``, ``x~``, ``.part``, ``.partial``, ``.tmp``, ``.crdownload``) are left alone;
  a claimed file is opened without following links; ``processing/``, ``done/`` and ``refused/``
  must be real folders inside the inbox.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import socket
import stat
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..ingest import IngestReport
from ..model import Actor
from ..settings import Settings
from .audit import Audit
from .campaigns import Campaigns

if TYPE_CHECKING:
    from .watcher import InboxWorker

__all__ = ["Inbox", "InboxResult", "InboxError", "INBOX_WORKER", "MAX_ATTEMPTS",
           "SETTLE_SECONDS", "pending_files"]

log = logging.getLogger(__name__)

#: Who acts when the inbox is worked: an analyst may "inbox" (model.PERMISSIONS).
INBOX_WORKER = Actor(name="inbox worker", role="analyst")

#: A file modified this recently may still be being written: it waits for a later pass.
SETTLE_SECONDS = 1.0

#: A claim whose worker died this many times is refused unread (unless the store already has
#: its batch): a file that kills the process must not be retried forever.
MAX_ATTEMPTS = 3

PROCESSING, DONE, REFUSED = "processing", "done", "refused"
REPORT_SUFFIX = ".report.json"
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download")
# A name moved to done/ or refused/ may get "-YYYYmmdd-HHMMSS-xxxxxx" to stay unique, and its
# report adds REPORT_SUFFIX: both must fit the filesystem's limit on one name.
_UNIQUE_SUFFIX_BYTES = len("-20260101-120000-abcdef")
_RESERVED_BYTES = _UNIQUE_SUFFIX_BYTES + len(REPORT_SUFFIX)


@dataclass(frozen=True)
class InboxResult:
    """What the inbox did with one file.

    ``status``: ``committed`` (a new batch), ``already_imported`` (the same bytes are in the
    store already: ``batch_id`` names that upload), ``refused`` (``message`` says why) or
    ``retry`` (the store did not answer; the file stays claimed for the next pass).
    ``moved_to`` is relative to the inbox (``done/a.csv``), never a server path.
    """

    filename: str
    status: str
    message: str = ""
    inserted: int = 0
    resighted: int = 0
    rejected: int = 0
    batch_id: int | None = None
    moved_to: str = ""
    handled_at: datetime | None = None


class InboxError(Exception):
    """The inbox cannot be worked as it is set up (a sub-folder that is a link, ...)."""


class _Refusal(Exception):
    """The file cannot be processed; ``reason`` says why, for its report."""

    def __init__(self, reason: str, size: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.size = size


class _StoreDown(Exception):
    """The store did not answer: the claim stays for the next pass."""


@dataclass(frozen=True)
class _Claim:
    folder: Path          # processing/<owner>~<attempt>~<nonce>
    owner: str
    attempt: int

    @classmethod
    def parse(cls, folder: Path) -> "_Claim | None":
        owner, sep, rest = folder.name.partition("~")
        attempt, sep2, _nonce = rest.partition("~")
        if not (sep and sep2 and owner and attempt.isdigit()):
            return None
        return cls(folder=folder, owner=owner, attempt=int(attempt))


def utcnow() -> datetime:
    """Naive UTC, the way the store writes its times."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _waiting(name: str) -> bool:
    """Whether a name in the inbox is one to take (not hidden, not a partial download)."""
    lowered = name.lower()
    return not (name.startswith((".", "~")) or name.endswith("~")
                or lowered.endswith(PARTIAL_SUFFIXES) or lowered.endswith(REPORT_SUFFIX))


def pending_files(inbox: Path, settle_seconds: float = SETTLE_SECONDS) -> list[Path]:
    """Files waiting in the inbox, oldest first: regular files only (no symbolic links, no
    folders), skipping hidden and partial ones and those modified in the last
    ``settle_seconds``."""
    if not inbox.is_dir():
        return []
    now = time.time()
    found: list[tuple[float, Path]] = []
    with os.scandir(inbox) as entries:
        for entry in entries:
            if not _waiting(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            try:
                modified = entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:   # taken by another worker meanwhile
                continue
            if now - modified >= settle_seconds:
                found.append((modified, Path(entry.path)))
    return [path for _modified, path in sorted(found)]


class _Owner:
    """This worker's identity in ``processing/``: a token and a lock file it holds with
    ``flock`` for as long as it lives, so others can tell a live worker from a dead one."""

    def __init__(self, processing: Path) -> None:
        self.token = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.path = processing / f"{self.token}.lock"
        # Locked under a hidden name, then renamed: whoever sees <token>.lock sees it locked.
        unlocked = processing / f".{self.token}.lock"
        self._fd = os.open(unlocked, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(unlocked, self.path)

    def release(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)

    @staticmethod
    def alive(processing: Path, token: str) -> bool:
        """Whether the worker ``token`` still holds its lock (a missing lock file: dead)."""
        try:
            fd = os.open(processing / f"{token}.lock", os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)   # closing releases a lock taken here
        return False


class Inbox:
    """``wb.inbox``: the drop folder, worked by :meth:`scan` (one pass), by a background worker
    (:meth:`start_worker`, one per app process) or in the foreground (:meth:`watch`, the
    ``competiscan watch`` command)."""

    def __init__(self, settings: Settings, campaigns: Campaigns, audit: Audit) -> None:
        self.folder = settings.inbox
        self.max_bytes = int(settings.inbox_max_mb * 1024 * 1024)
        self.poll_seconds = settings.inbox_poll_seconds
        self._campaigns = campaigns
        self._audit = audit
        self._lock = threading.Lock()
        # One pass at a time per Inbox: its claims are then never worked twice at once (other
        # Inbox objects and processes are other workers, with claims of their own).
        self._pass_lock = threading.Lock()
        self._owner: _Owner | None = None
        self._worker: InboxWorker | None = None

    # ------------------------------------------------------------------ what is there
    def pending(self, settle_seconds: float = SETTLE_SECONDS) -> list[Path]:
        """Files waiting to be taken (``settle_seconds=0``: including those still settling)."""
        return pending_files(self.folder, settle_seconds)

    def in_progress(self) -> list[str]:
        """Names of the files being imported right now (by any worker)."""
        return sorted(name for claim in self._claims() for name in _files_in(claim.folder))

    def handled(self, limit: int = 50) -> list[InboxResult]:
        """What the workers did, newest first, read from the reports in ``done/`` and
        ``refused/`` (so every process sees every worker's work)."""
        return self._reports((DONE, REFUSED), limit)

    def refused(self, limit: int = 50) -> list[InboxResult]:
        """Refused files, newest first, each with its reason."""
        return self._reports((REFUSED,), limit)

    # ------------------------------------------------------------------ working it
    def scan(self, actor: Actor, settle_seconds: float = SETTLE_SECONDS) -> list[InboxResult]:
        """One pass: take over claims of dead workers, then claim and import every waiting
        file, oldest first. Returns what happened to each file; a store that stops answering
        ends the pass early (that file's result is ``retry``). Raises PermissionDenied unless
        ``actor`` may work the inbox."""
        actor.require("inbox")
        results: list[InboxResult] = []
        with self._pass_lock:
            processing = self._folders()
            owner = self._own(processing)
            try:
                for claim in self._recoverable(processing, owner):
                    results.extend(self._process(actor, claim))
                for path in self.pending(settle_seconds):
                    claim = self._claim(path, processing, owner)
                    if claim is not None:
                        results.extend(self._process(actor, claim))
            except _StoreDown as down:
                results.append(down.args[0])
        return results

    def start_worker(self, actor: Actor,
                     on_pass: Callable[[list[InboxResult]], None] | None = None) -> None:
        """Work the inbox every ``COMPETISCAN_INBOX_POLL_SECONDS`` in a daemon thread, once per
        Inbox (a second call while it runs does nothing). ``on_pass`` gets each pass's results
        when there are any. :meth:`close` stops it."""
        from .watcher import InboxWorker
        with self._lock:
            if self._worker is not None and self._worker.running:
                return
            self._worker = InboxWorker(self, actor, self.poll_seconds, on_pass)
            self._worker.start()

    def watch(self, actor: Actor, stop: threading.Event,
              on_pass: Callable[[list[InboxResult]], None] | None = None) -> None:
        """Work the inbox in this thread every ``COMPETISCAN_INBOX_POLL_SECONDS`` until
        ``stop`` is set (the file being imported is finished first)."""
        from .watcher import InboxWorker
        InboxWorker(self, actor, self.poll_seconds, on_pass).run(stop)

    def close(self) -> None:
        """Stop the background worker (after its current file) and give up this worker's
        identity; claims left behind are taken over by the next pass of any worker."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()
        with self._pass_lock, self._lock:
            if self._owner is not None:
                self._owner.release()
                self._owner = None

    # ------------------------------------------------------------------ folders and claims
    def _folders(self) -> Path:
        """Make the inbox and its folders; refuse to work through a folder that is a symbolic
        link (moves would land outside the inbox). Returns ``processing/``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in (PROCESSING, DONE, REFUSED):
            sub = self.folder / name
            if sub.is_symlink() or (sub.exists() and not sub.is_dir()):
                raise InboxError(f"{name}/ in the inbox must be a folder inside it, not a link "
                                 "or a file: move it away so that the inbox can be worked")
            sub.mkdir(exist_ok=True)
        return self.folder / PROCESSING

    def _own(self, processing: Path) -> _Owner:
        with self._lock:
            if self._owner is None:
                self._owner = _Owner(processing)
            return self._owner

    def _claims(self) -> Iterator[_Claim]:
        processing = self.folder / PROCESSING
        if not processing.is_dir() or processing.is_symlink():
            return
        with os.scandir(processing) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    claim = _Claim.parse(Path(entry.path))
                    if claim is not None:
                        yield claim

    def _claim(self, path: Path, processing: Path, owner: _Owner) -> _Claim | None:
        """Rename ``path`` into a new claim folder of this worker; None when another worker
        took it first."""
        claim = _Claim(folder=processing / f"{owner.token}~1~{uuid.uuid4().hex[:8]}",
                       owner=owner.token, attempt=1)
        claim.folder.mkdir()
        try:
            os.rename(path, claim.folder / path.name)
        except OSError as exc:
            claim.folder.rmdir()
            if not isinstance(exc, FileNotFoundError):
                log.warning("inbox: cannot claim %s: %s", path.name, exc.strerror)
            return None
        return claim

    def _recoverable(self, processing: Path, owner: _Owner) -> Iterator[_Claim]:
        """Claims to (re)process: this worker's own left for a retry, and those of dead
        workers, taken over by an atomic rename (attempt + 1). Empty claim folders and dead
        workers' lock files are cleared on the way."""
        alive: dict[str, bool] = {owner.token: True}
        for claim in list(self._claims()):
            if claim.owner == owner.token:
                yield claim
                continue
            if claim.owner not in alive:
                alive[claim.owner] = _Owner.alive(processing, claim.owner)
            if alive[claim.owner]:
                continue
            taken = _Claim(folder=processing / f"{owner.token}~{claim.attempt + 1}~"
                                               f"{uuid.uuid4().hex[:8]}",
                           owner=owner.token, attempt=claim.attempt + 1)
            try:
                os.rename(claim.folder, taken.folder)
            except FileNotFoundError:      # another worker took it over first
                continue
            log.info("inbox: took over %s from a stopped worker", claim.folder.name)
            yield taken
        self._clear_dead_locks(processing, alive)

    def _clear_dead_locks(self, processing: Path, alive: dict[str, bool]) -> None:
        claimed = {claim.owner for claim in self._claims()}
        for lock in processing.glob("[!.]*.lock"):   # not one being created (.<token>.lock)
            token = lock.name[:-len(".lock")]
            if token in claimed or alive.get(token, None) is True:
                continue
            if not _Owner.alive(processing, token):
                lock.unlink(missing_ok=True)

    # ------------------------------------------------------------------ one file
    def _process(self, actor: Actor, claim: _Claim) -> list[InboxResult]:
        """The claim's file imported and moved aside (no result for a claim a crash left
        empty after its move)."""
        files = _files_in(claim.folder)
        if not files:
            _remove_claim(claim.folder)
            return []
        return [self._import(actor, claim, claim.folder / files[0])]

    def _import(self, actor: Actor, claim: _Claim, path: Path) -> InboxResult:
        name = path.name
        meta: dict[str, Any] = {"file": name, "worker": claim.owner, "attempt": claim.attempt}
        try:
            _check_name(name, self.folder)
            if claim.attempt > MAX_ATTEMPTS:
                return self._after_crashes(actor, claim, path, meta)
            data = _read(path, self.max_bytes)
        except _Refusal as refusal:
            self._audit.record(actor, "upload", name, "refused", source="inbox",
                               bytes=refusal.size, message=refusal.reason)
            return self._finish(claim, path, REFUSED, InboxResult(
                filename=name, status="refused", message=refusal.reason), meta)
        digest = hashlib.sha256(data).hexdigest()
        meta.update(bytes=len(data), sha256=digest)
        try:
            report = self._campaigns.ingest(actor, data, name, source="inbox")
        except Exception as exc:  # the file's fault if the store answers, else the store's
            return self._after_failure(claim, path, digest, exc, meta)
        folder, result = _outcome(report)
        return self._finish(claim, path, folder, result, meta, report)

    def _after_failure(self, claim: _Claim, path: Path, digest: str, exc: Exception,
                       meta: dict[str, Any]) -> InboxResult:
        name = path.name
        try:
            known = self._campaigns.batch_of_file(digest)
        except Exception as down:
            log.warning("inbox: the store does not answer (%s); %s waits for the next pass",
                        down, name)
            raise _StoreDown(InboxResult(
                filename=name, status="retry",
                message="the store did not answer; the file is tried again on the next "
                        "pass")) from None
        if known is not None:    # it failed after its batch committed
            return self._finish(claim, path, DONE, _known(name, known), meta)
        reason = _failure(exc, self.folder)
        log.warning("inbox: %s refused: %s", name, reason)
        return self._finish(claim, path, REFUSED, InboxResult(
            filename=name, status="refused", message=reason), meta)

    def _after_crashes(self, actor: Actor, claim: _Claim, path: Path,
                       meta: dict[str, Any]) -> InboxResult:
        """A file whose worker died :data:`MAX_ATTEMPTS` times: hashed (not parsed) to see
        whether its batch committed; refused unread otherwise."""
        name = path.name
        digest = _sha256_of(path)
        try:
            known = self._campaigns.batch_of_file(digest)
        except Exception:
            raise _StoreDown(InboxResult(
                filename=name, status="retry",
                message="the store did not answer; the file is tried again on the next "
                        "pass")) from None
        if known is not None:
            return self._finish(claim, path, DONE, _known(name, known), meta)
        reason = (f"the worker stopped {claim.attempt - 1} times while importing it (it crashed "
                  "or was killed); it is not tried again: check the file and drop it again")
        self._audit.record(actor, "upload", name, "refused", source="inbox", message=reason)
        return self._finish(claim, path, REFUSED, InboxResult(
            filename=name, status="refused", message=reason), meta)

    def _finish(self, claim: _Claim, path: Path, folder: str, result: InboxResult,
                meta: dict[str, Any], report: IngestReport | None = None) -> InboxResult:
        """Move the claimed file to ``done/`` or ``refused/`` under a free name, write its
        report beside it, and clear the claim."""
        target_folder = self.folder / folder
        try:
            placed = _place(path, target_folder, _kept_name(path.name, target_folder))
        except FileNotFoundError:   # another worker took the claim over meanwhile
            return result
        result = replace(result, moved_to=f"{folder}/{placed.name}", handled_at=utcnow())
        body: dict[str, Any] = report.to_dict() if report is not None else {
            "filename": result.filename, "status": result.status, "message": result.message}
        body.update(meta, outcome=result.status, batch_id=result.batch_id,
                    moved_to=result.moved_to, handled_at=result.handled_at)
        _write_json(placed.with_name(placed.name + REPORT_SUFFIX), body)
        _remove_claim(claim.folder)
        log.info("inbox: %s %s -> %s", result.filename, result.status, result.moved_to)
        return result

    def _reports(self, folders: tuple[str, ...], limit: int) -> list[InboxResult]:
        reports: list[tuple[float, Path]] = []
        for name in folders:
            folder = self.folder / name
            if not folder.is_dir() or folder.is_symlink():
                continue
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.endswith(REPORT_SUFFIX) and entry.is_file(follow_symlinks=False):
                        try:
                            reports.append((entry.stat().st_mtime, Path(entry.path)))
                        except FileNotFoundError:
                            continue
        reports.sort(reverse=True)
        return [_result_of(path, modified, self.folder) for modified, path in reports[:limit]]


# ---------------------------------------------------------------------------- helpers
def _outcome(report: IngestReport) -> tuple[str, InboxResult]:
    """Where an ingested file goes and what the inbox says about it."""
    if report.status == "committed":
        return DONE, InboxResult(filename=report.filename, status="committed",
                                 message=report.message, inserted=report.inserted,
                                 resighted=report.resighted, rejected=report.rejected_count,
                                 batch_id=report.batch_id)
    if report.duplicate_of is not None:
        return DONE, InboxResult(filename=report.filename, status="already_imported",
                                 message=report.message, batch_id=report.duplicate_of)
    return REFUSED, InboxResult(filename=report.filename, status="refused",
                                message=report.message, rejected=report.rejected_count)


def _known(name: str, batch: dict[str, Any]) -> InboxResult:
    return InboxResult(filename=name, status="already_imported", batch_id=int(batch["id"]),
                       message=f"already imported as upload {batch['id']} "
                               f"({batch['filename']}, {batch['created_at']:%Y-%m-%d %H:%M})")


def _check_name(name: str, inbox: Path) -> None:
    try:
        limit = os.pathconf(inbox, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    size = len(os.fsencode(name))
    if size + _RESERVED_BYTES > limit:
        raise _Refusal(f"its name is {size} bytes long; the inbox keeps a report beside each "
                       f"file and takes names of at most {limit - _RESERVED_BYTES} bytes: "
                       "rename it and drop it again")


def _read(path: Path, max_bytes: int) -> bytes:
    """The claimed file's bytes, opened without following a link; _Refusal when it is no
    regular file, cannot be read or is bigger than ``max_bytes``."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Refusal("it is a symbolic link; the inbox reads only files put into it") \
                from None
        raise _Refusal(f"it cannot be read ({exc.strerror})") from None
    with open(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _Refusal("it is not a regular file")
        if info.st_size > max_bytes:
            raise _Refusal(_too_big(info.st_size, max_bytes), info.st_size)
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise _Refusal(f"it cannot be read ({exc.strerror})", info.st_size) from None
    if len(data) > max_bytes:   # it grew after it was claimed
        raise _Refusal(_too_big(len(data), max_bytes), len(data))
    return data


def _too_big(size: int, max_bytes: int) -> str:
    mb = 1024 * 1024
    return (f"it is {size / mb:,.1f} MB, more than the inbox takes "
            f"({max_bytes / mb:,.0f} MB, COMPETISCAN_INBOX_MAX_MB): split it, or upload it "
            "with `competiscan ingest`")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _failure(exc: BaseException, inbox: Path) -> str:
    """Why ingesting failed, in words for the report (no server paths)."""
    if isinstance(exc, RecursionError):
        return ("it is nested too deep to read (objects or arrays inside each other deeper "
                "than the reader follows): flatten its records and drop it again")
    if isinstance(exc, MemoryError):
        return "it is too big to read in memory: split it and drop the parts"
    if isinstance(exc, OSError) and exc.strerror:
        return f"it cannot be read ({exc.strerror})"
    text = str(exc).replace(str(inbox), "<inbox>")
    return f"it could not be processed ({type(exc).__name__}: {text[:300]})"


def _files_in(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []


def _remove_claim(folder: Path) -> None:
    try:
        folder.rmdir()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("inbox: claim %s not cleared: %s", folder.name, exc.strerror)


def _kept_name(name: str, folder: Path) -> str:
    """The name a file is kept under: its own, or shortened (with a hash of the original)
    when it is too long to have a report beside it."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX") - _RESERVED_BYTES
    except (OSError, ValueError):
        limit = 255 - _RESERVED_BYTES
    if len(os.fsencode(name)) <= limit:
        return name
    suffix = Path(name).suffix if len(os.fsencode(Path(name).suffix)) <= 16 else ""
    tag = "-" + hashlib.sha256(os.fsencode(name)).hexdigest()[:8] + suffix
    stem = name[:len(name) - len(suffix)] if suffix else name
    while stem and len(os.fsencode(stem + tag)) > limit:
        stem = stem[:-1]
    return stem + tag


def _place(path: Path, folder: Path, name: str) -> Path:
    """Move ``path`` into ``folder`` as ``name``, or a dated variant when that name is taken;
    never replacing a file (a hard link fails on an existing name, where a rename would
    overwrite it)."""
    stem, suffix = Path(name).stem, Path(name).suffix
    candidates = [name] + [f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
                           f"{suffix}" for _ in range(5)]
    for candidate in candidates:
        target = folder / candidate
        try:
            os.link(path, target, follow_symlinks=False)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            if target.exists():  # a filesystem without hard links: check, then rename
                continue
            os.rename(path, target)
            return target
        path.unlink()
        return target
    raise FileExistsError(errno.EEXIST, f"no free name for {name} in {folder.name}/")


def _write_json(path: Path, body: dict[str, Any]) -> None:
    """Write a report whole or not at all (a reader never sees half of it)."""
    temporary = path.with_name(f".report-{uuid.uuid4().hex}.tmp")
    temporary.write_text(json.dumps(body, default=str, indent=2), encoding="utf-8")
    os.replace(temporary, path)


def _result_of(report: Path, modified: float, inbox: Path) -> InboxResult:
    """A report read back as the result it records (older reports lack some fields)."""
    kept = report.name[:-len(REPORT_SUFFIX)]
    where = f"{report.parent.name}/{kept}"
    try:
        body = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        body = {"message": "(its report cannot be read)"}
    status = body.get("outcome") or ("refused" if report.parent.name == REFUSED
                                     else "committed")
    try:
        at = datetime.fromisoformat(str(body["handled_at"]))
    except (KeyError, ValueError):
        at = datetime.fromtimestamp(modified, timezone.utc).replace(tzinfo=None)

    def count(key: str) -> int:
        value = body.get(key)
        return int(value) if isinstance(value, (int, float)) else 0

    batch = body.get("batch_id") or body.get("duplicate_of")
    return InboxResult(filename=str(body.get("file") or body.get("filename") or kept),
                       status=str(status), message=str(body.get("message") or ""),
                       inserted=count("inserted"), resighted=count("resighted"),
                       rejected=count("rejected"),
                       batch_id=int(batch) if isinstance(batch, int) else None,
                       moved_to=where, handled_at=at)
