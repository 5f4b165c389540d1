"""The Campaign page's parts: one piece with every field, its enrichment and provenance, offer
terms, sightings, variants and similar pieces."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping, Sequence
from urllib.parse import quote, urlencode, urlsplit

import pandas as pd
import streamlit as st

from ..labels import format_day
from ..model import CAMPAIGN_FIELDS, OFFER_FIELDS
from ..workbench import SearchRequest, SearchResult, Workbench, tokenize
from . import data
from .labels import field_label, format_offer, md_escape, offer_label, pretty
from .widgets import campaign_table

__all__ = ["parse_id", "similar_query", "similar", "show_header", "show_offers",
           "show_enrichment", "show_fields", "show_sightings", "show_variants", "show_similar"]

# Words too common in marketing copy to say what a piece is about.
_COMMON = frozenset("""
a an and are as at be by for from get in is it its more now of on or our the this to up we
with you your new offer offers card cards apply today only just plus learn save get
""".split())
SIMILAR_WORDS = 8
SIMILAR_SHOWN = 6


def parse_id(params: Mapping[str, Sequence[str]]) -> tuple[int | None, str | None]:
    """The campaign id of the URL, or why there is none."""
    values = params.get("id") or []
    if not values or not values[-1].strip():
        return None, None
    raw = values[-1].strip()
    if not raw.isdigit():
        return None, f"“{md_escape(raw)}” is not a campaign id (ids are whole numbers)."
    return int(raw), None


def similar_query(title: str | None, subject: str | None = None,
                  content: str | None = None) -> str:
    """A query of the distinctive words of a piece's title, then of its subject line and
    content when the title has few; any word may match, and relevance ranks pieces sharing
    more of them first.

    The words come from the index's own tokenizer, lower-cased: no quotes, parentheses,
    colons or upper-case operators survive it, so the text cannot turn into query syntax.
    """
    words: list[str] = []
    for token in tokenize(" ".join(t for t in (title, subject, content) if t)):
        if token not in _COMMON and (len(token) > 2 or token[0].isdigit()) \
                and token not in words:
            words.append(token)
    return " OR ".join(words[:SIMILAR_WORDS])


def similar(workbench: Workbench, row: Mapping[str, Any]) -> SearchResult | None:
    query = similar_query(row.get("title"), row.get("subject_line"), row.get("content"))
    if not query:
        return None
    request = SearchRequest(query=query, limit=SIMILAR_SHOWN + 1, facets=False)
    return data.search(workbench, request)


def _missing(value: Any) -> bool:
    """None, NaN or NaT: a value the store does not have."""
    return value is None or (not isinstance(value, (str, list, tuple, dict))
                             and bool(pd.isna(value)))


def _value(value: Any) -> str:
    """A stored value as text; "—" where there is none."""
    if _missing(value):
        return "—"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def link_target(url: Any) -> str | None:
    """The address a landing URL may be linked to: an absolute http(s) URL, with the
    characters Markdown would read (spaces, brackets, parentheses) percent-encoded; None for
    anything else (``javascript:``, ``mailto:``, a bare path), which is shown as text. "$" and
    "*" are encoded too: Streamlit's Markdown reads math and emphasis before links."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(text, safe=":/?#@!&'+,;=%~-._")


def offer_end(expires: Any, today: date | None = None) -> str | None:
    """"Offer ends 19 January 2027" (or "ended", once the day is past); None without a date."""
    if _missing(expires):
        return None
    day = expires.date() if isinstance(expires, datetime) else expires
    verb = "ended" if day < (today or date.today()) else "ends"
    return f"Offer {verb} {format_day(day)}"


def _money(value: Any) -> str:
    return "—" if _missing(value) else f"${float(value):,.0f}"


def _count(value: Any) -> str:
    return "—" if _missing(value) else f"{float(value):,.0f}"


def show_header(row: Mapping[str, Any], sightings: int) -> None:
    st.title(md_escape(row.get("title") or row.get("subject_line") or f"Campaign {row['id']}"))
    meta = [row["company"], pretty(row.get("channel")), pretty(row.get("campaign_type")),
            pretty(row.get("industry"))]
    type_from = ("no campaign type" if not row.get("campaign_type")
                 else "type given by the source" if row.get("campaign_type_source") == "source"
                 else "type predicted from the text")
    st.caption(" · ".join(md_escape(m) for m in meta)
               + f" · {type_from} · campaign {row['id']}")
    _show_product(row)
    cols = st.columns(4)
    cols[0].metric("First seen", _value(row["launch_date"]))
    cols[1].metric("Last seen", _value(row["last_seen"]))
    score = row.get("sentiment_score")
    cols[2].metric("Sentiment", pretty(row.get("sentiment_label")),
                   help=f"Score {score:+.2f} on a scale from −1 to 1" if score is not None
                   else "Not scored yet")
    cols[3].metric("Sightings", f"{sightings:,}",
                   help="Distinct dates it was seen on, over every upload")
    _show_placement(row)
    if row.get("subject_line"):
        st.markdown(f"**Subject line:** {md_escape(row['subject_line'])}")
    if row.get("content"):
        with st.container(border=True):
            # Paragraph breaks are kept; every paragraph is literal text.
            paragraphs = [p for p in str(row["content"]).split("\n\n") if p.strip()]
            st.markdown("\n\n".join(md_escape(p) for p in paragraphs))
    if row.get("summary"):
        st.markdown(f"**Summary:** {md_escape(row['summary'])}")


