"""`QueryService`: the single entry point every surface queries through.

Kernel (REST), CLI, dashboard, checks and jobs all call `QueryService.run`,
which resolves the identity, rewrites the query under the current policy, runs
it on the locked engine, and appends an audit record, allowed or denied. The
record is the caller's (`user`), also when he acts as another user: then it
names that user in ``detail["as_user"]``. `surface` and `run_id` are trusted
here: the surfaces decide them (`POST sql` from how the caller authenticated,
its `run_id` checked by `AuditTrail.link_run`), never a client's say-so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from aios_workbench.catalog.load import load_catalog
from aios_workbench.core.agents import through_agent
from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError, WorkbenchError
from aios_workbench.core.registry import connectors
from aios_workbench.policy.enforce import PolicyEngine
from aios_workbench.query.policy_holder import PolicyHolder
from aios_workbench.query.rewrite import QueryDenied, rewrite

if TYPE_CHECKING:
    from aios_workbench.catalog.model import Catalog
    from aios_workbench.policy.model import PolicyFile
    from aios_workbench.query.engine import GovernedEngine

log = logging.getLogger(__name__)


@dataclass
class QueryResult:
    """A running query: iterate `batches()` once; the audit record is written when it ends."""

    schema: pa.Schema
    datasets: tuple[str, ...]
    max_rows: int
    _batches: Iterator[pa.RecordBatch]
    _finish: Callable[[QueryResult, BaseException | None], None]
    rows: int = 0
    truncated: bool = False
    _done: bool = field(default=False, repr=False)

    def batches(self) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self._batches:
                room = self.max_rows - self.rows
                if batch.num_rows >= room:
                    if batch.num_rows > room:
                        self.truncated = True
                    batch = batch.slice(0, room)
                    self.rows += batch.num_rows
                    if batch.num_rows:
                        yield batch
                    if self.truncated or room == 0:
                        break
                    continue
                self.rows += batch.num_rows
                yield batch
            self._complete(None)
        except BaseException as exc:
            self._complete(exc)
            raise
        finally:
            close = getattr(self._batches, "close", None)
            if close:
                close()

    def _complete(self, error: BaseException | None) -> None:
        if not self._done:
            self._done = True
            self._finish(self, error)

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_batches(list(self.batches()), schema=self.schema)


# Statements the workbench writes itself (check aggregates, dataset digests): their events keep the
# datasets read but no column lineage, whose derivation for a wide aggregate costs more than the query
# (a drift's 16 statements: 2.2 s of Python, contending with DuckDB) and describes no one's result.
MACHINE_SURFACES = frozenset({"check", "lineage"})
INTERNAL_MAX_ROWS = 50_000_000   # rows of one statement the service wrote for itself (see `QueryService.run`)

# A lineage event is built once no query has started or finished for LINEAGE_QUIET seconds (the answer
# has left), or at the latest LINEAGE_MAX_DELAY seconds after it was queued (constant load). Built at
# once, its Python took the GIL from the answer still being sent: +2-3 ms on a small query.
LINEAGE_QUIET = 0.002
LINEAGE_MAX_DELAY = 0.25


class QueryService:
    """Governed queries over one workspace, for every surface."""

    def __init__(self, ws, store, audit, *, max_rows: int = 1_000_000, timeout: float = 300.0, lineage=None):
        # lazy: lineage package (column lineage, HTTP transport) only when lineage is configured
        from aios_workbench.lineage.log import emitter_for

        self.ws = ws
        self.lineage = lineage or emitter_for(ws)
        # lineage events (column lineage: 1-12 ms of Python) are built off the query's path, in order, once the
        # service is quiet (`_after_quiet`), so they do not hold the GIL an answer still being sent needs
        self._lineage_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aios-lineage")
        self._lineage_pending: Future[None] | None = None
        self._last_activity = time.monotonic()   # when a query last started or finished
        self.store = store
        self.audit = audit
        self.max_rows = max_rows
        self.timeout = timeout
        self.policy = PolicyHolder(ws)
        self._engine: GovernedEngine | None = None
        self._catalog: tuple[PolicyFile, Catalog] | None = None
        self._lock = threading.Lock()
        # parse + rewrite costs ~1 ms; repeated queries (dashboards, paging) reuse it. The key holds
        # the policy and catalog objects themselves, so a reload or rescan never serves a stale rewrite.
        self._rewrites: OrderedDict = OrderedDict()

    @property
    def engine(self):
        with self._lock:
            if self._engine is None:
                # lazy: DuckDB engine only on the first query; query.engine loads the query package (circular)
                from aios_workbench.query.engine import GovernedEngine

                cfg = self.ws.config.query
                self._engine = GovernedEngine(self.ws, threads=cfg.threads, memory_limit=cfg.memory_limit)
            return self._engine

    def catalog(self, policy: PolicyFile | None = None) -> Catalog:
        """The catalog as `policy` (default: the policy in force) sees it; reloaded when the policy or a scan
        changed it."""
        policy = policy or self.policy.current()
        with self._lock:
            if self._catalog is None or self._catalog[0] is not policy:
                self._catalog = (policy, load_catalog(self.store, policy, self._system_schemas()))
            return self._catalog[1]

    def _system_schemas(self) -> dict[str, frozenset[str]]:
        """Per source, the server catalogs its connector type names (never datasets, see `load_catalog`)."""
        out = {}
        for decl in self.ws.connectors:
            try:
                out[decl.name] = connectors.get(decl.type).system_schemas
            except Exception:  # noqa: BLE001 - an unknown type: `aios status` reports it; it has no datasets
                continue
        return out

    def refresh(self) -> None:
        """Forget the catalog and the engine: the next query sees a new scan."""
        with self._lock:
            self._catalog = None
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    def catalog_changed(self) -> None:
        """After a change of classifications only (a tag removed): reload the catalog; the engine's views stay."""
        with self._lock:
            self._catalog = None

    def dataset_written(self, source: str, name: str) -> None:
        """After a governed write: reload the catalog and refresh that one dataset's view."""
        with self._lock:
            self._catalog = None
            engine = self._engine
        if engine is not None:
            engine.refresh_dataset(self.ws, source, name)

    def identity(self, user: str, as_user: str | None) -> str:
        if not as_user or as_user == user:
            return user
        if not PolicyEngine(self.policy.current()).may_impersonate(user, as_user):
            raise PermissionDenied(f"{user} may not act as {as_user}",
                                   fix=f"add {as_user!r} to may_impersonate of {user} in governance/policy.yaml",
                                   input=as_user)
        return as_user

    def run(self, sql: str, *, user: str, surface: str, as_user: str | None = None,
            max_rows: int | None = None, run_id: str | None = None, internal: bool = False) -> QueryResult:
        """Rewrite and start `sql` as `user` (or `as_user`); raise when denied (and audited). `internal`: a
        statement the service wrote whose rows never leave it (a check's histograms and sorted values: only
        its statistics do), capped at INTERNAL_MAX_ROWS rather than the workspace's `query.max_rows`."""
        if not isinstance(sql, str) or not sql.strip():
            raise UsageError("the query is empty", fix="pass a SELECT statement", input=sql)
        detail = {"sql": sql, "run_id": run_id} if run_id else {"sql": sql}
        if as_user and as_user != user:
            # the caller acting as another user: his record, naming whom he acted as (`as_user`), so the
            # other user's own records never hold the caller's queries
            detail["as_user"] = as_user
        self._last_activity = time.monotonic()
        try:
            identity = self.identity(user, as_user)
            policy = PolicyEngine(self.policy.current())
            principal = policy.principal(identity, agent=through_agent(surface))
            engine = self.engine
            rewritten = self._rewrite(sql, policy, principal, engine)
        except (QueryDenied, PermissionDenied, NotFound, UsageError) as exc:
            rule = getattr(exc, "rule", exc.code)
            self.audit.append(user=user, surface=surface, action="query", target="",
                              allowed=False, detail={**detail, "rule": rule, "error": exc.message})
            raise

        def finish(result: QueryResult | None, error) -> None:
            outcome = {"datasets": list(rewritten.datasets), "rows": result.rows if result else 0,
                       "truncated": result.truncated if result else False}
            if error is not None:
                outcome["error"] = error.message if isinstance(error, WorkbenchError) else type(error).__name__
            self.audit.append(user=user, surface=surface, action="query", target=",".join(rewritten.datasets),
                              allowed=True, detail={**detail, **outcome})
            self._last_activity = time.monotonic()
            self._emit_lineage(sql, identity, surface, rewritten, outcome, run_id, error)

        cap = INTERNAL_MAX_ROWS if internal else min(max_rows or self.max_rows, self.max_rows)
        try:
            schema, batches = engine.start(rewritten.sql, timeout=self.timeout, max_rows=cap)
        except WorkbenchError as exc:  # authorized, but failed in the engine: audited as such
            finish(None, exc)
            raise
        return QueryResult(schema, rewritten.datasets, cap, batches, finish)

    def _emit_lineage(self, sql, identity, surface, rewritten, outcome, run_id, error) -> None:
        """Queue an OpenLineage event for a query that read governed data (never its rewritten SQL)."""
        if rewritten.datasets:
            self._lineage_pending = self._lineage_worker.submit(
                self._write_lineage, sql, identity, surface, rewritten, outcome, run_id, error,
                time.monotonic() + LINEAGE_MAX_DELAY)

    def flush_lineage(self, timeout: float = 30.0) -> None:
        """Wait until every queued lineage event is written (before reading the lineage log)."""
        pending = self._lineage_pending
        if pending is not None:
            pending.exception(timeout=timeout)  # waits; the worker runs events in order

    def _after_quiet(self, latest: float) -> None:
        """Wait until no query started or finished for LINEAGE_QUIET seconds, or until `latest`."""
        while True:
            now = time.monotonic()
            quiet = now - self._last_activity
            if quiet >= LINEAGE_QUIET or now >= latest:
                return
            time.sleep(min(LINEAGE_QUIET - quiet, latest - now))

    def _write_lineage(self, sql, identity, surface, rewritten, outcome, run_id, error, latest: float) -> None:
        # lazy: lineage events (catalog model, DuckDB connectors) only when lineage is written
        from aios_workbench.lineage.events import query_event

        self._after_quiet(latest)
        try:
            catalog = self.catalog()
            entries = [catalog.resolve(tuple(n.split("."))) for n in rewritten.datasets]
            self.lineage.emit(query_event(self.ws.name, identity, surface, sql, entries, run_id=run_id,
                                          rows=outcome["rows"], masked=rewritten.masked,
                                          status="FAIL" if error is not None else "COMPLETE",
                                          error=outcome.get("error"), columns=surface not in MACHINE_SURFACES))
        except Exception:  # lineage is best-effort: a query never fails because of it
            log.warning("lineage event not recorded", exc_info=True)

    def _rewrite(self, sql: str, policy: PolicyEngine, principal, engine):
        catalog = self.catalog(policy.policy)
        # the roles too: one person through an AI agent gains the `agent` role, and masks for agents
        key = (sql, principal.name, principal.roles, id(policy.policy), id(catalog), id(engine))
        cached = self._rewrites.get(key)
        if cached is not None and cached[0] is policy.policy and cached[1] is catalog:
            self._rewrites.move_to_end(key)
            return cached[2]
        rewritten = rewrite(sql, catalog=catalog, policy=policy, principal=principal,
                            builtin_functions=engine.builtin_functions)
        self._rewrites[key] = (policy.policy, catalog, rewritten)
        while len(self._rewrites) > 512:
            self._rewrites.popitem(last=False)
        return rewritten

    def close(self) -> None:
        self._lineage_worker.shutdown(wait=True)
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
