"""Catalog search: ranked matches over dataset names, descriptions, tags, owners and columns.

An in-memory inverted index built from a loaded `Catalog` and cached on that very
object (a new scan or policy edit loads a new catalog, hence a new index). The
merged catalog (policy descriptions, owners, confirmed and automatic tags) only
exists after `load_catalog`, and the index must hold exactly it, so an index in
the metadata store (SQLite FTS5) would need its own invalidation and would not
exist on PostgreSQL stores.

Ranking is BM25F-like: each field has a weight (name 6, tags 3, columns 2.5,
owners 2, source/schema 1.5, column descriptions 1.5, description 1), term frequencies are length
normalised per field and saturated, then weighted by the term's rarity. A query
word also matches the words it begins (`cust` finds `customer`, at 0.4-0.8 of
an exact word's score, closer completions higher); plural -s is ignored.
Datasets matching more of the query's words rank higher (score x coverage²);
those matching fewer than half of them are left out. Exact dataset-name hits
come first, then datasets whose name begins with the query.

Why a dataset matched (`search_reasons.answer`) is worked out only for the hits
returned, when they are turned into answers: the ranking never pays for it.
"""

from __future__ import annotations

import bisect
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from aios_workbench.catalog.model import Catalog, CatalogEntry
from aios_workbench.core.errors import UsageError

FIELDS = ("name", "tags", "columns", "owners", "path", "description", "column_descriptions")
# a word in a column's description says less than the column's name (a description mentions neighbours too)
WEIGHTS = {"name": 6.0, "tags": 3.0, "columns": 2.5, "owners": 2.0, "path": 1.5, "description": 1.0,
           "column_descriptions": 1.5}
LENGTH_NORM = {"name": 0.5, "tags": 0.3, "columns": 0.5, "owners": 0.3, "path": 0.3, "description": 0.75,
               "column_descriptions": 0.75}
K1 = 1.2
EXACT_NAME_BONUS = 1000.0
NAME_PREFIX_BONUS = 100.0
MAX_QUERY_CHARS = 256
MAX_QUERY_WORDS = 12
MAX_EXPANSIONS = 64            # words a prefix may expand to (the shortest, i.e. closest, first)
STOPWORDS = {"a", "an", "and", "the", "of", "in", "on", "for", "to", "with", "by", "per", "is", "at", "or"}


@dataclass(frozen=True)
class SearchHit:
    """One dataset found: its score, the fields that matched, and the columns that did.

    `marks` maps each indexed term the query matched to how much of a word to highlight (None: all of it,
    n: its first n characters, for a word a query word only begins); `query` is the normalised query text."""

    entry: CatalogEntry
    score: float
    matched_fields: tuple[str, ...]
    matched_columns: tuple[str, ...] = ()
    marks: dict[str, int | None] = field(default_factory=dict, compare=False, hash=False)
    query: str = ""

    def to_dict(self) -> dict:
        """The hit without its reasons (`search_reasons.answer` adds them)."""
        e = self.entry
        return {"name": e.full_name, "kind": e.kind, "description": e.description, "owners": list(e.owners),
                "tags": list(e.tags), "score": round(self.score, 4), "matched_fields": list(self.matched_fields),
                "matched_columns": list(self.matched_columns)}


CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=200_000)  # column names, owners and tags repeat across a catalog
def words(text: str) -> tuple[str, ...]:
    """Lower-case words of `text`, split at punctuation and camelCase: `orderID_v2` -> order, id, v2."""
    if not text.islower():
        text = CAMEL.sub(" ", text)
    return tuple(WORD.findall(text.lower()))


@lru_cache(maxsize=200_000)
def terms(text: str) -> tuple[str, ...]:
    """The indexed forms of `text`'s words: plural -s dropped, so `orders` finds `order` and back."""
    return tuple(singular(w) for w in words(text))


def singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass
class SearchIndex:
    """The inverted index of one catalog. Build with `SearchIndex.build(catalog)`.

    Postings live in three flat arrays sorted by (term, document); `spans` maps a
    term to its slice, so a query touches only numpy slices, never Python loops
    over documents.
    """

    entries: list[CatalogEntry]
    spans: dict[str, tuple[int, int]]
    docs: np.ndarray       # int32 document numbers
    scores: np.ndarray     # float32: idf x saturated, weighted, length-normalised term frequency
    fields: np.ndarray     # uint8 bit mask of FIELDS
    terms: list[str]       # sorted, for prefix expansion
    exact_names: dict[str, list[int]]
    sorted_names: list[tuple[str, int]]

    @classmethod
    def build(cls, catalog: Catalog) -> SearchIndex:
        entries = list(catalog.entries)
        n = max(len(entries), 1)
        per_doc = [_fields(e) for e in entries]
        avg = {f: max(sum(len(d[f]) for d in per_doc) / n, 1.0) for f in FIELDS}
        tokens_all: list[str] = []
        docs: list[int] = []
        weights: list[float] = []
        bits: list[int] = []
        for doc, fields in enumerate(per_doc):
            for bit, name in enumerate(FIELDS):
                tokens = fields[name]
                if not tokens:
                    continue
                b = LENGTH_NORM[name]
                unit = WEIGHTS[name] / (1 - b + b * len(tokens) / avg[name])
                tokens_all.extend(tokens)  # repeated words add up below: term frequency
                weights.extend([unit] * len(tokens))
                docs.extend([doc] * len(tokens))
                bits.extend([1 << bit] * len(tokens))
        vocabulary = sorted(set(tokens_all))
        ids = {t: i for i, t in enumerate(vocabulary)}
        # one posting per (term, document): sum the fields' weights, or their bits
        key = np.array(list(map(ids.__getitem__, tokens_all)), np.int64) * n + np.array(docs, np.int64)
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        weight = np.add.reduceat(np.array(weights, np.float64)[order], first)
        field_bits = np.bitwise_or.reduceat(np.array(bits, np.uint8)[order], first)
        term_of, doc_of = np.divmod(key[first], n)
        bounds = np.flatnonzero(np.r_[True, term_of[1:] != term_of[:-1], True])
        df = np.diff(bounds)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        scores = np.repeat(idf, df) * weight * (K1 + 1) / (weight + K1)
        starts = bounds.tolist()
        spans = {vocabulary[t]: (a, b) for t, a, b in zip(term_of[bounds[:-1]].tolist(), starts, starts[1:], strict=False)}
        exact: dict[str, list[int]] = {}
        for doc, e in enumerate(entries):
            for k in {e.name, f"{e.schema}.{e.name}", f"{e.source}.{e.name}", e.full_name}:
                exact.setdefault(k.lower(), []).append(doc)
        return cls(entries, spans, doc_of.astype(np.int32), scores.astype(np.float32), field_bits,
                   vocabulary, exact, sorted((e.name.lower(), doc) for doc, e in enumerate(entries)))

    def expand(self, word: str) -> list[tuple[str, float]]:
        """`word` itself (factor 1) and the indexed words it begins (less, the longer they are)."""
        found = [(word, 1.0)] if word in self.spans else []
        if len(word) < 2:
            return found
        start = bisect.bisect_left(self.terms, word)
        end = bisect.bisect_left(self.terms, word + "\U0010ffff", start)
        longer = sorted((t for t in self.terms[start:end] if t != word), key=len)[:MAX_EXPANSIONS]
        return found + [(t, 0.4 + 0.4 * len(word) / len(t)) for t in longer]

    def search(self, text: str, *, visible: Callable[[CatalogEntry], bool], limit: int = 20) -> list[SearchHit]:
        query = " ".join(text.split()).lower()[:MAX_QUERY_CHARS]
        qwords = list(dict.fromkeys(w for w in terms(query) if w not in STOPWORDS))[:MAX_QUERY_WORDS]
        if not qwords and not query:
            return []
        n = len(self.entries)
        score = np.zeros(n, np.float32)
        covered = np.zeros(n, np.int16)
        fields = np.zeros(n, np.uint8)
        expansions = []
        for word in qwords:
            best = np.zeros(n, np.float32)
            expanded = self.expand(word)
            expansions.append(expanded)
            for term, factor in expanded:
                a, b = self.spans[term]
                docs = self.docs[a:b]
                best[docs] = np.maximum(best[docs], self.scores[a:b] * factor)
                fields[docs] |= self.fields[a:b]
            score += best
            covered += best > 0
        if qwords:
            score *= (covered / len(qwords)) ** 2
            score[covered < (len(qwords) + 1) // 2] = 0  # matching under half of the words is noise
        marks: dict[str, int | None] = {}
        for word, expanded in zip(qwords, expansions, strict=True):
            for term, factor in expanded:
                if factor == 1.0:
                    marks[term] = None
                elif marks.get(term, 0) is not None:
                    marks[term] = max(marks.get(term) or 0, len(word))
        name_hits = self._name_hits(query)
        for doc, bonus in name_hits.items():
            score[doc] += bonus
            fields[doc] |= 1  # "name"
        candidates = np.nonzero(score > 0)[0]
        order = candidates[np.lexsort((candidates, -score[candidates]))]
        hits = []
        for doc in order.tolist():
            entry = self.entries[doc]
            if not visible(entry):
                continue
            hits.append(SearchHit(entry, float(score[doc]),
                                  tuple(f for bit, f in enumerate(FIELDS) if fields[doc] >> bit & 1),
                                  self._matched_columns(doc, expansions), marks, query))
            if len(hits) >= limit:
                break
        return hits

    def _name_hits(self, query: str) -> dict[int, float]:
        hits: dict[int, float] = {}
        if len(query) < 2:
            return hits
        keys = {query, query.replace(" ", "_")}
        for key in keys:
            start = bisect.bisect_left(self.sorted_names, (key, -1))
            for name, doc in self.sorted_names[start:]:
                if not name.startswith(key):
                    break
                hits[doc] = max(hits.get(doc, 0.0), NAME_PREFIX_BONUS)
            for doc in self.exact_names.get(key, ()):
                hits[doc] = EXACT_NAME_BONUS
        return hits

    def _matched_columns(self, doc: int, expansions) -> tuple[str, ...]:
        matched = {term for expanded in expansions for term, _ in expanded}
        return tuple(c.name for c in self.entries[doc].columns
                     if matched.intersection(terms(c.name))
                     or any(matched.intersection(terms(tag)) for tag in c.classifications)
                     or (c.description and matched.intersection(terms(c.description)) - STOPWORDS))


@lru_cache(maxsize=65_536)  # a rescan or policy edit reloads equal entries: their words are reused
def _fields(e: CatalogEntry) -> dict[str, list[str]]:
    column_tags = [w for c in e.columns for tag in c.classifications for w in terms(tag)]
    return {
        "name": list(terms(e.name)),
        "tags": [w for tag in e.tags for w in terms(tag)] + column_tags,
        "columns": [w for c in e.columns for w in terms(c.name)],
        "owners": [w for o in e.owners for w in terms(o)],
        "path": [*terms(e.source), *terms(e.schema)],
        "description": [w for w in terms(e.description) if w not in STOPWORDS],
        "column_descriptions": [w for c in e.columns if c.description for w in terms(c.description)
                                if w not in STOPWORDS],
    }


_CACHE: dict[int, tuple[weakref.ref, SearchIndex]] = {}
_CACHE_LOCK = threading.Lock()


def index_for(catalog: Catalog) -> SearchIndex:
    """The index of `catalog`, built on first use and kept while the catalog object lives."""
    key = id(catalog)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached and cached[0]() is catalog:
            return cached[1]
    index = SearchIndex.build(catalog)  # outside the lock: a concurrent build of the same catalog is harmless
    def forget(_ref: weakref.ref[Catalog]) -> None:   # the catalog is gone: so is its index
        _CACHE.pop(key, None)

    with _CACHE_LOCK:
        _CACHE[key] = (weakref.ref(catalog, forget), index)
    return index


def search(catalog: Catalog, text: str, *, visible: Callable[[CatalogEntry], bool],
           limit: int = 20) -> list[SearchHit]:
    """The `limit` best datasets of `catalog` for `text` among those `visible` admits.

    `visible` is required (deny by default): pass the caller's read check, e.g.
    `lambda e: engine.grant_for(principal, e) is not None`.
    """
    if not isinstance(text, str):
        raise UsageError("the search text must be a string", fix="pass words to look for", input=repr(text))
    if not 1 <= limit <= 1000:
        raise UsageError(f"limit must be between 1 and 1000, got {limit}", fix="pass a limit in 1..1000",
                         input=str(limit))
    return index_for(catalog).search(text, visible=visible, limit=limit)
