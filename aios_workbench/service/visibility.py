"""Who sees which facts derived from data: the one rule behind the check ledger and the MLflow runs.

A fact derived from data (a check's counts, a drift's distribution labels, a run's params, metrics
and artifacts) is governed like the data it came from:

- **Access**: a reader sees an entry only if he may read *every* dataset it was derived from (the
  policy's read grants, deny by default).
- **Values**: the entry's values were computed under its writer's view of those datasets (his masks
  and row filter). The reader gets them only when his own view *covers* the writer's on every one of
  those datasets: every column masked for the reader was masked the same way for the writer, and the
  reader either has no row filter or exactly the writer's. Otherwise he sees the verdicts only (names
  and pass/fail), never counts, statistics, labels, examples or params: a count of rows his filter
  hides, or a category label of a column masked for him, would leak what the query path hides.

Views are compared as `View`s: the masked columns with their methods and a digest of the rendered row
filter. Views are cached per policy and catalog generation, so a page of ledger entries or runs costs
a few dictionary look-ups once warm.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aios_workbench.core.errors import WorkbenchError

if TYPE_CHECKING:
    from aios_workbench.catalog.model import Catalog
    from aios_workbench.policy.enforce import PolicyEngine, Principal
    from aios_workbench.service.core import WorkbenchService

EVERYTHING = "*"


@dataclass(frozen=True)
class View:
    """How one user sees one dataset: masked columns (lower-case name, method) and the row filter's digest."""

    masks: frozenset[tuple[str, str]]
    row_filter: str | None

    def covers(self, writer: View) -> bool:
        """Whether a reader with this view may see values computed under `writer`'s view: he sees no
        column less masked than the writer did, and no row that the writer's view showed and his hides."""
        return self.masks <= writer.masks and (self.row_filter is None or self.row_filter == writer.row_filter)

    def covers_json(self, writer: Any) -> bool:
        """`covers` against a view stored as JSON (`to_json`), without building it (a ledger page has many)."""
        if not isinstance(writer, dict):
            return False
        masks = writer.get("masks")
        if not isinstance(masks, dict):
            return False
        if self.row_filter is not None and writer.get("row_filter") != self.row_filter:
            return False
        return all(masks.get(column) == method for column, method in self.masks)

    def to_json(self) -> dict[str, Any]:
        return {"masks": {column: method for column, method in sorted(self.masks)}, "row_filter": self.row_filter}


def _view(engine: PolicyEngine, principal: Principal, catalog: Catalog, name: str) -> View | None:
    """`principal`'s view of dataset `name` (source.schema.dataset); None when he may not read it, it is not
    in the catalog, or its row filter cannot be applied to him (a missing attribute: he reads nothing)."""
    parts = tuple(name.split("."))
    if len(parts) != 3:
        return None
    found = catalog.candidates(parts)
    if len(found) != 1:
        return None
    try:
        view = engine.view(principal, found[0])
    except WorkbenchError:
        return None
    if not view.allowed:
        return None
    row_filter = None
    if view.row_filter is not None:
        row_filter = hashlib.sha256(view.row_filter.sql("duckdb").encode()).hexdigest()[:32]
    return View(frozenset((column.lower(), method) for column, (method, _) in view.masks.items()), row_filter)


