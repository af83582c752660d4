"""The gated model registry: register from a run, approve or reject, promote only through the gate."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from mlflow.exceptions import MlflowException

from aios_workbench.audit import AuditLog
from aios_workbench.checks.ledger import Ledger
from aios_workbench.checks.result import CheckItem, CheckResult
from aios_workbench.core.errors import NotFound, PermissionDenied
from aios_workbench.kernel.run import run
from aios_workbench.store import open_store
from aios_workbench.surfaces.cli.main import WorkbenchGroup
from aios_workbench.tracking import ensure_store, tracking_uri
from aios_workbench.tracking.registry import ModelRegistry, PromotionRefused
from aios_workbench.workspace import Workspace

POLICY = """\
roles:
  scientist: {}
  reviewer: {}
users:
  alice: {roles: [scientist]}
  mallory: {roles: [scientist]}
  bob: {roles: [reviewer]}
  carol: {roles: [reviewer]}
grants: []
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A workspace with a real MLflow store and one run by alice that logged a tiny sklearn model.

    MLflow's store creation and `log_model` cost seconds: paid once for the module. The model's
    files are kept so each test can give a fresh run its own copy (fresh ledger state per test)."""
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from aios_workbench.kernel.run import end_open_runs
    from aios_workbench.workspace.scaffold import init_workspace

    tmp = tmp_path_factory.mktemp("registry")
    root = init_workspace(tmp / "ws")
    (root / "governance" / "policy.yaml").write_text(POLICY)
    ws = Workspace.load(root)
    ensure_store(ws)
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = LogisticRegression().fit(x, [0, 0, 1, 1])
    with run("train", workspace=ws, experiment="registry-tests",
             tags={"aios.user": "alice", "mlflow.user": "alice"}) as tracked:
        info = tracked.log_model(model, "model", pip_requirements=["scikit-learn"])
    end_open_runs()
    model_dir = mlflow.artifacts.download_artifacts(artifact_uri=info.model_uri, dst_path=str(tmp / "model"))
    store = open_store(ws.metadata_url)
    yield SimpleNamespace(ws=ws, root=root, store=store, run_id=tracked.id, model_dir=model_dir,
                          experiment_id=tracked.experiment_id)
    store.close()


@pytest.fixture
def audit(trained):
    return AuditLog(trained.store, trained.ws.state_dir / "audit.head")


@pytest.fixture
def registry(trained, audit):
    return ModelRegistry(trained.ws, trained.store, audit)


@pytest.fixture
def fresh_run(trained):
    """A new run by `author` holding a copy of the module's model under `model/`; returns its id."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri(trained.ws))

    def make(author: str = "alice") -> str:
        created = client.create_run(trained.experiment_id, tags={"aios.user": author, "mlflow.user": author})
        client.log_artifacts(created.info.run_id, trained.model_dir, "model")
        client.set_terminated(created.info.run_id)
        return created.info.run_id

    return make


@pytest.fixture
def model_name(request):
    return "m_" + request.node.name.removeprefix("test_")[:60]


def record_check(trained, run_id: str, name: str, status: str, *, required: bool = True,
                 error: str | None = None) -> int:
    result = CheckResult(kind="quality", name=name, items=[CheckItem("rule", status)], required=required,
                         error=error)
    return Ledger(trained.store).record(result, user="alice", mlflow_run_id=run_id)


def audit_records(audit, action: str, target: str) -> list[dict]:
    return [r for r in audit.query(action=action, limit=1000) if r["target"] == target]


def champion_version(trained, name: str) -> str:
    from mlflow import MlflowClient

    return str(MlflowClient(tracking_uri(trained.ws)).get_model_version_by_alias(name, "champion").version)


# -- registering -----------------------------------------------------------------------------------
def test_register_a_logged_model_as_a_candidate_by_the_runs_author(trained, registry, audit):
    version = registry.register(trained.run_id, name="delay_model", user="bob")

    shown = registry.show("delay_model", version)
    assert shown["status"] == "candidate"
    assert shown["author"] == "alice" and shown["registered_by"] == "bob"
    assert shown["run_id"] == trained.run_id and shown["source"].startswith("models:/")
    assert [v["version"] for v in registry.versions("delay_model")] == [version]
    [record] = audit_records(audit, "model.register", f"models:/delay_model/{version}")
    assert record["allowed"] and record["user"] == "bob" and record["detail"]["run_id"] == trained.run_id


