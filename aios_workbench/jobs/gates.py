"""The six promotion gates, all evaluated and reported together.

1 parameters cell, 2 parameter schema and supplied values, 3 validation run in a fresh kernel,
4 the notebook's required check suites, 5 grants of the job's identity on what the run read,
6 approval. Every gate that can run runs, so one promotion attempt shows every problem.

Each gate ends in one verdict (`verdict_of`, the one place that says which; every surface shows it):
passed; failed; not run (an earlier gate failed, which the reason names: a gate that could not run is
not a second cause); waiting (approval is needed: the version is stored and waits for a second user);
not required (approval, when nobody has to approve). `summary` counts them ("1 failed, 3 not run").
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aios_workbench.core.errors import WorkbenchError
from aios_workbench.jobs.execute import ExecutionResult, execute_notebook
from aios_workbench.jobs.notebook import InvalidNotebook, Notebook
from aios_workbench.schemas.job_spec import JobSpec

VERDICT_WORDS = {"failed": "failed", "not_run": "not run", "waiting": "waiting for approval",
                 "passed": "passed", "not_required": "not required"}
TITLES = {
    "parameters_cell": "a cell tagged `parameters` exists",
    "parameters": "typed parameters and supplied values are valid",
    "validation_run": "a validation run in a fresh kernel succeeds",
    "required_checks": "the notebook's required check suites pass",
    "grants": "the job's identity may read every dataset the run read",
    "approval": "approval by a second user",
}


@dataclass
class PromotionGate:
    """One gate's verdict: `reason` in one line, `detail` with what a UI needs to explain it."""

    name: str
    passed: bool
    reason: str
    detail: dict = field(default_factory=dict)
    pending: bool = False  # approval: passed, but the version waits for a second user

    @property
    def title(self) -> str:
        return TITLES[self.name]

    @property
    def verdict(self) -> str:
        return verdict_of(asdict(self))

    def to_dict(self) -> dict:
        return {**asdict(self), "title": self.title, "verdict": self.verdict}


def verdict_of(gate: dict) -> str:
    """A gate's verdict from its stored fields: passed, failed, not_run, waiting or not_required.
    Works for gates stored before verdicts were named (versions keep their gates as JSON)."""
    detail = gate.get("detail") or {}
    if gate.get("pending"):
        return "waiting"
    if gate.get("passed"):
        return "not_required" if gate.get("name") == "approval" and detail.get("required") is False else "passed"
    return "not_run" if detail.get("ran") is False else "failed"


def summary(gates: list[dict]) -> str:
    """The verdicts counted in words, worst first: "1 failed, 3 not run, 2 passed"."""
    counts = {verdict: 0 for verdict in VERDICT_WORDS}
    for gate in gates:
        counts[verdict_of(gate)] += 1
    return ", ".join(f"{n} {VERDICT_WORDS[verdict]}" for verdict, n in counts.items() if n)


def cause(gates: list[dict]) -> str | None:
    """The first failed gate in words ("gate 1 (a cell tagged `parameters` exists) failed: ..."): the cause
    a refusal names; gates that did not run because of it are not causes."""
    for number, gate in enumerate(gates, 1):
        if verdict_of(gate) == "failed":
            return f"gate {number} ({TITLES.get(gate['name'], gate['name'])}) failed: {gate['reason']}"
    return None


def number_of(name: str) -> int:
    return list(TITLES).index(name) + 1


def not_run(name: str, blocker: PromotionGate, consequence: str) -> PromotionGate:
    """`name` could not run because `blocker` did not pass; the reason names the gate that FAILED (when
    `blocker` itself did not run, the one that stopped it), so one cause is named once."""
    root = blocker.detail.get("blocked_by", blocker.name) if blocker.verdict == "not_run" else blocker.name
    return PromotionGate(name, False, f"not run because gate {number_of(root)} failed: {consequence}",
                         {"ran": False, "blocked_by": root})


@dataclass
class GateInputs:
    """What the gates look at: the notebook (or why it could not be loaded), the job and who promotes it."""

    service: Any                       # the WorkbenchService, a layer above that hands itself down
    job: str
    relative: str
    notebook: Notebook | None
    load_error: WorkbenchError | None
    cleaned: dict | None
    spec: JobSpec                      # parameters not yet validated
    identity: str
    promoter: str
    supplied: dict
    coerce_strings: bool = False


