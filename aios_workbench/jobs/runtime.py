"""The governed endpoint job kernels talk to: the REST API on 127.0.0.1, one bearer token per run.

A job's kernel is a fresh process running someone's notebook, so it gets no credentials of any data
source: only the URL of this endpoint and a token that stands for one identity and one job run. The
endpoint serves the same routes as `aios serve` (`service/routes.py:mount`, authenticated through a
subclass of `standalone.TokenAuthBase`) over the WorkbenchService of the process that runs the job,
where governance is enforced. What a token's kernel read, and was refused, is recorded on its grant;
the token stops working (401) as soon as the run ends.

One server per process, started on first use in a background thread with its own event loop, on a
random free port, and shared by every run of the process (each run only reaches its own grant).
`kernel_environment` is the other half of the boundary: what a job kernel's environment may hold.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass, field

from aios_workbench.core.errors import AuthenticationRequired, UsageError, WorkbenchError
from aios_workbench.workspace.kernel_env import inherited_environment

log = logging.getLogger(__name__)

JOB_SURFACE = "job"          # the audit `surface` of everything a job kernel does
_HOST = "127.0.0.1"          # never reachable from another machine: kernels run beside the service

# The grant of the request being handled. Tornado runs each request in its own task and
# `asyncio.to_thread` copies the context, so route code (and the threads it starts) sees its own grant.
_current_grant: contextvars.ContextVar[RunGrant | None] = contextvars.ContextVar("aios_job_grant", default=None)


@dataclass(eq=False)
class RunGrant:
    """What one run's token may do (act as `identity` on `service`) and what it did."""

    token: str
    identity: str
    job_run_id: int | None
    service: object
    datasets_read: set[str] = field(default_factory=set)
    datasets_denied: set[str] = field(default_factory=set)
    datasets_written: set[str] = field(default_factory=set)
    denials: list[dict] = field(default_factory=list)          # {"rule", "message", "input"} per refusal
    mlflow_run_ids: set[str] = field(default_factory=set)      # MLflow runs the kernel's queries named
    surface: str = JOB_SURFACE                                 # the audit's surface: "job", or "app" for an app's run
    view: JobServiceView | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def lineage_run_id(self) -> str | None:
        """The run id audit and lineage carry when the kernel has no MLflow run open."""
        return f"job-run:{self.job_run_id}" if self.job_run_id is not None else None

    def record_read(self, datasets) -> None:
        with self._lock:
            self.datasets_read.update(datasets)

    def record_denied(self, error: WorkbenchError, catalog) -> None:
        """Remember a refused query; when the refusal names a catalog dataset, that dataset was denied."""
        entry = {"rule": getattr(error, "rule", None) or error.code, "message": error.message,
                 "input": None if error.input is None else str(error.input)}
        dataset = _catalog_name(catalog, entry["input"])
        with self._lock:
            self.denials.append(entry)
            if dataset and entry["rule"] != "unknown_dataset":
                self.datasets_denied.add(dataset)

    def note_mlflow_run(self, run_id: str | None) -> None:
        if run_id and not run_id.startswith("job-run:"):
            with self._lock:
                self.mlflow_run_ids.add(run_id)

    def snapshot(self) -> dict:
        with self._lock:
            return {"datasets_read": sorted(self.datasets_read), "datasets_denied": sorted(self.datasets_denied),
                    "datasets_written": sorted(self.datasets_written),
                    "denials": list(self.denials), "mlflow_run_ids": sorted(self.mlflow_run_ids)}


def _catalog_name(catalog, name: str | None) -> str | None:
    """`name` as the catalog names it, when it is a dataset of the catalog."""
    if not name or any(c in name for c in " ()'\";"):
        return None
    try:
        entry = catalog().resolve(tuple(name.split(".")))
    except Exception:  # noqa: BLE001 - not a dataset: the refusal was about something else (a table function, ...)
        return None
    return getattr(entry, "full_name", None) or name


class JobQueries:
    """`QueryService` as a job kernel sees it: audited with surface "job" and the job run, observed."""

    def __init__(self, queries, grant: RunGrant):
        self._queries = queries
        self._grant = grant

    def __getattr__(self, name):
        return getattr(self._queries, name)

    def run(self, sql: str, *, user: str, surface: str, as_user: str | None = None,
            max_rows: int | None = None, run_id: str | None = None, internal: bool = False):
        """Run `sql` through the one governed path; the kernel's own `surface` label is not trusted
        (`internal`: a check's own statement, see `QueryService.run`)."""
        grant = self._grant
        grant.note_mlflow_run(run_id)
        try:
            result = self._queries.run(sql, user=user, surface=grant.surface, as_user=as_user, max_rows=max_rows,
                                       run_id=run_id or grant.lineage_run_id, internal=internal)
        except WorkbenchError as exc:
            if exc.code in ("query_denied", "permission_denied"):   # refused, not failed in the engine
                grant.record_denied(exc, self._queries.catalog)
            raise
        grant.record_read(result.datasets)
        return result


