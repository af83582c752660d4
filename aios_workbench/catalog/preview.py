"""Previews of governed datasets: a first page without the full query, keyset paging, cached row counts.

Every statement goes through `QueryService.run` as the user, so masks and row
filters apply inside (sorting by a masked column sorts by its masked values).

- The first page of an unsorted preview is `SELECT * ... LIMIT n+1`: no ORDER BY,
  so DuckDB stops reading after n+1 rows.
- Sorted previews page by key, never by OFFSET: the key is the sort column plus a
  tiebreaker, and the next page is `WHERE key >= last key ORDER BY key LIMIT ...`.
  The comparison is one `create_sort_key(...) >= <last row's sort key>`: DuckDB's
  own encoding of the ORDER BY, exact for every type and NULL, and one node for
  the rewriter whatever the number of columns; a leading range on the sort column
  (`col >= v OR col IS NULL`) lets DuckDB prune row groups by their min/max.
- The tiebreaker is a column the governance files tag `key.unique`/`key.primary`
  (when the user sees it unmasked), else every column. With every column as the
  key, rows with equal keys are identical, so the cursor also carries how many of
  them were already shown and the next page skips exactly those: every row comes
  exactly once even with duplicate rows. The governed subquery exposes no rowid,
  so DuckDB's rowid is not available as a tiebreaker.
- NULLs sort last in both directions (DuckDB's default); descending is the
  reverse order of the non-NULL values.
- Unsorted previews page on with LIMIT/OFFSET without ORDER BY (DuckDB keeps
  insertion order): a streaming skip, no sort; sort a preview for stable keyset paging.
- The cursor (`cursor.py`) is signed for the user and checked before use; its values
  become sqlglot literals, never SQL text.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
import threading
import time
import weakref
from dataclasses import dataclass, field

import pyarrow as pa
from sqlglot import exp

from aios_workbench.catalog.cursor import CURSOR_VERSION, bad_cursor, decode_cursor, encode_cursor, literal, tag_value
from aios_workbench.catalog.model import CatalogEntry
from aios_workbench.core.agents import through_agent
from aios_workbench.core.errors import PermissionDenied, UsageError
from aios_workbench.policy.enforce import DatasetView, PolicyEngine
from aios_workbench.policy.model import PolicyFile
from aios_workbench.policy.wording import access_summary

MAX_LIMIT = 10_000
UNIQUE_TAGS = ("key.unique", "key.primary")
SORT_KEY = "__aios_sort_key"

# DuckDB types whose values round-trip through the cursor as typed literals (the sort
# column's); other types (nested, BLOB, INTERVAL, TIMESTAMP_NS, ...) cannot be sorted by.
_INTEGER = re.compile(r"^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|INT[1248]|LONG|SHORT|SIGNED)$")
_FLOAT = re.compile(r"^(FLOAT[48]?|DOUBLE|REAL)$")
_TEXT = re.compile(r"^(VARCHAR(\(\d+\))?|TEXT|STRING|CHAR(\(\d+\))?|BPCHAR)$")
_TEMPORAL = {"DATE": "date", "TIMESTAMP": "ts", "DATETIME": "ts", "TIMESTAMP WITH TIME ZONE": "tstz",
             "TIMESTAMPTZ": "tstz", "TIME": "time", "TIMESTAMP_US": "ts"}


def value_kind(data_type: str) -> str | None:
    """The cursor tag for values of a DuckDB type, or None when the key must be cast to VARCHAR."""
    t = data_type.strip().upper()
    if _INTEGER.match(t):
        return "int"
    if _FLOAT.match(t):
        return "float"
    if t.startswith(("DECIMAL", "NUMERIC")) and "[" not in t:
        return "dec"
    if _TEXT.match(t):
        return "str"
    if t in ("BOOLEAN", "BOOL"):
        return "bool"
    if t == "UUID":
        return "uuid"
    return _TEMPORAL.get(t)


def visible_type(column, view) -> str:
    """The type a user sees: hash masks (and partial/redact of text) yield VARCHAR, other masks keep the type."""
    if column.name not in view.masks:
        return column.data_type
    method = view.masks[column.name][0]
    if method == "hash" or (method in ("partial", "redact") and value_kind(column.data_type) == "str"):
        return "VARCHAR"
    return column.data_type


# -- the page -----------------------------------------------------------------------------------

@dataclass
class PreviewPage:
    """One page of a governed preview."""

    dataset: str
    columns: list[dict]              # [{"name", "type"}] as the user sees them
    table: pa.Table                  # the rows, as Arrow
    next_cursor: str | None          # pass as `after=` for the next page; None on the last page
    row_count: int | None            # cached governed count, the catalog's count when no row filter applies, or None
    row_count_source: str | None     # "count" (governed count(*), cached) | "scan" (catalog scan) | None
    order_by: str | None = None
    descending: bool = False
    sql: str = ""                    # the statement run through the governed path (catalog names only)
    applied: str = ""                # what governance did to the page for this user, in words

    @property
    def rows(self) -> list[dict]:
        return self.table.to_pylist()

    def to_dict(self) -> dict:
        """A JSON-ready form for REST: values that JSON lacks become strings."""
        return {"dataset": self.dataset, "columns": self.columns, "rows": [
                    {k: json_value(v) for k, v in row.items()} for row in self.rows],
                "next_cursor": self.next_cursor, "row_count": self.row_count,
                "row_count_source": self.row_count_source, "order_by": self.order_by,
                "descending": self.descending, "applied": self.applied}


def json_value(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


# -- row counts -----------------------------------------------------------------------------------

class RowCountCache:
    """Governed row counts, per dataset and row filter, for `ttl` seconds.

    Counts depend on the row filter a user gets (masks do not change them), so the key is
    (policy object, dataset, the user's row-filter SQL): users with the same filter share a
    count, a policy reload starts afresh. Callers check access before reading it."""

    def __init__(self, ttl: float = 300.0):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._counts: dict[tuple, tuple[object, float, int]] = {}

    @staticmethod
    def key(policy, entry, view) -> tuple:
        row_filter = view.row_filter.sql("duckdb") if view.row_filter is not None else None
        return (id(policy), entry.full_name, row_filter)

    def get(self, key: tuple, policy) -> int | None:
        with self._lock:
            hit = self._counts.get(key)
            if hit is None or hit[0] is not policy or hit[1] < time.monotonic():
                return None
            return hit[2]

    def put(self, key: tuple, policy, count: int) -> None:
        with self._lock:
            now = time.monotonic()
            self._counts = {k: v for k, v in self._counts.items() if v[1] >= now}
            self._counts[key] = (policy, now + self.ttl, count)


_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def row_count_cache(queries) -> RowCountCache:
    """The row-count cache that lives as long as `queries` (a `QueryService`)."""
    with _caches_lock:
        cache = _caches.get(queries)
        if cache is None:
            cache = _caches[queries] = RowCountCache()
        return cache


# -- resolving what the user sees -------------------------------------------------------------------

@dataclass
class Governed:
    """A dataset as one user sees it, checked before any SQL is built."""

    identity: str
    entry: CatalogEntry
    view: DatasetView
    policy: PolicyFile   # the policy in force when the view was taken (keys the row-count cache)
    table: exp.Table = field(init=False)

    def __post_init__(self):
        e = self.entry
        self.table = exp.Table(this=exp.to_identifier(e.name, quoted=True), db=exp.to_identifier(e.schema, quoted=True),
                               catalog=exp.to_identifier(e.source, quoted=True))

    @property
    def row_filter_sql(self) -> str | None:
        return self.view.row_filter.sql("duckdb") if self.view.row_filter is not None else None

    @property
    def applied(self) -> str:
        """What the user's masks and row filter do to what they see, in one sentence."""
        return access_summary([c.name for c in self.entry.columns if c.name in self.view.masks], self.row_filter_sql)

    def column(self, name: str):
        found = self.entry.column(name) if isinstance(name, str) else None
        if found is None:
            known = ", ".join(c.name for c in self.entry.columns)
            raise UsageError(f"{self.entry.full_name} has no column {name!r}",
                             fix=f"use one of: {known}", input=name)
        return found


def governed(queries, user: str, dataset: str, *, as_user: str | None, surface: str) -> Governed:
    """The entry and policy view of `dataset` for the user; a refusal is raised by (and audited in)
    the governed path itself."""
    catalog = queries.catalog()
    parts = tuple(dataset.split(".")) if isinstance(dataset, str) and dataset else ()
    if not parts:
        raise UsageError("no dataset given", fix="name a dataset as source.schema.dataset", input=dataset)
    entry = catalog.resolve(parts)
    try:
        identity = queries.identity(user, as_user)
        policy_file = queries.policy.current()
        policy = PolicyEngine(policy_file)
        view = policy.view(policy.principal(identity, agent=through_agent(surface)), entry)
    except PermissionDenied:
        view = None
    if view is None or not view.allowed:
        probe = exp.select("*").from_(exp.Table(this=exp.to_identifier(entry.name, quoted=True),
                                                db=exp.to_identifier(entry.schema, quoted=True),
                                                catalog=exp.to_identifier(entry.source, quoted=True))).limit(0)
        queries.run(probe.sql("duckdb"), user=user, as_user=as_user, surface=surface)  # raises, audited
        raise PermissionDenied(f"{user} may not read {entry.full_name}", input=entry.full_name)
    return Governed(identity, entry, view, policy_file)


def count_rows(queries, user: str, dataset: str, *, as_user: str | None = None, surface: str = "preview",
               cache: RowCountCache | None = None, refresh: bool = False) -> int:
    """The number of rows `user` sees in `dataset` (count(*) through the governed path), cached."""
    g = governed(queries, user, dataset, as_user=as_user, surface=surface)
    return governed_count(queries, g, user, as_user, surface, cache or row_count_cache(queries), refresh)


def governed_count(queries, g: Governed, user, as_user, surface, cache: RowCountCache,
                   refresh: bool = False) -> int:
    """count(*) of what `g` shows, through the governed path; cached per row filter."""
    key = cache.key(g.policy, g.entry, g.view)
    if not refresh:
        hit = cache.get(key, g.policy)
        if hit is not None:
            return hit
    sql = exp.select(exp.alias_(exp.Count(this=exp.Star()), "n")).from_(g.table.copy()).sql("duckdb")
    n = queries.run(sql, user=user, as_user=as_user, surface=surface).to_arrow().column(0)[0].as_py()
    cache.put(key, g.policy, n)
    return n


# -- keyset predicate --------------------------------------------------------------------------------------

def key_columns(g: Governed, order_column) -> list:
    """Sort column first, then the tiebreaker: an unmasked unique column, else every other column."""
    if value_kind(visible_type(order_column, g.view)) is None:
        raise UsageError(f"cannot sort a preview by {order_column.name} (type {order_column.data_type})",
                         fix="sort by a number, text, boolean, date or time column", input=order_column.name)
    unique = [c for c in g.entry.columns if set(c.classifications) & set(UNIQUE_TAGS) and c.name not in g.view.masks]
    if order_column in unique:
        return [order_column]
    return [order_column, *(unique[:1] or [c for c in g.entry.columns if c is not order_column])]


def sort_key(columns: list, descending: bool) -> exp.Expr:
    """DuckDB's `create_sort_key(col, 'ASC NULLS LAST', ...)`: a value (BIGINT when the key fits in
    8 bytes, else BLOB) whose plain comparison is exactly the preview's ORDER BY, nested types included."""
    modifier = ("DESC" if descending else "ASC") + " NULLS LAST"
    args = []
    for column in columns:
        args += [exp.column(column.name, quoted=True), exp.Literal.string(modifier)]
    return exp.Anonymous(this="create_sort_key", expressions=args)


def sort_key_literal(tagged, cursor) -> exp.Expr:
    if isinstance(tagged, list) and len(tagged) == 2:
        kind, value = tagged
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return exp.cast(exp.Literal.number(str(value)), "BIGINT")
        if kind == "blob" and isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", value):
            return exp.Anonymous(this="from_base64", expressions=[exp.Literal.string(value)])
    raise bad_cursor("malformed sort key", cursor)


def keyset_predicate(first, first_value: exp.Expr, key: exp.Expr, key_value: exp.Expr,
                     descending: bool) -> exp.Expr:
    """`sort key >= last sort key`, written so DuckDB does the least work:

        (c >= v OR c IS NULL) AND (c > v OR c IS NULL OR (c = v AND create_sort_key(...) >= last))

    (`<` for descending; with v NULL: `c IS NULL AND create_sort_key(...) >= last`). The leading
    range prunes Parquet row groups by min/max; the sort key is computed only for rows tied on the
    sort column; one sort-key comparison replaces a lexicographic OR/AND ladder, whose size (and
    the rewriter's checks) would grow quadratically with the number of key columns."""
    column = exp.column(first.name, quoted=True)
    ties = exp.GTE(this=key, expression=key_value)
    if isinstance(first_value, exp.Null):
        return exp.and_(exp.Is(this=column, expression=exp.null()), ties)
    is_null = exp.Is(this=column.copy(), expression=exp.null())
    bound, beyond = (exp.LTE, exp.LT) if descending else (exp.GTE, exp.GT)
    leading = exp.paren(exp.or_(bound(this=column.copy(), expression=first_value.copy()), is_null.copy()))
    rest = exp.or_(beyond(this=column.copy(), expression=first_value.copy()), is_null.copy(),
                   exp.paren(exp.and_(exp.EQ(this=column.copy(), expression=first_value.copy()), ties)))
    return exp.and_(leading, exp.paren(rest))


def tag_sort_key(value) -> list:
    return ["int", value] if isinstance(value, int) else ["blob", base64.b64encode(value).decode()]


# -- preview ----------------------------------------------------------------------------------------------

def preview(queries, user: str, dataset: str, *, order_by: str | None = None, descending: bool = False,
            after: str | None = None, limit: int = 50, as_user: str | None = None, surface: str = "preview",
            count: bool = False, counts: RowCountCache | None = None) -> PreviewPage:
    """One page of `dataset` as `user` sees it (masks, row filter), through the governed path.

    `after` is the `next_cursor` of the previous page. `count=True` computes the row count
    (a full governed count(*), then cached) when none is cached yet."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}",
                         fix=f"pass 1 <= limit <= {MAX_LIMIT}", input=limit)
    g = governed(queries, user, dataset, as_user=as_user, surface=surface)
    order_column = g.column(order_by) if order_by is not None else None
    payload = decode_cursor(queries, g.identity, after) if after is not None else None
    if payload is not None and (payload.get("d") != g.entry.full_name
                                or payload.get("o") != (order_column.name if order_column else None)
                                or payload.get("desc") != bool(descending)):
        raise bad_cursor("it belongs to another preview (dataset, order or direction differ)", after)

    if order_column is None:
        table, sql, cursor = _scan_page(queries, g, user, as_user, surface, payload, after, limit)
    else:
        table, sql, cursor = _keyset_page(queries, g, user, as_user, surface, order_column, bool(descending),
                                          payload, after, limit)

    cache = counts or row_count_cache(queries)
    key = cache.key(g.policy, g.entry, g.view)
    n, source = cache.get(key, g.policy), "count"
    if n is None and count:
        n = governed_count(queries, g, user, as_user, surface, cache)
    if n is None and g.view.row_filter is None and g.entry.row_count is not None:
        n, source = g.entry.row_count, "scan"
    columns = [{"name": c.name, "type": visible_type(c, g.view)} for c in g.entry.columns]
    return PreviewPage(g.entry.full_name, columns, table, cursor, n, source if n is not None else None,
                       order_column.name if order_column else None, bool(descending), sql, g.applied)


def _scan_page(queries, g, user, as_user, surface, payload, after, limit):
    offset = 0
    if payload is not None:
        offset = payload.get("off")
        if payload.get("m") != "scan" or isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise bad_cursor("not a cursor of an unsorted preview", after)
    select = exp.select("*").from_(g.table.copy()).limit(limit + 1)
    if offset:
        select = select.offset(offset)
    sql = select.sql("duckdb")
    table = queries.run(sql, user=user, as_user=as_user, surface=surface).to_arrow()
    cursor = None
    if table.num_rows > limit:
        cursor = encode_cursor(queries, g.identity, {"v": CURSOR_VERSION, "d": g.entry.full_name, "o": None,
                                                     "desc": False, "m": "scan", "off": offset + limit})
    return table.slice(0, limit), sql, cursor


def _keyset_page(queries, g, user, as_user, surface, order_column, descending, payload, after, limit):
    columns = key_columns(g, order_column)
    first_kind = value_kind(visible_type(order_column, g.view))
    assert first_kind is not None  # key_columns refuses a column that cannot be sorted
    select = exp.select("*").from_(g.table.copy())
    shown, last = 0, None
    if payload is not None:
        last, shown = payload.get("k"), payload.get("n")
        if (payload.get("m") != "key" or not isinstance(last, list) or len(last) != 2
                or isinstance(shown, bool) or not isinstance(shown, int) or not 1 <= shown <= 1_000_000):
            raise bad_cursor("its key does not match this preview", after)
        if not isinstance(last[0], list) or last[0][:1] not in (["null"], [first_kind]):
            raise bad_cursor(f"its key value for {order_column.name} has the wrong type", after)
        select = select.where(keyset_predicate(order_column, literal(last[0], after), sort_key(columns, descending),
                                               sort_key_literal(last[1], after), descending))
    order = [exp.Ordered(this=exp.column(c.name, quoted=True), desc=descending, nulls_first=False) for c in columns]
    select = select.order_by(*order).limit(shown + limit + 1)
    # the sort key of the page's rows only: computed outside the Top-N, not for every row scanned
    page = exp.select("*", exp.alias_(sort_key(columns, descending), SORT_KEY, quoted=True)).from_(
        exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier("page", quoted=True))))
    sql = page.order_by(*(o.copy() for o in order)).sql("duckdb")
    table = queries.run(sql, user=user, as_user=as_user, surface=surface).to_arrow()

    # rows equal to the last key are identical rows already shown `shown` times: skip exactly those
    table = table.slice(shown)
    more = table.num_rows > limit
    table = table.slice(0, limit)
    cursor = None
    if more and table.num_rows:
        keys = table.column(SORT_KEY).to_pylist()
        same = 0  # how many rows at the end of this page share its last key
        for key in reversed(keys):
            if key != keys[-1]:
                break
            same += 1
        tagged = [tag_value(first_kind, table.column(order_column.name)[-1].as_py()), tag_sort_key(keys[-1])]
        if same == len(keys) and last == tagged:
            same += shown  # the whole page repeated the previous key: those shown before count too
        cursor = encode_cursor(queries, g.identity, {
            "v": CURSOR_VERSION, "d": g.entry.full_name, "o": order_column.name, "desc": descending, "m": "key",
            "k": tagged, "n": same})
    return table.drop_columns([SORT_KEY]), sql, cursor
