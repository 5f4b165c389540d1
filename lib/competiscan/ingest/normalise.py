"""Column mapping and value normalisation: synonyms, channels, types, companies, dates, hashes.

All functions work on whole columns (pandas Series) so a million rows stay fast.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..companies import normalise_company_key
from ..model import CAMPAIGN_TYPES, CHANNELS

__all__ = ["column_key", "detect_mapping", "FIELD_SYNONYMS", "MAPPABLE_FIELDS",
           "normalise_channel", "normalise_campaign_type", "normalise_industry",
           "company_key", "parse_dates", "parse_numbers", "strip_text", "factorize", "spread",
           "normalise_keywords"]


def column_key(name: str) -> str:
    """Case- and punctuation-insensitive form of a header or value: 'Company Name' -> 'companyname'."""
    return re.sub(r"[^0-9a-z]+", "", str(name).lower())


# field -> header synonyms, most specific first. The classic export header and the older
# variant names of DOMAIN.md are here; they must keep loading unchanged.
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "company": ("company_name", "company", "advertiser", "brand", "competitor", "issuer",
                "sender", "from_name", "marketer", "organization"),
    "title": ("title", "name", "headline", "campaign_name", "campaign_title", "ad_title",
              "offer_name"),
    "product": ("product", "product_name", "card_product", "product_line", "card_name"),
    "subject_line": ("subject_line", "subject", "email_subject", "envelope_teaser", "teaser",
                     "preheader"),
    "content": ("content", "description", "body", "body_text", "text", "copy", "ad_copy",
                "creative_text", "message", "details"),
    "channel": ("channel", "platform", "medium", "media_type", "media", "placement_type"),
    "campaign_type": ("campaign_type", "type", "objective", "campaign_objective",
                      "campaign_category"),
    "industry": ("industry", "sector", "vertical"),
    "launch_date": ("launch_date", "first_seen", "first_seen_date", "date", "start_date",
                    "sent_date", "send_date", "drop_date", "date_seen", "seen_date",
                    "published", "published_date", "date_captured"),
    "last_seen": ("last_seen", "last_seen_date", "end_date"),
    "landing_url": ("landing_url", "landing_page", "url", "link", "cta_url"),
    "audience": ("audience", "target_audience", "segment"),
    "geography": ("geography", "geo", "region", "market", "country"),
    "est_spend_usd": ("est_spend_usd", "estimated_spend", "est_spend", "spend_usd", "spend",
                      "media_spend"),
    "est_volume": ("est_volume", "estimated_volume", "volume", "impressions",
                   "est_impressions", "mail_volume", "sends"),
    "keywords": ("keywords", "keyword", "tags"),
}
MAPPABLE_FIELDS: tuple[str, ...] = tuple(FIELD_SYNONYMS)


def detect_mapping(columns: list[str]) -> dict[str, str]:
    """Map the file's columns to fields: {column: field}. Unmatched columns are left out."""
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(column_key(column), column)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for field, synonyms in FIELD_SYNONYMS.items():
        for synonym in synonyms:
            column = by_key.get(column_key(synonym))
            if column is not None and column not in taken:
                mapping[column] = field
                taken.add(column)
                break
    return mapping


# ------------------------------------------------------------------------------ vocabularies
_CHANNEL_WORDS: dict[str, str] = {
    **{c: c for c in CHANNELS},
    "email": "email", "emails": "email", "newsletter": "email", "edm": "email",
    "directmail": "direct_mail", "dm": "direct_mail", "mail": "direct_mail",
    "postal": "direct_mail", "postalmail": "direct_mail", "letter": "direct_mail",
    "catalog": "direct_mail", "catalogue": "direct_mail", "postcard": "direct_mail",
    "social": "social", "socialmedia": "social", "facebook": "social", "instagram": "social",
    "twitter": "social", "x": "social", "linkedin": "social", "tiktok": "social",
    "pinterest": "social", "snapchat": "social", "reddit": "social", "meta": "social",
    "display": "display", "banner": "display", "banners": "display", "programmatic": "display",
    "native": "display", "displayad": "display", "online": "display",
    "search": "search", "paidsearch": "search", "sem": "search", "ppc": "search",
    "googleads": "search", "bing": "search", "searchad": "search", "sea": "search",
    "searchads": "search", "displayads": "display", "videoad": "video", "videoads": "video",
    "socialad": "social", "socialads": "social", "emailmarketing": "email",
    "video": "video", "youtube": "video", "tv": "video", "ctv": "video", "ott": "video",
    "connectedtv": "video", "onlinevideo": "video", "television": "video",
    "sms": "sms", "text": "sms", "textmessage": "sms", "mms": "sms", "sms/mms": "sms",
}

