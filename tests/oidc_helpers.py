"""Sign-in for browser tests: a local OpenID Connect provider (oidc-provider-mock, whose
authorize page lets anyone in as any subject) and the app served with an [auth] section that
points at it, from a secrets file in a temporary folder (never the checkout's)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from browser_helpers import ROOT, free_port, stop_process, wait_healthy, wait_until_answering

# Any value works against the mock provider; Streamlit signs its identity cookie with this.
COOKIE_SECRET = "competiscan-browser-test-cookie-secret"


@contextmanager
def oidc_provider(folder: Path, timeout: float = 30.0) -> Iterator[str]:
    """oidc-provider-mock on a free port of 127.0.0.1, logging to ``folder``/oidc.log; yields
    its base URL once it answers."""
    port = free_port()
    log = folder / "oidc.log"
    with log.open("w") as out:  # a file, not a pipe: a pipe nobody reads fills and blocks
        process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1",
             "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/.well-known/openid-configuration", process, timeout,
                             "the OpenID provider", lambda _body: True, log.read_text)
        yield base
    finally:
        stop_process(process)


def write_auth_secrets(folder: Path, app_base: str, provider_base: str) -> Path:
    """A secrets.toml whose [auth] section signs in through the provider at
    ``provider_base`` and returns to the app at ``app_base``."""
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "{app_base}/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
        'client_id = "competiscan-test"\n'
        'client_secret = "competiscan-test-secret"\n'
        f'server_metadata_url = "{provider_base}/.well-known/openid-configuration"\n',
        encoding="utf-8")
    return path


@contextmanager
def signed_in_app(env: dict[str, str], folder: Path, provider_base: str,
                  timeout: float = 30.0) -> Iterator[str]:
    """`streamlit run app.py` with sign-in through ``provider_base``; yields its base URL.

    The redirect URI names the app's port, so the port is chosen before the secrets are
    written; ``--secrets.files`` replaces Streamlit's secrets locations (a developer's own
    .streamlit/secrets.toml is not read)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    secrets = write_auth_secrets(folder, base, provider_base)
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    log = folder / "streamlit.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [streamlit, "run", "app.py", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.fileWatcherType", "none",
             "--secrets.files", str(secrets)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        try:
            wait_healthy(base, process, timeout)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}\n{log.read_text()}") from exc
        yield base
    finally:
        stop_process(process)
