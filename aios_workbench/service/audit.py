"""What a caller may read of the audit log: everything for auditors, their own records for everybody else;
literals of records that are not one's own redacted; verifying the chain and its signed checkpoints; the run a
query may be linked to.

Appending stays with `service.audit` (the `AuditLog` every governed action writes to). Inside
`acting_via(who)` every record appended names the front end (a delegate token) a call came through.

Own records: a record is its `user`'s, the caller who acted (a steward acting as bob with `--as bob` makes
the steward's record, ``detail.as_user = "bob"``). A reader who is no auditor sees the SQL of a record that
is not his own with its literals replaced by ``?`` and no free text (`audit.redact`): the records of
`aios audit tail`, and records of the time before impersonation was recorded as the caller.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from aios_workbench.audit import acting_via, attach_workspace_witness
from aios_workbench.audit.redact import real_caller, redact_record
from aios_workbench.core.errors import NotFound, PermissionDenied, StoreError, UsageError, WorkbenchError
from aios_workbench.schemas.dashboard import AuditVerdict as DashboardVerdict
from aios_workbench.tracking import runs_query

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService

__all__ = ["AuditTrail", "acting_via"]   # surfaces enter `acting_via` for delegated calls

# Services that run until stopped sign a checkpoint when they stop, whatever is due; a short command leaves
# its records to the next checkpoint (every `audit.checkpoint_every` records or `checkpoint_seconds`).
LONG_RUNNING_MODES = frozenset({"jupyter", "standalone", "dashboard"})
JOB_RUN_PREFIX = "job-run:"
_MLFLOW_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_RUN_LINK_RULE = "run_link"
_OWNER_TAGS = (runs_query.USER_TAG, "mlflow.user")


class AuditTrail:
    """Caller-aware reads of the workspace's audit log (appending stays with `service.audit`); its witness."""

    def __init__(self, service: WorkbenchService):
        self.service = service
        attach_workspace_witness(service.audit, service.workspace)
        service.audit.checkpoint_at_exit = service.mode in LONG_RUNNING_MODES
        self._linked: OrderedDict[tuple[str, str], bool] = OrderedDict()   # (caller, MLflow run) checked
        self._linked_lock = threading.Lock()

    # -- reading -----------------------------------------------------------------------------------------
    def _is_auditor(self, caller: str) -> bool:
        return self.service.policy().is_auditor(caller)

    def _as_seen_by(self, caller: str, records: list[dict[str, Any]], auditor: bool) -> list[dict[str, Any]]:
        if auditor:
            return records
        return [record if real_caller(record) == caller else redact_record(record) for record in records]

    def records(self, caller: str, **filters: Any) -> list[dict[str, Any]]:
        """Audit records, newest first: everything for auditors, one's own records for everybody else."""
        auditor = self._is_auditor(caller)
        if not auditor:
            if filters.get("user") not in (None, caller):
                raise PermissionDenied(f"{caller} may read only their own audit records",
                                       fix="ask for a role with `audit: true` in governance/policy.yaml",
                                       input=filters["user"])
            filters["user"] = caller
        return self._as_seen_by(caller, self.service.audit.query(**filters), auditor)

    def tail(self, caller: str, **filters: Any) -> list[dict[str, Any]]:
        """Every matching record, newest first: the workspace owner's view (`aios audit tail` runs with the
        owner's access to the state folder, so hiding records would protect nothing); still, unless `caller`
        is an auditor, the SQL of others' records is shown without its literals (`audit.redact`), so a
        terminal, a pasted log or a screen share never repeats another person's values."""
        return self._as_seen_by(caller, self.service.audit.query(**filters), self._is_auditor(caller))

    # -- verifying ---------------------------------------------------------------------------------------
    def verify(self, caller: str | None = None) -> dict[str, Any]:
        """The hash chain's verdict from the first record to the last, with the first bad record (if any), and
        what the signed checkpoints vouch for: the workspace owner's view, as `aios audit verify` prints it
        (the first bad record without its literals when it is not `caller`'s own and he is no auditor)."""
        result = self.service.audit.verify()
        data = result.to_dict()
        bad = self.service.audit.record(result.first_bad_id) if result.first_bad_id else None
        if bad is not None and caller is not None:
            bad = self._as_seen_by(caller, [bad], self._is_auditor(caller))[0]
        data["first_bad_record"] = bad
        return data

    def verify_for(self, caller: str, *, surface: str) -> dict[str, Any]:
        """The hash chain's verdict for `caller`, the first bad record itself only for auditors; the check is
        audited. The answer holds the fields the dashboard's verdict model declares (`schemas.dashboard`)."""
        result = self.service.audit.verify()
        data = result.to_dict()
        if result.first_bad_id and self._is_auditor(caller):
            data["first_bad_record"] = self.service.audit.record(result.first_bad_id)
        self.service.audit.append(user=caller, surface=surface, action="audit.verify", allowed=True,
                                  detail={"ok": data["ok"], "checked": data["checked"],
                                          "vouched_id": data["vouched_id"]})
        declared = DashboardVerdict.model_fields
        return {name: value for name, value in data.items() if name in declared}

    def checkpoint(self) -> dict[str, Any] | None:
        """Sign a checkpoint of the log's head now (`aios audit checkpoint`); None when no record is new."""
        checkpoint = self.service.audit.checkpoint(force=True)
        return checkpoint.to_dict() if checkpoint else None

    def close(self) -> None:
        """At service shutdown: a last signed checkpoint for the records not yet covered."""
        self.service.audit.close()

    # -- links -------------------------------------------------------------------------------------------
    def link_run(self, caller: str, run_id: str | None, *, sql: str, surface: str,
                 job_run_id: int | None = None) -> str | None:
        """The run a query of `caller` may be linked to in audit and lineage: an MLflow run of this workspace
        whose owner (tag ``aios.user``) is `caller`, or ``job-run:N`` for the job run whose token made the
        call (`job_run_id`). Anything else is refused (audited, rule ``run_link``): a link is a claim the
        service checks, so nobody attaches reads to another person's run or to a run that does not exist."""
        if not run_id:
            return None
        try:
            if not isinstance(run_id, str) or len(run_id) > 64:
                raise UsageError("run_id is not a run id", fix="pass the id of your open wb.run (32 hex digits)",
                                 input=str(run_id)[:64])
            if run_id.startswith(JOB_RUN_PREFIX):
                if job_run_id is None or run_id != f"{JOB_RUN_PREFIX}{job_run_id}":
                    raise PermissionDenied(f"{run_id} is not the job run this token belongs to",
                                           fix="leave run_id out: a job kernel's queries are linked to its run",
                                           input=run_id)
                return run_id
            self._check_mlflow_run(caller, run_id)
        except WorkbenchError as exc:
            self.service.audit.append(user=caller, surface=surface, action="query", allowed=False,
                                      detail={"sql": sql, "claimed_run_id": str(run_id)[:64], "rule": _RUN_LINK_RULE,
                                              "error": exc.message})
            raise
        return run_id

    def _check_mlflow_run(self, caller: str, run_id: str) -> None:
        key = (caller, run_id)
        with self._linked_lock:
            if key in self._linked:
                self._linked.move_to_end(key)
                return
        if not _MLFLOW_RUN_ID.match(run_id):
            raise UsageError(f"{run_id!r} is not an MLflow run id", fix="pass the id of your open wb.run "
                             "(32 hex digits), or leave run_id out", input=run_id)
        try:
            run = runs_query.mlflow_client(self.service.workspace).get_run(run_id)
        except WorkbenchError:
            raise
        except Exception as exc:  # noqa: BLE001 - MLflow's own exceptions, without importing MLflow here
            if getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
                raise NotFound(f"there is no MLflow run {run_id} in this workspace",
                               fix="link queries only to your own open wb.run, or leave run_id out",
                               input=run_id) from None
            raise StoreError(f"the MLflow store could not be asked about run {run_id}: {type(exc).__name__}",
                             fix="check that the tracking store is reachable (`aios status`)", input=run_id) from None
        owner = next((run.data.tags[tag] for tag in _OWNER_TAGS if run.data.tags.get(tag)), None)
        if run.info.lifecycle_stage == "deleted":
            raise NotFound(f"MLflow run {run_id} was deleted", fix="start a new wb.run", input=run_id)
        if owner != caller:
            raise PermissionDenied(f"MLflow run {run_id} is not a run of {caller}",
                                   fix="link queries only to your own open wb.run, or leave run_id out", input=run_id)
        with self._linked_lock:
            self._linked[key] = True
            while len(self._linked) > 4096:
                self._linked.popitem(last=False)