_TYPE_WORDS: dict[str, str] = {
    **{column_key(t): t for t in CAMPAIGN_TYPES},
    "acquisition": "acquisition", "acq": "acquisition", "newcustomer": "acquisition",
    "prospecting": "acquisition", "customeracquisition": "acquisition",
    "promotional": "promotional", "promo": "promotional", "promotion": "promotional",
    "sale": "promotional", "offer": "promotional", "deal": "promotional",
    "retention": "retention", "loyalty": "retention", "winback": "retention",
    "engagement": "retention", "crosssell": "retention", "upsell": "retention",
    "educational": "educational", "education": "educational", "informational": "educational",
    "content": "educational", "educationalcontent": "educational",
    "brandawareness": "brand_awareness", "brand": "brand_awareness",
    "awareness": "brand_awareness", "branding": "brand_awareness",
}
# Servicing messages are not campaigns of any type; they load with no type.
_NOT_A_TYPE = frozenset({"servicing", "service", "transactional", "notification", "alert",
                         "none", "na"})

_INDUSTRY_WORDS: dict[str, str] = {
    "banking": "banking", "bank": "banking", "banks": "banking", "retailbanking": "banking",
    "creditcards": "credit_cards", "creditcard": "credit_cards", "cards": "credit_cards",
    "card": "credit_cards", "cardissuer": "credit_cards",
    "insurance": "insurance", "insurer": "insurance", "autoinsurance": "insurance",
    "telecom": "telecom", "telco": "telecom", "telecommunications": "telecom",
    "wireless": "telecom", "mobile": "telecom",
    "retail": "retail", "retailer": "retail", "ecommerce": "retail",
    "travel": "travel", "airline": "travel", "airlines": "travel", "hotel": "travel",
    "hotels": "travel", "hospitality": "travel",
    "investing": "investing", "investment": "investing", "investments": "investing",
    "brokerage": "investing", "wealth": "investing",
}


