"""The kernel-side client: `wb.status()`, `wb.connect(...)`.

The client holds no governance logic and no credentials of data sources: it
calls the workbench service over authenticated HTTP and renders what it gets.
Jobs and team deployments set AIOS_SERVICE_URL and AIOS_TOKEN; inside JupyterLab it finds its
server from Jupyter's runtime files; anywhere else inside a workspace (a plain script, Papermill outside
JupyterLab) it runs the workspace's service in this process, as the CLI does (`local.py`).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aios_workbench.core.errors import (
    AuthenticationRequired,
    ConnectorError,
    NotFound,
    UsageError,
    WorkbenchError,
    WorkspaceNotFound,
    error_class,
)

UNREACHABLE_FIX = "start it (`aios serve` or `aios lab`) or fix the URL"


class ServiceClient:
    """Talks to one workbench service (Jupyter server extension or `aios serve`)."""

    def __init__(self, url: str, token: str | None, *, timeout: float = 30.0, headers: dict | None = None):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.headers = dict(headers or {})   # sent with every call (a delegate's X-AIOS-Act-As)

    def _open(self, endpoint: str, payload: dict | None = None, *, body=None, length: int | None = None,
              content_type: str = "application/json", timeout: float | None = None,
              answer_key: str | None = None, unreachable_fix: str = UNREACHABLE_FIX, method: str | None = None):
        """An open response for GET (no payload) or POST (a JSON `payload`, or a raw `body` of
        `content_type`: bytes, or an iterable of byte chunks `length` bytes long in all, sent as they
        come); errors become WorkbenchErrors, except an error answer whose JSON object holds
        `answer_key`, which is the response. No answer at all is a ConnectorError with `unreachable_fix`."""
        data = json.dumps(payload).encode() if payload is not None else body
        headers = {"Content-Type": content_type} if data is not None else {}
        if length is not None:
            headers["Content-Length"] = str(length)
        request = urllib.request.Request(f"{self.url}/aios/api/{endpoint}", data=data, headers=headers,
                                         method=method or ("POST" if data is not None else "GET"))
        if self.token:
            request.add_header("Authorization", f"token {self.token}")
        for name, value in self.headers.items():
            request.add_header(name, value)
        try:
            return urllib.request.urlopen(request, timeout=timeout or self.timeout)
        except urllib.error.HTTPError as exc:
            with exc:   # its socket closed now, not whenever the garbage collector runs
                raw = exc.read()
            if answer_key is not None and answer_key in _json_object(raw):
                return io.BytesIO(raw)
            raise self._error(exc.code, raw, endpoint.split("?")[0]) from None
        except (urllib.error.URLError, OSError) as exc:
            raise ConnectorError(
                f"cannot reach the workbench service at {self.url}: {getattr(exc, 'reason', exc)}",
                fix=unreachable_fix, input=self.url) from None

    def get(self, endpoint: str) -> dict:
        with self._open(endpoint) as response:
            return self._json(response, endpoint)

    def post(self, endpoint: str, payload: dict, *, timeout: float | None = None, answer_key: str | None = None,
             unreachable_fix: str = UNREACHABLE_FIX) -> dict:
        """POST `payload` as JSON and return the JSON answer. With `answer_key`, an error answer that holds
        that key is returned too, not raised (a refused promotion answers 422 with its gate report);
        `unreachable_fix` is the advice when no answer comes (a long call may have finished anyway)."""
        with self._open(endpoint, payload, timeout=timeout, answer_key=answer_key,
                        unreachable_fix=unreachable_fix) as response:
            return self._json(response, endpoint)

    def _json(self, response, endpoint: str):
        try:
            return json.loads(response.read())
        except ValueError:   # e.g. a proxy's HTML page
            raise ConnectorError(f"{self.url} answered {endpoint} with something other than JSON",
                                 fix="check the URL points at a workbench service (`aios serve`), not a proxy page",
                                 input=self.url) from None

    def delete(self, endpoint: str) -> dict:
        with self._open(endpoint, method="DELETE") as response:
            return self._json(response, endpoint)

    def fetch(self, endpoint: str):
        """GET a non-JSON answer: (content type, body, headers); headers are looked up case-insensitively."""
        with self._open(endpoint) as response:
            return response.headers.get("Content-Type", ""), response.read(), response.headers

    def status(self) -> dict:
        return self.get("status")

    def _error(self, status: int, raw: bytes, endpoint: str) -> WorkbenchError:
        """The error an error answer (HTTP `status`, body `raw`) stands for, as the service raised it."""
        body = _json_object(raw)
        if status == 401 or (status == 403 and not body.get("error")):
            if not self.token:
                return AuthenticationRequired(f"the workbench service at {self.url} needs a token, and none was "
                                              "sent", fix="pass one with --token or $AIOS_TOKEN", input=self.url)
            return AuthenticationRequired(f"the workbench service at {self.url} refused the token ({status})",
                                          fix="pass the right token (--token or $AIOS_TOKEN)", input=self.url)
        error = error_class(body.get("error", ""), status).received(
            body.get("message") or f"HTTP {status} from {self.url}", fix=body.get("fix"),
            input=body.get("input", endpoint))
        error.code = body.get("error", error.code)
        error.rule = body.get("rule")
        return error

    def write_arrow(self, target: str, table, *, mode: str = "replace", inputs=(), run_id: str | None = None,
                    infer_inputs: bool = False) -> dict:
        """Send an Arrow table to be written as governed dataset `target` (POST datasets/write)."""
        import urllib.parse

        params = {"target": target, "mode": mode, "inputs": ",".join(inputs),
                  "infer_inputs": "1" if infer_inputs else "0"}
        if run_id:
            params["run_id"] = run_id
        endpoint = f"datasets/write?{urllib.parse.urlencode(params)}"
        length, chunks = ipc_stream(table)
        with self._open(endpoint, body=chunks, length=length, content_type="application/vnd.apache.arrow.stream",
                        timeout=max(self.timeout, 300)) as response:
            return json.loads(response.read())

    def query_arrow(self, sql: str, *, as_user: str | None = None, max_rows: int | None = None,
                    surface: str = "kernel", run_id: str | None = None, datasets: list | None = None):
        """Run a governed query; the result streams back as Arrow IPC.

        `datasets`, when given a list, receives the governed datasets the query read."""
        import pyarrow as pa

        payload: dict[str, str | int] = {"sql": sql, "surface": surface}
        if run_id:
            payload["run_id"] = run_id
        if as_user:
            payload["as_user"] = as_user
        if max_rows:
            payload["max_rows"] = max_rows
        with self._open("sql", payload) as response:
            if datasets is not None:
                datasets.extend(d for d in response.headers.get("X-AIOS-Datasets", "").split(",") if d)
            try:
                return pa.ipc.open_stream(_ArrowBody(response)).read_all()
            except (pa.ArrowInvalid, OSError, http.client.HTTPException) as exc:
                raise ConnectorError(f"the result stream from {self.url} broke off: {exc}",
                                     fix="retry; `aios audit tail` shows how the query ended", input=sql) from None


class _ArrowBody:
    """An HTTP response body as pyarrow's IPC reader reads it: each read lands once, in the buffer the batch
    then lives in. (http.client's `read(n)` fills a fresh buffer, reads into it, then copies it out: three
    passes over every byte of a large result instead of two.) The buffers come from Arrow's memory pool, which
    keeps freed memory for the next result: a `bytearray` is fresh memory the OS zeroes page by page, 45 ms
    of the kernel's CPU for 80 MB, on a machine whose other core is busy sending it."""

    closed = False

    def __init__(self, response):
        self.response = response

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1):
        import pyarrow as pa

        if size is None or size < 0:
            return self.response.read()
        buffer = pa.allocate_buffer(size)
        view = memoryview(buffer)
        got = 0
        while got < size:
            count = self.response.readinto(view[got:])
            if not count:
                break
            got += count
        if size and not got:
            # the IPC reader stops at the stream's end marker and never reads past it: the body ending
            # first means the result was cut off (a query failing after its first rows is a cleanly ended
            # HTTP response, and pyarrow would take the rows so far for the whole result)
            raise OSError("the result ended before its end-of-stream marker")
        return buffer if got == size else buffer.slice(0, got)