class JobCatalog:
    """`service.catalog` as a job kernel reaches it: previews and profiles read through the job's queries;
    a write is traced from what the run read and recorded as an output of the run."""

    def __init__(self, catalog, grant: RunGrant):
        self._catalog = catalog
        self._grant = grant

    def __getattr__(self, name):
        return getattr(self._catalog, name)

    def write(self, user: str, target: str, table, *, mode: str = "replace", inputs=(),
              run_id: str | None = None, surface: str = JOB_SURFACE, strict_inputs: bool = True) -> dict:
        """A job's write: audited with surface "job" and the job run; traced from what the run read so far
        (plus the inputs the kernel named); recorded as an output of the run."""
        grant = self._grant
        grant.note_mlflow_run(run_id)
        with grant._lock:
            read = sorted(grant.datasets_read)
        inputs = list(inputs) if strict_inputs else [*read, *inputs]   # inferred: all the run read so far
        result = self._catalog.write(user, target, table, mode=mode, inputs=inputs, strict_inputs=False,
                                     run_id=run_id or grant.lineage_run_id, surface=self._grant.surface)
        with grant._lock:
            grant.datasets_written.add(result["dataset"])
        return result


class JobChecks:
    """`service.checks` as a job kernel reaches it: checks read through the job's queries, so their reads
    are the job's reads, and are recorded in the ledger with the job run."""

    def __init__(self, checks, grant: RunGrant):
        self._checks = checks
        self._grant = grant

    def __getattr__(self, name):
        return getattr(self._checks, name)

    def run(self, user: str, kind, spec: dict, *, mlflow_run_id=None, notebook=None) -> list[dict]:
        self._grant.note_mlflow_run(mlflow_run_id)
        return self._checks.run(user, kind, spec, mlflow_run_id=mlflow_run_id, notebook=notebook,
                                job_run_id=self._grant.job_run_id)


class JobServiceView:
    """The WorkbenchService seen through one run's grant: its queries, catalog and checks are those of a job."""

    mode = "job"

    def __init__(self, service, grant: RunGrant):
        self._service = service
        self._grant = grant
        self.queries = JobQueries(service.queries, grant)
        # the service's own managers, acting on this view: what they read goes through the job's queries
        self.catalog = JobCatalog(service.catalog.bound_to(self), grant)
        self.checks = JobChecks(service.checks.bound_to(self), grant)

    def __getattr__(self, name):
        return getattr(self._service, name)

    async def status(self, user: str) -> dict:
        data = await self._service.status(user)
        data["mode"] = "job"
        data["job_run_id"] = self._grant.job_run_id
        return data


class _GrantedService:
    """Stands in for `settings["aios_service"]`: each request reaches the service of its own grant."""

    def __getattr__(self, name):
        grant = _current_grant.get()
        if grant is None:  # only authenticated requests reach route code; this is a guard, not a path
            raise AuthenticationRequired("this endpoint needs a job run token",
                                         fix="send `Authorization: Bearer <AIOS_TOKEN of the job kernel>`")
        return getattr(grant.view, name)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class JobRuntime:
    """The per-process endpoint: issues and revokes run tokens and serves the REST routes to them."""

    def __init__(self):
        self._grants: dict[str, RunGrant] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port: int | None = None
        self.pid = os.getpid()

    @property
    def url(self) -> str:
        return f"http://{_HOST}:{self.port}"

    # -- tokens ------------------------------------------------------------------------------------------
    def issue(self, service, *, identity: str, job_run_id: int | None = None, surface: str = JOB_SURFACE) -> RunGrant:
        """A new token acting as `identity` for job run `job_run_id` (audited as `surface`), valid until `revoke`."""
        grant = RunGrant(secrets.token_urlsafe(32), identity, job_run_id, service, surface=surface)
        grant.view = JobServiceView(service, grant)
        with self._lock:
            self._grants[_digest(grant.token)] = grant
        return grant

    def revoke(self, grant: RunGrant) -> None:
        with self._lock:
            self._grants.pop(_digest(grant.token), None)

    def lookup(self, token: str) -> RunGrant | None:
        """The live grant of `token` (the digest finds it; the token itself is compared in constant time)."""
        with self._lock:
            grant = self._grants.get(_digest(token))
        if grant is not None and hmac.compare_digest(grant.token.encode(), token.encode()):
            return grant
        return None

    # -- the server ----------------------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []
        thread = threading.Thread(target=self._serve, args=(ready, failure), name="aios-job-runtime", daemon=True)
        thread.start()
        if not ready.wait(timeout) or failure:
            raise WorkbenchError(f"the job runtime endpoint did not start: {failure[0] if failure else 'timeout'}",
                                 fix="check that 127.0.0.1 accepts local connections")

    def _serve(self, ready: threading.Event, failure: list) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop

        async def listen():
            from tornado.httpserver import HTTPServer
            from tornado.netutil import bind_sockets

            sockets = bind_sockets(0, _HOST)
            HTTPServer(make_job_app(self)).add_sockets(sockets)
            self.port = sockets[0].getsockname()[1]

        try:
            loop.run_until_complete(listen())
        except BaseException as exc:  # noqa: BLE001 - reported to the thread waiting in start()
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()


