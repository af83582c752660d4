"""What the Promote dialog relies on from the service: promoting a job again starts from its current
definition and says what changes; gate verdicts name one cause (failed, not run, not required).

Service level, on a copy of the demo workspace with real kernels for the validation runs; the dialog
itself is tested in the browser (tests/test_browser_promote.py) and with jest (extension/test).
"""

from __future__ import annotations

import pytest

from aios_workbench.schemas.promotion import JobVersions, NotebookParameters, PromotionReport
from aios_workbench.schemas.schedule import Schedule
from tests.test_promotion import build_demo_copy, working_copy


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return build_demo_copy(tmp_path_factory.mktemp("promote-dialog") / "ws")


@pytest.fixture(scope="module")
def service(root):
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace

    service = WorkbenchService(Workspace.load(root), mode="local")
    yield service
    service.close()


def promote(service, path: str, **options):
    """`service.jobs.promote` as the dialog calls it (through REST: surface api), its report as REST answers it,
    checked against the contract."""
    report = service.jobs.promote("alice", path, surface="api", **options).to_dict()
    PromotionReport.model_validate(report)
    return report


def edit_notebook(root, path: str) -> None:
    import nbformat

    node = nbformat.read(root / path, as_version=4)
    node.cells[3].source += "\n# reviewed"
    nbformat.write(node, root / path)


# -- promote again: the current definition, the changes, nothing changed --------------------------------------------
def test_the_dialog_starts_from_the_jobs_current_definition(root, service):
    path = working_copy(root, "good.ipynb", "nightly_late.ipynb")
    assert service.jobs.notebook_parameters(path)["jobs"] == []          # never promoted: a new job
    first = promote(service, path, name="nightly_late", parameters={"limit": 3},
                    schedule=Schedule.parse("0 6 * * 1-5", tz="Europe/Berlin"), retries=2,
                    notifications={"emails": ["ops@example.com"], "on": ["failure"]}, max_concurrent=2)
    assert first["status"] == "active" and first["previous_version"] is None and first["changes"] == []

    data = service.jobs.notebook_parameters(path)

    NotebookParameters.model_validate(data)
    [job] = data["jobs"]
    assert (job["job"], job["version"], job["notebook"], job["digest"]) == ("nightly_late", 1, path, first["digest"])
    assert job["schedule"] == "At 06:00 AM, Monday through Friday (Europe/Berlin)"
    spec = job["spec"]
    assert spec["schedule"] == {"kind": "cron", "cron": "0 6 * * 1-5", "timezone": "Europe/Berlin", "at": None}
    assert spec["retries"]["max"] == 2 and spec["parameters"] == {"limit": 3} and spec["max_concurrent"] == 2
    assert spec["notifications"] == {"on": ["failure"], "webhooks": [], "emails": ["ops@example.com"]}
    assert (spec["executor"], spec["identity"], job["promoted_by"]) == ("local", "alice", "alice")


