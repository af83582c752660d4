"""`aios mlflow`: MLflow's UI behind a login, showing each person only the runs the workbench lets him see.

MLflow's server (tracking/ui_server.py) listens on a private Unix socket; this proxy is the only thing
on a TCP port. Every request must carry a workbench token (`aios tokens add USER`): HTTP Basic with the
policy user's name and the token (the browser asks for them), or `Authorization: Bearer <token>`.
A missing or wrong token answers 401.

Then the proxy forwards only what it knows how to govern, read-only, and governs each answer with the
service's one rule for runs (service/runs.py):

- experiments: listed and shown only when shared with the caller or holding a run of his (auditors: all);
- runs (`runs/search`, `runs/get`): only runs he may see; a run he sees with its verdicts only comes
  without params, metrics or dataset digests and profiles;
- metric histories, artifact listings and artifact downloads (`get-artifact`, a failing check's
  `checks/NAME.json` included): only of runs he sees whole;
- GraphQL (the UI's run page): only the queries `mlflowGetRun`, `mlflowGetExperiment` and
  `mlflowGetMetricHistoryBulkInterval`, under the same rules;
- the UI's static files; the model registry, traces, logged models and dataset searches answer empty
  lists (the registry is `aios models`); anything else, every write included, answers 403.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from tornado import web

from aios_workbench.core.errors import WorkbenchError
from aios_workbench.service.core import WorkbenchService
from aios_workbench.service.runs import RUN_ID, facts_of_json
from aios_workbench.service.tokens import ServiceTokens
from aios_workbench.surfaces.rest.serving import serve_until_stopped

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/")
STATIC = ("/static-files/",)
STATIC_EXACT = {"/", "/health", "/version", "/favicon.ico"}
PASS_THROUGH = {"/ajax-api/3.0/mlflow/server-info"}
EMPTY_ANSWERS: dict[str, dict[str, list[Any]]] = {   # listings the UI asks for on its pages, answered empty rather than refused
    "registered-models/search": {"registered_models": []},
    "model-versions/search": {"model_versions": []},
    "logged-models/search": {"models": []},
    "experiments/search-datasets": {"dataset_summaries": []},
    "traces/search": {"traces": []},
}
GRAPHQL_FIELDS = {"mlflowGetRun", "mlflowGetExperiment", "mlflowGetMetricHistoryBulkInterval", "__typename"}
SHOWN_TAGS_WHEN_WITHHELD = {"mlflow.runName", "aios.user", "mlflow.user", "aios.notebook.path"}
MAX_BODY = 1 << 20
EXPERIMENTS_TTL = 5.0    # seconds a user's visible experiments are reused (the UI asks in bursts)
REALM = 'Basic realm="aios mlflow (user: policy user, password: workbench token)", charset="UTF-8"'
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date",
               "proxy-authenticate", "proxy-authorization", "te", "trailer", "upgrade"}


class Refused(Exception):
    """An answer in MLflow's error shape: {"error_code", "message"} with an HTTP status."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _hidden_run(run_id: str) -> Refused:
    return Refused(404, "RESOURCE_DOES_NOT_EXIST", f"Run '{run_id}' not found among the runs you may see")


def _withheld(run_id: str) -> Refused:
    return Refused(403, "PERMISSION_DENIED", f"the values and artifacts of run '{run_id}' are withheld from you: "
                   "its owner saw its data with other masks or another row filter than yours")


def strip_withheld(run: dict[str, Any], reason: str | None) -> dict[str, Any]:
    """A run of MLflow's REST answer reduced to who, where and when: no params, metrics, digests or profiles."""
    data = run.get("data") or {}
    tags = [t for t in data.get("tags") or [] if t.get("key") in SHOWN_TAGS_WHEN_WITHHELD]
    tags.append({"key": "aios.withheld", "value": reason or "values withheld"})
    inputs = []
    for item in (run.get("inputs") or {}).get("dataset_inputs") or []:
        dataset = item.get("dataset") or {}
        inputs.append({"tags": item.get("tags") or [], "dataset": {
            "name": dataset.get("name"), "digest": "", "source_type": dataset.get("source_type"),
            "source": dataset.get("source"), "schema": "", "profile": "{}"}})
    return {"info": run.get("info") or {}, "data": {"params": [], "metrics": [], "tags": tags},
            "inputs": {"dataset_inputs": inputs}, "outputs": {}}