def _json_object(raw: bytes) -> dict[str, Any]:
    """`raw` parsed as a JSON object; anything else (a proxy's HTML page, a list) as an empty one."""
    try:
        body = json.loads(raw)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


IPC_CHUNK_BYTES = 8 * 2**20   # a write is serialised and sent this much at a time


def ipc_stream(table) -> tuple[int, Iterator[bytes]]:
    """`table` as an Arrow IPC stream: its length in bytes, and its bytes a batch at a time, so a write
    never holds a second copy of the whole table (the length is counted first, without storing)."""
    import pyarrow as pa

    rows = max(1, IPC_CHUNK_BYTES * table.num_rows // max(table.nbytes, 1))
    batches = table.to_batches(max_chunksize=rows)
    counter = pa.MockOutputStream()
    with pa.ipc.new_stream(counter, table.schema) as writer:
        for batch in batches:
            writer.write_batch(batch)

    class Parts:   # the file the IPC writer writes to: it hands each part on
        def __init__(self):
            self.parts: list[bytes] = []
            self.closed = False

        def write(self, data) -> int:
            self.parts.append(bytes(data))
            return len(self.parts[-1])

        def flush(self) -> None:
            pass

        def take(self) -> list[bytes]:
            taken, self.parts = self.parts, []
            return taken

    def chunks():
        sink = Parts()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
                yield b"".join(sink.take())
        yield b"".join(sink.take())   # the end-of-stream marker

    return counter.size(), chunks()


class Status(dict):
    """The service status, shown compactly in a notebook."""

    def _repr_html_(self) -> str:
        from html import escape

        ok = self["store"]["ok"] and all(c["ok"] for c in self["connectors"])
        rows = [("workspace", self["workspace"]["name"]), ("version", self["version"]),
                ("store", f"{self['store']['backend']} @ {self['store']['revision']}" if self["store"]["ok"]
                 else f"unavailable: {self['store']['error']}")]
        rows += [(f"source {c['name']}", "ok" if c["ok"] else f"failed: {c['error']}") for c in self["connectors"]]
        body = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>"
                       f"{escape(str(v))}</td></tr>" for k, v in rows)
        badge = "✅ healthy" if ok else "⚠️ degraded"
        return f"<div><b>AI OS</b> {badge}<table>{body}</table></div>"