def test_promoting_again_says_which_version_and_what_changes_and_refuses_an_identical_one(root, service):
    path = working_copy(root, "good.ipynb", "weekly_late.ipynb")
    settings = {"name": "weekly_late", "parameters": {"limit": 3}, "retries": 2,
                "schedule": Schedule.parse("0 6 * * 1", tz="Europe/Berlin")}
    assert promote(service, path, **settings)["version"] == 1

    # the dialog as it opens: the current definition sent back unchanged
    same = promote(service, path, dry_run=True, **settings)
    assert (same["status"], same["version"], same["previous_version"], same["changes"]) == ("unchanged", 1, 1, [])
    # one click on Promote with nothing changed: no gate runs, no second identical version
    clicked = promote(service, path, **settings)
    assert (clicked["status"], clicked["version"], clicked["gates"]) == ("unchanged", 1, [])
    assert clicked["notes"] == ["job weekly_late version 1 already runs this notebook with these settings: nothing "
                                "was stored; change the notebook or a setting to make a new version"]
    assert [v["version"] for v in service.jobs.versions("alice", "weekly_late")["versions"]] == [1]

    # what the dialog shows before anyone confirms, in words
    edit_notebook(root, path)
    changed = {**settings, "retries": 3, "parameters": {}, "schedule": Schedule.parse(None, tz="UTC"),
               "notifications": {"webhooks": ["https://hooks.example.com/aios"]}}
    planned = promote(service, path, dry_run=True, **changed)
    assert (planned["status"], planned["version"], planned["previous_version"]) == ("planned", 2, 1)
    assert planned["changes"] == [
        "the notebook's code changed since version 1",
        "schedule: At 06:00 AM, only on Monday (Europe/Berlin) → manual only",
        "parameter limit: 3 → the notebook's default",
        "retries: 2 → 3",
        "webhooks: none → https://hooks.example.com/aios"]
    assert planned["gates"] == [] and planned["summary"] == ""
    assert [v["version"] for v in service.jobs.versions("alice", "weekly_late")["versions"]] == [1]   # a dry run

    stored = promote(service, path, **changed)
    assert (stored["status"], stored["version"], stored["previous_version"]) == ("active", 2, 1)
    assert stored["changes"] == planned["changes"]


def test_a_dry_run_of_a_new_job_plans_its_first_version(root, service):
    path = working_copy(root, "good.ipynb", "brand_new.ipynb")

    planned = promote(service, path, dry_run=True, retries=1)

    assert (planned["status"], planned["version"], planned["previous_version"]) == ("planned", 1, None)
    assert planned["changes"] == [] and planned["passed"] is True
    assert service.jobs.notebook_parameters(path)["jobs"] == []


# -- gate verdicts ---------------------------------------------------------------------------------------------------
def test_gates_behind_a_failed_one_are_not_run_and_name_the_one_cause(root, service):
    report = promote(service, "notebooks/no_parameters.ipynb", name="no_cell")

    verdicts = {g["name"]: g["verdict"] for g in report["gates"]}
    assert verdicts == {"parameters_cell": "failed", "parameters": "not_run", "validation_run": "not_run",
                        "required_checks": "passed", "grants": "not_run", "approval": "not_required"}
    assert report["summary"] == "1 failed, 3 not run, 1 passed, 1 not required"
    assert report["cause"].startswith("gate 1 (a cell tagged `parameters` exists) failed: ")
    assert "has no cell tagged `parameters`" in report["cause"]
    # every gate that did not run names gate 1, the one real cause, not the gate between
    not_run = [g for g in report["gates"] if g["verdict"] == "not_run"]
    assert all(g["reason"].startswith("not run because gate 1 failed: ") for g in not_run)
    assert all(g["detail"]["blocked_by"] == "parameters_cell" for g in not_run)
    assert not any(g["passed"] for g in not_run)


def test_approval_is_not_required_waiting_or_not_asked(root, service):
    path = working_copy(root, "good.ipynb", "approved_late.ipynb")
    alone = promote(service, path, name="approved_alone")
    approval = alone["gates"][5]
    assert (approval["verdict"], approval["passed"]) == ("not_required", True)
    assert approval["reason"].startswith("not required: no approver is named")

    waiting = promote(service, path, name="approved_late", approver="carol")
    assert waiting["gates"][5]["verdict"] == "waiting" and waiting["summary"] == "1 waiting for approval, 5 passed"

    refused = promote(service, "notebooks/raises.ipynb", name="approved_raises", approver="carol")
    approval = refused["gates"][5]
    assert approval["verdict"] == "not_run" and not approval["passed"]
    assert approval["reason"] == ("not run because gate 3 failed: it would wait for approval by carol once every "
                                  "other gate passes")

    service.jobs.approve("carol", "approved_late", 1, "fine", surface="api")
    listing = service.jobs.versions("bob", "approved_late")   # bob does not control it: verdicts, not details
    JobVersions.model_validate(listing)
    [version] = listing["versions"]
    assert [g["verdict"] for g in version["gates"]] == ["passed"] * 6
    assert version["gates"][5]["reason"].startswith("(hidden")
