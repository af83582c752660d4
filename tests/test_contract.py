"""The REST contract: every route declares its models, openapi.yaml is generated from them and current, and
every route and verb, called for real on a served demo workspace, answers what its model declares.

The served process also checks each answer itself (`AIOS_VALIDATE_RESPONSES=1`, set by conftest for the
whole run, so every REST test of the suite is a contract test too); the table below checks them again here,
independently, and pins that no route or verb is left uncalled.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest
import yaml
from pydantic import BaseModel

from aios_workbench.schemas.base import Body, Raw, Reply
from aios_workbench.schemas.dashboard import VIEWS
from aios_workbench.schemas.errors import ErrorBody
from aios_workbench.surfaces.rest.contract import answer_model, is_model, verbs
from aios_workbench.surfaces.rest.openapi import render
from aios_workbench.surfaces.rest.routes import API_PREFIX, OPENAPI_FILE, all_routes
from tests.conftest import aios_serve, run_aios
from tests.test_promotion import build_demo_copy

ROUTES = all_routes()
TOKEN = "contract-token-2718"
SUPPLIERS = "supplier_master.main.suppliers"
SHIPMENTS = "shipment_files.main.shipments"


# -- the declarations ---------------------------------------------------------------------------------------------
def test_the_checked_in_openapi_document_is_the_generated_one():
    assert OPENAPI_FILE.read_text(encoding="utf-8") == render(), \
        "openapi.yaml is stale: run `python -m aios_workbench.surfaces.rest.openapi`"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.path)
def test_every_route_declares_what_each_verb_takes_and_answers(route):
    for verb in verbs(route):
        assert verb in route.response_model, f"{route.__name__} declares no response model for {verb}"
        if verb in ("post", "put", "patch"):
            assert verb in route.request_model, f"{route.__name__} declares no request model for {verb}"
    assert set(route.response_model) <= set(verbs(route)), f"{route.__name__} declares models of verbs it lacks"


def _models(kind: Any) -> list[type[BaseModel]]:
    if is_model(kind):
        return [kind]
    return [m for arg in getattr(kind, "__args__", ()) for m in _models(arg)]


def test_request_models_refuse_unknown_keys_and_answers_declare_every_field():
    for route in ROUTES:
        for declared in route.request_model.values():
            for model in _models(declared):
                assert issubclass(model, Body), model
                # a check's plugin parameters pass through to the check, which refuses what it cannot use
                expected = "allow" if model.__name__ == "RunCheckRequest" else "forbid"
                assert model.model_config.get("extra") == expected, model
        for declared in route.response_model.values():
            for kind in declared.values() if isinstance(declared, dict) else (declared,):
                for model in _models(kind[0] if isinstance(kind, tuple) else kind):
                    assert issubclass(model, Reply) and model.model_config.get("extra") == "forbid", model


def test_a_refused_body_names_the_key_in_the_words_of_the_hand_written_checks():
    from aios_workbench.core.errors import UsageError
    from aios_workbench.schemas.base import parse
    from aios_workbench.schemas.dashboard import AuditArguments
    from aios_workbench.schemas.promotion import JobDecisionRequest, PromoteRequest
    from aios_workbench.schemas.query import SqlRequest

    def refusal(model, data, where="POST x") -> str:
        with pytest.raises(UsageError) as refused:
            parse(model, data, where=where)
        return refused.value.message

    assert refusal(PromoteRequest, {"notebook": "n.ipynb", "crons": "@daily"}) == "unknown field crons"
    assert refusal(SqlRequest, {"query": "SELECT 1"}, "POST sql") == "POST sql takes no 'query'"
    assert refusal(SqlRequest, {"sql": "SELECT 1", "max_rows": True}) == "max_rows must be a positive integer, got True"
    assert refusal(JobDecisionRequest, {"name": "j", "version": 1}) == "missing decision"
    assert refusal(JobDecisionRequest, {"name": "", "version": 1, "decision": "approve"}) == "missing name"
    assert refusal(JobDecisionRequest, {"name": "j", "version": 1, "decision": "maybe"}) == \
        "decision must be approve or reject, got 'maybe'"
    assert refusal(AuditArguments, {"limit": "0"}, "GET dashboard/audit") == "limit must be from 1 to 500, got 0"
    assert refusal(AuditArguments, {"allowed": "maybe"}) == "allowed must be true or false, got 'maybe'"


# -- every route, called for real ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo workspace (with the promotion fixtures' notebooks) served by `aios serve` as alice, with a
    token for carol (a steward: auditor, approver), an MLflow run that logged a model and a second run."""
    root = build_demo_copy(tmp_path_factory.mktemp("contract") / "ws")
    runs = _tracked_runs(root)
    done = run_aios("--workspace", str(root), "tokens", "add", "carol", "--json")
    assert done.returncode == 0, done.stderr
    with aios_serve(root, token=TOKEN, user="alice") as url:
        yield SimpleNamespace(url=url, root=root, runs=runs, tokens={"alice": TOKEN,
                                                                     "carol": json.loads(done.stdout)["token"]})


