"""A small scriptable OpenAI-compatible server for tests: real HTTP on 127.0.0.1, a free port.

It answers ``POST /v1/chat/completions``. By default it computes an answer from the request: the
last message must be the enricher's user message, a JSON object ``{"campaigns": [{"index": ...,
"title": ..., ...}]}``, and each campaign gets :func:`answer_for` as its item. Tests script what
the next requests get with :meth:`OpenAIServer.script` (one behaviour per request, in order) or
change :attr:`OpenAIServer.default` for every request once the script is used up:

- :func:`answer` - a normal answer, optionally changed by ``transform(items) -> items``
  (schema violations, missing items, reordering) or delayed by ``delay`` seconds (timeouts);
- :func:`status` - an error status with an OpenAI error body and ``retry-after-ms``;
- :func:`raw_content` - a completion whose message content is the given text (invalid JSON).

The server records every request body (:attr:`OpenAIServer.requests`) and the most requests it
had in progress at once (:attr:`OpenAIServer.max_in_flight`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

__all__ = ["OpenAIServer", "Behaviour", "answer", "status", "raw_content", "answer_for", "campaigns_of"]

Items = list[dict[str, Any]]


@dataclass(frozen=True)
class Behaviour:
    """What the server does with one request; build it with answer(), status() or raw_content()."""

    status: int = 200
    delay: float = 0.0
    transform: Callable[[Items], Items] | None = None
    content: str | None = None
    retry_after_ms: int | None = None


def answer(transform: Callable[[Items], Items] | None = None, delay: float = 0.0) -> Behaviour:
    """A normal answer computed from the request, changed by ``transform``, after ``delay`` s."""
    return Behaviour(transform=transform, delay=delay)


def status(code: int, retry_after_ms: int | None = 10) -> Behaviour:
    """An error response; ``retry-after-ms`` keeps the client's retries fast in tests."""
    return Behaviour(status=code, retry_after_ms=retry_after_ms)


def raw_content(text: str) -> Behaviour:
    """A completion whose message content is ``text`` as it is."""
    return Behaviour(content=text)


def campaigns_of(body: dict[str, Any]) -> Items:
    """The campaigns of a recorded request body (its last message, parsed)."""
    return json.loads(body["messages"][-1]["content"])["campaigns"]


def answer_for(campaign: dict[str, Any]) -> dict[str, Any]:
    """A deterministic, valid item for one campaign; the summary names the title so tests can
    tell which campaign an answer went to."""
    text = " ".join(str(campaign.get(name) or "") for name in ("title", "subject_line", "content"))
    rates = [float(rate) for rate in re.findall(r"(\d+(?:\.\d+)?)% cash back", text, re.IGNORECASE)]
    return {
        "index": campaign["index"],
        "sentiment_label": "positive",
        "sentiment_score": 0.6,
        "campaign_type_predicted": "acquisition",
        "campaign_type_confidence": 0.8,
        "extracted_keywords": [word.lower() for word in str(campaign.get("title") or "").split()[:3]],
        "summary": f"Model summary of {campaign.get('title')}",
        "intro_apr_pct": None,
        "intro_apr_months": None,
        "regular_apr_min_pct": None,
        "regular_apr_max_pct": None,
        "bonus_amount": None,
        "bonus_unit": None,
        "bonus_spend_usd": None,
        "bonus_window_months": None,
        "cash_back_pct": max(rates) if rates else None,
        "annual_fee_usd": None,
        "balance_transfer_fee_pct": None,
        "apy_pct": None,
        "offer_expires": None,
        # the title when it names a card: "Chase Sapphire Preferred Card" (the enricher spells
        # it as the catalogue does)
        "product": campaign.get("title") if "card" in str(campaign.get("title")).lower() else None,
        "product_confidence": 0.9 if "card" in str(campaign.get("title")).lower() else 0.0,
    }


class _Server(ThreadingHTTPServer):
    # Handler threads may be sleeping in a slow response when a test ends; they must not keep
    # the process (or server_close) waiting.
    daemon_threads = True
    owner: "OpenAIServer"


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, as the OpenAI client expects of a real server.
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Silence the per-request log lines."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        owner = self.server.owner
        behaviour = owner._begin(body)
        try:
            if behaviour.delay and owner._stopping.wait(behaviour.delay):
                return
            if behaviour.status != 200:
                headers = {"retry-after-ms": str(behaviour.retry_after_ms)} if behaviour.retry_after_ms else {}
                self._send_json(behaviour.status,
                                {"error": {"message": f"scripted {behaviour.status}", "type": "server_error"}},
                                headers)
                return
            if behaviour.content is not None:
                content = behaviour.content
            else:
                items = [answer_for(campaign) for campaign in campaigns_of(body)]
                if behaviour.transform is not None:
                    items = behaviour.transform(items)
                content = json.dumps({"items": items})
            self._send_json(200, _completion(body, content))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) before the answer was written
        finally:
            owner._end()

    def _send_json(self, code: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    # Token counts are rough (4 characters a token) but deterministic, enough for budget tests.
    prompt_tokens = len(json.dumps(body["messages"])) // 4
    completion_tokens = len(content) // 4
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "test-model"),
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": None},
            "finish_reason": "stop",
            "logprobs": None,
        }],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class OpenAIServer:
    """The server; use it as a context manager, point the client at :attr:`base_url`."""

    def __init__(self) -> None:
        self.default: Behaviour = answer()
        self.requests: list[dict[str, Any]] = []
        self.max_in_flight = 0
        self._script: deque[Behaviour] = deque()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="openai-test-server", daemon=True)

    @property
    def base_url(self) -> str:
        """The ``/v1`` URL to give the OpenAI client."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests, one each, before :attr:`default` applies."""
        with self._lock:
            self._script.extend(behaviours)

    def start(self) -> "OpenAIServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake any slow response, stop serving and free the port."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> "OpenAIServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _begin(self, body: dict[str, Any]) -> Behaviour:
        with self._lock:
            self.requests.append(body)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return self._script.popleft() if self._script else self.default

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1
