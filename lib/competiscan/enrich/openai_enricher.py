"""Enrichment by an OpenAI (or OpenAI-compatible) model, with the local enricher as the safety net.

:class:`OpenAIEnricher` sends campaigns in batches through ``client.chat.completions.parse`` with a
strict JSON schema, validates every item of every answer, and gives each campaign the model's
answer or, when that is not possible, the local enricher's result. Nothing the model service does
(rate limits, errors, timeouts, invalid or out-of-range answers, an exhausted budget) makes a run
fail: every record gets a result, and each result says what produced it in ``enriched_by``.

Model answers are cached by ``(content_hash, model, prompt_version)``: a text already answered by a
model under a prompt version is never sent again. Changing :data:`PROMPT_VERSION` (or passing
another ``prompt_version``) makes the old entries miss, which is how a caller asks for
re-enrichment.
"""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Callable, Literal, Protocol, cast

import openai
import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from ..model import BONUS_UNITS, CAMPAIGN_TYPES, ENRICHMENT_FIELDS, SENTIMENT_LABELS

__all__ = [
    "OpenAIEnricher",
    "EnrichRun",
    "EnrichmentCache",
    "InMemoryEnrichmentCache",
    "LocalFallback",
    "CampaignEnrichment",
    "EnrichmentBatch",
    "CacheKey",
    "PROMPT_VERSION",
    "SYSTEM_PROMPT",
    "MAX_CONTENT_CHARS",
]

PROMPT_VERSION = "v3"

# Long bodies are cut: the offer terms and tone are in the first few thousand characters of any
# marketing piece, and an unbounded body could push a whole batch past the model's context.
MAX_CONTENT_CHARS = 4000

SYSTEM_PROMPT = """\
You enrich competitors' marketing pieces (emails, direct mail, social, display, search and video \
ads, SMS) for competitive-intelligence analysts at banks, card issuers, insurers, telecoms and \
retailers.

The user message is a JSON object {"campaigns": [...]}. Each campaign has an "index", the \
advertiser ("company"), a "channel", a "title", a "subject_line" (may be null) and the body \
"content". Return exactly one item per \
campaign, with the same "index", and every field of the schema. Use only what the text says; never \
invent terms it does not state.

Fields
- sentiment_label: positive, neutral or negative - the tone of the piece toward its reader.
- sentiment_score: from -1 (very negative) to 1 (very positive), 0 for neutral; it agrees with the \
label.
- campaign_type_predicted: one of the five campaign types below, judged from the text alone. Null \
only for servicing messages (payment due, card declined, statement ready), which are not campaigns.
- campaign_type_confidence: from 0 to 1, how sure you are of the type (0 when the type is null).
- extracted_keywords: up to 8 short lowercase keywords or phrases an analyst would search for \
(products, offers, features), e.g. "cash back", "balance transfer", "0% intro apr".
- summary: one line of at most 25 words saying who offers what to whom; no line breaks.
- product: the one product the piece markets (a card, account, loan, plan or policy), as the text \
names it, without the company's name and without marks such as ® or ™: "Capital One Venture X \
Rewards Credit Card" -> "Venture X Rewards"; "the Chase Sapphire Preferred® Card" -> "Sapphire \
Preferred". When several products are named, the one the headline or the offer is about. Null \
when the piece names no product (brand, education, servicing, a family of cards).
- product_confidence: from 0 to 1, how sure you are of the product (0 when it is null).

Campaign types
- acquisition: wins new customers or accounts - apply now, pre-approved, open an account, sign-up \
bonus after a first spend, switch to us.
- promotional: a time-limited deal or incentive for using a product - % off, sale, bonus categories \
to activate, bundle discounts, a limited-time rate.
- retention: keeps or wins back existing customers - thank you, anniversary, we miss you, loyalty \
rewards, renewal.
- educational: teaches - tips, guides, webinars, security advice; no offer.
- brand_awareness: image and values, slogans, sponsorships; no concrete offer.

Offer terms (numbers as stated in the text; null when the text does not state the term)
- intro_apr_pct, intro_apr_months: the introductory APR in percent and how many months it lasts. \
"0% intro APR for 15 months" -> 0 and 15.
- regular_apr_min_pct, regular_apr_max_pct: the regular (variable) APR range in percent. \
"19.24%-29.24% variable APR" -> 19.24 and 29.24; a single rate sets both.
- bonus_amount, bonus_unit, bonus_spend_usd, bonus_window_months: a bonus, its unit (points, miles \
or dollars), the spend it requires in US dollars and the months allowed for that spend. "Earn \
60,000 bonus points after you spend $4,000 in the first 3 months" -> 60000, points, 4000, 3.
- cash_back_pct: the highest cash-back rate offered, in percent. "5% on rotating categories, 1% on \
everything else" -> 5.
- annual_fee_usd: the annual fee in US dollars. "$95 annual fee" -> 95; "no annual fee" -> 0.
- balance_transfer_fee_pct: the balance-transfer fee in percent. "3% balance transfer fee" -> 3.
- apy_pct: the annual percentage yield of a deposit product, in percent. "4.50% APY" -> 4.5.
- offer_expires: the last day the offer is open, as YYYY-MM-DD, when the text gives the date with \
its year. "Offer ends January 19, 2027" -> 2027-01-19; "Apply by 3/31/26" -> 2026-03-31. Null \
when the text gives no end date, or no year ("Offer ends March 31"), or the date is when points or \
miles expire.

Rules
- A term the text does not state is null, never 0. The one zero that stands for a phrase is \
annual_fee_usd 0 for "no annual fee" (or "$0 annual fee").
- Percentages are numbers from 0 to 100 without the % sign: "0.5%" -> 0.5, not 0.005.
- Months are whole months from 0 to 60: "a year" -> 12, "18 billing cycles" -> 18.
- Amounts are plain numbers: "$200" -> 200, "60,000" -> 60000, "60k" -> 60000.
- cash_back_pct is the highest rate when several are offered.
- A cash bonus ("$200 cash bonus", "$200 back") has bonus_unit dollars.
"""

