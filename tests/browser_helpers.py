"""Running the real app for browser tests and the page benchmark: `streamlit run` on a free port
against a given store, index and inbox, and a headless Debian chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not Path(CHROMIUM).is_file():
        return f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (requirements-dev.txt)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(store: Path, index: Path, inbox: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(COMPETISCAN_DATABASE_URL=f"duckdb:///{store}", COMPETISCAN_SEARCH_URL=str(index),
               COMPETISCAN_INBOX=str(inbox))
    return env


@contextmanager
def streamlit_server(env: dict[str, str], timeout: float = 30.0
                     ) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run app.py` on a free port; yields (base URL, process) once it is healthy."""
    port = free_port()
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    process = subprocess.Popen(
        [streamlit, "run", "app.py", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, timeout)
        yield base, process
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen) -> None:
    """Terminate a server the test started; kill it if it does not stop within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_healthy(base: str, process: subprocess.Popen, timeout: float) -> None:
    wait_until_answering(f"{base}/_stcore/health", process, timeout, "streamlit",
                         lambda body: body.decode().strip() == "ok",
                         lambda: process.stdout.read() if process.stdout else "")


def wait_until_answering(url: str, process: subprocess.Popen, timeout: float, what: str,
                         answered: Callable[[bytes], bool], output: Callable[[], str]) -> None:
    """Poll ``url`` until its body satisfies ``answered``; fail at once, with the server's
    ``output``, if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}): {output()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200 and answered(response.read()):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not answer within {timeout:.0f} s")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (Linux /proc)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.is_file():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        status = Path(f"/proc/{p}/status")
        if status.is_file():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def launch_chromium(playwright):  # -> playwright Browser
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_idle(page, timeout: float = 30_000) -> None:
    """Until Streamlit has finished the current run (its status widget is gone)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


class BrowserThread:
    """Chromium driven from a thread of its own, one new browser context (own cookies, so
    signed out) per call of :meth:`run`.

    Playwright's sync API allows one instance per thread, and test_browser.py keeps its own
    open on the main thread for the whole session (in the same xdist group, in either order).
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._thread.submit(self._start).result()

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = launch_chromium(self._playwright)

    def run(self, steps: Callable[[Any], None]) -> None:
        """``steps(page)`` in a fresh context; its failures are raised here."""
        self._thread.submit(self._in_context, steps).result()

    def _in_context(self, steps: Callable[[Any], None]) -> None:
        context = self._browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.set_default_timeout(20_000)
            steps(page)
        finally:
            context.close()

    def close(self) -> None:
        def stop() -> None:
            self._browser.close()
            self._playwright.stop()
        self._thread.submit(stop).result()
        self._thread.shutdown()