def test_register_names_a_missing_run_or_model(registry, trained):
    from mlflow import MlflowClient

    empty = MlflowClient(tracking_uri(trained.ws)).create_run(trained.experiment_id).info.run_id

    with pytest.raises(NotFound, match="no MLflow run"):
        registry.register("0" * 32, name="ghost", user="alice")
    with pytest.raises(NotFound, match="has no model at 'model'") as caught:
        registry.register(empty, name="ghost", user="alice")
    assert caught.value.input == f"runs:/{empty}/model"


# -- the gate --------------------------------------------------------------------------------------
def test_promotion_is_refused_with_every_unmet_gate_listed(trained, registry, audit, fresh_run, model_name):
    run_id = fresh_run()
    version = registry.register(run_id, name=model_name, user="alice")
    failing = record_check(trained, run_id, "shipments_basics", "fail")
    record_check(trained, run_id, "suppliers_basics", "pass")
    record_check(trained, run_id, "advisory_only", "fail", required=False)

    with pytest.raises(PromotionRefused) as caught:
        registry.promote(model_name, version, "carol")

    reasons = [g.reason for g in caught.value.gates]
    assert reasons == [f"required check shipments_basics failed (ledger run {failing})",
                       "no approval by someone other than the author alice"]
    assert isinstance(caught.value, PermissionDenied)
    assert registry.show(model_name, version)["aliases"] == []
    ref = f"models:/{model_name}/{version}"
    [denied] = audit_records(audit, "model.promote", ref)
    assert denied["allowed"] is False and denied["user"] == "carol"
    [promotion] = Ledger(trained.store).history(kind="promotion", name=ref)
    assert promotion["status"] == "fail" and promotion["mlflow_run_id"] == run_id


def test_the_author_may_not_approve_their_own_version(trained, registry, audit, fresh_run, model_name):
    version = registry.register(fresh_run("alice"), name=model_name, user="alice")
    ref = f"models:/{model_name}/{version}"

    with pytest.raises(PermissionDenied, match="alice is the author"):
        registry.approve(model_name, version, "alice", "looks fine to me")

    [denied] = audit_records(audit, "model.approve", ref)
    assert denied["allowed"] is False
    assert Ledger(trained.store).history(kind="approval", name=ref) == []
    assert registry.show(model_name, version)["promotable"] is False


def test_self_approval_counts_when_the_workspace_allows_it(trained, audit, fresh_run, model_name):
    lenient = ModelRegistry(trained.ws, trained.store, audit, allow_self_approval=True)
    version = lenient.register(fresh_run("alice"), name=model_name, user="alice")

    lenient.approve(model_name, version, "alice")
    lenient.promote(model_name, version, "alice")

    assert champion_version(trained, model_name) == version


def test_approval_by_another_user_opens_the_gate(trained, registry, audit, fresh_run, model_name):
    run_id = fresh_run("alice")
    version = registry.register(run_id, name=model_name, user="alice")
    record_check(trained, run_id, "shipments_basics", "pass")
    ref = f"models:/{model_name}/{version}"

    approval = registry.approve(model_name, version, "bob", comment="metrics reviewed")
    promoted = registry.promote(model_name, version, "carol")

    assert champion_version(trained, model_name) == version
    assert promoted["previous_version"] is None
    shown = registry.show(model_name, version)
    assert shown["status"] == "champion" and shown["aliases"] == ["champion"]
    assert [(a["decision"], a["user"], a["comment"]) for a in shown["approvals"]] == \
        [("approve", "bob", "metrics reviewed")]
    [row] = Ledger(trained.store).history(kind="approval", name=ref)
    assert row["id"] == approval["ledger_id"] and row["mlflow_run_id"] == run_id and row["user"] == "bob"
    [promotion] = Ledger(trained.store).history(kind="promotion", name=ref)
    assert promotion["status"] == "pass"
    [approved] = audit_records(audit, "model.approve", ref)
    [allowed] = audit_records(audit, "model.promote", ref)
    assert approved["allowed"] and approved["detail"]["comment"] == "metrics reviewed"
    assert allowed["allowed"] and allowed["detail"]["alias"] == "champion"