def make_job_app(runtime: JobRuntime):
    """The tornado application: the routes a job's kernel may call (not the dashboard's), authenticated
    by run tokens."""
    from tornado import web

    # lazy: REST routes and schemas (tornado handlers) only when a job serves its app
    from aios_workbench.surfaces.rest.routes import mount
    from aios_workbench.surfaces.rest.standalone import NotFoundRoute, TokenAuthBase  # lazy: as above (and circular)

    class JobTokenAuth(TokenAuthBase):
        """`TokenAuthBase` with per-run tokens: the token names the identity and the run."""

        def get_current_user(self):
            scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() in ("bearer", "token") and token.strip():
                grant = runtime.lookup(token.strip())
                if grant is not None:
                    self._aios_grant = grant
                    return grant.identity
            return None

        def prepare(self):
            if self.current_user is None:
                raise AuthenticationRequired("this endpoint needs the token of a running job",
                                             fix="job kernels find it in $AIOS_TOKEN; it stops working when "
                                                 "the run ends")
            _current_grant.set(self._aios_grant)

    class JobNotFoundRoute(NotFoundRoute, JobTokenAuth):
        pass

    def log_request(handler) -> None:  # refused tokens are normal after a run: no warning on stderr
        status = handler.get_status()
        log.log(logging.WARNING if status >= 500 else logging.DEBUG, "%d %s %.1f ms", status,
                handler._request_summary(), 1000.0 * handler.request.request_time())

    return web.Application(mount(JobTokenAuth, "", job_runtime=True), default_handler_class=JobNotFoundRoute,
                           aios_service=_GrantedService(), log_function=log_request)


# -- the kernel's environment ---------------------------------------------------------------------------
# What a job kernel inherits is the rule of `workspace/kernel_env.py` (the same for `aios lab`'s kernels);
# on top come the run's AIOS_* context and the job's declared secrets (each by its reference, resolved in
# the process that runs the job).
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# Set by the runtime itself: a job may not redefine them through its secrets or extra variables.
RESERVED = frozenset({"AIOS_SERVICE_URL", "AIOS_TOKEN", "AIOS_JOB_NAME", "AIOS_JOB_RUN_ID", "AIOS_JOB_PARAMETERS",
                      "AIOS_WORKSPACE", "AIOS_NOTEBOOK_PATH", "JPY_PARENT_PID"})


def check_extra(values: dict, *, what: str) -> None:
    """Variables a caller adds to a kernel: valid names, none of the runtime's own."""
    if not isinstance(values, dict):
        raise UsageError(f"{what}s must be a mapping of variable name to value", fix="pass e.g. {'API_KEY': 'ref'}",
                         input=str(values)[:200])
    for name, value in values.items():
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            raise UsageError(f"{what} {name!r} is not an environment variable name",
                             fix="use upper-case letters, digits and '_', e.g. API_KEY", input=str(name))
        if name in RESERVED:
            raise UsageError(f"{what} {name} is set by the job runtime and cannot be redefined",
                             fix="choose another variable name", input=name)
        if not isinstance(value, str) or not value:
            raise UsageError(f"{what} {name} needs a non-empty text value", fix="pass a string", input=name)


def resolve_secrets(secrets: dict[str, str]) -> dict[str, str]:
    """Kernel variable -> secret value, each resolved by reference (ConfigError names a missing one)."""
    # lazy: connectors.secrets runs the connectors package, which loads DuckDB; only jobs with secrets pay
    from aios_workbench.connectors.secrets import resolve_secret

    return {env: resolve_secret(reference) for env, reference in secrets.items()}


def kernel_environment(workspace, *, service_url: str, token: str, parameters: dict, job_name: str | None,
                       job_run_id: int | None, notebook, secret_values: dict[str, str],
                       extra: dict[str, str]) -> dict[str, str]:
    """The complete environment of a job kernel (see the rule above)."""
    import json

    env = inherited_environment(workspace)
    env.update(extra)
    env.update({"AIOS_SERVICE_URL": service_url, "AIOS_TOKEN": token, "AIOS_WORKSPACE": str(workspace.root),
                "AIOS_NOTEBOOK_PATH": str(notebook), "AIOS_JOB_PARAMETERS": json.dumps(parameters, default=str)})
    if job_name:
        env["AIOS_JOB_NAME"] = job_name
    if job_run_id is not None:
        env["AIOS_JOB_RUN_ID"] = str(job_run_id)
    env.update(secret_values)
    return env


_runtime: JobRuntime | None = None
_runtime_lock = threading.Lock()


def job_runtime() -> JobRuntime:
    """This process's endpoint, started on first use (again after a fork: threads do not survive one)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None or _runtime.pid != os.getpid():
            runtime = JobRuntime()
            runtime.start()
            _runtime = runtime
        return _runtime