_client: ServiceClient | None = None


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (TypeError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _discover() -> ServiceClient:
    url = os.environ.get("AIOS_SERVICE_URL")
    if url:
        return ServiceClient(url, os.environ.get("AIOS_TOKEN"))
    from jupyter_core.paths import jupyter_runtime_dir

    cwd = Path.cwd().resolve()
    servers = []
    for file in Path(jupyter_runtime_dir()).glob("jpserver-*.json"):
        try:
            info = json.loads(file.read_text())
        except (OSError, ValueError):
            continue
        root = Path(info.get("root_dir", "/")).resolve()
        if not _alive(info.get("pid")):
            continue  # a runtime file left behind by a server that was killed
        if cwd == root or root in cwd.parents:
            servers.append((len(root.parts), info))
    if not servers:
        return _local_mode(cwd)
    info = max(servers, key=lambda s: s[0])[1]
    return ServiceClient(info["url"], info.get("token"))


def _local_mode(cwd: Path) -> ServiceClient:
    """The workspace's service in this process (`local.py`), when a workspace is found as the CLI finds it."""
    from aios_workbench.kernel.local import start_local_mode  # lazy: the service loads only in local mode

    try:
        url, token = start_local_mode()
    except WorkspaceNotFound:
        if os.environ.get("AIOS_WORKSPACE"):
            raise   # it names a folder that is no workspace: that error says so
        raise NotFound("no workbench service found: $AIOS_SERVICE_URL is unset, no JupyterLab serves this folder, "
                       f"and no workspace (aios.yaml) is in {cwd} or a folder above it",
                       fix="run from inside a workspace (or set AIOS_WORKSPACE) to work on it in this process, "
                           "set AIOS_SERVICE_URL and AIOS_TOKEN to use a running service, or call "
                           "wb.connect(url, token)", input=str(cwd)) from None
    return ServiceClient(url, token)


def connect(url: str | None = None, token: str | None = None) -> ServiceClient:
    """Use the service at `url` (default: discover it) for the calls that follow."""
    global _client
    _client = ServiceClient(url, token) if url else _discover()
    return _client


def service_client() -> ServiceClient:
    """This kernel's client of the workbench service: the one `connect` chose, else discovered now."""
    return _client or connect()


def status() -> Status:
    """The workbench status: version, workspace, metadata store and data sources."""
    return Status(service_client().status())


def _convert(table, as_: str):
    if as_ == "polars":
        import polars as pl

        return pl.from_arrow(table)
    if as_ == "pandas":
        return table.to_pandas()
    if as_ == "arrow":
        return table
    raise UsageError(f"unknown result type {as_!r}", fix="use as_='polars', 'pandas' or 'arrow'", input=as_)


_READ: dict[str, None] = {}   # governed datasets this kernel has read, in order: what wb.write derives from
_QUERIES: dict[str, None] = {}   # the SQL of those reads, newest last: wb.write sends it for column lineage
MAX_QUERIES = 64


def _remember_query(query: str, datasets: list[str]) -> None:
    """Keep `query` (which read `datasets`) as one the next wb.write may be derived from."""
    if datasets:
        _QUERIES.pop(query, None)
        _QUERIES[query] = None
        while len(_QUERIES) > MAX_QUERIES:
            del _QUERIES[next(iter(_QUERIES))]


def sql(query: str, *, as_: str = "polars", as_user: str | None = None, max_rows: int | None = None):
    """Run a governed SQL query; masks and row filters of your policy apply.

    Returns a polars DataFrame (or pandas / Arrow with `as_=`). Inside `wb.run(...)`,
    the datasets read are logged to the run as MLflow dataset inputs (digest and
    schema computed in the service), and the audit record carries the run id."""
    if as_ not in ("polars", "pandas", "arrow"):
        raise UsageError(f"unknown result type {as_!r}", fix="use as_='polars', 'pandas' or 'arrow'", input=as_)
    client = service_client()
    run = _active_run()
    run_id = getattr(run, "id", None)
    datasets: list[str] = []
    table = client.query_arrow(query, as_user=as_user, max_rows=max_rows, run_id=run_id, datasets=datasets)
    _READ.update(dict.fromkeys(datasets))
    _remember_query(query, datasets)
    if run_id and datasets:
        # lazy: tracking helpers (sqlite3) only for a tracked run with datasets; keeps `import aios_workbench` fast
        from aios_workbench.tracking import governed_describer

        run.record_read(datasets, governed_describer(
            lambda q: client.query_arrow(q, as_user=as_user, surface="lineage", run_id=run_id)))
    return _convert(table, as_)


def _active_run():
    """The open `wb.run`, without importing the tracking package (and MLflow) when none was started."""
    import sys

    runs = sys.modules.get("aios_workbench.kernel.run")
    return runs.active_run() if runs else None


def _check(kind: str, spec: dict, *, batches: list[dict] | None = None, label: str = ""):
    """Run a check in the service as you; record it in the ledger (and in the open `wb.run`).

    `batches` splits one check into several requests (one per suite) so a progress bar can follow them."""
    # lazy: check display and result modules only for wb.check; keeps `import aios_workbench` fast
    from aios_workbench.checks.display import CheckReport, from_dict

    run = _active_run()
    payload = {"kind": kind, **{k: v for k, v in spec.items() if v is not None}}
    if getattr(run, "id", None):
        payload["mlflow_run_id"] = run.id
    notebook = os.environ.get("JPY_SESSION_NAME")
    if notebook:
        payload["notebook"] = notebook
    client = service_client()
    parts = [{**payload, **b} for b in batches] if batches else [payload]
    if len(parts) > 1:
        from tqdm.auto import tqdm

        parts = tqdm(parts, desc=label or kind, unit="check", leave=False)
    data = [r for part in parts for r in client.post("checks/run", part)["results"]]
    results = [from_dict(r) for r in data]
    if getattr(run, "id", None):
        for result in results:
            run.record_check(result)
    return CheckReport(results, [r.get("ledger_id") for r in data])


def quality(*suites: str):
    """Run data-quality suites of governance/checks.yaml (all when none are named), with a progress bar."""
    names = list(suites) or [s["name"] for s in service_client().get("checks/suites")["suites"]]
    return _check("quality", {}, batches=[{"suites": [n]} for n in names], label="quality suites")


def monitor(name: str):
    """Run the moving-window monitor `name` of governance/checks.yaml (opens or resolves its alert)."""
    return _check("monitor", {"name": name})


def drift(reference: str, current: str, *, columns: list[str] | None = None, overrides: dict | None = None,
          name: str | None = None, report: str | None = None, sample_rows: int = 100_000, wasserstein: str | None = None):
    """Drift of `current` against `reference` (dataset names or parenthesised SELECTs), computed in DuckDB.

    Identifier columns (ids, keys, uuids whose values are mostly distinct) are left out and named in the
    result; list them in `columns` to test them anyway.

    `report="drift.html"` also saves Evidently's full HTML report (on governed samples of `sample_rows`
    per side) to that file and logs it to the open `wb.run`; it is linked, never embedded.
    `wasserstein="histogram"` estimates Wasserstein distances (with their error bound) on very large inputs."""
    result = _check("drift", {"reference": reference, "current": current, "columns": columns,
                              "overrides": overrides, "name": name, "wasserstein": wasserstein})
    if report:
        # lazy: Evidently report only when a report is asked for
        from aios_workbench.checks.evidently_report import save_report

        # Evidently's full report takes seconds to minutes: not the client's 30 s default
        body = service_client().post("checks/evidently", {
            "reference": reference, "current": current, "columns": columns, "sample_rows": sample_rows},
            timeout=REPORT_TIMEOUT)
        path = save_report(body["html"], report)
        result.report_path = str(path)
        run = _active_run()
        if getattr(run, "id", None):
            run.log_artifact(path, artifact_path="checks")
    return result


REPORT_TIMEOUT = 600.0   # seconds a full Evidently report may take on the service


def fairness(relation: str, *, y_true: str, y_pred: str, sensitive: str | list[str],
             thresholds: dict | None = None, pos_label=1, name: str | None = None):
    """Group fairness metrics (fairlearn's definitions) of predictions in `relation`."""
    return _check("fairness", {"relation": relation, "y_true": y_true, "y_pred": y_pred,
                               "sensitive": [sensitive] if isinstance(sensitive, str) else sensitive,
                               "thresholds": thresholds, "pos_label": pos_label, "name": name})


def explain(model, relation: str, *, target: str, features: list[str] | None = None, sample: int = 20_000,
            n_repeats: int = 5, scoring=None, max_importance: dict | None = None, name: str | None = None):
    """Permutation feature importance of a fitted model on a governed sample, with a small bar chart.

    The model lives in this kernel, so the importance is computed here on a sample read
    through the governed path (masks apply); the result is logged to the open `wb.run`,
    not to the ledger (the service cannot vouch for a computation it did not run)."""
    # lazy: explain and its chart only for wb.explain; keeps `import aios_workbench` fast
    from aios_workbench.checks.display import CheckReport
    from aios_workbench.checks.explain import bar_chart_svg  # lazy: as above
    from aios_workbench.checks.explain import explain as run_explain  # lazy: as above

    result = run_explain(model, relation, target=target, features=features,
                         run_sql=lambda q: sql(q, as_="arrow"), sample=sample, n_repeats=n_repeats,
                         scoring=scoring, max_importance=max_importance, name=name)
    run = _active_run()
    if getattr(run, "id", None):
        run.record_check(result)
    report = CheckReport([result], [None])
    report.chart = bar_chart_svg(result)
    return report


def catalog(client: ServiceClient | None = None):
    """An interactive catalog browser: search, schema with masks, masked preview, profile, lineage."""
    # lazy: widget UI only when the catalog browser opens; keeps `import aios_workbench` fast
    from aios_workbench.kernel.ui import catalog as browser

    return browser(client or service_client())


def runs(notebook: str | None = None, *, experiment: str | None = None, all: bool = False,
         client: ServiceClient | None = None):
    """`wb.runs()`: this notebook's tracked runs (or an experiment's; `all=True`: every run you may see);
    select two or more to compare."""
    # lazy: widget UI only when the runs browser opens; keeps `import aios_workbench` fast
    from aios_workbench.kernel.ui.runs_browser import runs as make

    return make(client or service_client(), notebook, experiment=experiment, all=all)


def register_model(run_id: str, name: str, *, artifact_path: str = "model") -> dict:
    """Register the model a run logged as a candidate version (promotion needs checks and an approval)."""
    return service_client().post("models/register", {"run_id": run_id, "name": name,
                                                           "artifact_path": artifact_path})


def table(name: str, *, as_: str = "polars", max_rows: int | None = None):
    """A whole governed dataset (`source.schema.dataset`, or a unique short name)."""
    import re

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}", name or ""):
        raise UsageError(f"{name!r} is not a dataset name", fix="pass source.schema.dataset, e.g. "
                         "'supplier_master.main.suppliers'", input=name)
    return sql(f"SELECT * FROM {name}", as_=as_, max_rows=max_rows)


