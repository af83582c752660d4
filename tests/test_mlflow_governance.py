"""MLflow runs are private to their readers (issue #17, item 6), through every surface that lists them.

The world: a governed workspace; the steward sam, in a `wb.run` of the kernel client connected to a
real `aios serve`, reads raw e-mails, logs one as a param and runs a quality check whose failing
examples (raw rows, as he sees them) become a run artifact; the analyst ana does her own run; and sam
shares a second experiment with the analysts. The attacker, ana, then reads runs through `GET runs`,
`GET runs/compare` and `aios mlflow` (a real `mlflow server` behind the workbench's proxy, over real
HTTP): the steward's param, metrics and artifact must stay out of her reach, her own must not.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from aios_workbench.core.errors import WorkbenchError
from aios_workbench.kernel.client import ServiceClient
from tests.conftest import AIOS, aios_serve, free_port, stop, wait_for_http
from tests.governed_fixtures import RAW_MARKERS, build_checked_workspace

pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:The ``noload`` loader strategy is deprecated:sqlalchemy.exc.SADeprecationWarning"),
]

TOKEN = "mlflow-governance-token"
PROBE = "raw.email.3@secret.example"
SUITES = """
suites:
  people_emails:
    dataset: hr.main.people
    rules:
      - regex: {column: email, pattern: "^zzz"}