def _tracked_runs(root) -> list[str]:
    """Two MLflow runs by alice: one logged a small model (to register), both params and metrics (to compare)."""
    import numpy as np
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient
    from sklearn.linear_model import LogisticRegression

    from aios_workbench.kernel.run import end_open_runs, run
    from aios_workbench.tracking import ensure_store, tracking_uri
    from aios_workbench.workspace import Workspace

    ws = Workspace.load(root)
    ensure_store(ws)
    model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    with run("train", workspace=ws, experiment="contract", tags={"aios.user": "alice", "mlflow.user": "alice"},
             params={"C": 1.0}) as tracked:
        tracked.log_metrics({"accuracy": 0.75})
        tracked.log_model(model, "model", pip_requirements=["scikit-learn"])
    end_open_runs()
    client = MlflowClient(tracking_uri(ws))
    other = client.create_run(tracked.experiment_id, tags={"aios.user": "alice", "mlflow.user": "alice"}).info.run_id
    client.log_batch(other, metrics=[Metric("accuracy", 0.8, 0, step) for step in range(3)],
                     params=[Param("C", "0.5")])
    client.set_terminated(other)
    return [tracked.id, other]


@dataclass
class Answer:
    status: int
    kind: str
    raw: bytes

    @property
    def json(self):
        return json.loads(self.raw)


