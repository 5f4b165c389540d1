"""The one search language, parsed once into our own syntax tree.

Analysts type queries such as ``"0% APR" OR "zero interest"``, ``balance transfer -business``,
``company:"capital one" rewrds``. This module turns that text into a small tree of dataclasses
(:class:`Term`, :class:`Phrase`, :class:`And`, :class:`Or`, :class:`Not`, :class:`FieldFilter`,
:class:`OfferRange`, :class:`OfferPhrase`) that each backend compiles into its own query
objects. User text never reaches a backend's own query-string parser, so the syntax is the same
everywhere and nothing the user types can be interpreted as backend syntax.

The language
    * words: every word must match (``travel rewards``); ``AND`` may be written out;
    * ``"exact phrases"``;
    * ``OR`` (upper case) between alternatives; ``AND`` binds tighter than ``OR``, as in
      ordinary boolean logic: ``a b OR c`` means ``(a AND b) OR c``;
    * ``-word``, ``-"a phrase"``, ``-(group)`` and ``NOT word`` exclude;
    * parentheses group;
    * field filters ``company:``, ``product:``, ``channel:``, ``type:``, ``industry:`` with a bare
      or quoted value (``company:"capital one"``); values are matched case- and
      punctuation-insensitively;
    * offer terms compared with numbers (:data:`OFFER_QUERY_FIELDS`): ``apr:0``,
      ``intro_apr_months>=15``, ``bonus >= 60k``, ``fee:0``, ``cashback>2``, ``months:12..21``;
    * a quoted phrase that names an offer (``"0% APR"``, ``"no annual fee"``, ``"$200 bonus"``)
      also finds the same offer worded differently, through the offer terms extracted from the
      pieces (:class:`OfferPhrase`, ranked after the literal matches).

Parsing is lenient: an operator with nothing to join is ignored (or searched as a word when the
query has nothing else), unbalanced quotes and parentheses are closed at the end, punctuation that
is not part of a word is ignored. Only what cannot be answered sensibly raises
:class:`QueryError` (a query longer than :data:`MAX_QUERY_LENGTH`, too many words, parentheses
nested too deep, an offer comparison on an unknown field or without a number).

Words are split the way the indexes split text (:func:`tokenize`): runs of letters and digits,
with amounts and percentages kept whole (``0%``, ``$200``, ``19.24%``, see
:data:`AMOUNT_MARK_PATTERN`), so ``"0% APR"`` matches neither ``10% APR`` nor ``0 APR``, and
``50%`` does not match ``4.50%``. Spellings the domain writes both joined and split
(:data:`WORD_SPLITS`) find each other, and backends match a word fuzzily when the index has no
exact match for it (:func:`fuzzy_distance`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Union

from ..enrich.offers import extract_offers
from ..model import BONUS_UNITS, NUMERIC_OFFER_FIELDS
from .base import QueryError

__all__ = [
    "Term",
    "Phrase",
    "And",
    "Or",
    "Not",
    "FieldFilter",
    "OfferRange",
    "OfferPhrase",
    "Node",
    "MATCH_ALL",
    "MATCH_NONE",
    "FILTER_FIELDS",
    "OFFER_QUERY_FIELDS",
    "PHRASE_OFFER_TERMS",
    "MAX_QUERY_LENGTH",
    "MAX_QUERY_TERMS",
    "MAX_NESTING",
    "MAX_TOKEN_BYTES",
    "AMOUNT_MARK_PATTERN",
    "AMOUNT_MARK",
    "AMOUNT_MARK_STEPS",
    "WORD_PATTERN",
    "WORD_SPLITS",
    "parse",
    "expand_word_splits",
    "expand_offer_phrases",
    "phrase_offer_terms",
    "prepare",
    "tokenize",
    "mark_amounts",
    "filter_key",
    "fuzzy_distance",
    "fuzzy_candidates",
    "has_text",
    "text_leaves",
]

#: Amount punctuation: "$" before a digit, "." or "," between digits, "%" after a digit. Text is
#: indexed (and queries analysed) with each of these replaced by :data:`AMOUNT_MARK`, a letter, so
#: a tokenizer that keeps runs of letters and digits (tantivy's fast "simple" tokenizer) keeps
#: ``$4,000``, ``0%`` and ``19.24%`` whole. One character for one keeps every offset, so
#: highlights found in the marked text apply to the original. Elasticsearch does the same with a
#: ``pattern_replace`` char filter. (Each branch starts with its character, which lets the regex
#: engine skip ahead: twice as fast as leading with the digit lookbehind, and bulk loads mark
#: four texts per document.)
AMOUNT_MARK_PATTERN: str = r"[.,](?<=[0-9][.,])(?=[0-9])|%(?<=[0-9]%)|\$(?=[0-9])"
#: A letter English text hardly ever writes right next to digits (so "j200" meaning "$200" is a
#: collision nobody meets).
AMOUNT_MARK: str = "j"
#: A token of the marked text: a run of letters and digits.
WORD_PATTERN: str = r"[^\W_]+"
#: The same marking as replacements without lookaround, for regex engines that have none (RE2,
#: in DuckDB and Arrow), applied in this order. One pattern has a branch per kind of amount
#: punctuation; the branch that matched fills its groups and the others' are empty, so one
#: replacement puts the mark where that branch wants it. Digits are never replaced, so a pass
#: sees the digits the lookarounds look at. It runs twice: a match consumes the digit after it,
#: which the next mark may need as its own left digit ("1,2,3", "5.5%" or "$5%" get one mark
#: less in the first pass), and such misses never come two in a row. (Two passes of one
#: pattern scan each text fewer times than a pass per kind of amount would.)
_AMOUNT_MARK_STEP: tuple[str, str] = (r"([0-9])[.,]([0-9])|([0-9])%|\$([0-9])",
                                      rf"\1\3{AMOUNT_MARK}\2\4")
AMOUNT_MARK_STEPS: tuple[tuple[str, str], ...] = (_AMOUNT_MARK_STEP, _AMOUNT_MARK_STEP)
_AMOUNT_MARK_RE = re.compile(AMOUNT_MARK_PATTERN)
_WORD_RE = re.compile(WORD_PATTERN)

#: Tokens this long (UTF-8 bytes) or longer are not indexed (tantivy's default limit); they are
#: dropped from queries too, so they never turn a query into "match nothing".
MAX_TOKEN_BYTES: int = 40

MAX_QUERY_LENGTH: int = 1_000
MAX_QUERY_TERMS: int = 100
MAX_NESTING: int = 20

#: What a user may write before ``:`` → the document field it filters.
FILTER_FIELDS: dict[str, str] = {
    "company": "company",
    "product": "product",
    "channel": "channel",
    "type": "campaign_type",
    "industry": "industry",
}

#: Words marketing copy writes both joined and split. Either form in a query finds both forms
#: in the text. Keys are the joined form as one token; values the split form's tokens.
WORD_SPLITS: dict[str, tuple[str, ...]] = {
    "cashback": ("cash", "back"),
    "balancetransfer": ("balance", "transfer"),
    "email": ("e", "mail"),
    "ecommerce": ("e", "commerce"),
    "noannualfee": ("no", "annual", "fee"),
    "signup": ("sign", "up"),
    "creditcard": ("credit", "card"),
    "autopay": ("auto", "pay"),
    "airmiles": ("air", "miles"),
    "preapproved": ("pre", "approved"),
    "prequalified": ("pre", "qualified"),
    "homeowners": ("home", "owners"),
    "wifi": ("wi", "fi"),
}
#: The names an analyst writes for offer terms in comparisons (``fee:0``, ``bonus>=60000``) →
#: (the numeric offer term, the bonus unit it is restricted to or None). Each term's own name
#: (``intro_apr_months``) works too. ``regular_apr`` is the lowest ongoing APR a piece states
#: (its "from" rate), ``regular_apr_max`` the highest.
OFFER_QUERY_FIELDS: dict[str, tuple[str, str | None]] = {
    "apr": ("intro_apr_pct", None),
    "intro_apr": ("intro_apr_pct", None),
    "months": ("intro_apr_months", None),
    "apr_months": ("intro_apr_months", None),
    "intro_months": ("intro_apr_months", None),
    "regular_apr": ("regular_apr_min_pct", None),
    "regular_apr_max": ("regular_apr_max_pct", None),
    "bonus": ("bonus_amount", None),
    "bonus_points": ("bonus_amount", "points"),
    "bonus_miles": ("bonus_amount", "miles"),
    "bonus_dollars": ("bonus_amount", "dollars"),
    "spend": ("bonus_spend_usd", None),
    "bonus_months": ("bonus_window_months", None),
    "fee": ("annual_fee_usd", None),
    "annual_fee": ("annual_fee_usd", None),
    "bt_fee": ("balance_transfer_fee_pct", None),
    "balance_transfer_fee": ("balance_transfer_fee_pct", None),
    "cashback": ("cash_back_pct", None),
    "cash_back": ("cash_back_pct", None),
    "apy": ("apy_pct", None),
}
_OFFER_FIELD_NAMES: dict[str, tuple[str, str | None]] = {
    **{name: (name, None) for name in NUMERIC_OFFER_FIELDS}, **OFFER_QUERY_FIELDS}

#: The offer terms a quoted phrase is read for (:func:`phrase_offer_terms`). Regular APRs are
#: left out: "19.99% APR" in copy is one end of a range as often as not, so the same number is
#: no sign of the same offer (``regular_apr<=19.99`` says what is meant).
PHRASE_OFFER_TERMS: tuple[str, ...] = (
    "intro_apr_pct", "intro_apr_months", "bonus_amount", "bonus_spend_usd", "bonus_window_months",
    "cash_back_pct", "annual_fee_usd", "balance_transfer_fee_pct", "apy_pct")

_JOINED_BY_SPLIT: dict[tuple[str, ...], str] = {v: k for k, v in WORD_SPLITS.items()}
_LONGEST_SPLIT: int = max(len(v) for v in WORD_SPLITS.values())


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Term:
    """One word (a single lower-cased token) to find in the text fields."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """Tokens that must appear next to each other, in this order."""

    words: tuple[str, ...]

    @property
    def text(self) -> str:
        """The phrase as one string, for backends that analyse text themselves."""
        return " ".join(self.words)


@dataclass(frozen=True)
class And:
    """Every child must match. ``And(())`` matches everything."""

    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    """At least one child must match. ``Or(())`` matches nothing."""

    children: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    """Everything the child does not match."""

    child: "Node"


@dataclass(frozen=True)
class FieldFilter:
    """A structured field equals a value; ``value`` is already :func:`filter_key`-normalised."""

    field: str
    value: str


@dataclass(frozen=True)
class OfferRange:
    """A numeric offer term within bounds: ``low``/``high`` ``None`` leave that side open, the
    ``include_*`` flags say whether a bound itself is in. ``unit`` restricts a bonus to points,
    miles or dollars. Only pieces that state the term match."""

    field: str
    low: float | None = None
    high: float | None = None
    include_low: bool = True
    include_high: bool = True
    unit: str | None = None


@dataclass(frozen=True)
class OfferPhrase:
    """A quoted phrase that names an offer: ``literal`` (the phrase as written, with its
    spellings) or the pieces whose extracted offer terms meet every one of ``terms``. Backends
    score the second alternative zero, so pieces worded as typed rank first."""

    literal: "Node"
    terms: tuple[OfferRange, ...]


Node = Union[Term, Phrase, And, Or, Not, FieldFilter, OfferRange, OfferPhrase]

MATCH_ALL: Node = And(())
MATCH_NONE: Node = Or(())


# --------------------------------------------------------------------------- small helpers


def mark_amounts(text: str) -> str:
    """``text`` with amount punctuation replaced by :data:`AMOUNT_MARK`, same length:
    ``"Earn $4,000 or 19.24%"`` → ``"Earn j4j000 or 19j24j"``."""
    return _AMOUNT_MARK_RE.sub(AMOUNT_MARK, text)


def tokenize(text: str) -> list[str]:
    """Split text into lower-cased tokens the way the indexes do (before stemming), spelled as
    written: ``"Earn $4,000 at 19.24%!"`` → ``["earn", "$4,000", "at", "19.24%"]``."""
    tokens = (text[m.start() : m.end()].lower() for m in _WORD_RE.finditer(mark_amounts(text)))
    return [t for t in tokens if len(t.encode("utf-8")) < MAX_TOKEN_BYTES]


@lru_cache(maxsize=4096)  # called per indexed document; the values repeat a lot
def filter_key(value: str) -> str:
    """Normalise a structured value for field filters: case, accents and punctuation ignored.

    ``"Capital One"``, ``"capital-one"`` and ``"CAPITAL  ONE"`` all give ``"capital one"``;
    ``direct_mail`` and ``direct mail`` both give ``"direct mail"``. A filter typed in a query
    matches the documents whose value has the same key, so ``company:"capital one"`` finds
    "Capital One" in every backend.
    """
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.findall(r"[a-z0-9]+", folded.lower()))


def fuzzy_distance(word: str) -> int:
    """Edit distance allowed for a word without an exact match: 0 below 4 characters,
    1 for 4–7, 2 for 8 or more. Only alphabetic words are fuzzy: ``5%`` must never find ``6%``."""
    if not word.isalpha() or len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


def text_leaves(node: Node) -> list[Term | Phrase]:
    """All terms and phrases in the tree, in order (duplicates kept)."""
    if isinstance(node, (Term, Phrase)):
        return [node]
    if isinstance(node, Not):
        return text_leaves(node.child)
    if isinstance(node, OfferPhrase):
        return text_leaves(node.literal)
    if isinstance(node, (And, Or)):
        return [leaf for child in node.children for leaf in text_leaves(child)]
    return []


def fuzzy_candidates(node: Node) -> set[str]:
    """Words of the tree that may be matched fuzzily when the index has no exact match."""
    return {leaf.text for leaf in text_leaves(node) if isinstance(leaf, Term) and fuzzy_distance(leaf.text)}


def has_text(node: Node) -> bool:
    """Whether the tree searches any text (so ranking by relevance means something)."""
    return bool(text_leaves(node))


# --------------------------------------------------------------------------- lexer


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "phrase", "neg", "lparen", "rparen"
    text: str
    start: int
    end: int


def _is_space(c: str) -> bool:
    """Whitespace, or a control character (NUL, escape...): both separate words."""
    return c.isspace() or unicodedata.category(c) == "Cc"


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if _is_space(c):
            i += 1
        elif c in "()":
            tokens.append(_Token("lparen" if c == "(" else "rparen", c, i, i + 1))
            i += 1
        elif c == '"':
            close = text.find('"', i + 1)
            end = n if close == -1 else close  # an unbalanced quote runs to the end
            tokens.append(_Token("phrase", text[i + 1 : end], i, min(end + 1, n)))
            i = end + 1
        else:
            j = i
            while j < n and not (_is_space(text[j]) or text[j] in '()"'):
                j += 1
            word = text[i:j]
            # A leading "-" negates what is attached to it: -word, -"phrase", -(group).
            # A dash standing alone, or followed by a space, is just punctuation.
            stripped = word.lstrip("-")
            if word.startswith("-") and (stripped or (j < n and text[j] in '("')):
                tokens.append(_Token("neg", "-", i, i + len(word) - len(stripped)))
                if stripped:
                    tokens.append(_Token("word", stripped, j - len(stripped), j))
            else:
                tokens.append(_Token("word", word, i, j))
            i = j
    return tokens


# --------------------------------------------------------------------------- parser


_OPERATORS = frozenset({"AND", "OR", "NOT"})


class _Parser:
    """Recursive descent over the tokens; every ``_parse_*`` returns a node or ``None`` (nothing
    searchable there, e.g. punctuation only)."""

    _FIELD_RE = re.compile(r"(?i)^(" + "|".join(FILTER_FIELDS) + r"):(.*)$", re.S)

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        # An operator with nothing to join ("a OR", "AND b") is dropped when the query has words
        # to search; a query of operators only ("AND", "OR OR") searches them as words.
        self.has_words = any(t.kind == "phrase" or (t.kind == "word" and t.text not in _OPERATORS) for t in tokens)

    # token helpers
    def _peek(self, offset: int = 0) -> _Token | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def _is_op(self, tok: _Token | None, name: str) -> bool:
        return tok is not None and tok.kind == "word" and tok.text == name

    def _starts_operand(self, tok: _Token | None) -> bool:
        return tok is not None and tok.kind != "rparen" and not (
            self._is_op(tok, "AND") or self._is_op(tok, "OR")
        )

    # grammar
    def parse_query(self) -> Node | None:
        return self._parse_or()

    def _parse_or(self) -> Node | None:
        alternatives = [self._parse_and()]
        while self._is_op(self._peek(), "OR") and self._starts_operand(self._peek(1)):
            self.pos += 1
            alternatives.append(self._parse_and())
        return _or(alternatives)

    def _parse_and(self) -> Node | None:
        items: list[Node | None] = []
        while (tok := self._peek()) is not None:
            if tok.kind == "rparen":
                if self.depth:
                    break  # closes the group being parsed
                self.pos += 1  # a ")" without its "(" is ignored
                continue
            operand_follows = self._starts_operand(self._peek(1))
            if self._is_op(tok, "OR") and items and operand_follows:
                break
            if self._is_op(tok, "AND") and items and operand_follows:
                self.pos += 1
                continue
            if self.has_words and tok.kind == "word" and tok.text in _OPERATORS and not (
                tok.text == "NOT" and operand_follows
            ):
                self.pos += 1  # a stray operator
                continue
            items.append(self._parse_unary())
        return _and(items)

    def _parse_unary(self) -> Node | None:
        negate = False
        # Iterative, so "NOT NOT ... x" or "----x" cannot exhaust the stack.
        while (tok := self._peek()) is not None and (
            tok.kind == "neg" or (self._is_op(tok, "NOT") and self._starts_operand(self._peek(1)))
        ):
            negate = not negate
            self.pos += 1
        node = self._parse_primary()
        return Not(node) if negate and node is not None else node

    def _parse_primary(self) -> Node | None:
        tok = self._peek()
        if tok is None:
            return None
        self.pos += 1
        if tok.kind == "lparen":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise QueryError(
                    f"Parentheses are nested more than {MAX_NESTING} levels deep "
                    f"(at character {tok.start + 1}); simplify the query."
                )
            node = self._parse_or()
            if (close := self._peek()) is not None and close.kind == "rparen":
                self.pos += 1  # an unclosed "(" is closed at the end of the query
            self.depth -= 1
            return node
        if tok.kind == "phrase":
            return _text_node(tok.text)
        if tok.kind == "word":
            return self._word(tok)
        return None  # a stray ")" or "-" inside a group is punctuation

    def _word(self, tok: _Token) -> Node | None:
        offer = self._offer_comparison(tok)
        if offer is not None:
            return offer
        match = self._FIELD_RE.match(tok.text)
        if match:
            field = FILTER_FIELDS[match.group(1).lower()]
            value = match.group(2)
            nxt = self._peek()
            if not value and nxt is not None and nxt.kind == "phrase" and nxt.start == tok.end:
                self.pos += 1
                value = nxt.text
            key = filter_key(value)
            if key:
                return FieldFilter(field, key)
        return _text_node(tok.text)


    def _offer_comparison(self, tok: _Token) -> OfferRange | None:
        """An offer comparison starting at ``tok``, taking the tokens it spans; ``None`` when
        ``tok`` starts none. A comparison is one word (``fee:0``, ``bonus>=60000``) or, with
        ``>=``, ``<=``, ``>``, ``<`` or ``=``, up to three (``bonus >= 60000``); a ``:`` may
        take a quoted value right after it (``apr:"0%"``)."""
        text = tok.text
        after = self.pos
        nxt = self._peek()
        if (text.lower() in _OFFER_FIELD_NAMES and nxt is not None and nxt.kind == "word"
                and _SPACED_OPERATOR_RE.match(nxt.text)):
            self.pos += 1
            text += nxt.text
        match = _COMPARISON_RE.match(text)
        name = match.group(1).lower() if match else ""
        if match is None or name in FILTER_FIELDS:
            self.pos = after  # not a comparison: the field filters and words take it
            return None
        op, value = match.group(2), match.group(3)
        follower = self._peek()
        if not value and follower is not None and (
                (follower.kind == "word" and op != ":")
                or (follower.kind == "phrase" and follower.start == tok.end)):
            self.pos += 1
            value = follower.text
            text += follower.text if follower.kind == "word" else f'"{follower.text}"'
        if name not in _OFFER_FIELD_NAMES:
            if _number(value.split("..")[0] or value.split("..")[-1]) is None:
                self.pos = after
                return None  # "title:rewards", "https://..." are words
            text = _shown(text)
            raise QueryError(
                f"Unknown field {match.group(1)!r} in {text!r}. Compare offer terms with "
                f"{', '.join(OFFER_QUERY_FIELDS)} (e.g. fee:0, bonus>=60000); filter with "
                f"{', '.join(f + ':' for f in FILTER_FIELDS)}. To search for the text itself, "
                f'put it in quotes: "{text}".')
        if not value:
            self.pos = after
            return None  # "fee:" with nothing after it is the word
        return _offer_range(name, op, value, text)


# A comparison typed as one word: a name, an operator, a value (maybe empty).
_COMPARISON_RE = re.compile(r"^([A-Za-z][A-Za-z_]*)(>=|<=|=|:|>|<)(.*)$", re.S)
# An operator (and maybe its value) after a field name and a space: "bonus >= 60000" (not the
# "<b>" of pasted markup after a word such as "APR").
_SPACED_OPERATOR_RE = re.compile(r"^(>=|<=|=|>|<)(?=$|[$0-9.])")
_NUMBER_RE = re.compile(r"^\$?(\d{1,3}(?:,\d{3})+|\d+)?(\.\d+)?(k)?%?$", re.I)


def _shown(text: str) -> str:
    """What the user typed, short enough for a message."""
    return text if len(text) <= 40 else text[:39] + "…"


def _number(text: str) -> float | None:
    """A number as analysts write one in a comparison: ``0``, ``4.5``, ``$4,000``, ``15%``,
    ``60k``; ``None`` when ``text`` is not one."""
    match = _NUMBER_RE.match(text.strip())
    if match is None or not (match.group(1) or match.group(2)):
        return None
    number = float((match.group(1) or "0").replace(",", "") + (match.group(2) or ""))
    number = number * 1000 if match.group(3) else number
    return number if math.isfinite(number) else None


def _offer_range(name: str, op: str, value: str, text: str) -> OfferRange:
    """The :class:`OfferRange` of a comparison on a known offer field. Raises QueryError."""
    term, unit = _OFFER_FIELD_NAMES[name]
    text = _shown(text)
    example = f"{name}:0, {name}>=15, {name}:12..21"
    if ".." in value:
        if op not in (":", "="):
            raise QueryError(f"{text!r}: a range goes with ':' ({name}:12..21), not {op!r}.")
        low_text, high_text = value.split("..", 1)
        low, high = _number(low_text) if low_text else None, _number(high_text) if high_text else None
        if (low_text and low is None) or (high_text and high is None) or (low is None and high is None):
            raise QueryError(f"{text!r}: a range needs numbers on either side of '..', "
                             f"e.g. {example}.")
        if low is not None and high is not None and low > high:
            raise QueryError(f"{text!r}: the range runs from {low:g} down to {high:g}; swap them.")
        return OfferRange(term, low, high, unit=unit)
    number = _number(value)
    if number is None:
        raise QueryError(f"{text!r}: {name} is compared with a number, e.g. {example}.")
    if op in (":", "="):
        return OfferRange(term, number, number, unit=unit)
    if op.startswith(">"):
        return OfferRange(term, low=number, include_low=op == ">=", unit=unit)
    return OfferRange(term, high=number, include_high=op == "<=", unit=unit)


def _text_node(text: str) -> Node | None:
    words = tokenize(text)
    if not words:
        return None
    return Term(words[0]) if len(words) == 1 else Phrase(tuple(words))


def _dedupe(nodes: list[Node]) -> tuple[Node, ...]:
    return tuple(dict.fromkeys(nodes))


def _and(nodes: list[Node | None]) -> Node | None:
    """Conjunction of the non-empty nodes, flattened; ``None`` if there are none."""
    flat: list[Node] = []
    for node in nodes:
        if isinstance(node, And):
            flat.extend(node.children)
        elif node is not None:
            flat.append(node)
    children = _dedupe(flat)
    if not children:
        return None
    return children[0] if len(children) == 1 else And(children)


def _or(nodes: list[Node | None]) -> Node | None:
    """Disjunction of the non-empty nodes, flattened; ``None`` if there are none."""
    flat: list[Node] = []
    for node in nodes:
        if isinstance(node, Or):
            flat.extend(node.children)
        elif node is not None:
            flat.append(node)
    children = _dedupe(flat)
    if not children:
        return None
    return children[0] if len(children) == 1 else Or(children)


def parse(text: str) -> Node:
    """Parse a query into a tree, exactly as written (no word-split expansion).

    A blank query gives :data:`MATCH_ALL` (browse everything under the filters); a query with
    nothing searchable in it (only punctuation or emoji) gives :data:`MATCH_NONE`.

    Raises:
        QueryError: the query is longer than :data:`MAX_QUERY_LENGTH` characters, has more than
            :data:`MAX_QUERY_TERMS` words and phrases, or nests parentheses deeper than
            :data:`MAX_NESTING`.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"The query is {len(text):,} characters long; the limit is {MAX_QUERY_LENGTH:,}. "
            "Shorten it, or split it into several searches."
        )
    if not text.strip():
        return MATCH_ALL
    node = _Parser(_lex(text)).parse_query()
    if node is None:
        return MATCH_NONE
    n_terms = len(text_leaves(node)) + _count_filters(node)
    if n_terms > MAX_QUERY_TERMS:
        raise QueryError(
            f"The query has {n_terms} words, phrases and filters; the limit is {MAX_QUERY_TERMS}. "
            "Remove some words."
        )
    return node