def _chunked(array: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _dictionary(array: pa.Array | pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.Array]:
    """(each cell's index into the distinct values, null where missing; the distinct values
    in order of first appearance): one Arrow dictionary encoding, cheaper than
    pd.factorize, and its indices spread results without a numpy round trip."""
    encoded = _chunked(pc.dictionary_encode(array))
    distinct = (encoded.chunk(0).dictionary if encoded.num_chunks
                else pa.array([], encoded.type.value_type))
    return pa.chunked_array([c.indices for c in encoded.chunks], pa.int32()), distinct


def _nothing_to_trim(text: pa.ChunkedArray) -> bool:
    """Whether every cell starts and ends with printable ASCII, which no white space is
    (False: maybe not). Read from the Arrow offsets and bytes, which is cheaper than trimming
    a column that has nothing to trim: the trim copies it whole."""
    for chunk in text.chunks:
        _validity, offsets, data = chunk.buffers()
        if data is None or not data.size:
            continue   # only empty cells
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        bounds = np.frombuffer(offsets, dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
        chars = np.frombuffer(data, dtype=np.uint8)
        # first and last byte of each cell (clipped: an empty cell's are checked below), less
        # 0x21 in uint8, so that only 0x21-0x7E fall below 0x5E
        first = chars.take(bounds[:-1], mode="clip") - 0x21
        last = chars.take(bounds[1:] - 1, mode="clip") - 0x21
        printable = np.maximum(first, last) < 0x5E
        if not printable.all() and not (printable | (bounds[1:] == bounds[:-1])).all():
            return False
    return True


def strip_text(values: pd.Series) -> pa.ChunkedArray:
    """The column's cells without surrounding white space, blank ones missing, as Arrow:
    pandas' ``.str.strip()`` (the same Arrow kernel) and ``.where(s != "", None)`` without the
    pandas round trips. ``.to_pandas()`` of the result is
    the "str" column again, without a copy."""
    text = _chunked(pa.array(values.astype("str")))
    if not _nothing_to_trim(text):
        text = pc.utf8_trim_whitespace(text)
    blank = pc.equal(text, "")
    if pc.any(blank).as_py():   # rare: skip the copy when there is no blank cell
        text = pc.if_else(blank, None, text)
    return text


def factorize(values: pd.Series) -> tuple[pa.Array | pa.ChunkedArray, list]:
    """(each row's index into the distinct values, null where missing; the distinct values in
    order of first appearance), by ``_dictionary`` for a "str" column."""
    if values.dtype == "str":
        codes, distinct = _dictionary(pa.array(values))
        return codes, distinct.to_pylist()
    codes, uniques = pd.factorize(values)
    return pa.array(codes, mask=codes < 0), uniques.tolist()


def spread(mapped: list, codes: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """``mapped[code]`` of each row (None where the code is missing), as an Arrow-backed "str"
    column, which the batch hands on to Arrow without converting a Python object per row."""
    column = pa.array(mapped, type=pa.large_string()).take(codes).to_pandas()
    column.index = index
    return column


def _spread_flags(flags: list[bool], codes: pa.Array | pa.ChunkedArray,
                  index: pd.Index) -> pd.Series:
    """``flags[code]`` of each row, False where the code is missing."""
    taken = pc.fill_null(pa.array(flags, type=pa.bool_()).take(codes), False)
    return pd.Series(taken.to_numpy(zero_copy_only=False), index=index, dtype=bool)


def _map_distinct(values: pd.Series, func) -> dict:
    """{distinct value: func(value)} of a "str" column, missing values left out."""
    return {u: func(u) for u in pc.unique(pa.array(values)).drop_null().to_pylist()}


def map_unique(values: pd.Series, func, text: bool = True) -> pd.Series:
    """``values.map(func)`` computed once per distinct string (columns repeat a lot); a
    missing value maps to None. Spread by factorize codes: pandas' map of a dict would look
    every row up again in Python. ``text``: ``func`` gives strings (or None),
    returned as an Arrow-backed string column (see ``spread``); else an object column.

    A "str" column whose every value maps to itself (canonical values, as exports have them)
    is returned as it is: its distinct values alone cost about half of encoding its rows, and
    no column is built."""
    if text and values.dtype == "str":
        mapped_of = _map_distinct(values, func)
        if all(m == u for u, m in mapped_of.items()):
            return values.copy(deep=False)
        func = mapped_of.__getitem__   # each distinct value mapped once
    codes, uniques = factorize(values)
    mapped = [func(u) if isinstance(u, str) else None for u in uniques]
    if text:
        return spread(mapped, codes, values.index)
    rows = pc.fill_null(codes, len(mapped)).to_numpy(zero_copy_only=False)
    return pd.Series(np.array([*mapped, None], dtype=object)[rows], index=values.index,
                     dtype=object)


def _map_words(values: pd.Series, table: dict[str, str],
               not_words: frozenset[str] = frozenset()) -> tuple[pd.Series, pd.Series]:
    """(normalised values, mask of non-empty values that were not recognised, nor one of
    ``not_words``). Everything is decided once per distinct value from one factorize, and
    canonical values are returned as they are (see ``map_unique``), instead of a factorize
    per question asked of the column."""
    if values.dtype == "str":
        mapped_of = _map_distinct(values, lambda u: table.get(column_key(u)))
        if all(m == u for u, m in mapped_of.items()):   # then none is unknown
            return values.copy(deep=False), pd.Series(False, index=values.index)
    codes, uniques = factorize(values)
    keys = [column_key(u) if isinstance(u, str) else "" for u in uniques]
    mapped = [table.get(k) if isinstance(u, str) else None for u, k in zip(uniques, keys)]
    unknown = [bool(k) and m is None and k not in not_words for k, m in zip(keys, mapped)]
    return spread(mapped, codes, values.index), _spread_flags(unknown, codes, values.index)


def normalise_channel(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    return _map_words(values, _CHANNEL_WORDS)


def normalise_campaign_type(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    return _map_words(values, _TYPE_WORDS, _NOT_A_TYPE)


def normalise_industry(values: pd.Series) -> pd.Series:
    """Known industries to their canonical name; anything else kept as a snake_case word."""
    def one(v: object) -> str | None:
        if not isinstance(v, str) or not v.strip():
            return None
        key = column_key(v)
        return _INDUSTRY_WORDS.get(key) or re.sub(r"[^0-9a-z]+", "_", v.lower()).strip("_")
    return map_unique(values, one)


def company_key(name: str) -> str:
    """The alias key of a company name (one definition, shared with the catalogue)."""
    return normalise_company_key(name)


# ------------------------------------------------------------------------------ dates
_DATE_FORMATS_MONTH_FIRST = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y",
                             "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y",
                             "%d-%b-%Y", "%d-%b-%y", "%Y%m%d", "%d.%m.%Y")
_DATE_FORMATS_DAY_FIRST = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y",
                           "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y",
                           "%d-%b-%Y", "%d-%b-%y", "%Y%m%d", "%d.%m.%Y")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _day_first(values: pd.Series) -> bool:
    """A column of a/b/yyyy dates is day-first when some first part exceeds 12."""
    parts = values.str.extract(r"^\s*(\d{1,2})[/-](\d{1,2})[/-]\d{2,4}")
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    return bool((first > 12).any() and not (second > 12).any())


def parse_dates(values: pd.Series, excel_serials: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parse a column of date text; returns (dates as datetime64, mask of unparseable values).

    Formats: ISO (with or without time), US month-first, day-first when the column shows it,
    '15 Jan 2024', 'Jan 15, 2024', compact 20240115, and Excel serial numbers (xlsx only).
    """
    trimmed = strip_text(values)   # missing where not present
    present = pd.Series(pc.is_valid(trimmed).to_numpy(zero_copy_only=False), index=values.index)
    if not present.any():
        out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        return out, pd.Series(False, index=values.index)
    # parse each distinct value once: dates repeat a lot (one Arrow dictionary encoding of
    # the trimmed column, rather than a strip, a filter and a factorize)
    codes, distinct = _dictionary(trimmed)
    uniques = distinct.to_pandas()
    parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
    iso = pd.to_datetime(uniques, format="ISO8601", errors="coerce", utc=True)
    parsed = parsed.fillna(iso.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]"))
    formats = _DATE_FORMATS_DAY_FIRST if _day_first(uniques) else _DATE_FORMATS_MONTH_FIRST
    for fmt in formats:
        missing = parsed.isna()
        if not missing.any():
            break
        parsed[missing] = pd.to_datetime(uniques[missing], format=fmt, errors="coerce")
    if excel_serials:
        missing = parsed.isna()
        numbers = pd.to_numeric(uniques[missing], errors="coerce")
        ok = numbers.between(1, 2958465)
        parsed[missing & ok.reindex(parsed.index, fill_value=False)] = (
            _EXCEL_EPOCH + pd.to_timedelta(numbers[ok].astype(int), unit="D"))
    # implausible years are typos, not history
    parsed[(parsed.dt.year < 1990) | (parsed.dt.year > 2100)] = pd.NaT
    # Spread to the rows by factorize code (not a dict lookup per row in Python);
    # the extra last value is the missing cells' NaT.
    rows = pc.fill_null(codes, len(parsed)).to_numpy(zero_copy_only=False)
    dates = np.append(parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    out = pd.Series(dates[rows], index=values.index, dtype="datetime64[ns]")
    bad = present & out.isna()
    return out, bad


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'$1,200', '1.5k', '2M', '3,000.50' -> floats; returns (numbers, mask of unparseable)."""
    text = values.astype("str")
    trimmed = strip_text(text)   # missing where not present
    present = pd.Series(pc.is_valid(trimmed).to_numpy(zero_copy_only=False), index=values.index)
    try:
        # Most columns hold plain numbers only: Arrow's cast parses them in C, many times
        # faster than pd.to_numeric; its first
        # unparseable cell sends the whole column the general way below. (+ 0.0 turns -0 into 0.)
        parsed = pc.cast(trimmed, pa.float64())
        out = pd.Series(parsed.to_numpy(zero_copy_only=False) + 0.0, index=values.index)
    except pa.ArrowInvalid:
        # pd.to_numeric parses the plain cells at C speed; the clean-up below does the rest
        out = pd.to_numeric(text.where(present), errors="coerce").astype("float64")
    messy = present & out.isna()
    if messy.any():
        cleaned = (text[messy].str.replace(r"[$,\s]|usd", "", regex=True, case=False)
                   .str.lower())
        scale = cleaned.str[-1].map({"k": 1e3, "m": 1e6, "b": 1e9}).fillna(1.0)
        digits = cleaned.where(scale == 1.0, cleaned.str[:-1])
        out[messy] = pd.to_numeric(digits, errors="coerce") * scale
    bad = present & (out.isna() | (out < 0))
    out[bad] = np.nan
    return out, bad


def normalise_keywords(values: pd.Series) -> pd.Series:
    def one(v: object) -> str | None:
        if not isinstance(v, str):
            return None
        words = [w.strip() for w in re.split(r"[,;|]", v) if w.strip()]
        return ", ".join(dict.fromkeys(words)) or None
    return map_unique(values, one)