@dataclass
class GateOutcome:
    gates: list[PromotionGate]
    schema: dict | None = None
    parameters: dict = field(default_factory=dict)   # validated supplied values
    execution: ExecutionResult | None = None         # the validation run

    @property
    def refused(self) -> bool:
        return not all(g.passed for g in self.gates)

    @property
    def pending(self) -> bool:
        return any(g.pending for g in self.gates)


def evaluate(inputs: GateInputs) -> GateOutcome:
    """Run every gate that can run and return all six verdicts in order."""
    outcome = GateOutcome([])
    first = _parameters_cell(inputs)
    second = _parameters(inputs, first, outcome)
    third = _validation_run(inputs, second, outcome)
    fourth = _required_checks(inputs, first)
    fifth = _grants(inputs, third, outcome)
    sixth = _approval(inputs)
    failed = next((g for g in (first, second, third, fourth, fifth) if g.verdict == "failed"), None)
    if sixth.pending and failed is not None:
        # nobody is asked to approve a version that is not stored
        sixth = not_run("approval", failed, sixth.reason.replace("waiting for", "it would wait for", 1)
                       + " once every other gate passes")
    outcome.gates = [first, second, third, fourth, fifth, sixth]
    return outcome


# -- 1 ------------------------------------------------------------------------------------------------------
def _parameters_cell(inputs: GateInputs) -> PromotionGate:
    if inputs.load_error is not None:
        return PromotionGate("parameters_cell", False, f"the notebook cannot be loaded: {inputs.load_error.message}",
                             {"fix": inputs.load_error.fix})
    assert inputs.notebook is not None  # loaded, since it raised no load error
    try:
        index, _ = inputs.notebook.parameters_cell()
    except WorkbenchError as exc:
        return PromotionGate("parameters_cell", False, exc.message, {"fix": exc.fix})
    return PromotionGate("parameters_cell", True, f"cell {index} is tagged `parameters`", {"cell_index": index})


# -- 2 ------------------------------------------------------------------------------------------------------
def _parameters(inputs: GateInputs, first: PromotionGate, outcome: GateOutcome) -> PromotionGate:
    # lazy: parameter schema module only for the parameters gate
    from aios_workbench.jobs.parameters import InvalidParameters, derive_schema, validate

    if not first.passed:
        return not_run("parameters", first, "without a parameters cell there is no parameter schema")
    schema = derive_schema(inputs.notebook)
    outcome.schema = schema
    if schema["problems"]:
        return PromotionGate("parameters", False, "; ".join(schema["problems"]),
                             {"schema": schema, "fix": "fix the parameters cell"})
    try:
        outcome.parameters = validate(schema, inputs.supplied, coerce_strings=inputs.coerce_strings)
    except InvalidParameters as exc:
        return PromotionGate("parameters", False, exc.message, {"problems": exc.problems, "fix": exc.fix})
    except WorkbenchError as exc:
        return PromotionGate("parameters", False, exc.message, {"fix": exc.fix})
    typed = ", ".join(f"{p['name']}: {p['type']}" for p in schema["parameters"]) or "none"
    supplied = ", ".join(sorted(outcome.parameters)) or "none (defaults)"
    count = len(schema["parameters"])
    return PromotionGate("parameters", True, f"{count} parameter{'s' if count != 1 else ''} ({typed}); "
                         f"supplied: {supplied}",
                         {"parameters": outcome.parameters})