def graphql_targets(body: Any) -> tuple[set[str], set[str]]:
    """(run ids, experiment ids) a GraphQL request reads; Refused for anything but one query of the allowed
    fields (no mutations, no batches, no other queries)."""
    from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse  # lazy: only for the UI's run page
    from graphql.language import FieldNode
    from graphql.utilities import value_from_ast_untyped

    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise Refused(400, "INVALID_PARAMETER_VALUE", "send one GraphQL query as {\"query\": ..., \"variables\": ...}")
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        raise Refused(400, "INVALID_PARAMETER_VALUE", "GraphQL variables must be an object")
    try:
        document = parse(body["query"])
    except GraphQLError as exc:
        raise Refused(400, "INVALID_PARAMETER_VALUE", f"not a GraphQL query: {exc.message}") from None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        raise Refused(403, "PERMISSION_DENIED", "only one read-only GraphQL query is served here")
    runs: set[str] = set()
    experiments: set[str] = set()
    for selection in operations[0].selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value not in GRAPHQL_FIELDS:
            raise Refused(403, "PERMISSION_DENIED", "this GraphQL field is not served here; the UI's run and "
                          "experiment pages are")
        for argument in selection.arguments:
            value = value_from_ast_untyped(argument.value, variables)
            if not isinstance(value, dict):
                raise Refused(400, "INVALID_PARAMETER_VALUE", "GraphQL input must be an object")
            for key in ("runId", "runUuid"):
                if value.get(key) is not None:
                    runs.add(str(value[key]))
            for run_id in value.get("runIds") or []:
                runs.add(str(run_id))
            if value.get("experimentId") is not None:
                experiments.add(str(value["experimentId"]))
    return runs, experiments