CacheKey = tuple[str, str, str]
"""``(content_hash, model, prompt_version)``."""


class EnrichmentCache(Protocol):
    """Where model answers are kept between runs (the Store implements it on enrichment_cache)."""

    def get_many(self, keys: list[CacheKey]) -> dict[CacheKey, dict[str, Any]]:
        """The stored results of those keys that have one; absent keys are left out."""
        ...

    def put_many(self, items: dict[CacheKey, dict[str, Any]]) -> None:
        """Store (or replace) results; each is a JSON-serialisable dict."""
        ...


class LocalFallback(Protocol):
    """The enricher used when the model cannot answer (the local rules enricher)."""

    def enrich_many(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One result per record, in order, with the enrichment fields and ``enriched_by``."""
        ...


class InMemoryEnrichmentCache:
    """An :class:`EnrichmentCache` in a dict, for tests and one-off runs; thread-safe."""

    def __init__(self) -> None:
        self._items: dict[CacheKey, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: list[CacheKey]) -> dict[CacheKey, dict[str, Any]]:
        """The stored results of those keys that have one (copies, as a database would give)."""
        with self._lock:
            return {key: json.loads(json.dumps(self._items[key])) for key in keys if key in self._items}

    def put_many(self, items: dict[CacheKey, dict[str, Any]]) -> None:
        """Store copies of the results, so later changes by the caller do not reach the cache."""
        with self._lock:
            self._items.update({key: json.loads(json.dumps(value, default=str))
                                for key, value in items.items()})

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _drop_description(schema: dict[str, Any]) -> None:
    # Pydantic copies a class docstring into the schema; ours are written for developers, and the
    # instructions for the model live in SYSTEM_PROMPT, so they are not sent with every request.
    schema.pop("description", None)


# Outside these ranges a value is a misreading, not an offer: rates are percentages, and no
# intro period or bonus window runs longer than five years.
Percent = Annotated[float, Field(ge=0, le=100)]
Months = Annotated[int, Field(ge=0, le=60)]
Amount = Annotated[float, Field(ge=0)]


class CampaignEnrichment(BaseModel):
    """One campaign's enrichment as the model must answer it: the schema and its validation.

    The fields are ``index`` (the campaign's position in the request) and
    :data:`competiscan.model.ENRICHMENT_FIELDS`; every field is required, offer terms are nullable.
    """

    model_config = ConfigDict(json_schema_extra=_drop_description)

    index: int = Field(ge=0)
    # The allowed labels come from model.py, so the schema, the store and the local enricher agree.
    sentiment_label: Literal[SENTIMENT_LABELS]  # type: ignore[valid-type]
    sentiment_score: float = Field(ge=-1, le=1)
    campaign_type_predicted: Literal[CAMPAIGN_TYPES] | None  # type: ignore[valid-type]
    campaign_type_confidence: float = Field(ge=0, le=1)
    extracted_keywords: list[str]
    summary: Annotated[str, AfterValidator(_one_line)]
    intro_apr_pct: Percent | None
    intro_apr_months: Months | None
    regular_apr_min_pct: Percent | None
    regular_apr_max_pct: Percent | None
    bonus_amount: Amount | None
    bonus_unit: Literal[BONUS_UNITS] | None  # type: ignore[valid-type]
    bonus_spend_usd: Amount | None
    bonus_window_months: Months | None
    cash_back_pct: Percent | None
    annual_fee_usd: Amount | None
    balance_transfer_fee_pct: Percent | None
    apy_pct: Percent | None
    offer_expires: date | None
    product: Annotated[str, AfterValidator(_one_line), Field(max_length=80)] | None
    product_confidence: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _apr_range_in_order(self) -> "CampaignEnrichment":
        low, high = self.regular_apr_min_pct, self.regular_apr_max_pct
        if low is not None and high is not None and low > high:
            raise ValueError(f"regular APR range is reversed ({low} > {high})")
        return self

    def result(self, enriched_by: str) -> dict[str, Any]:
        """The enrichment as a result dict: the ENRICHMENT_FIELDS keys plus ``enriched_by``."""
        values = self.model_dump()
        return {**{name: values[name] for name in ENRICHMENT_FIELDS},
                "product": values["product"] or None,
                "product_confidence": values["product_confidence"] if values["product"] else None,
                "enriched_by": enriched_by}


class EnrichmentBatch(BaseModel):
    """The response format: the schema lists full items, but items are parsed as raw values.

    Validating each item on its own (in :func:`_validate_items`) keeps one bad item from
    discarding the good answers next to it.
    """

    model_config = ConfigDict(json_schema_extra=_drop_description)

    items: list[Annotated[Any, WithJsonSchema(CampaignEnrichment.model_json_schema())]]


@dataclass
class EnrichRun:
    """What one :meth:`OpenAIEnricher.enrich_many` call produced.

    ``cache_hits + model_items + fallback_items == len(results)``. ``failures`` holds one short
    line per problem; ``record N`` there is the position of the record in the input list.
    """

    results: list[dict[str, Any]]
    requests_sent: int = 0
    tokens_used: int = 0
    cache_hits: int = 0
    model_items: int = 0
    fallback_items: int = 0
    failures: list[str] = field(default_factory=list)
    budget_exhausted: bool = False
    message: str = ""


@dataclass
class _BatchOutcome:
    """A worker's report on one batch; positions are indexes into the batch."""

    answers: dict[int, CampaignEnrichment] = field(default_factory=dict)
    item_problems: dict[int, str] = field(default_factory=dict)
    error: str | None = None


class _RunLimits:
    """Counts requests and tokens across workers and decides whether another request may go."""

    def __init__(self, budget_requests: int | None, budget_tokens: int | None) -> None:
        self._budget_requests = budget_requests
        self._budget_tokens = budget_tokens
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.tokens_used = 0
        self.budget_stop: str | None = None
        self.halt_reason: str | None = None

    def acquire(self) -> bool:
        """Reserve one request, or say no when a budget is spent or sending was halted."""
        with self._lock:
            if self.halt_reason is not None:
                return False
            if self._budget_requests is not None and self.requests_sent >= self._budget_requests:
                self.budget_stop = f"request budget of {self._budget_requests}"
            elif self._budget_tokens is not None and self.tokens_used >= self._budget_tokens:
                self.budget_stop = f"token budget of {self._budget_tokens}"
            if self.budget_stop is not None:
                return False
            self.requests_sent += 1
            return True

    def add_tokens(self, tokens: int) -> None:
        with self._lock:
            self.tokens_used += tokens

    def halt(self, reason: str) -> None:
        with self._lock:
            self.halt_reason = self.halt_reason or reason


# Errors that will repeat on every request of the run (wrong key, no access, unknown model), so
# the run stops sending instead of failing the same way for each batch.
_HALTING_ERRORS = (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError)


def _short_error(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line[:200]}"


def _short_validation_error(exc: pydantic.ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def _validate_items(raw_items: list[Any], size: int) -> tuple[dict[int, CampaignEnrichment], dict[int, str]]:
    """Split an answer's items into valid ones and problems, both keyed by position in the batch.

    An item whose index is unusable cannot be matched to a campaign, so it is dropped; the
    campaign it was meant for then shows up as missing.
    """
    answers: dict[int, CampaignEnrichment] = {}
    problems: dict[int, str] = {}
    for raw in raw_items:
        index = raw.get("index") if isinstance(raw, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < size:
            continue
        if index in answers or index in problems:
            problems.setdefault(index, "answered more than once")
            answers.pop(index, None)
            continue
        try:
            answers[index] = CampaignEnrichment.model_validate(raw)
        except pydantic.ValidationError as exc:
            problems[index] = f"invalid answer: {_short_validation_error(exc)}"
    for index in range(size):
        if index not in answers and index not in problems:
            problems[index] = "missing from the model's answer"
    return answers, problems


def _from_cache(result: dict[str, Any]) -> dict[str, Any]:
    """A cached result as the model's answer gave it: the cache holds JSON, where a date is
    its ISO text."""
    out = dict(result)
    expires = out.get("offer_expires")
    if isinstance(expires, str):
        try:
            out["offer_expires"] = date.fromisoformat(expires)
        except ValueError:
            out["offer_expires"] = None
    return out


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _no_progress(done: int, total: int) -> None:
    """The progress callback of callers that pass none."""


def _campaign_payload(record: dict[str, Any]) -> dict[str, Any]:
    # The source's campaign_type is not sent: the prediction must come from the text, and what is
    # sent stays within what content_hash covers (channel, title, subject, content).
    content = record.get("content") or ""
    return {
        "company": record.get("company"),
        "channel": record.get("channel"),
        "title": record.get("title"),
        "subject_line": record.get("subject_line"),
        "content": content[:MAX_CONTENT_CHARS],
    }


class OpenAIEnricher:
    """Enrich campaigns with an OpenAI model; fall back to a local enricher item by item.

    ``api_key`` None lets the client read ``OPENAI_API_KEY``; ``base_url`` None is OpenAI's API,
    otherwise any OpenAI-compatible server. ``max_retries`` and ``timeout`` apply to each request:
    the client retries timeouts, connection errors, 429 and 5xx with backoff, honouring
    ``retry-after-ms``/``retry-after``. ``budget_requests`` caps the requests one run sends (a
    request retried by the client counts once); ``budget_tokens`` stops sending once the tokens
    reported by ``response.usage`` reach it (requests already in flight still finish, so a run
    can go past it by up to ``max_concurrency`` requests).
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        model: str,
        fallback: LocalFallback,
        cache: EnrichmentCache,
        batch_size: int = 10,
        max_concurrency: int = 4,
        timeout: float = 30.0,
        max_retries: int = 3,
        budget_requests: int | None = None,
        budget_tokens: int | None = None,
        prompt_version: str = PROMPT_VERSION,
    ) -> None:
        if batch_size < 1 or max_concurrency < 1:
            raise ValueError("batch_size and max_concurrency must be at least 1")
        if any(budget is not None and budget < 0 for budget in (budget_requests, budget_tokens)):
            raise ValueError("budgets must be None (no limit) or at least 0")
        self.model = model
        self.prompt_version = prompt_version
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency
        self.budget_requests = budget_requests
        self.budget_tokens = budget_tokens
        self._fallback = fallback
        self._cache = cache
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout,
                                     max_retries=max_retries)

    @property
    def enriched_by(self) -> str:
        """The provenance written on model answers: ``openai:<model>:<prompt_version>``."""
        return f"openai:{self.model}:{self.prompt_version}"

    def close(self) -> None:
        """Close the HTTP connections of the client."""
        self._client.close()

    def enrich_many(
        self,
        records: list[dict[str, Any]],
        progress: Callable[[int, int], None] | None = None,
    ) -> EnrichRun:
        """Enrich ``records`` (dicts with content_hash, title, subject_line, content, channel,
        campaign_type); results come back in the same order.

        Records whose text is cached are not sent; records with the same content_hash are sent
        once. ``progress(done, total)`` is called in the caller's thread, after the cache lookup
        and after each batch, so it may update a UI.
        """
        total = len(records)
        if total == 0:
            return EnrichRun(results=[], message="Nothing to enrich.")
        results: list[dict[str, Any] | None] = [None] * total
        pending: dict[CacheKey, list[int]] = {}
        for position, record in enumerate(records):
            pending.setdefault(self._cache_key(record), []).append(position)

        for key, result in self._cache.get_many(list(pending)).items():
            for position in pending.pop(key):
                results[position] = _from_cache(result)
        cache_hits = total - sum(len(group) for group in pending.values())
        notify = progress or _no_progress
        notify(cache_hits, total)

        limits = _RunLimits(self.budget_requests, self.budget_tokens)
        fallback_positions, failures = self._send_pending(
            records, pending, results, limits, lambda sent: notify(cache_hits + sent, total))
        if fallback_positions:
            local = self._fallback.enrich_many([records[position] for position in fallback_positions])
            for position, result in zip(fallback_positions, local, strict=True):
                results[position] = result

        run = EnrichRun(
            results=cast(list[dict[str, Any]], results),  # every position is filled by now
            requests_sent=limits.requests_sent,
            tokens_used=limits.tokens_used,
            cache_hits=cache_hits,
            model_items=total - cache_hits - len(fallback_positions),
            fallback_items=len(fallback_positions),
            failures=failures,
            budget_exhausted=limits.budget_stop is not None,
        )
        run.message = self._describe(run, limits.budget_stop, limits.halt_reason)
        return run

    def _send_pending(
        self,
        records: list[dict[str, Any]],
        pending: dict[CacheKey, list[int]],
        results: list[dict[str, Any] | None],
        limits: _RunLimits,
        report: Callable[[int], None],
    ) -> tuple[list[int], list[str]]:
        """Send the pending texts in batches, place and cache the answers; return the positions
        that still need the fallback (in order) and the failures."""
        keys = list(pending)
        batches = [keys[start:start + self.batch_size] for start in range(0, len(keys), self.batch_size)]
        fallback_positions: list[int] = []
        failures: list[str] = []
        done = 0
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="openai-enrich") as pool:
            futures = {
                pool.submit(self._enrich_batch, [records[pending[key][0]] for key in batch], limits):
                    (number, batch)
                for number, batch in enumerate(batches, start=1)
            }
            # Answers are placed, cached and reported here, in the caller's thread: the cache may
            # be a database connection and the progress callback may touch a UI, neither of which
            # is safe to use from the workers.
            for future in as_completed(futures):
                number, batch = futures[future]
                outcome = future.result()
                if outcome.error is not None:
                    failures.append(f"batch {number} ({len(batch)} campaigns): {outcome.error}")
                fresh: dict[CacheKey, dict[str, Any]] = {}
                for index, key in enumerate(batch):
                    group = pending[key]
                    if index in outcome.answers:
                        fresh[key] = outcome.answers[index].result(self.enriched_by)
                        for position in group:
                            results[position] = dict(fresh[key])
                    else:
                        fallback_positions.extend(group)
                        if index in outcome.item_problems:
                            failures.append(f"record {group[0]}: {outcome.item_problems[index]}")
                if fresh:
                    self._cache.put_many(fresh)
                done += sum(len(pending[key]) for key in batch)
                report(done)
        return sorted(fallback_positions), failures

    def _cache_key(self, record: dict[str, Any]) -> CacheKey:
        # Records that have not been through ingestion have no content_hash; the hash of what
        # would be sent serves the same purpose: the same text is answered once.
        content_hash = record.get("content_hash") or hashlib.sha256(
            json.dumps(_campaign_payload(record), sort_keys=True).encode("utf-8")).hexdigest()
        return (content_hash, self.model, self.prompt_version)

    def _messages(self, batch: list[dict[str, Any]]) -> list[dict[str, str]]:
        campaigns = [{"index": index, **_campaign_payload(record)} for index, record in enumerate(batch)]
        return [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": json.dumps({"campaigns": campaigns}, ensure_ascii=False)},
        ]

    def _enrich_batch(self, batch: list[dict[str, Any]], limits: _RunLimits) -> _BatchOutcome:
        """Send one batch (if the limits allow) and validate the answer; runs in a worker thread."""
        if not limits.acquire():
            return _BatchOutcome()
        try:
            completion = self._client.chat.completions.parse(
                model=self.model, messages=self._messages(batch), response_format=EnrichmentBatch)
        except _HALTING_ERRORS as exc:
            limits.halt(_short_error(exc))
            return _BatchOutcome(error=f"request refused: {_short_error(exc)}")
        except openai.OpenAIError as exc:
            return _BatchOutcome(error=f"request failed: {_short_error(exc)}")
        except pydantic.ValidationError as exc:
            # The client parses the content into the response format; this is an answer that
            # is not JSON, or not an object with an items list.
            return _BatchOutcome(error=f"answer is not the expected JSON: {_short_validation_error(exc)}")
        if completion.usage is not None:
            limits.add_tokens(completion.usage.total_tokens or 0)
        message = completion.choices[0].message if completion.choices else None
        if message is None or message.parsed is None:
            refusal = message.refusal if message is not None else None
            return _BatchOutcome(error=f"no structured answer{f' (refusal: {refusal})' if refusal else ''}")
        answers, problems = _validate_items(message.parsed.items, len(batch))
        return _BatchOutcome(answers=answers, item_problems=problems)

    def _describe(self, run: EnrichRun, budget_stop: str | None, halt_reason: str | None) -> str:
        parts = [
            f"{_count(len(run.results), 'campaign')}: {run.model_items} enriched by {self.model} "
            f"(prompt {self.prompt_version}), {run.cache_hits} from the cache, "
            f"{run.fallback_items} by the local enricher; {_count(run.requests_sent, 'request')}, "
            f"{_count(run.tokens_used, 'token')}."
        ]
        if budget_stop is not None:
            parts.append(
                f"The {budget_stop} stopped the run: the campaigns not sent got the local enrichment. "
                "Run again with a larger budget to enrich them with the model; answers already "
                "received are cached and will not be sent again.")
        if halt_reason is not None:
            parts.append(f"Sending stopped because the service refused a request ({halt_reason}); "
                         "check the API key, the model name and the base URL.")
        if run.failures:
            parts.append(f"{_count(len(run.failures), 'problem')}; see failures.")
        return " ".join(parts)