def _count_filters(node: Node) -> int:
    if isinstance(node, (FieldFilter, OfferRange)):
        return 1
    if isinstance(node, Not):
        return _count_filters(node.child)
    if isinstance(node, (And, Or)):
        return sum(_count_filters(c) for c in node.children)
    return 0


# --------------------------------------------------------------------------- word splits


def _phrase_variants(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The phrase with every split form joined, and with every joined form split."""
    joined: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(_LONGEST_SPLIT, len(words) - i), 1, -1):
            compound = _JOINED_BY_SPLIT.get(words[i : i + size])
            if compound:
                joined.append(compound)
                i += size
                break
        else:
            joined.append(words[i])
            i += 1
    split = [part for w in words for part in WORD_SPLITS.get(w, (w,))]
    return list(dict.fromkeys([words, tuple(joined), tuple(split)]))


def _phrase_or_term(words: tuple[str, ...]) -> Node:
    return Term(words[0]) if len(words) == 1 else Phrase(words)


def _expand_and_children(children: tuple[Node, ...]) -> list[Node]:
    """Adjacent words that form a split (``cash back``) also match the joined word."""
    out: list[Node] = []
    i = 0
    while i < len(children):
        for size in range(min(_LONGEST_SPLIT, len(children) - i), 1, -1):
            run = children[i : i + size]
            if all(isinstance(c, Term) for c in run):
                compound = _JOINED_BY_SPLIT.get(tuple(c.text for c in run))  # type: ignore[union-attr]
                if compound:
                    out.append(Or((And(tuple(run)), Term(compound))))
                    i += size
                    break
        else:
            out.append(expand_word_splits(children[i]))
            i += 1
    return out


def expand_word_splits(node: Node) -> Node:
    """Rewrite the tree so either spelling of a :data:`WORD_SPLITS` entry finds both.

    ``cashback`` → ``cashback OR "cash back"``; ``"5% cash back"`` → ``"5% cash back" OR
    "5% cashback"``; the bare words ``cash back`` → ``(cash AND back) OR cashback``.
    """
    if isinstance(node, Term):
        split = WORD_SPLITS.get(node.text)
        return Or((node, Phrase(split))) if split else node
    if isinstance(node, Phrase):
        variants = [_phrase_or_term(v) for v in _phrase_variants(node.words)]
        return variants[0] if len(variants) == 1 else Or(tuple(variants))
    if isinstance(node, Not):
        return Not(expand_word_splits(node.child))
    if isinstance(node, OfferPhrase):
        return OfferPhrase(expand_word_splits(node.literal), node.terms)
    if isinstance(node, And):
        return _and(_expand_and_children(node.children)) or MATCH_ALL
    if isinstance(node, Or):
        return _or([expand_word_splits(c) for c in node.children]) or MATCH_NONE
    return node


# --------------------------------------------------------------------------- offers in phrases


def phrase_offer_terms(words: tuple[str, ...]) -> tuple[OfferRange, ...]:
    """The offer a phrase names, as conditions on the extracted offer terms (all must hold):
    ``"0% APR"`` → intro APR 0; ``"no annual fee"`` → annual fee 0; ``"$200 bonus"`` → a bonus
    of 200 dollars. Read with the extractor that fills the terms at ingest
    (:func:`competiscan.enrich.offers.extract_offers`), so a phrase and a piece that say the
    same thing agree. Empty when the phrase names no offer term."""
    text = " ".join(words)
    found = extract_offers(text)
    if found["bonus_amount"] is None and ("points" in text or "miles" in text):
        # Analysts name a bonus by its size ("60,000 points"); copy puts a verb before it.
        earned = extract_offers("earn " + text)
        found.update((k, v) for k, v in earned.items() if k.startswith("bonus") and v is not None)
    ranges = []
    for term in PHRASE_OFFER_TERMS:
        value = found.get(term)
        if value is not None:
            unit = found.get("bonus_unit") if term == "bonus_amount" else None
            ranges.append(OfferRange(term, float(value), float(value),
                                     unit=unit if unit in BONUS_UNITS else None))
    return tuple(ranges)


def expand_offer_phrases(node: Node) -> Node:
    """Rewrite the tree so every phrase that names an offer is an :class:`OfferPhrase`: the
    phrase as written, or the same offer worded differently."""
    if isinstance(node, Phrase):
        terms = phrase_offer_terms(node.words)
        return OfferPhrase(node, terms) if terms else node
    if isinstance(node, Not):
        return Not(expand_offer_phrases(node.child))
    if isinstance(node, And):
        return And(tuple(expand_offer_phrases(c) for c in node.children))
    if isinstance(node, Or):
        return Or(tuple(expand_offer_phrases(c) for c in node.children))
    return node


def prepare(text: str) -> Node:
    """Parse, read offers in phrases and expand word splits: the tree backends compile.
    Raises :class:`QueryError`."""
    return expand_word_splits(expand_offer_phrases(parse(text)))