_PRODUCT_SOURCES = {"source": "named by the uploaded file", "catalogue":
                    "found in the copy from the product catalogue", "rule":
                    "a product-like name in the copy, not in the catalogue yet"}


def _show_product(row: Mapping[str, Any]) -> None:
    """The product the piece markets, how it was found and how sure the link is, with links
    to the company's other pieces of that product and to its offers."""
    product = row.get("product")
    if _missing(product) or not str(product).strip():
        st.markdown("**Product:** none named in this piece (its offer terms are not compared "
                    "with any product's).")
        return
    source = row.get("product_source") or ""
    how = _PRODUCT_SOURCES.get(source, f"named by the model ({source})" if source else "")
    confidence = row.get("product_confidence")
    sure = "" if _missing(confidence) else f", confidence {float(confidence):.0%}"
    query = urlencode({"company": row["company"], "product": product})
    st.markdown(f"**Product:** {md_escape(product)} ({md_escape(how)}{sure}) · "
                f"[its pieces](search?{query}) · [its offers](trends?view=offers&{query})")


def _show_placement(row: Mapping[str, Any]) -> None:
    """Who the piece was aimed at, where, with what spend and volume, where it leads, and
    when its offer ends; every value is the source's text, escaped."""
    parts = [f"**{label}:** {md_escape(text)}"
             for label, text in (("Audience", _value(row.get("audience"))),
                                 ("Geography", _value(row.get("geography"))),
                                 ("Estimated spend", _money(row.get("est_spend_usd"))),
                                 ("Estimated volume", _count(row.get("est_volume"))))]
    lines = [" · ".join(parts)]
    url = row.get("landing_url")
    if not _missing(url) and str(url).strip():
        target = link_target(url)
        shown = md_escape(url)
        lines.append(f"**Landing page:** [{shown}]({target})" if target
                     else f"**Landing page:** {shown}")
    ends = offer_end(row.get("offer_expires"))
    if ends:
        lines.append(f"**{ends}**")
    st.markdown("  \n".join(lines))


def show_offers(row: Mapping[str, Any]) -> None:
    st.subheader("Offer terms")
    terms = [(t, row.get(t)) for t in OFFER_FIELDS if t != "bonus_unit"
             and not _missing(row.get(t))]
    if not terms:
        st.caption("No offer terms were found in this piece.")
        return
    unit = row.get("bonus_unit")
    frame = pd.DataFrame({
        "Term": [offer_label(t, unit if t == "bonus_amount" else None) for t, _ in terms],
        "Value": [format_offer(t, v, unit) for t, v in terms]})
    st.dataframe(frame, hide_index=True, key="offer_terms")


def show_enrichment(row: Mapping[str, Any]) -> None:
    st.subheader("Enrichment")
    by, at = row.get("enriched_by"), row.get("enriched_at")
    if not by:
        st.caption("This piece has not been enriched yet (`competiscan enrich` runs it).")
    else:
        st.caption(f"Produced by **{md_escape(by)}**"
                   + (f" at {_value(at)} UTC" if at is not None else "") + ".")
    fields = ["sentiment_label", "sentiment_score", "campaign_type_predicted",
              "campaign_type_confidence", "extracted_keywords", "summary", "enriched_by",
              "enriched_at"]
    st.dataframe(pd.DataFrame({"Field": [field_label(f) for f in fields],
                               "Value": [_value(row.get(f)) for f in fields]}),
                 hide_index=True, key="enrichment")


def show_fields(row: Mapping[str, Any]) -> None:
    """Every stored field, as text (a table: nothing in it is interpreted)."""
    names = ["id", *CAMPAIGN_FIELDS, "campaign_type_source", "batch_id", "ingested_at",
             "content_hash", "variant_key", "indexed"]
    names += [n for n in row if n not in names]
    st.dataframe(pd.DataFrame({"Field": [field_label(n) for n in names],
                               "Value": [_value(row.get(n)) for n in names]}),
                 hide_index=True, key="all_fields", height=min(38 + 35 * len(names), 560))


def show_sightings(sightings: list[dict[str, Any]]) -> None:
    st.subheader("Sightings")
    if not sightings:
        st.caption("No sighting recorded.")
        return
    st.caption(f"Seen {len(sightings):,} time{'s' if len(sightings) != 1 else ''} "
               "(each distinct date in each upload). Exact duplicate rows of one file count "
               "once; a later upload of the same piece is a re-sighting and moves last seen.")
    st.dataframe(pd.DataFrame(sightings).rename(columns={
        "seen_on": "Seen on", "batch_id": "Upload", "filename": "File"}),
        hide_index=True, key="sightings", placeholder="—")


def show_variants(variants: list[dict[str, Any]]) -> None:
    st.subheader("Variants")
    if not variants:
        st.caption("No near-identical piece (same company, almost the same text).")
        return
    st.caption("Near-identical pieces of the same company: the same message with small "
               "changes (an amount, a date, a name).")
    campaign_table(pd.DataFrame(variants), key="variants")


def show_similar(result: SearchResult | None, own_id: int) -> None:
    st.subheader("Similar campaigns")
    hits = [h for h in (result.hits if result else []) if h.id != own_id][:SIMILAR_SHOWN]
    if not hits:
        st.caption("No similar campaign found.")
        return
    st.caption("Pieces sharing the distinctive words of this title, best match first.")
    campaign_table(pd.DataFrame([{"id": h.id, "title": h.title, "company": h.company,
                                  "channel": h.channel, "launch_date": h.launch_date}
                                 for h in hits]), key="similar")