"""


def leaks(payload) -> list[str]:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return [m for m in (*RAW_MARKERS, PROBE) if m in text]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    import aios_workbench as wb
    from aios_workbench.kernel.run import end_open_runs
    from aios_workbench.service.tokens import ServiceTokens
    from aios_workbench.tracking import ensure_store
    from aios_workbench.workspace import Workspace

    root = build_checked_workspace(tmp_path_factory.mktemp("mlflow-gov") / "ws", SUITES)
    ws = Workspace.load(root)
    ensure_store(ws)
    store = ServiceTokens(ws.state_dir)
    tokens = {user: store.add(user)[1] for user in ("sam", "ana", "otto")}
    tokens["dashboard"] = store.add("dashboard", delegate=True)[1]
    runs = {}
    with aios_serve(root, token=TOKEN, user="sam") as url:
        try:
            wb.connect(url, tokens["sam"])
            with wb.run("steward-probe", experiment="steward-exp", params={"probe": PROBE}, workspace=root) as run:
                wb.sql("SELECT email FROM hr.main.people")
                wb.quality("people_emails")           # a failing check: raw example rows in checks/…json
                run.log_metric("rows_seen", 12)
            runs["sam"] = run.id
            with wb.run("shared-probe", experiment="team-exp", params={"probe": PROBE}, workspace=root) as run:
                wb.sql("SELECT id, email FROM hr.main.people")
            runs["shared"] = run.id
            with wb.run("no-lineage", experiment="team-exp", params={"probe": PROBE}, workspace=root) as run:
                pass                                  # read nothing recorded: as if it read all sam may
            runs["unknown"] = run.id
            wb.connect(url, tokens["ana"])
            with wb.run("analyst-run", experiment="analyst-exp", params={"alpha": 0.1}, workspace=root) as run:
                wb.sql("SELECT id, email FROM hr.main.people")
                wb.quality("people_emails")
                run.log_metric("rmse", 1.5)
            runs["ana"] = run.id
        finally:
            end_open_runs()
        from mlflow import MlflowClient

        from aios_workbench.tracking import tracking_uri

        client = MlflowClient(tracking_uri(ws))
        client.set_experiment_tag(client.get_experiment_by_name("team-exp").experiment_id, "aios.readers",
                                  "role:analyst")
        experiments = {e.name: e.experiment_id for e in client.search_experiments()}
        clients = {u: ServiceClient(url, t, timeout=120) for u, t in tokens.items() if u != "dashboard"}
        yield {"root": root, "url": url, "tokens": tokens, "runs": runs, "clients": clients,
               "experiments": experiments}


def page(world, user: str, query: str = "") -> list[dict]:
    return world["clients"][user].get(f"runs?limit=100{query}")["runs"]


# -- GET runs and runs/compare (REST, kernel's wb.runs(), the dashboard's Experiments page) -----------------------
def test_an_analyst_does_not_see_a_stewards_run_nor_its_params(world):
    seen = page(world, "ana")

    assert {r["id"] for r in seen} == {world["runs"]["ana"], world["runs"]["shared"], world["runs"]["unknown"]}
    assert world["runs"]["sam"] not in {r["id"] for r in page(world, "ana", "&experiment=steward-exp")}
    assert leaks(seen) == []


def test_a_shared_run_shows_an_analyst_who_and_when_but_no_values(world):
    shared = {r["id"]: r for r in page(world, "ana")}
    for key in ("shared", "unknown"):
        run = shared[world["runs"][key]]
        assert run["withheld"] and run["params"] == {} and run["metrics"] == {}
        assert run["user"] == "sam" and all(d["digest"] == "" for d in run["datasets"])
    assert "with other masks" in shared[world["runs"]["shared"]]["withheld"]
    assert "does not say which datasets" in shared[world["runs"]["unknown"]]["withheld"]


def test_owners_see_their_runs_whole_and_auditors_see_everyones(world):
    ana = {r["id"]: r for r in page(world, "ana")}[world["runs"]["ana"]]
    assert ana["withheld"] is None and ana["params"]["alpha"] == "0.1" and ana["metrics"]["rmse"] == 1.5
    assert ana["datasets"][0]["name"] == "hr.main.people" and ana["checks"]["failed"] == 1

    sam = {r["id"]: r for r in page(world, "sam")}
    assert sam[world["runs"]["sam"]]["params"]["probe"] == PROBE                 # his own, raw
    assert sam[world["runs"]["ana"]]["withheld"] is None                          # sam's view covers ana's
    assert sam[world["runs"]["ana"]]["params"]["alpha"] == "0.1"


def test_a_user_without_grants_sees_no_run_over_data(world):
    assert page(world, "otto") == []


def test_compare_treats_a_hidden_run_as_one_that_does_not_exist(world):
    ana = world["clients"]["ana"]
    with pytest.raises(WorkbenchError) as hidden:
        ana.get(f"runs/compare?ids={world['runs']['ana']},{world['runs']['sam']}")
    with pytest.raises(WorkbenchError) as missing:
        ana.get(f"runs/compare?ids={world['runs']['ana']},{'0' * 32}")
    assert hidden.value.code == missing.value.code == "not_found"
    assert hidden.value.message.replace(world["runs"]["sam"], "X") == missing.value.message.replace("0" * 32, "X")

    compared = ana.get(f"runs/compare?ids={world['runs']['ana']},{world['runs']['shared']}")
    assert set(compared["histories"].get("rmse", {})) <= {world["runs"]["ana"]}
    assert all(world["runs"]["shared"] not in values for values in compared["params_diff"].values())
    assert leaks(compared) == []


def test_paging_ones_few_runs_among_many_others_is_complete_and_full(world):
    """ana owns 5 of 45 runs of an experiment: her pages are full, in MLflow's order, each run once; the
    listing goes on in the narrower order of her own runs after a short read (and the token says so)."""
    from mlflow import MlflowClient

    from aios_workbench.tracking import tracking_uri
    from aios_workbench.workspace import Workspace

    client = MlflowClient(tracking_uri(Workspace.load(world["root"])))
    experiment = client.create_experiment("crowded")
    mine = []
    for i in range(45):
        owner = "ana" if i % 9 == 4 else "sam"
        run_id = client.create_run(experiment, start_time=1_700_000_000_000 + i, run_name=f"crowd-{i:02d}",
                                   tags={"aios.user": owner}).info.run_id
        client.log_param(run_id, "probe", PROBE if owner == "sam" else "fine")
        if owner == "ana":
            mine.append(run_id)
    pages, token = [], ""
    while True:
        answer = world["clients"]["ana"].get(f"runs?experiment=crowded&limit=2{token}")
        pages.append([r["id"] for r in answer["runs"]])
        if not answer["next_page_token"]:
            break
        token = "&page_token=" + answer["next_page_token"]
    assert [r for p in pages for r in p] == list(reversed(mine))      # newest first, each once
    assert [len(p) for p in pages] == [2, 2, 1]
    with pytest.raises(WorkbenchError, match="page_token") as forged:
        world["clients"]["ana"].get("runs?experiment=crowded&limit=2&page_token=eyJvZmZzZXQiOiAxMH0=")
    assert forged.value.code == "bad_input"


def test_an_unknown_experiment_name_does_not_list_the_others(world):
    with pytest.raises(WorkbenchError) as unknown:
        page(world, "ana", "&experiment=nope")
    assert "steward-exp" not in str(unknown.value.fix)


def test_the_dashboards_runs_come_from_the_same_rule(world):
    from tests.governed_fixtures import open_governed_service

    service = open_governed_service(world["root"])
    try:
        ids = {r["id"] for r in service.runs.page("ana", limit=100)["runs"]}
    finally:
        service.close()
    assert world["runs"]["sam"] not in ids and world["runs"]["ana"] in ids


def test_an_analyst_cannot_explain_a_model_of_a_run_she_may_not_see(world):
    import mlflow
    from sklearn.dummy import DummyClassifier

    from aios_workbench.core.errors import NotFound
    from aios_workbench.tracking import tracking_uri
    from aios_workbench.workspace import Workspace
    from tests.governed_fixtures import open_governed_service

    mlflow.set_tracking_uri(tracking_uri(Workspace.load(world["root"])))
    with mlflow.start_run(run_id=world["runs"]["sam"]):   # the steward's run, trained on raw e-mails
        mlflow.sklearn.log_model(DummyClassifier().fit([[0], [1]], [0, 1]), name="model")
    service = open_governed_service(world["root"])
    try:
        uri = f"runs:/{world['runs']['sam']}/model"
        with pytest.raises(NotFound, match="among those you may see") as hidden:
            service.checks.explain_model("ana", uri, "hr.main.events", target="kind", record=False)
        assert hidden.value.input == uri
        # its owner explains it (the relation's columns do not fit this model: a usage error, past the check)
        with pytest.raises(WorkbenchError) as owner:
            service.checks.explain_model("sam", uri, "hr.main.events", target="kind", record=False)
        assert not isinstance(owner.value, NotFound)
    finally:
        service.close()


# -- aios mlflow: MLflow's UI behind a login ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mlflow_ui(world):
    port = free_port()
    log = Path(world["root"]) / ".aios" / "logs" / "aios-mlflow-test.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen([AIOS, "--workspace", str(world["root"]), "mlflow", "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/health", process=process, timeout=240)
        yield url, process
    finally:
        stop(process)


def call(url: str, path: str, *, user: str | None = None, token: str | None = None, bearer: bool = False,
         body: dict | None = None, method: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                     method=method or ("POST" if body is not None else "GET"),
                                     headers={"Content-Type": "application/json"})
    if token and bearer:
        request.add_header("Authorization", f"Bearer {token}")
    elif token:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:   # closed here: an open error answer warns in a later test
            return exc.code, exc.read()


def test_aios_mlflow_needs_a_login_everywhere(world, mlflow_ui):
    url, _ = mlflow_ui
    run_id = world["runs"]["sam"]
    for path in ("/", "/health", "/api/2.0/mlflow/experiments/search?max_results=10",
                 f"/api/2.0/mlflow/runs/get?run_id={run_id}", f"/get-artifact?run_uuid={run_id}&path=checks",
                 "/static-files/favicon.ico"):
        assert call(url, path)[0] == 401, path
    tokens = world["tokens"]
    assert call(url, "/", user="ana", token="not-a-token")[0] == 401
    assert call(url, "/", user="sam", token=tokens["ana"])[0] == 401          # another user's name
    assert call(url, "/", user="dashboard", token=tokens["dashboard"])[0] == 401   # a delegate is no login
    assert call(url, "/", user="ana", token=tokens["ana"])[0] == 200
    assert call(url, "/api/2.0/mlflow/experiments/search?max_results=10", token=tokens["ana"], bearer=True)[0] == 200


def test_mlflows_own_server_has_no_tcp_port_and_a_private_socket(mlflow_ui):
    _, process = mlflow_ui
    server = _mlflow_server_argv(process.pid)
    assert server is not None, "the mlflow server child process was not found"
    uds = server[server.index("--uvicorn-opts") + 1].split()[-1]
    assert (os.stat(Path(uds).parent).st_mode & 0o777) == 0o700


def _mlflow_server_argv(pid: int) -> list[str] | None:
    """The argv of the `mlflow server` process below `pid` (from /proc)."""
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            argv = Path(f"/proc/{current}/cmdline").read_bytes().split(b"\0")
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        words = [a.decode() for a in argv if a]
        if "mlflow" in words and "server" in words:
            return words
        todo.extend(int(c) for c in children)
    return None


def test_an_analyst_cannot_reach_a_stewards_experiment_run_params_or_artifacts(world, mlflow_ui):
    url, _ = mlflow_ui
    ana, run_id = {"user": "ana", "token": world["tokens"]["ana"]}, world["runs"]["sam"]
    steward_exp = world["experiments"]["steward-exp"]

    status, body = call(url, "/ajax-api/2.0/mlflow/experiments/search", body={"max_results": 1000}, **ana)
    names = {e["name"] for e in json.loads(body)["experiments"]}
    assert status == 200 and "steward-exp" not in names and {"analyst-exp", "team-exp"} <= names
    assert call(url, f"/ajax-api/2.0/mlflow/experiments/get?experiment_id={steward_exp}", **ana)[0] == 404
    status, body = call(url, "/ajax-api/2.0/mlflow/runs/search", body={"experiment_ids": [steward_exp]}, **ana)
    assert status == 200 and json.loads(body).get("runs", []) == []
    for path in (f"/ajax-api/2.0/mlflow/runs/get?run_id={run_id}",
                 f"/api/2.0/mlflow/metrics/get-history?run_id={run_id}&metric_key=rows_seen",
                 f"/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids={run_id}&metric_key=rows_seen",
                 f"/ajax-api/2.0/mlflow/artifacts/list?run_uuid={run_id}",
                 f"/get-artifact?run_uuid={run_id}&path=checks/people_emails.json",
                 f"/ajax-api/2.0/mlflow/get-artifact?run_id={run_id}&path=environment/packages.txt"):
        status, body = call(url, path, **ana)
        assert status == 404 and leaks(body.decode()) == [], path
    status, body = call(url, "/graphql", body={"query": "query GetRun($data: MlflowGetRunInput!) { mlflowGetRun("
                                                        "input: $data) { run { data { params { key value } } } } }",
                                                "variables": {"data": {"runId": run_id}}}, **ana)
    assert status == 404 and leaks(body.decode()) == []
    search = ("{ mlflowSearchRuns(input: {experimentIds: [\"" + steward_exp + "\"]}) "
              "{ runs { data { params { key value } } } } }")
    status, body = call(url, "/graphql", body={"query": search}, **ana)
    assert status == 403 and leaks(body.decode()) == []


def test_an_analyst_cannot_write_his_way_in(world, mlflow_ui):
    url, _ = mlflow_ui
    ana = {"user": "ana", "token": world["tokens"]["ana"]}
    steward_exp = world["experiments"]["steward-exp"]
    attempts = [
        ("/api/2.0/mlflow/experiments/set-experiment-tag",
         {"experiment_id": steward_exp, "key": "aios.readers", "value": "ana"}),
        ("/api/2.0/mlflow/runs/set-tag", {"run_id": world["runs"]["sam"], "key": "aios.user", "value": "ana"}),
        ("/api/2.0/mlflow/runs/create", {"experiment_id": steward_exp}),
        ("/graphql", {"query": "mutation { testMutation(inputString: \"x\") { output } }"}),
    ]
    for path, body in attempts:
        assert call(url, path, body=body, **ana)[0] == 403, path
    assert call(url, "/api/2.0/mlflow/runs/delete", body={"run_id": world["runs"]["ana"]}, method="POST",
                **ana)[0] == 403
    status, body = call(url, "/ajax-api/2.0/mlflow/runs/search", body={"experiment_ids": [steward_exp]}, **ana)
    assert json.loads(body).get("runs", []) == []


def test_a_shared_run_in_the_ui_comes_without_its_values_and_artifacts(world, mlflow_ui):
    url, _ = mlflow_ui
    ana = {"user": "ana", "token": world["tokens"]["ana"]}
    team = world["experiments"]["team-exp"]

    status, body = call(url, "/ajax-api/2.0/mlflow/runs/search", body={"experiment_ids": [team]}, **ana)
    runs = {r["info"]["run_id"]: r for r in json.loads(body)["runs"]}
    assert status == 200 and set(runs) == {world["runs"]["shared"], world["runs"]["unknown"]}
    for run in runs.values():
        assert run["data"]["params"] == [] and run["data"].get("metrics", []) == []
        assert any(t["key"] == "aios.withheld" for t in run["data"]["tags"])
    assert leaks(body.decode()) == []
    status, body = call(url, f"/ajax-api/2.0/mlflow/runs/get?run_id={world['runs']['shared']}", **ana)
    assert status == 200 and json.loads(body)["run"]["data"]["params"] == [] and leaks(body.decode()) == []
    assert call(url, f"/ajax-api/2.0/mlflow/artifacts/list?run_uuid={world['runs']['shared']}", **ana)[0] == 403


def test_owners_see_their_own_runs_params_and_artifacts_in_the_ui(world, mlflow_ui):
    url, _ = mlflow_ui
    sam = {"user": "sam", "token": world["tokens"]["sam"]}
    ana = {"user": "ana", "token": world["tokens"]["ana"]}

    status, body = call(url, f"/api/2.0/mlflow/runs/get?run_id={world['runs']['sam']}", **sam)
    assert status == 200 and PROBE in body.decode()                               # his own param, raw
    status, body = call(url, f"/get-artifact?run_uuid={world['runs']['sam']}&path=checks/people_emails.json", **sam)
    assert status == 200 and "examples" in json.loads(body)["items"][0]["detail"]   # examples: in the ledger

    status, body = call(url, f"/ajax-api/2.0/mlflow/runs/get?run_id={world['runs']['ana']}", **ana)
    assert status == 200 and json.loads(body)["run"]["data"]["params"] == [{"key": "alpha", "value": "0.1"}]
    status, body = call(url, f"/get-artifact?run_uuid={world['runs']['ana']}&path=checks/people_emails.json", **ana)
    assert status == 200 and leaks(body.decode()) == []                           # her examples, masked for her
    status, body = call(url, "/graphql", body={
        "query": "query GetRun($data: MlflowGetRunInput!) { mlflowGetRun(input: $data) { run { info { runId } "
                 "data { params { key value } } } } }", "variables": {"data": {"runId": world["runs"]["ana"]}}}, **ana)
    assert status == 200 and json.loads(body)["data"]["mlflowGetRun"]["run"]["info"]["runId"] == world["runs"]["ana"]
    status, body = call(url, f"/ajax-api/2.0/mlflow/metrics/get-history?run_id={world['runs']['ana']}"
                             "&metric_key=rmse", **ana)
    assert status == 200 and json.loads(body)["metrics"][0]["value"] == 1.5
