"""A worker that dies at the worst moment: it works the inbox once and kills itself with SIGKILL
right after a file's batch committed, before the file is moved out of its claim.

Run as a subprocess by tests/test_inbox_worker.py (settings from the environment, like the app).
The real worker code runs up to that point; only the kill is added, by wrapping
``wb.campaigns.ingest`` of this process (production code carries no test hook).
"""

from __future__ import annotations

import os
import signal

from competiscan.settings import load_settings
from competiscan.workbench import INBOX_WORKER, Workbench


def main() -> None:
    workbench = Workbench(load_settings(), create=True)
    ingest = workbench.campaigns.ingest

    def ingest_then_die(*args, **kwargs):
        report = ingest(*args, **kwargs)
        if report.status == "committed":
            os.kill(os.getpid(), signal.SIGKILL)
        return report

    workbench.campaigns.ingest = ingest_then_die  # type: ignore[method-assign]
    workbench.inbox.scan(INBOX_WORKER)


if __name__ == "__main__":
    main()