@dataclass
class Caller:
    """Calls the served API and checks each answer against its route's model, here in the test process."""

    served: SimpleNamespace
    called: set = field(default_factory=set)

    def __call__(self, verb: str, endpoint: str, body: Any = None, *, status: int = 200, who: str = "alice",
                 raw: bytes | None = None, **query) -> Answer:
        route, view = _route_of(endpoint)
        address = f"{self.served.url}/{API_PREFIX}/{endpoint}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = raw if raw is not None else json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(address, data=data, method=verb.upper(),
                                         headers={"Authorization": f"Bearer {self.served.tokens[who]}"})
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                answer = Answer(response.status, response.headers.get("Content-Type", ""), response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                answer = Answer(exc.code, exc.headers.get("Content-Type", ""), exc.read())
        where = f"{verb.upper()} {endpoint}"
        assert answer.status == status, f"{where} answered {answer.status}: {answer.raw[:2000]!r}"
        if answer.status < 400:   # what the route accepted, its models accept too
            _check_request(route, verb, body, query)
        _check_answer(route, view, verb, answer, where)
        self.called.add((route.path, verb))
        return answer


def _route_of(endpoint: str):
    for route in ROUTES:
        if re.fullmatch(re.sub(r"\{[a-z_]+\}", "([^/]+)", route.path), endpoint):
            view = VIEWS[endpoint.split("/", 1)[1]] if route.path == "dashboard/{view}" else None
            return route, view
    raise AssertionError(f"no route serves {endpoint}")


def _check_request(route, verb: str, body, query: dict) -> None:
    model = route.request_model.get(verb)
    if is_model(model) and body is not None:
        model.model_validate(body)
    if route.query_model.get(verb) is not None:
        route.query_model[verb].model_validate({k: str(v) for k, v in query.items()})


def _check_answer(route, view, verb: str, answer: Answer, where: str) -> None:
    declared = (view.reply if view is not None else route.response_model[verb])
    model = answer_model(declared, answer.status)
    if isinstance(model, tuple):
        model = model[0]
    if isinstance(model, Raw):
        assert answer.kind.split(";")[0] in model.media_types, f"{where} answered {answer.kind}"
        return
    assert answer.kind.startswith("application/json"), f"{where} answered {answer.kind}"
    (model if is_model(model) else ErrorBody).model_validate_json(answer.raw)


def _arrow(rows: int) -> bytes:
    table = pa.table({"id": list(range(rows)), "label": [f"row {i}" for i in range(rows)]})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def test_every_route_and_verb_answers_what_its_model_declares(served):
    call = Caller(served)
    trained, other = served.runs

    # status, the document, governed data
    call("get", "status")
    assert call("get", "openapi.yaml").raw.decode() == OPENAPI_FILE.read_text(encoding="utf-8")
    table = pa.ipc.open_stream(call("post", "sql", {"sql": f"SELECT carrier FROM {SHIPMENTS} LIMIT 3"}).raw).read_all()
    assert table.num_rows == 3
    call("post", "sql", {"sql": "SELECT 1", "rows": 5}, status=400)
    call("get", "catalog")
    call("get", "catalog/dataset", name=SUPPLIERS)
    call("get", "catalog/show", name=SUPPLIERS)
    call("get", "catalog/search", q="supplier", limit=5)
    call("get", "catalog/preview", name=SUPPLIERS, order_by="supplier_id", limit=3, count="1")
    call("get", "catalog/profile", name=SUPPLIERS)
    call("post", "datasets/write", raw=_arrow(20), status=201, target="outputs.contract_rows")
    call("post", "catalog/untag", {"dataset": "outputs.main.contract_rows", "column": "label", "tag": "pii.email",
                                   "reason": "contract test"}, status=403)   # alice holds no `manage` grant
    call("get", "lineage", name=SUPPLIERS, depth=2)
    call("get", "audit", limit=20)
    call("get", "audit", limit=20, user="carol", status=403)   # others' records: auditors only

    # checks, with one result linked to the MLflow run
    quality = call("post", "checks/run", {"kind": "quality", "suites": ["shipments_carriers"],
                                          "mlflow_run_id": trained}).json["results"][0]
    drifted = call("post", "checks/run", {"kind": "drift", "reference": f"(SELECT * FROM {SHIPMENTS} WHERE delay_days < 3)",
                                          "current": f"(SELECT * FROM {SHIPMENTS} WHERE delay_days >= 3)",
                                          "columns": ["carrier", "delay_days"]}).json["results"][0]
    call("get", "checks/history", limit=5)
    call("get", "checks/overview", kind="drift")
    call("get", "checks/report", id=drifted["ledger_id"])
    call("get", "checks/report", id=quality["ledger_id"])
    call("get", "checks/suites")
    call("post", "checks/evidently", {"reference": f"(SELECT carrier, delay_days FROM {SHIPMENTS} LIMIT 300)",
                                      "current": f"(SELECT carrier, delay_days FROM {SHIPMENTS} LIMIT 300 OFFSET 300)",
                                      "sample_rows": 300})

    # models: register, refused promotion (every unmet gate), approval by another user, promotion
    version = call("post", "models/register", {"run_id": trained, "name": "contract_model"}).json["version"]
    call("get", "models")
    call("get", "models/version", name="contract_model", version=version)
    refused = call("post", "models/promote", {"name": "contract_model", "version": version}, status=403).json
    assert refused["unmet"]
    call("post", "models/approval", {"name": "contract_model", "version": version, "decision": "approve",
                                     "comment": "reviewed"}, who="carol")
    call("post", "models/promote", {"name": "contract_model", "version": version}, who="carol")

    # experiment runs
    call("get", "runs", limit=5, experiment="contract")
    call("get", "runs/compare", ids=f"{trained},{other}")

    # promotion: parameters, schedules, a promoted job, a refused one, a version awaiting approval
    call("get", "notebooks/parameters", path="notebooks/typed.ipynb")
    typed = json.loads((served.root / "notebooks" / "typed.ipynb").read_text())   # a team user's own notebook
    call("post", "notebooks/parameters", {"path": "home/typed.ipynb", "content": typed})
    call("get", "schedule/preview", cron="0 6 * * 1-5", timezone="Europe/Berlin", count=3)
    call("post", "jobs/promote", {"notebook": "notebooks/good.ipynb", "name": "contract_job", "cron": "30 7 * * *",
                                  "max_concurrent": 3})   # the scheduler's one round runs both runs below
    call("post", "jobs/promote", {"notebook": "notebooks/raises.ipynb", "name": "contract_refused"}, status=422)
    call("post", "jobs/promote", {"notebook": "notebooks/good.ipynb", "name": "contract_job", "retries": 1})
    call("post", "jobs/promote", {"notebook": "notebooks/good.ipynb", "name": "contract_pending", "approver": "carol"})
    call("post", "jobs/approval", {"name": "contract_pending", "version": 1, "decision": "approve"}, who="carol")
    call("get", "jobs/versions", name="contract_job")
    call("post", "jobs/rollback", {"name": "contract_job", "version": 1})

    # jobs and runs: one that succeeds, one that fails in a cell, one cancelled; the scheduler runs them
    call("get", "jobs")
    call("get", "jobs/job", name="contract_job")
    call("post", "jobs/pause", {"name": "contract_job"})
    call("post", "jobs/resume", {"name": "contract_job"})
    ok = call("post", "jobs/run", {"name": "contract_job", "parameters": {"limit": 2}}).json["id"]
    failing = call("post", "jobs/run", {"name": "contract_job", "parameters": {"month": "1999-01"}}).json["id"]
    cancelled = call("post", "jobs/run", {"name": "contract_job"}).json["id"]
    call("post", "jobs/runs/cancel", {"id": cancelled})
    done = run_aios("--workspace", str(served.root), "scheduler", "--once", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    call("get", "jobs/history", name="contract_job", limit=10)
    call("get", "jobs/runs", job="contract_job", limit=10)   # (`status` would be the expected HTTP status)
    assert call("get", "jobs/runs/run", id=ok).json["status"] == "succeeded"
    failed = call("get", "jobs/runs/run", id=failing).json
    assert failed["failing_cell"] is not None, json.dumps(failed)
    call("get", "jobs/runs/log", id=ok, tail=20)
    call("get", "jobs/runs/output", id=ok)
    call("get", "jobs/runs/output", id=ok, format="ipynb")
    call("post", "jobs/runs/rerun", {"id": ok})
    alerts = call("get", "alerts", limit=10).json["alerts"]
    call("post", "alerts/ack", {"id": alerts[0]["id"]})

    # proposed actions (carol's role approves job runs) and a decision app
    policy_file = served.root / "governance" / "policy.yaml"
    policy = yaml.safe_load(policy_file.read_text())
    policy["roles"]["steward"]["approves"] = ["job_run"]
    policy_file.write_text(yaml.safe_dump(policy, sort_keys=False))   # the service reloads it
    call("get", "actions/kinds")
    proposal = {"kind": "job_run", "payload": {"job": "contract_job", "parameters": {"limit": 1}}, "reason": "contract"}
    first = call("post", "actions", proposal).json["id"]
    second = call("post", "actions", proposal).json["id"]
    third = call("post", "actions", proposal).json["id"]
    call("get", "actions", limit=5)
    call("get", "actions/action", id=first)
    call("post", "actions/approve", {"id": first, "reason": "go"}, who="carol")
    call("post", "actions/reject", {"id": second, "reason": "not now"}, who="carol")
    call("post", "apps", {"job": "contract_job", "title": "Contract app"})
    call("get", "apps")
    call("get", "apps/app", name="contract_job")
    call("post", "apps/run", {"name": "contract_job", "parameters": {"limit": 2}})

    # the dashboard's views, each with its arguments
    arguments = {"search": {"text": "supplier", "limit": 5}, "explain": {"dataset": SUPPLIERS},
                 "preview": {"dataset": SUPPLIERS, "limit": 5, "descending": "true", "order_by": "supplier_id"},
                 "profile": {"dataset": SUPPLIERS}, "lineage": {"dataset": SUPPLIERS, "depth": 2},
                 "csv": {"dataset": SUPPLIERS}, "check_history": {"limit": 5},
                 "check_run": {"run_id": quality["ledger_id"]}, "audit": {"limit": 5, "allowed": "true"},
                 "runs": {"metric": "accuracy", "limit": 5}, "job_runs": {"job": "contract_job", "limit": 5},
                 "job_output": {"run_id": ok}, "alerts": {"limit": 5}, "actions": {"limit": 5},
                 "action": {"action_id": first}, "app": {"name": "contract_job"}}
    for view in VIEWS.values():
        if view.verb == "get":
            call("get", f"dashboard/{view.name}", **arguments.get(view.name, {}))
    call("post", "dashboard/login", {})
    call("post", "dashboard/verify_audit_chain", {}, who="carol")
    call("post", "dashboard/acknowledge", {"alert_id": alerts[0]["id"]})
    call("post", "dashboard/approve_action", {"action_id": third}, who="carol")
    call("post", "dashboard/reject_action", {"action_id": third, "reason": "decided"}, who="carol", status=409)
    call("post", "dashboard/run_app", {"name": "contract_job", "parameters": {"limit": 3}})
    call("post", "apps/unpublish", {"name": "contract_job"})

    call("delete", "jobs/job", name="contract_pending")
    call("get", "audit", limit=200, who="carol")

    missing = {(route.path, verb) for route in ROUTES for verb in verbs(route)} - call.called
    assert not missing, f"routes and verbs no request of this test reached: {sorted(missing)}"
