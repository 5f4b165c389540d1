"""Labels on the pages: the vocabulary's human names (:mod:`competiscan.labels`) and the
escaping that keeps user text literal in Streamlit's Markdown."""

from __future__ import annotations

from typing import Any

from ..labels import (FIELD_LABELS, NO_PRODUCT, OFFER_LABELS, field_label, format_offer,
                      offer_label, pretty, product_label)

__all__ = ["FIELD_LABELS", "OFFER_LABELS", "field_label", "pretty", "offer_label",
           "format_offer", "md_escape", "NO_PRODUCT", "product_label"]

# Characters that Streamlit's Markdown would read as formatting, links, math ($), colour
# directives (:red[...]) or HTML; a backslash makes each one literal.
_MD_SPECIAL = set("\\`*_{}[]()<>#+-.!|~$:&=")


def md_escape(text: Any) -> str:
    """User text made literal for st.markdown/st.title and link labels (never HTML)."""
    if text is None:
        return ""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in " ".join(str(text).split()))