class ProxyHandler(web.RequestHandler):
    """Every path: authenticate, then serve what is governed and refuse the rest."""

    service: WorkbenchService
    user: str

    def initialize(self) -> None:
        self.service = self.settings["aios_service"]
        self.backend = self.settings["aios_backend"]

    # -- authentication --------------------------------------------------------------------------------
    def _authenticated_user(self) -> str | None:
        tokens: ServiceTokens = self.settings["aios_tokens"]
        header = self.request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        value = value.strip()
        named = None
        if scheme.lower() == "basic":
            try:
                named, _, token = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
        elif scheme.lower() in ("bearer", "token"):
            token = value
        else:
            return None
        entry = tokens.entry_for(token) if token else None
        if entry is None or entry.get("delegate"):
            return None   # a dashboard's delegate token acts for others: not a login
        if named is not None and named != entry["user"]:
            return None
        return str(entry["user"])

    async def prepare(self) -> None:
        user = self._authenticated_user()
        if user is None:
            self.set_status(401)
            self.set_header("WWW-Authenticate", REALM)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error_code": "UNAUTHENTICATED", "message": (
                "log in with your policy user name and a workbench token (`aios tokens add USER`), or send "
                "`Authorization: Bearer <token>`")}))
            return
        self.user = user

    # -- dispatch ---------------------------------------------------------------------------------------
    async def get(self, *args: Any) -> None:
        await self._serve()

    async def post(self, *args: Any) -> None:
        await self._serve()

    async def put(self, *args: Any) -> None:
        self._refuse(Refused(403, "PERMISSION_DENIED", "aios mlflow is read-only"))

    async def patch(self, *args: Any) -> None:
        await self.put()

    async def delete(self, *args: Any) -> None:
        await self.put()

    async def _serve(self) -> None:
        path = self.request.path
        try:
            if path in STATIC_EXACT or path.startswith(STATIC) or path in PASS_THROUGH:
                if self.request.method != "GET":
                    raise Refused(403, "PERMISSION_DENIED", "aios mlflow is read-only")
                await self._forward()
            elif path == "/graphql":
                await self._graphql()
            elif path in ("/get-artifact", "/ajax-api/2.0/mlflow/get-artifact"):
                await self._require_full(self._arg("run_id") or self._arg("run_uuid"))
                await self._forward(path="/get-artifact")
            else:
                endpoint = next((path[len(p):] for p in API_PREFIXES if path.startswith(p)), None)
                handler = self._endpoints().get(endpoint or "")
                if handler is not None:
                    await handler()
                elif endpoint in EMPTY_ANSWERS or path.endswith("/traces/search"):
                    self._json(EMPTY_ANSWERS.get(endpoint or "", {"traces": []}))
                else:
                    raise Refused(403, "PERMISSION_DENIED", "aios mlflow serves experiments and runs read-only; "
                                  "this endpoint is not available (the model registry is `aios models`)")
        except Refused as refusal:
            self._refuse(refusal)
        except WorkbenchError as exc:
            status = 403 if exc.code in ("permission_denied", "query_denied") else 400
            self._refuse(Refused(status, "PERMISSION_DENIED" if status == 403 else "INVALID_PARAMETER_VALUE",
                                 exc.message))

    def _endpoints(self) -> dict[str, Callable[[], Any]]:
        return {"experiments/search": self._experiments_search, "experiments/get": self._experiment_get,
                "experiments/get-by-name": self._experiment_get, "runs/search": self._runs_search,
                "runs/get": self._run_get, "metrics/get-history": self._run_data,
                "artifacts/list": self._run_data, "metrics/get-history-bulk": self._bulk_history,
                "metrics/get-history-bulk-interval": self._bulk_history}

    # -- governed endpoints -----------------------------------------------------------------------------
    async def _experiments_search(self) -> None:
        visible = await self._visible_experiments()
        answer = await self._forward_json()
        if visible is not None:
            answer["experiments"] = [e for e in answer.get("experiments") or [] if e.get("experiment_id") in visible]
        self._json(answer)

    async def _experiment_get(self) -> None:
        visible = await self._visible_experiments()
        unseen = Refused(404, "RESOURCE_DOES_NOT_EXIST", "no such experiment among those you may see")
        try:
            answer = await self._forward_json()
        except Refused as refusal:
            raise unseen if refusal.status == 404 else refusal from None
        experiment = answer.get("experiment") or {}
        if visible is not None and experiment.get("experiment_id") not in visible:
            raise unseen
        self._json(answer)

    async def _runs_search(self) -> None:
        body = self._body()
        visible = await self._visible_experiments()
        wanted = [str(i) for i in body.get("experiment_ids") or []]
        if visible is not None:
            wanted = [i for i in wanted if i in visible]
        if not wanted:
            self._json({"runs": []})
            return
        body["experiment_ids"] = wanted
        answer = await self._forward_json(body=body)
        runs = answer.get("runs") or []
        verdicts = await asyncio.to_thread(self.service.runs.access, self.user, [facts_of_json(r) for r in runs])
        answer["runs"] = [r if access.full else strip_withheld(r, access.reason)
                          for r, access in zip(runs, verdicts, strict=True) if access is not None]
        self._json(answer)

    async def _run_get(self) -> None:
        run_id = self._arg("run_id") or self._arg("run_uuid") or ""
        access = await self._access(run_id)
        answer = await self._forward_json()
        if not access.full:
            answer["run"] = strip_withheld(answer.get("run") or {}, access.reason)
        self._json(answer)

    async def _run_data(self) -> None:
        await self._require_full(self._arg("run_id") or self._arg("run_uuid"))
        await self._forward()

    async def _bulk_history(self) -> None:
        run_ids = self.get_query_arguments("run_ids") or self.get_query_arguments("run_id")
        if not run_ids:
            raise Refused(400, "INVALID_PARAMETER_VALUE", "name the runs with run_ids")
        for run_id in run_ids:
            await self._require_full(run_id)
        await self._forward()

    async def _graphql(self) -> None:
        if self.request.method == "GET":
            raise Refused(403, "PERMISSION_DENIED", "send GraphQL queries by POST")
        body = json.loads(self.request.body or b"{}") if len(self.request.body) <= MAX_BODY else None
        runs, experiments = graphql_targets(body)
        for run_id in runs:
            await self._require_full(run_id)
        if experiments:
            visible = await self._visible_experiments()
            if visible is not None and not experiments <= visible:
                raise Refused(404, "RESOURCE_DOES_NOT_EXIST", "no such experiment among those you may see")
        await self._forward()

    # -- helpers ------------------------------------------------------------------------------------------
    async def _access(self, run_id: str | None):
        if not run_id or not RUN_ID.fullmatch(run_id):
            raise _hidden_run(str(run_id or ""))
        access = await asyncio.to_thread(self.service.runs.run_access, self.user, run_id)
        if access is None:
            raise _hidden_run(run_id)
        return access

    async def _require_full(self, run_id: str | None) -> None:
        access = await self._access(run_id)
        if not access.full:
            raise _withheld(str(run_id))

    async def _visible_experiments(self) -> set[str] | None:
        cache: dict[str, tuple[float, set[str] | None]] = self.settings["aios_experiments_cache"]
        hit = cache.get(self.user)
        if hit and time.monotonic() - hit[0] < EXPERIMENTS_TTL:
            return hit[1]
        visible = await asyncio.to_thread(self.service.runs.visible_experiments, self.user)
        cache[self.user] = (time.monotonic(), visible)
        return visible

    def _arg(self, name: str) -> str | None:
        value = self.get_query_argument(name, None)
        if value is None and self.request.method == "POST" and self.request.body:
            try:
                body = json.loads(self.request.body)
            except ValueError:
                return None
            value = body.get(name) if isinstance(body, dict) else None
        return str(value) if value is not None else None

    def _body(self) -> dict[str, Any]:
        if self.request.method != "POST":
            query = {k: self.get_query_arguments(k) for k in self.request.query_arguments}
            return {k: (v if k == "experiment_ids" else v[-1]) for k, v in query.items()}
        if len(self.request.body) > MAX_BODY:
            raise Refused(413, "INVALID_PARAMETER_VALUE", "request body too large")
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise Refused(400, "INVALID_PARAMETER_VALUE", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise Refused(400, "INVALID_PARAMETER_VALUE", "the body must be a JSON object")
        return body

    async def _forward_json(self, *, body: dict[str, Any] | None = None) -> dict[str, Any]:
        status, headers, raw = await self._backend(body=body)
        if status != 200:
            raise Refused(status, "BACKEND", _message_of(raw))
        try:
            answer = json.loads(raw)
        except ValueError:
            raise Refused(502, "BACKEND", "MLflow's server did not answer JSON") from None
        if not isinstance(answer, dict):
            raise Refused(502, "BACKEND", "MLflow's server answered an unexpected shape")
        return answer

    async def _forward(self, *, path: str | None = None) -> None:
        status, headers, raw = await self._backend(path=path)
        self.set_status(status)
        for name, value in headers:
            if name.lower() not in HOP_HEADERS:
                self.set_header(name, value)
        self.finish(raw)

    async def _backend(self, *, body: dict[str, Any] | None = None, path: str | None = None):
        target = path or self.request.path
        if body is not None and self.request.method != "POST":   # a GET search rewritten: send it as a POST
            return await asyncio.to_thread(self.backend.request, "POST", target, body=json.dumps(body).encode(),
                                           headers={"Content-Type": "application/json"})
        query = urllib.parse.urlencode([(k, v.decode("utf-8", "replace")) for k, values in
                                        self.request.query_arguments.items() for v in values])
        uri = target + (f"?{query}" if query else "")
        data = json.dumps(body).encode() if body is not None else (self.request.body or None)
        headers = {"Content-Type": self.request.headers.get("Content-Type", "application/json")} if data else {}
        for name in ("Accept", "Accept-Encoding", "If-None-Match", "If-Modified-Since"):
            if name in self.request.headers:
                headers[name] = self.request.headers[name]
        return await asyncio.to_thread(self.backend.request, self.request.method, uri, body=data, headers=headers)

    def _json(self, data: dict[str, Any]) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def _refuse(self, refusal: Refused) -> None:
        if refusal.status >= 500:
            log.warning("aios mlflow: %s %s: %s", self.request.method, self.request.path, refusal.message)
        self.set_status(refusal.status)
        self._json({"error_code": refusal.code, "message": refusal.message})


def _message_of(raw: bytes) -> str:
    try:
        return str(json.loads(raw).get("message") or "MLflow's server refused the request")
    except (ValueError, AttributeError):
        return "MLflow's server refused the request"


def make_app(service: WorkbenchService, backend: Any) -> web.Application:
    return web.Application([(r"/.*", ProxyHandler)], aios_service=service, aios_backend=backend,
                           aios_tokens=ServiceTokens(service.workspace.state_dir), aios_experiments_cache={})


async def serve(service: WorkbenchService, backend: Any, *, host: str, port: int,
                on_ready: Callable[[], None] | None = None) -> None:
    """Serve the governed UI until SIGINT/SIGTERM; then stop listening (the caller closes the service and
    stops the backend)."""
    await serve_until_stopped(make_app(service, backend), host=host, port=port, close=lambda: None,
                              on_ready=on_ready, max_body_size=MAX_BODY * 2)


__all__ = ["graphql_targets", "make_app", "serve", "strip_withheld"]