# -- 3 ------------------------------------------------------------------------------------------------------
def validation_dir(workspace, job: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return workspace.state_dir / "jobs" / "validation" / job / stamp


def _validation_run(inputs: GateInputs, second: PromotionGate, outcome: GateOutcome) -> PromotionGate:
    if not second.passed:
        return not_run("validation_run", second, "without valid parameters no kernel was started")
    import nbformat  # lazy: jsonschema validation behind it; only a promotion needs it

    service, spec = inputs.service, inputs.spec
    folder = validation_dir(service.workspace, inputs.job)
    folder.mkdir(parents=True, exist_ok=True)
    # Run exactly the content that will be frozen, not the working copy (which may change meanwhile).
    source = folder / Path(inputs.relative).name
    nbformat.write(nbformat.from_dict(inputs.cleaned), source)
    limit = service.workspace.config.jobs.validation_timeout_seconds
    timeout = min(limit, spec.timeout_seconds) if spec.timeout_seconds else limit
    started = time.monotonic()
    try:
        result = execute_notebook(service, source, parameters=outcome.parameters, identity=inputs.identity,
                                  output_dir=folder, kernel=spec.kernel, timeout=timeout,
                                  cell_timeout=spec.cell_timeout_seconds, secrets=dict(spec.secrets) or None,
                                  job_name=inputs.job)
    except WorkbenchError as exc:
        return PromotionGate("validation_run", False, f"the validation run could not start: {exc.message}",
                             {"fix": exc.fix, "output_dir": _relative(folder, service.workspace.root)})
    outcome.execution = result
    root = service.workspace.root
    detail = {"status": result.status, "output_dir": _relative(folder, root),
              "output_path": _relative(result.output_path, root), "html_path": _relative(result.html_path, root),
              "log_path": _relative(result.log_path, root),
              "duration": round(result.duration or (time.monotonic() - started), 2),
              "cells_total": result.cells_total, "cells_done": result.cells_done,
              "failing_cell": result.failing_cell}
    if result.ok:
        return PromotionGate("validation_run", True, f"ran {result.cells_done} of {result.cells_total} cells in "
                             f"{detail['duration']:.1f} s in a fresh kernel as {inputs.identity}", detail)
    return PromotionGate("validation_run", False, _run_failure(result, timeout), detail)


def _run_failure(result, timeout: float) -> str:
    cell = result.failing_cell or {}
    if result.status == "timed_out":
        return f"the validation run did not finish within {timeout:g} s (timed out at cell {result.cells_done + 1})"
    if cell:
        evalue = str(cell.get("evalue") or "").strip().splitlines()
        first = evalue[0] if evalue else ""
        return f"cell {cell.get('index')} raised {cell.get('ename')}: {first}"[:500].rstrip(": ")
    return f"the validation run {result.status}: {result.error or 'no error message'}"[:500]


def _relative(path, root: Path) -> str | None:
    """`path` relative to the workspace root (API answers never show the server's folders)."""
    if not path:
        return None
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


# -- 4 ------------------------------------------------------------------------------------------------------
def _required_checks(inputs: GateInputs, first: PromotionGate) -> PromotionGate:
    if inputs.notebook is None:
        return not_run("required_checks", first, "the notebook cannot be loaded, so its required checks are unknown")
    try:
        names = inputs.notebook.required_checks()
    except InvalidNotebook as exc:
        return PromotionGate("required_checks", False, exc.message, {"fix": exc.fix})
    if not names:
        return PromotionGate("required_checks", True, "the notebook declares no required checks "
                             "(notebook metadata aios.required_checks)", {"suites": []})
    # lazy: checks.suites loads the quality checks (NumPy, PyArrow); only when checks are required
    from aios_workbench.checks.suites import workspace_suites

    try:
        known = workspace_suites(inputs.service.workspace)
    except WorkbenchError as exc:
        return PromotionGate("required_checks", False, f"governance/checks.yaml cannot be loaded: {exc.message}",
                             {"fix": exc.fix})
    results, failed, warned = [], [], []
    for name in names:
        if name not in known:
            listing = ", ".join(sorted(known)) or "none"
            failed.append(f"{name}: unknown suite (governance/checks.yaml defines {listing})")
            results.append({"suite": name, "status": "unknown"})
            continue
        try:
            ran = inputs.service.checks.run(inputs.identity, "quality", {"suites": [name]}, notebook=inputs.relative)
        except WorkbenchError as exc:
            failed.append(f"{name}: could not run as {inputs.identity}: {exc.message}")
            results.append({"suite": name, "status": "error", "error": exc.message})
            continue
        for result in ran:
            bad = [i["name"] for i in result.get("items", []) if i.get("status") in ("fail", "error")]
            entry = {"suite": name, "status": result["status"], "ledger_id": result.get("ledger_id"),
                     "failing": bad, "error": result.get("error")}
            results.append(entry)
            if result["status"] in ("fail", "error"):
                why = result.get("error") or ", ".join(bad[:5]) or "failed"
                failed.append(f"{name} {result['status']}ed: {why}")
            elif result["status"] == "warn":
                warned.append(f"{name} warns: {', '.join(bad[:5])}")
    detail = {"suites": results}
    if failed:
        return PromotionGate("required_checks", False, "; ".join(failed + warned), detail)
    note = f" ({'; '.join(warned)})" if warned else ""
    plural = len(names) != 1
    return PromotionGate("required_checks", True, f"{len(names)} required suite{'s' if plural else ''} "
                         f"pass{'' if plural else 'es'} as {inputs.identity}: {', '.join(names)}{note}", detail)


# -- 5 ------------------------------------------------------------------------------------------------------
def _grants(inputs: GateInputs, third: PromotionGate, outcome: GateOutcome) -> PromotionGate:
    # lazy: policy engine (sqlglot, PyYAML) only for the grants gate
    from aios_workbench.policy.enforce import PolicyEngine

    result = outcome.execution
    if result is None:
        return not_run("grants", third, "without a validation run what the notebook reads is unknown")
    read = list(dict.fromkeys(result.datasets_read or []))
    denied = list(dict.fromkeys(result.datasets_denied or []))
    detail: dict[str, Any] = {"identity": inputs.identity, "datasets_read": read, "datasets_denied": denied}
    service = inputs.service
    policy = PolicyEngine(service.queries.policy.current())
    try:
        principal = policy.principal(inputs.identity)
    except WorkbenchError as exc:
        return PromotionGate("grants", False, exc.message, {**detail, "fix": exc.fix})
    catalog = service.queries.catalog()
    missing, rules = [], {}
    for name in read + [d for d in denied if d not in read]:
        try:
            entry = catalog.resolve(tuple(name.split(".")))
        except WorkbenchError:
            missing.append(name)
            continue
        rule = policy.grant_for(principal, entry)
        if rule is None:
            missing.append(entry.full_name)
        else:
            rules[entry.full_name] = rule
    detail["grants"] = rules
    if missing:
        return PromotionGate("grants", False, f"{inputs.identity} has no grant on {', '.join(missing)}",
                             {**detail, "missing": missing,
                              "fix": "ask a data steward for a grant in governance/policy.yaml, or run the job "
                                     "as a service identity that holds one (--identity)"})
    if not result.ok:   # nothing wrong found: the run that would show the rest failed (gate 3)
        found = ("the run read no governed dataset before it stopped" if not read else
                 f"the dataset it read before it stopped is granted ({read[0]})" if len(read) == 1 else
                 f"the {len(read)} datasets it read before it stopped are granted")
        return PromotionGate("grants", False, f"not run to the end because gate 3 failed: {found}",
                             {**detail, "ran": False, "blocked_by": "validation_run"})
    if not read:
        return PromotionGate("grants", True, "the validation run read no governed datasets", detail)
    return PromotionGate("grants", True, f"{inputs.identity} holds grants on {', '.join(rules)}", detail)


# -- 6 ------------------------------------------------------------------------------------------------------
def approval_problem(service, user: str, promoter: str, named: str | None) -> str | None:
    """Why `user` may not approve a version promoted by `promoter` (None when they may)."""
    settings = service.workspace.config.jobs
    if user == promoter:
        return f"{user} promoted this version and may not approve it: a second user must"
    if named and user != named:
        return f"the promotion names {named} as its approver, not {user}"
    users = service.queries.policy.current().users
    if settings.approver_roles is not None:
        info = users.get(user)
        if info is None or not set(settings.approver_roles) & set(info.roles):
            return f"{user} has none of the approver roles ({', '.join(settings.approver_roles) or 'none'})"
    return None


def _approval(inputs: GateInputs) -> PromotionGate:
    settings = inputs.service.workspace.config.jobs
    named = inputs.spec.approver
    if not named and not settings.require_approval:
        return PromotionGate("approval", True, "not required: no approver is named and the workspace does not "
                             "require approval (aios.yaml jobs.require_approval)", {"required": False})
    detail = {"required": True, "approver": named, "approver_roles": list(settings.approver_roles or []) or None}
    if named:
        users = inputs.service.queries.policy.current().users
        problem = approval_problem(inputs.service, named, inputs.promoter, named)
        if problem is None and named not in users:
            problem = f"approver {named} is not a user in governance/policy.yaml"
        if problem:
            return PromotionGate("approval", False, problem, {**detail, "fix": "name another user as --approver"})
        return PromotionGate("approval", True, f"waiting for approval by {named}", detail, pending=True)
    roles = f" with one of the roles {', '.join(settings.approver_roles)}" if settings.approver_roles else ""
    return PromotionGate("approval", True, f"waiting for approval by a second user{roles} "
                         "(jobs.require_approval)", detail, pending=True)
