"""Decision apps: a promoted notebook published as an app runs for each viewer as that viewer.

On a private copy of the demo workspace, alice publishes `supplier_board`, a notebook that lists a region's
suppliers with their contact e-mail and order counts. Each person who runs it sees their own rows: the
steward raw e-mails, alice hashed ones (the policy's mask), bob only his region (the row filter also narrows
the choices his form offers). Runs are audited as the viewer's, with the surface "app"; a repeat is answered
from the cache; each run gets a kernel of its own (nothing of one viewer's run is left for the next)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from aios_workbench.core.errors import PermissionDenied, UsageError
from aios_workbench.service.core import WorkbenchService
from tests.conftest import copy_demo_workspace

REGION_QUERY = "SELECT DISTINCT region FROM suppliers ORDER BY 1"
BOARD = [
    ("# Supplier board\n\nThe busiest suppliers of a region, with whom to call.", "markdown"),
    (f'region = "Northern Europe"  # Region to look at. choices: {REGION_QUERY}\n'
     "top: int = 5  # How many suppliers (1..20)", "parameters"),
    ("import aios_workbench as wb\n"
     "import polars as pl\n"
     "pl.Config.set_fmt_str_lengths(100)\n"
     "board = wb.sql(f\"SELECT s.supplier_id, s.contact_email, count(*) AS orders FROM purchase_orders o \"\n"
     "               f\"JOIN suppliers s ON s.supplier_id = o.supplier_id WHERE s.region = '{region}' \"\n"
     "               f\"GROUP BY ALL ORDER BY orders DESC, s.supplier_id LIMIT {top}\")\n"
     "print('rows:', len(board))\n"
     "print('left by an earlier run:', globals().get('seen_before'))\n"
     "seen_before = True\n"
     "board", None),
]


def write_app_notebook(path, cells) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    notebook = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                     "language": "python"}, "language_info": {"name": "python"}})
    for source, kind in cells:
        if kind == "markdown":
            notebook.cells.append(new_markdown_cell(source))
        else:
            notebook.cells.append(new_code_cell(source, metadata={"tags": [kind]} if kind else {}))
    nbformat.write(notebook, str(path))


def make_app_job(ws, store, name: str, cells, *, creator: str = "alice") -> None:
    """A job with an active version 1 of a notebook made of `cells`, as promotion would leave it."""
    from aios_workbench.jobs import runs
    from aios_workbench.jobs.notebook import load_notebook
    from aios_workbench.jobs.parameters import derive_schema
    from aios_workbench.schemas.job_spec import JobSpec
    from aios_workbench.store.models import Job, JobVersion

    snapshots = ws.state_dir / "jobs" / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    snapshot = snapshots / f"{name}.ipynb"
    write_app_notebook(snapshot, cells)
    schema = derive_schema(load_notebook(snapshot, f"notebooks/{name}.ipynb"))
    spec = JobSpec(name=name).to_json()
    with store.session() as session, session.begin():
        session.add(JobVersion(job_name=name, version=1, digest="1" * 64, notebook=f"notebooks/{name}.ipynb",
                               snapshot_path=str(snapshot), parameter_schema=schema, spec=spec, gates=[],
                               status="active", datasets_read=["purchasing_warehouse.procurement.purchase_orders",
                                                               "supplier_master.main.suppliers"],
                               promoted_by=creator))
        session.add(Job(name=name, notebook=f"notebooks/{name}.ipynb", version=1, spec=spec, identity=creator,
                        paused=True, created_by=creator, created_at=runs.now(), updated_at=runs.now()))


@pytest.fixture(scope="module")
def env(demo_workspace, tmp_path_factory):
    ws = copy_demo_workspace(demo_workspace, tmp_path_factory.mktemp("apps") / "demo")
    service = WorkbenchService(ws, mode="local")
    make_app_job(ws, service.store, "supplier_board", BOARD)
    try:
        yield SimpleNamespace(ws=ws, service=service)
    finally:
        service.close()


def raw(env, sql: str) -> list[dict]:
    return env.service.queries.run(sql, user="carol", surface="api").to_arrow().to_pylist()


def test_only_who_controls_the_job_publishes_it(env):
    with pytest.raises(PermissionDenied):
        env.service.apps.publish("bob", "supplier_board", surface="api")
    app = env.service.apps.publish("alice", "supplier_board", surface="api")
    assert app["title"] == "Supplier board" and app["version"] == 1
    assert [a["name"] for a in env.service.apps.list("bob")] == ["supplier_board"]


def test_the_form_comes_from_the_parameters_cell_and_offers_each_viewer_their_choices(env):
    env.service.apps.publish("alice", "supplier_board", surface="api")
    fields = {f["name"]: f for f in env.service.apps.show("alice", "supplier_board")["fields"]}
    assert fields["top"]["type"] == "integer" and (fields["top"]["minimum"], fields["top"]["maximum"]) == (1, 20)
    assert fields["top"]["help"] == "How many suppliers."
    regions = [r["region"] for r in raw(env, REGION_QUERY)]
    assert fields["region"]["type"] == "choice" and fields["region"]["choices"] == regions
    bobs = {f["name"]: f for f in env.service.apps.show("bob", "supplier_board")["fields"]}
    assert bobs["region"]["choices"] == ["Northern Europe"]           # his row filter


def test_each_viewer_sees_their_own_rows(env):
    env.service.apps.publish("alice", "supplier_board", surface="api")
    truth = raw(env, "SELECT s.supplier_id, s.contact_email, count(*) AS orders FROM purchase_orders o "
                     "JOIN suppliers s ON s.supplier_id = o.supplier_id WHERE s.region = 'Southern Europe' "
                     "GROUP BY ALL ORDER BY orders DESC, s.supplier_id LIMIT 3")
    steward = env.service.apps.run("carol", "supplier_board", {"region": "Southern Europe", "top": 3}, surface="api")
    assert steward["ok"], steward["error"]
    assert all(r["supplier_id"] in steward["html"] and r["contact_email"] in steward["html"] for r in truth)
    assert "rows: 3" in steward["html"] and "import aios_workbench" not in steward["html"]   # outputs, not code
    assert "Supplier board" in steward["html"]                          # the notebook's markdown
    scientist = env.service.apps.run("alice", "supplier_board", {"region": "Southern Europe", "top": 3}, surface="api")
    assert all(r["supplier_id"] in scientist["html"] for r in truth)
    assert not any(r["contact_email"] in scientist["html"] for r in truth)   # e-mails hashed for her
    assert "left by an earlier run: None" in scientist["html"]          # a kernel of her own


def test_a_viewer_cannot_pick_what_the_form_does_not_offer_them(env):
    env.service.apps.publish("alice", "supplier_board", surface="api")
    with pytest.raises(UsageError) as refused:
        env.service.apps.run("bob", "supplier_board", {"region": "Southern Europe"}, surface="api")
    assert "region must be one of Northern Europe" in refused.value.message
    with pytest.raises(UsageError) as refused:
        env.service.apps.run("alice", "supplier_board", {"top": 50}, surface="api")
    assert "top must be between 1 and 20" in refused.value.message


def test_a_repeat_is_served_from_the_cache_and_every_run_is_audited_as_the_viewer(env):
    env.service.apps.publish("alice", "supplier_board", surface="api")
    first = env.service.apps.run("alice", "supplier_board", {"top": 2}, surface="api")
    again = env.service.apps.run("alice", "supplier_board", {"top": 2}, surface="api")
    assert first["cached"] is False and again["cached"] is True and again["html"] == first["html"]
    other = env.service.apps.run("carol", "supplier_board", {"top": 2}, surface="api")
    assert other["cached"] is False                                     # never another viewer's page
    records = env.service.audit.query(user="alice", limit=50)
    runs = [r for r in records if r["action"] == "app.run"]
    assert runs and runs[0]["detail"]["cached"] is True
    assert any(r["surface"] == "app" and r["action"] == "query" for r in records)   # the notebook's own queries


def test_an_app_cannot_approve_actions_for_the_viewer_who_opens_it(env):
    """An app runs as its viewer: a notebook that tries to approve a pending action when an approver opens it
    finds no such route in its kernel's endpoint; only a person approves, on a surface of their own."""
    import yaml

    policy_file = env.ws.root / "governance" / "policy.yaml"
    policy = yaml.safe_load(policy_file.read_text())
    policy["roles"]["steward"]["approves"] = ["webhook"]
    policy_file.write_text(yaml.safe_dump(policy, sort_keys=False))
    config = yaml.safe_load((env.ws.root / "aios.yaml").read_text())
    config["actions"] = {"webhook_hosts": ["hooks.example.com"]}
    (env.ws.root / "aios.yaml").write_text(yaml.safe_dump(config))
    service = WorkbenchService(type(env.ws).load(env.ws.root), mode="local")
    try:
        action = service.actions.propose("alice", kind="webhook", payload={"url": "https://hooks.example.com/x"},
                                         surface="api")
        sneaky = [("# Harmless board", "markdown"), ("n = 1", "parameters"),
                  ("from aios_workbench.kernel.client import service_client\n"
                   "try:\n"
                   f"    service_client().post('actions/approve', {{'id': {action['id']}}})\n"
                   "    print('approved behind her back')\n"
                   "except Exception as exc:\n"
                   "    print('refused:', type(exc).__name__)", None)]
        make_app_job(env.ws, service.store, "sneaky", sneaky)
        service.apps.publish("alice", "sneaky", surface="api")
        result = service.apps.run("carol", "sneaky", {}, surface="api")
        assert "refused:" in result["html"] and "approved behind her back" not in result["html"]
        assert service.actions.show("carol", action["id"])["state"] == "pending"
    finally:
        service.close()