def test_a_later_rejection_closes_the_gate_until_a_new_approval(trained, registry, fresh_run, model_name):
    version = registry.register(fresh_run("alice"), name=model_name, user="alice")
    registry.approve(model_name, version, "bob")
    rejection = registry.reject(model_name, version, "carol", comment="leaks the label")

    with pytest.raises(PromotionRefused) as caught:
        registry.promote(model_name, version, "bob")
    assert [g.reason for g in caught.value.gates] == [
        f"rejected by carol (ledger run {rejection['ledger_id']}) and no approval by someone other than "
        "the author alice since"]
    assert registry.show(model_name, version)["status"] == "rejected"
    body = caught.value.to_dict()   # what REST answers (403) and `--json` prints
    assert body["error"] == "promotion_refused" and body["unmet"][0].startswith("rejected by carol")

    registry.approve(model_name, version, "bob", comment="label leak fixed upstream")
    registry.promote(model_name, version, "bob")
    assert champion_version(trained, model_name) == version


def test_rejecting_the_champion_demotes_it(trained, registry, audit, fresh_run, model_name):
    version = registry.register(fresh_run("alice"), name=model_name, user="alice")
    registry.approve(model_name, version, "bob")
    registry.promote(model_name, version, "bob")
    assert champion_version(trained, model_name) == version

    rejected = registry.reject(model_name, version, "carol", comment="bias found in production")

    assert rejected["demoted_aliases"] == ["champion"]
    with pytest.raises(MlflowException, match="alias champion not found"):
        champion_version(trained, model_name)
    assert registry.show(model_name, version)["aliases"] == []
    [demotion] = audit_records(audit, "model.demote", f"models:/{model_name}/{version}")
    assert demotion["user"] == "carol" and demotion["detail"]["aliases"] == ["champion"]


def test_a_rejection_landing_while_promoting_leaves_the_alias_where_it_was(trained, registry, audit, fresh_run,
                                                                           model_name, monkeypatch):
    old = registry.register(fresh_run("alice"), name=model_name, user="alice")
    registry.approve(model_name, old, "bob")
    registry.promote(model_name, old, "bob")
    new = registry.register(fresh_run("alice"), name=model_name, user="alice")
    registry.approve(model_name, new, "bob")
    # carol's rejection reaches the ledger after the gates were read, just before the alias moves
    set_alias = registry.client.set_registered_model_alias

    def reject_first(name, alias, version):
        if str(version) == str(new):
            registry.reject(model_name, new, "carol", comment="late finding")
        return set_alias(name, alias, version)

    monkeypatch.setattr(registry.client, "set_registered_model_alias", reject_first)

    with pytest.raises(PromotionRefused, match="rejected while it was being promoted"):
        registry.promote(model_name, new, "bob")

    assert champion_version(trained, model_name) == old


def test_the_newest_result_of_each_required_check_decides(trained, registry, fresh_run, model_name):
    run_id = fresh_run("alice")
    version = registry.register(run_id, name=model_name, user="alice")
    registry.approve(model_name, version, "bob")
    record_check(trained, run_id, "shipments_basics", "fail")
    record_check(trained, run_id, "shipments_basics", "pass")
    assert registry.show(model_name, version)["promotable"] is True

    errored = record_check(trained, run_id, "shipments_basics", "pass", required=False, error="source down")
    with pytest.raises(PromotionRefused, match=f"required check shipments_basics errored \\(ledger run {errored}\\)"):
        registry.promote(model_name, version, "bob")


def test_approver_roles_limit_who_may_approve(trained, audit, fresh_run, model_name):
    strict = ModelRegistry(trained.ws, trained.store, audit, approver_roles=["reviewer"])
    version = strict.register(fresh_run("alice"), name=model_name, user="alice")

    with pytest.raises(PermissionDenied, match=r"mallory has none of the approver roles \(reviewer\)"):
        strict.approve(model_name, version, "mallory")
    with pytest.raises(PermissionDenied, match="eve is not in the policy"):
        strict.approve(model_name, version, "eve")
    with pytest.raises(PromotionRefused, match="no approval by someone other than the author alice with a role in "
                                               "reviewer"):
        strict.promote(model_name, version, "bob")
    strict.approve(model_name, version, "carol")
    assert strict.show(model_name, version)["promotable"] is True


