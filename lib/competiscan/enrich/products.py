"""Which product a campaign markets: the catalogue's names found in its copy, or a rule.

A piece is linked to one product of its company (see ``competiscan/products.py``):

1. ``catalogue``: the first catalogue name or alias of the company in the headline (title and
   subject line), confidence 0.95; else the first in the body, 0.85, or 0.7 when the body
   names more than one of the company's products (a comparison, a family of cards). Among
   spellings starting at the same place the longest wins ("Venture X" over "Venture").
2. ``rule``: a product-like name not in the catalogue yet, a run of capitalised words ending
   in a product noun ("Everyday Rewards Card", "Premier Checking"), confidence 0.5.
3. Nothing: the piece names no product (brand, education, servicing), and stays unlinked.

A product the source file names (a ``product`` column) is kept as given (``source``, 1.0),
spelled as the catalogue spells it when it is one of its names.

Matching is done a company at a time with RE2 over Arrow columns (``pyarrow.compute``): a
million pieces are linked in seconds, in C++, without a Python loop over rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..products import KNOWN_PRODUCTS, Product

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ProductLinker", "CATALOGUE_HEADLINE", "CATALOGUE_BODY", "CATALOGUE_AMBIGUOUS",
           "RULE_CONFIDENCE", "normalise_copy", "PRODUCT_SCHEMA"]

CATALOGUE_HEADLINE = 0.95
CATALOGUE_BODY = 0.85
CATALOGUE_AMBIGUOUS = 0.7
RULE_CONFIDENCE = 0.5

PRODUCT_SCHEMA = pa.schema([("product", pa.string()), ("product_confidence", pa.float64()),
                            ("product_source", pa.string())])

# Marks issuers put after names (Venture X®, Sapphire Preferred℠) and typographic quotes.
_MARKS = "[®™℠©]"
# Nouns that end a product's name in copy; the rule's names end in one of these.
_HEADS = ("Credit Card", "Card", "Visa Signature", "Visa", "Mastercard", "Checking Account",
          "Checking", "Savings Account", "Savings", "Money Market", "CD", "Account",
          "Personal Loan", "Loan", "Unlimited", "Plan", "Policy", "Insurance")
# Capitalised words that start a sentence or a pitch rather than a name.
_NOT_NAMES = {"the", "a", "an", "your", "our", "new", "this", "that", "my", "get", "meet",
              "introducing", "apply", "open", "choose", "with", "for", "and", "or", "one",
              "any", "every", "no", "free", "earn", "now", "today", "use", "pay", "start",
              "save", "switch", "try", "add", "see", "why", "how", "learn", "more", "credit",
              "debit", "their", "his", "her", "its", "all", "eligible", "existing", "current",
              "dear", "hi", "hello", "welcome", "thank", "thanks", "secured", "business",
              "personal", "first", "card", "account", "preferred", "premium", "rewards",
              "platinum", "gold", "cash", "back", "travel", "miles", "points", "online",
              "high-yield", "high", "yield", "interest", "bonus", "intro", "limited", "time",
              "member", "members", "customer", "customers", "cardmember", "cardmembers",
              "limited-time", "special", "exclusive", "offer", "offers", "great", "best"}
_WORD = r"[A-Z][A-Za-z0-9'&+.-]*"
_RULE_RE = (r"(?P<name>(?:" + _WORD + r"\s+){1,6}(?:" + "|".join(re.escape(h) for h in _HEADS)
            + r"))(?:[^A-Za-z0-9]|$)")


# How much of a body is read: products are named early, and a catalogue's patterns over whole
# bodies cost most of the linking time.
BODY_CHARS = 600
RULE_BODY_CHARS = 300


def normalise_copy(values: pa.Array | pa.ChunkedArray, limit: int | None = None) -> pa.Array:
    """The first ``limit`` characters, marks (® ™ ℠ ©) gone: what the catalogue's patterns
    read (they ignore case and take any run of whitespace as one space)."""
    text = pc.fill_null(values, "")
    if limit is not None:
        text = pc.utf8_slice_codeunits(text, 0, limit)
    return pc.replace_substring_regex(text, _MARKS, "")


def _alternatives(spellings: Iterable[str]) -> str:
    """RE2 alternatives of normalised spellings, any whitespace between their words."""
    return "|".join(r"\s+".join(re.escape(w) for w in s.split(" ")) for s in spellings)


def _spelling_key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(_MARKS, "", text)).strip().lower()


@dataclass
class _CompanyPatterns:
    pattern: str                  # RE2, one group: the first spelling found
    product_of: dict[str, str]    # normalised spelling -> product name
    names: tuple[str, ...]        # company name and aliases, lower case (stripped from rules)


class ProductLinker:
    """Links pieces to their company's products (see the module's docstring)."""

    def __init__(self, products: Iterable[Product] = KNOWN_PRODUCTS,
                 company_names: dict[str, Sequence[str]] | None = None) -> None:
        """``products``: the catalogue; ``company_names``: each company's aliases (their
        spellings are taken off the front of a rule's name: "Capital One Everyday Card" is
        the "Everyday Card")."""
        self.products = tuple(products)
        self._company_names = {c: tuple(n.lower() for n in names)
                               for c, names in (company_names or {}).items()}
        self._patterns: dict[str, _CompanyPatterns] = {}
        by_company: dict[str, list[Product]] = {}
        for product in self.products:
            by_company.setdefault(product.company, []).append(product)
        for company, items in by_company.items():
            self._patterns[company] = self._compile(company, items)
        self._canonical = {(p.company, _spelling_key(s)): p.name
                           for p in self.products for s in p.spellings}

    def _compile(self, company: str, items: list[Product]) -> _CompanyPatterns:
        product_of: dict[str, str] = {}
        for product in items:
            for spelling in product.spellings:
                product_of.setdefault(_spelling_key(spelling), product.name)
        # Longest first: RE2 takes the first alternative that matches at the leftmost place.
        spellings = sorted(product_of, key=lambda s: (-len(s), s))
        pattern = f"(?i)(?:^|[^a-z0-9])(?P<p>{_alternatives(spellings)})(?:[^a-z0-9+]|$)"
        names = (company.lower(), *self._company_names.get(company, ()))
        return _CompanyPatterns(pattern, product_of, names)

    @property
    def companies(self) -> tuple[str, ...]:
        return tuple(self._patterns)

    def canonical(self, company: str, name: str | None) -> str | None:
        """The catalogue's spelling of ``name`` for ``company`` (a name or alias, or one
        within it: "Chase Sapphire Preferred Card" is the "Sapphire Preferred"), or ``name``
        as given when the catalogue does not know it."""
        if name is None or not str(name).strip():
            return None
        key = _spelling_key(str(name))
        known = self._canonical.get((company, key))
        if known is None and company in self._patterns:
            found = re.search(self._patterns[company].pattern, key)
            known = (self._patterns[company].product_of[_spelling_key(found.group("p"))]
                     if found else None)
        return known or " ".join(str(name).split())

    def link(self, company: pa.Array | pa.ChunkedArray, title: pa.Array | pa.ChunkedArray,
             subject: pa.Array | pa.ChunkedArray, content: pa.Array | pa.ChunkedArray,
             given: pa.Array | pa.ChunkedArray | None = None) -> pa.Table:
        """product, product_confidence and product_source of each piece, as a table of
        :data:`PRODUCT_SCHEMA` in the order of the inputs. ``given``: a product the source
        named per piece (null where it named none)."""
        n = len(company)
        product = np.full(n, None, dtype=object)
        confidence = np.full(n, np.nan)
        source = np.full(n, None, dtype=object)
        if n:
            company = _combined(company)
            headline = pc.binary_join_element_wise(
                pc.fill_null(_combined(title), ""), pc.fill_null(_combined(subject), ""), " . ")
            body = _combined(content)
            codes, names = _factorise(company)
            for code, name in enumerate(names):
                rows = np.flatnonzero(codes == code)
                if name is None or not len(rows):
                    continue
                taken = pa.array(rows)
                self._link_company(str(name), pc.take(headline, taken), pc.take(body, taken),
                                   rows, product, confidence, source)
            if given is not None:
                self._apply_given(company, _combined(given), product, confidence, source)
        return pa.table({
            "product": pa.array(product, pa.string()),
            "product_confidence": pa.array(confidence, pa.float64(), mask=np.isnan(confidence)),
            "product_source": pa.array(source, pa.string())}, schema=PRODUCT_SCHEMA)

    def link_frame(self, frame: "pd.DataFrame") -> "pd.DataFrame":
        """:meth:`link` over a frame's company, title, subject_line and content (a missing
        column is empty), indexed like it; a product the frame has with product_source
        "source" (the file named it) is kept."""
        def column(values: "pd.Series | None") -> pa.Array:
            if values is None:
                return pa.nulls(len(frame), pa.string())
            return pa.array(values.astype(object).where(values.notna(), None).tolist(),
                            pa.string())

        given = None
        if "product" in frame and "product_source" in frame:
            given = column(frame["product"].where(frame["product_source"].eq("source")))
        linked = self.link(*(column(frame.get(c)) for c in ("company", "title",
                                                           "subject_line", "content")),
                           given=given).to_pandas()
        linked.index = frame.index
        return linked

    def _link_company(self, company: str, headline: pa.Array, body: pa.Array,
                      rows: np.ndarray, product: np.ndarray, confidence: np.ndarray,
                      source: np.ndarray) -> None:
        patterns = self._patterns.get(company)
        open_ = np.ones(len(rows), dtype=bool)
        if patterns is not None:
            low_head, low_body = normalise_copy(headline), normalise_copy(body, BODY_CHARS)
            for text, level in ((low_head, CATALOGUE_HEADLINE), (low_body, CATALOGUE_BODY)):
                found = pc.struct_field(pc.extract_regex(text, patterns.pattern), [0])
                hit = open_ & pc.is_valid(found).to_numpy(zero_copy_only=False)
                if not hit.any():
                    continue
                at = rows[hit]
                product_of = patterns.product_of
                product[at] = [product_of[_spelling_key(s)]
                               for s in found.filter(pa.array(hit)).to_pylist()]
                confidence[at] = level
                source[at] = "catalogue"
                if level == CATALOGUE_BODY:
                    confidence[at] = np.where(
                        _names_another(low_body.filter(pa.array(hit)), patterns,
                                       product[at]), CATALOGUE_AMBIGUOUS, CATALOGUE_BODY)
                open_ &= ~hit
        if open_.any():
            self._link_by_rule(company, headline, body, rows, open_, product, confidence, source)

    def _link_by_rule(self, company: str, headline: pa.Array, body: pa.Array,
                      rows: np.ndarray, open_: np.ndarray, product: np.ndarray,
                      confidence: np.ndarray, source: np.ndarray) -> None:
        mask = pa.array(open_)
        text = pc.binary_join_element_wise(
            pc.filter(headline, mask),
            pc.utf8_slice_codeunits(pc.fill_null(pc.filter(body, mask), ""), 0,
                                    RULE_BODY_CHARS), " . ")
        text = pc.replace_substring_regex(text, _MARKS, "")
        found = pc.struct_field(pc.extract_regex(text, _RULE_RE), [0])
        valid = pc.is_valid(found).to_numpy(zero_copy_only=False)
        if not valid.any():
            return
        # Each distinct candidate is judged once (a campaign's wording repeats across pieces).
        encoded = pc.dictionary_encode(found.filter(pa.array(valid)))
        names = [self._rule_name(company, raw) for raw in encoded.dictionary.to_pylist()]
        for row, code in zip(rows[open_][valid], encoded.indices.to_numpy(zero_copy_only=False)):
            name = names[code]
            if name:
                product[row], confidence[row], source[row] = name, RULE_CONFIDENCE, "rule"

    def _rule_name(self, company: str, raw: str) -> str | None:
        """The product name in a rule's match, or None when it is not one: the company's own
        name and leading pitch words ("Get the", "Your") are taken off, and what is left must
        have a word before the product noun that is not a generic one."""
        words = raw.split()
        low = " ".join(words).lower()
        for name in sorted(self._company_names_of(company), key=len, reverse=True):
            if low.startswith(name + " "):
                words = words[len(name.split()):]
                low = " ".join(words).lower()
                break
        # The tail of a company name the match started inside ("One Bank" of "Credit One
        # Bank", "America" of "Bank of America"), and pitch words, are not the name.
        company_words = {w for name in self._company_names_of(company) for w in name.split()}
        while words and (words[0].lower().strip(".'") in _NOT_NAMES - _KEEP_WORDS
                         or words[0].lower() in company_words):
            words = words[1:]
        if len(words) < 2:
            return None
        head_words = next(len(h.split()) for h in _HEADS if " ".join(words).endswith(h))
        qualifiers = [w.lower() for w in words[:-head_words]]
        if not qualifiers or all(w in _NOT_NAMES for w in qualifiers):
            return None
        return " ".join(words)

    def _company_names_of(self, company: str) -> tuple[str, ...]:
        return (company.lower(), *self._company_names.get(company, ()))

    def _apply_given(self, company: pa.Array, given: pa.Array, product: np.ndarray,
                     confidence: np.ndarray, source: np.ndarray) -> None:
        # Only the rows that name one (most files name none), each distinct pair spelled once.
        rows = np.flatnonzero(pc.is_valid(given).to_numpy(zero_copy_only=False))
        taken = pa.array(rows)
        spelled: dict[tuple[str, str], str | None] = {}
        for i, owner, name in zip(rows, pc.take(company, taken).to_pylist(),
                                  pc.take(given, taken).to_pylist()):
            if owner and (owner, name) not in spelled:
                spelled[owner, name] = self.canonical(owner, name)
            if owner and spelled[owner, name]:
                product[i], confidence[i], source[i] = spelled[owner, name], 1.0, "source"


# Generic words that may still be part of a name once a real qualifier precedes them
# ("Preferred" in "Sapphire Preferred Card" stays; "Your Card" has no qualifier).
_KEEP_WORDS = {"preferred", "premium", "rewards", "platinum", "gold", "cash", "back",
               "travel", "miles", "points", "online", "secured", "business", "high-yield",
               "high", "yield", "interest", "one", "first", "personal", "card", "account",
               "credit", "debit"}


def _names_another(low_body: pa.Array, patterns: _CompanyPatterns,
                   chosen: np.ndarray) -> np.ndarray:
    """Whether each body names a product of the company other than ``chosen``: one RE2 pass
    per product of the company."""
    out = np.zeros(len(chosen), dtype=bool)
    spellings: dict[str, list[str]] = {}
    for spelling, name in patterns.product_of.items():
        spellings.setdefault(name, []).append(spelling)
    for name, names in spellings.items():
        named = pc.match_substring_regex(
            low_body, f"(?i)(?:^|[^a-z0-9])(?:{_alternatives(names)})(?:[^a-z0-9+]|$)")
        out |= pc.fill_null(named, False).to_numpy(zero_copy_only=False) & (chosen != name)
    return out


def _combined(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    return values


def _factorise(values: pa.Array) -> tuple[np.ndarray, list[str | None]]:
    encoded = pc.dictionary_encode(values)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return codes, encoded.dictionary.to_pylist()