class Reader:
    """One user's questions about derived facts, answered against one policy and catalog generation."""

    def __init__(self, views: Views, user: str, engine: PolicyEngine, catalog: Catalog):
        self.user = user
        self._views = views
        self._engine = engine
        self._catalog = catalog
        self.principal = engine.principal(user)          # an unknown user is refused here (deny by default)
        self.auditor = engine.is_auditor(user)
        self._may_read: dict[str, bool] = {}

    # -- access ------------------------------------------------------------------------------------------
    def may_read(self, dataset: str) -> bool:
        """Whether the reader may read `dataset`, a full source.schema.dataset name (any case): a read grant,
        and for a dataset of the catalog a view the query path can apply. Names that are not full names
        (legacy ledger rows keyed by a relation's label) are never readable."""
        key = dataset.lower()
        known = self._may_read.get(key)
        if known is None:
            parts = tuple(key.split("."))
            known = len(parts) == 3 and all(parts) and self._engine.grant_on(self.principal, *parts) is not None
            if known and self._catalog.candidates(parts):   # in the catalog: the query path must also let him in
                known = self.view(key) is not None          # (a row filter needing an attribute he lacks: no)
            self._may_read[key] = known
        return known

    def may_read_all(self, datasets: Iterable[str]) -> bool:
        return all(self.may_read(d) for d in datasets)

    def read_scopes(self) -> list[str] | None:
        """The scopes of the reader's read grants, lower-case (None: one of them is everything). The ledger
        filters on them in SQL; `may_read` checks each row again."""
        roles = self.principal.roles
        scopes = sorted({g.scope.lower() for g in self._engine.policy.grants
                         if g.privilege == "read" and g.role in roles})
        return None if EVERYTHING in scopes else scopes

    # -- values ------------------------------------------------------------------------------------------
    def view(self, dataset: str, user: str | None = None) -> View | None:
        """`user`'s (default: the reader's) current view of `dataset`."""
        return self._views.view(self._engine, self._catalog, user or self.user, dataset)

    def covers(self, writer: str, datasets: Iterable[str], recorded: dict[str, Any] | None = None) -> bool:
        """Whether the reader's views cover `writer`'s on every dataset: the `recorded` view (what the writer
        saw when the fact was computed, as `View.to_json` stored it) where there is one, else the writer's
        current view."""
        for dataset in datasets:
            mine = self.view(dataset)
            if mine is None:
                return False
            if recorded is not None and dataset in recorded:
                if not mine.covers_json(recorded[dataset]):
                    return False
                continue
            theirs = self.view(dataset, writer)
            if theirs is None or not mine.covers(theirs):
                return False
        return True

    def dominates(self, writer: str) -> bool:
        """Whether the reader's views cover `writer`'s on every dataset the writer may read: for facts whose
        datasets are unknown (an MLflow run that logged no dataset), as if it read anything it could."""
        if writer == self.user:
            return True
        return self._views.dominates(self._engine, self._catalog, self.user, writer)


class Views:
    """Views of users on datasets, cached per policy and catalog generation (thread-safe)."""

    def __init__(self, service: WorkbenchService):
        self._service = service
        self._lock = threading.Lock()
        self._generation: tuple[int, int] | None = None
        self._keep: tuple[Any, Any] | None = None    # the objects whose ids make up the generation
        self._cache: dict[tuple[str, str], View | None] = {}
        self._dominance: dict[tuple[str, str], bool] = {}

    def reader(self, user: str) -> Reader:
        """`user` as a reader of derived facts, under the policy and catalog in force now."""
        engine = self._service.policy()
        catalog = self._service.queries.catalog()
        self._sync(engine, catalog)
        return Reader(self, user, engine, catalog)

    def _sync(self, engine: PolicyEngine, catalog: Catalog) -> None:
        generation = (id(engine.policy), id(catalog))
        with self._lock:
            if generation != self._generation:
                self._generation, self._keep = generation, (engine.policy, catalog)
                self._cache, self._dominance = {}, {}

    def view(self, engine: PolicyEngine, catalog: Catalog, user: str, dataset: str) -> View | None:
        key = (user, dataset.lower())
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        try:
            principal = engine.principal(user)
        except WorkbenchError:
            found = None          # a user the policy does not know sees nothing
        else:
            found = _view(engine, principal, catalog, dataset.lower())
        with self._lock:
            self._cache[key] = found
        return found

    def dominates(self, engine: PolicyEngine, catalog: Catalog, reader: str, writer: str) -> bool:
        key = (reader, writer)
        with self._lock:
            if key in self._dominance:
                return self._dominance[key]
        try:
            writer_principal = engine.principal(writer)
        except WorkbenchError:
            result = False       # unknown writer: what he saw cannot be told, so nothing is shown
        else:
            result = True
            for entry in catalog.entries:
                if engine.grant_for(writer_principal, entry) is None:
                    continue
                mine = self.view(engine, catalog, reader, entry.full_name)
                theirs = self.view(engine, catalog, writer, entry.full_name)
                if mine is None or theirs is None or not mine.covers(theirs):
                    result = False
                    break
        with self._lock:
            self._dominance[key] = result
        return result

    def recorded(self, user: str, datasets: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        """`user`'s current views of `datasets` as JSON, to store beside a fact computed under them."""
        engine = self._service.policy()
        catalog = self._service.queries.catalog()
        self._sync(engine, catalog)
        out: dict[str, dict[str, Any] | None] = {}
        for dataset in datasets:
            view = self.view(engine, catalog, user, dataset)
            out[dataset.lower()] = view.to_json() if view is not None else None
        return out


__all__ = ["Reader", "View", "Views"]