def test_promoting_moves_the_alias_from_the_previous_champion(trained, registry, fresh_run, model_name):
    first = registry.register(fresh_run(), name=model_name, user="alice")
    second = registry.register(fresh_run(), name=model_name, user="alice")
    for version in (first, second):
        registry.approve(model_name, version, "bob")

    registry.promote(model_name, first, "bob")
    moved = registry.promote(model_name, second, "bob")

    assert moved["previous_version"] == first
    listed = {v["version"]: v["status"] for v in registry.versions(model_name)}
    assert listed == {second: "champion", first: "approved"}


def test_unknown_models_and_versions_are_not_found(registry, trained):
    registry.register(trained.run_id, name="known_model", user="alice")

    with pytest.raises(NotFound, match="no registered model 'nope'"):
        registry.versions("nope")
    with pytest.raises(NotFound, match="no version 99 of registered model 'known_model'"):
        registry.show("known_model", 99)


# -- the CLI ---------------------------------------------------------------------------------------
@pytest.fixture
def aios(trained):
    """`aios models ...` through the real error-to-exit-code handling, as $AIOS_USER."""
    from aios_workbench.surfaces.cli.model_commands import models

    group = WorkbenchGroup(name="aios", commands={"models": models})

    def invoke(user: str, *args):
        return CliRunner().invoke(group, ["models", *args], obj={"workspace": str(trained.root)},
                                  env={"AIOS_USER": user})

    return invoke


def test_cli_help_everywhere(aios):
    for args in ([], ["ls"], ["show"], ["register"], ["approve"], ["promote"]):
        result = aios("alice", *args, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output, args


def test_cli_approve_and_promote_through_the_gate(aios, trained, fresh_run, model_name):
    run_id = fresh_run("alice")
    registered = aios("alice", "register", run_id, "--name", model_name, "--json")
    assert registered.exit_code == 0, registered.output
    version = json.loads(registered.stdout)["version"]

    refused = aios("alice", "promote", model_name, version)
    assert refused.exit_code == 77
    assert "no approval by someone other than the author alice" in refused.stderr

    own = aios("alice", "approve", model_name, version, "--comment", "mine")
    assert own.exit_code == 77 and "alice is the author" in own.stderr

    hidden = aios("bob", "approve", model_name, version, "--comment", "unseen")
    assert hidden.exit_code == 66 and "among those you may see" in hidden.stderr   # nobody approves blind
    from mlflow import MlflowClient

    MlflowClient(tracking_uri(trained.ws)).set_experiment_tag(trained.experiment_id, "aios.readers", "bob carol")
    approved = aios("bob", "approve", model_name, version, "--comment", "reviewed")
    assert approved.exit_code == 0 and f"approved models:/{model_name}/{version} as bob" in approved.stdout

    promoted = aios("bob", "promote", model_name, version)
    assert promoted.exit_code == 0, promoted.output
    assert f"models:/{model_name}/{version} is now 'champion'" in promoted.stdout

    listed = json.loads(aios("alice", "ls", model_name, "--json").stdout)
    assert [(v["version"], v["status"], v["author"]) for v in listed] == [(version, "champion", "alice")]
    shown = aios("carol", "show", model_name, version)
    assert shown.exit_code == 0 and "promotion gate: OPEN" in shown.stdout and "reviewed" in shown.stdout

    rejected = aios("carol", "approve", model_name, version, "--reject", "--comment", "drifted")
    assert rejected.exit_code == 0 and "rejected" in rejected.stdout
    again = aios("bob", "promote", model_name, version)
    assert again.exit_code == 77 and "  - rejected by carol" in again.stderr


def test_cli_unknown_model_exits_66(aios):
    result = aios("alice", "show", "no_such_model", "1")
    assert result.exit_code == 66 and "no version 1 of registered model 'no_such_model'" in result.stderr