def test_rest_and_cli_run_apps_as_their_caller(env, tmp_path):
    import json
    import urllib.error
    import urllib.request

    from aios_workbench.service.tokens import ServiceTokens
    from tests.conftest import aios_serve, run_aios

    env.service.apps.publish("alice", "supplier_board", surface="api")
    tokens = {user: ServiceTokens(env.ws.state_dir).add(user)[1] for user in ("alice", "bob")}

    def rest(url, user, method, path, body=None):
        request = urllib.request.Request(f"{url}/aios/api/{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"Bearer {tokens[user]}"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read())

    with aios_serve(env.ws.root, token="apps-service") as url:
        status, listed = rest(url, "bob", "GET", "apps")
        assert status == 200 and "supplier_board" in [a["name"] for a in listed["apps"]]
        status, app = rest(url, "bob", "GET", "apps/app?name=supplier_board")
        assert status == 200 and {f["name"]: f for f in app["fields"]}["region"]["choices"] == ["Northern Europe"]
        status, ran = rest(url, "bob", "POST", "apps/run", {"name": "supplier_board", "parameters": {"top": 2}})
        assert status == 200 and ran["ok"] and "rows: 2" in ran["html"]
        status, refused = rest(url, "bob", "POST", "apps/run", {"name": "supplier_board",
                                                                "parameters": {"region": "Southern Europe"}})
        assert status == 400 and "region must be one of" in refused["message"]
        status, refused = rest(url, "bob", "POST", "apps", {"job": "supplier_board"})
        assert status == 403
    page = tmp_path / "board.html"
    done = run_aios("--workspace", str(env.ws.root), "apps", "run", "supplier_board", "-p", "top=3", "--html",
                    str(page), env={"AIOS_USER": "alice"}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Supplier board (version 1) ran as alice" in done.stdout and "rows: 3" in page.read_text()
    bad = run_aios("--workspace", str(env.ws.root), "apps", "run", "supplier_board", "-p", "top=many",
                   env={"AIOS_USER": "alice"})
    assert bad.returncode == 64 and "top" in bad.stderr


def test_without_warm_kernels_or_cache_every_run_still_answers(env, tmp_path):
    """`apps: {warm_kernels: 0, cache_seconds: 0}`: each run starts its own kernel and executes."""
    import yaml

    from aios_workbench.workspace import Workspace

    config = yaml.safe_load((env.ws.root / "aios.yaml").read_text())
    config["apps"] = {"warm_kernels": 0, "cache_seconds": 0}
    (env.ws.root / "aios.yaml").write_text(yaml.safe_dump(config))
    service = WorkbenchService(Workspace.load(env.ws.root), mode="local")
    try:
        service.apps.publish("alice", "supplier_board", surface="api")
        first = service.apps.run("alice", "supplier_board", {"top": 2}, surface="api")
        again = service.apps.run("alice", "supplier_board", {"top": 2}, surface="api")
        assert first["ok"] and again["ok"] and not again["cached"]
    finally:
        service.close()
        del config["apps"]
        (env.ws.root / "aios.yaml").write_text(yaml.safe_dump(config))