def write(data, target: str, *, mode: str = "replace", inputs: list[str] | None = None) -> dict:
    """Write a DataFrame (polars, pandas) or Arrow table as governed dataset `target` (`SOURCE.NAME` of a
    `datasets` source; your roles need a `privilege: write` grant on it).

    `mode="replace"` swaps the whole dataset at once; `"append"` adds rows with the same columns. The
    service classifies the new columns (PII), so masks apply to its readers at once, audits the write, and
    records its lineage: from `inputs`, by default every dataset this kernel has read through `wb.sql` or
    `wb.table`. Written columns inherit the classification tags of the columns they were computed from (the
    service derives that from the SQL of the queries this kernel ran), so masks follow the data. Replacing
    or appending to a dataset someone else created needs a steward or a grant naming it. Returns what was
    written: dataset, rows, columns, total rows, inputs, PII found, each tag and where it came from."""
    import pyarrow as pa

    if isinstance(data, pa.Table):
        table = data
    elif hasattr(data, "to_arrow"):                       # polars
        table = data.to_arrow()
    elif hasattr(data, "to_parquet") and hasattr(data, "columns"):   # pandas
        table = pa.Table.from_pandas(data, preserve_index=False)
    else:
        raise UsageError(f"cannot write a {type(data).__name__}", fix="pass a polars or pandas DataFrame or an "
                         "Arrow table", input=type(data).__name__)
    if mode not in ("replace", "append"):
        raise UsageError(f"unknown write mode {mode!r}", fix="use mode='replace' or 'append'", input=str(mode))
    if _QUERIES:   # the service derives the written columns' lineage (and their tags) from these queries
        metadata = {**(table.schema.metadata or {}), b"aios.queries": json.dumps(list(_QUERIES)).encode()}
        table = table.replace_schema_metadata(metadata)
    run = _active_run()
    client = service_client()
    return client.write_arrow(target, table, mode=mode, inputs=list(_READ) if inputs is None else list(inputs),
                              run_id=getattr(run, "id", None), infer_inputs=inputs is None)
