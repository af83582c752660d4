"""The gated model registry: MLflow's registry on the workspace store, with approvals and a promotion gate.

A version is registered from a run as a *candidate*. Approvals and rejections are
governance decisions: each is a ledger row (kind "approval", named
`models:/<name>/<version>`, linked to the version's run) and an audit record.
`promote` moves an alias (default `champion`) only when the `PromotionGate` holds:

- every required check recorded in the ledger for the version's run passed, judged
  by the newest result of each check (an error counts as not passed);
- an eligible approver other than the author (unless self-approval is allowed)
  approved the version after its latest rejection.

The ledger, not MLflow's tags, is the source of truth: tags (`aios.status`,
`aios.author`) only mirror it for MLflow's own UI, and anyone with MLflow access
could edit them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError
from aios_workbench.policy.model import PolicyFile
from aios_workbench.store.models import CheckRun
from aios_workbench.tracking.store import check_reachable, ensure_store, is_local_sqlite, tracking_uri

AUTHOR_TAG = "aios.author"
STATUS_TAG = "aios.status"
REGISTERED_BY_TAG = "aios.registered_by"
APPROVAL_KIND = "approval"
PROMOTION_KIND = "promotion"
DECISION_KINDS = (APPROVAL_KIND, PROMOTION_KIND)   # ledger rows about models, not checks of the run
DEFAULT_ALIAS = "champion"


class PromotionRefused(PermissionDenied):
    """`promote` found unmet gates; `gates` lists every one with its reason."""

    code = "promotion_refused"

    def __init__(self, message: str, *, gates: list[Gate], fix: str, input=None):
        super().__init__(message, fix=fix, input=input)
        self.gates = gates

    def to_dict(self) -> dict:
        return {**super().to_dict(), "unmet": [g.reason for g in self.gates]}


@dataclass(frozen=True)
class Gate:
    """One condition of promotion: whether it holds, and why (or why not) in a sentence."""

    name: str
    met: bool
    reason: str


def model_ref(name: str, version: str | int) -> str:
    """The ledger name and audit target of a version: MLflow's own `models:/<name>/<version>`."""
    return f"models:/{name}/{version}"


def _iso(millis: int | None) -> str | None:
    """An MLflow timestamp (epoch milliseconds) as ISO 8601 in UTC."""
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="seconds") if millis else None


def _own(mv, decisions: list[dict]) -> list[dict]:
    """Decisions about this very version: a model deleted and made again reuses version numbers, not runs."""
    return [d for d in decisions if d["run_id"] == mv.run_id]


def _mlflow_client(uri: str):
    # lazy: no cost (tracking.store is imported at top); MLflow itself loads inside import_mlflow
    from aios_workbench.tracking.store import import_mlflow

    import_mlflow()   # sets the no-telemetry default before MLflow is imported
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


class ModelRegistry:
    """Register, approve, reject and promote model versions of one workspace, governed and audited.

    `allow_self_approval`: the author's own approval counts (config `models.allow_self_approval`).
    `approver_roles`: roles whose members may approve; None means any user in the policy
    (config `models.approver_roles`). `policy` returns the current `PolicyFile`
    (default: the workspace's, as loaded)."""

    def __init__(self, ws, store, audit, *, allow_self_approval: bool = False,
                 approver_roles: Iterable[str] | None = None, policy: Callable[[], PolicyFile] | None = None):
        self.ws = ws
        self.store = store
        self.audit = audit
        self.allow_self_approval = bool(allow_self_approval)
        self.approver_roles = frozenset(approver_roles) if approver_roles is not None else None
        self._policy = policy or (lambda: ws.policy)
        self._client = None

    @classmethod
    def for_workspace(cls, ws, store, audit, **kwargs) -> ModelRegistry:
        """A registry configured from aios.yaml's `models:` section when the config has one."""
        settings = getattr(ws.config, "models", None)
        if settings is not None:
            kwargs.setdefault("allow_self_approval", getattr(settings, "allow_self_approval", False))
            kwargs.setdefault("approver_roles", getattr(settings, "approver_roles", None))
        return cls(ws, store, audit, **kwargs)

    @property
    def client(self):
        if self._client is None:
            uri = tracking_uri(self.ws)
            if is_local_sqlite(uri):
                ensure_store(self.ws)
            else:
                check_reachable(uri, required=True)
            self._client = _mlflow_client(uri)
            # MLflow's registry resolves a version's `models:/` source through the *global* tracking
            # store, not the client's: point it at this workspace (one workspace per service process)
            import mlflow

            mlflow.set_tracking_uri(uri)
        return self._client

    # -- registering -----------------------------------------------------------------------------
    def register(self, run_id: str, artifact_path: str = "model", *, name: str, user: str,
                 surface: str = "api") -> str:
        """Register the model logged at `artifact_path` in run `run_id` as a new candidate version of `name`.

        The author is the run's `aios.user` (else `mlflow.user`) tag, else `user`. Returns the version."""
        from mlflow.exceptions import MlflowException

        if not name or not isinstance(name, str):
            raise UsageError("a registered model needs a name", fix="pass name='delay_model'", input=name)
        run = self._run(run_id)
        author = run.data.tags.get("aios.user") or run.data.tags.get("mlflow.user") or user
        source, model_id = self._model_source(run, artifact_path)
        try:
            self.client.create_registered_model(name)
        except MlflowException as exc:
            if exc.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
                raise
        tags = {AUTHOR_TAG: author, STATUS_TAG: "candidate", REGISTERED_BY_TAG: user}
        created = self.client.create_model_version(name, source, run_id=run_id, tags=tags, model_id=model_id)
        self.audit.append(user=user, surface=surface, action="model.register",
                          target=model_ref(name, created.version), allowed=True,
                          detail={"run_id": run_id, "artifact_path": artifact_path, "author": author,
                                  "source": source})
        return str(created.version)

    def _run(self, run_id: str):
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_run(run_id)
        except MlflowException:
            raise NotFound(f"no MLflow run {run_id!r} in this workspace's tracking store",
                           fix="pass the id of a run from `wb.runs()` or the MLflow UI", input=run_id) from None

    def _model_source(self, run, artifact_path: str) -> tuple[str, str | None]:
        """Where the model is: an MLflow 3 logged model of the run named `artifact_path`, else run artifacts."""
        run_id = run.info.run_id
        token = None
        while True:
            page = self.client.search_logged_models(experiment_ids=[run.info.experiment_id],
                                                    filter_string=f"name = '{artifact_path}'", page_token=token)
            found = [m for m in page if m.source_run_id == run_id]
            if found:
                newest = max(found, key=lambda m: m.creation_timestamp or 0)
                return f"models:/{newest.model_id}", newest.model_id
            token = page.token
            if not token:
                break
        if any(a.path.endswith("/MLmodel") for a in self.client.list_artifacts(run_id, artifact_path)):
            return f"{run.info.artifact_uri.rstrip('/')}/{artifact_path}", None
        raise NotFound(f"run {run_id} has no model at {artifact_path!r}",
                       fix="log one in the run (run.log_model(model, name='model')) or pass its artifact_path",
                       input=f"runs:/{run_id}/{artifact_path}")

    # -- decisions -------------------------------------------------------------------------------
    def approve(self, name: str, version: str | int, user: str, comment: str | None = None, *,
                surface: str = "api") -> dict:
        """Approve a version as `user` (an eligible approver, not its author unless self-approval is allowed)."""
        return self._decide(name, version, user, comment, approve=True, surface=surface)

    def reject(self, name: str, version: str | int, user: str, comment: str | None = None, *,
               surface: str = "api") -> dict:
        """Reject a version: it cannot be promoted until approved again. Its author may reject (withdraw) it too."""
        return self._decide(name, version, user, comment, approve=False, surface=surface)

    def _decide(self, name, version, user, comment, *, approve: bool, surface: str) -> dict:
        # lazy: check ledger and results only when a model version is decided
        from aios_workbench.checks.ledger import Ledger
        from aios_workbench.checks.result import CheckItem, CheckResult  # lazy: as above

        mv = self._version(name, version)
        author = mv.tags.get(AUTHOR_TAG, "")
        decision = "approve" if approve else "reject"
        ref = model_ref(name, mv.version)
        refusal = self._refusal(user, author, withdrawing=not approve)
        if refusal:
            self.audit.append(user=user, surface=surface, action=f"model.{decision}", target=ref, allowed=False,
                              detail={"run_id": mv.run_id, "author": author, "reason": refusal[0]})
            raise PermissionDenied(refusal[0], fix=refusal[1], input=ref)
        params = {"model": name, "version": str(mv.version), "decision": decision, "author": author,
                  "comment": comment or ""}
        result = CheckResult(kind=APPROVAL_KIND, name=ref, params=params,
                             items=[CheckItem(decision, "pass" if approve else "fail", {}, params)])
        ledger_id = Ledger(self.store).record(result, user=user, mlflow_run_id=mv.run_id)
        self.audit.append(user=user, surface=surface, action=f"model.{decision}", target=ref, allowed=True,
                          detail={"run_id": mv.run_id, "author": author, "comment": comment or "",
                                  "ledger_id": ledger_id})
        self.client.set_model_version_tag(name, mv.version, STATUS_TAG, "approved" if approve else "rejected")
        demoted = [] if approve else self._demote(name, mv, user, surface, reason="rejected")
        return {"model": name, "version": str(mv.version), "decision": decision, "user": user,
                "ledger_id": ledger_id, "demoted_aliases": demoted}

    def _demote(self, name: str, mv, user: str, surface: str, *, reason: str) -> list[str]:
        """Remove every alias pointing at a version that may no longer serve (e.g. a rejected champion)."""
        aliases = sorted(a for a, v in (self._registered_model(name).aliases or {}).items()
                         if str(v) == str(mv.version))
        for alias in aliases:
            self.client.delete_registered_model_alias(name, alias)
        if aliases:
            self.audit.append(user=user, surface=surface, action="model.demote", target=model_ref(name, mv.version),
                              allowed=True, detail={"run_id": mv.run_id, "aliases": aliases, "reason": reason})
        return aliases

    def _refusal(self, user: str, author: str, *, withdrawing: bool = False) -> tuple[str, str] | None:
        """Why `user` may not decide on a version by `author` (message, fix), or None when they may."""
        if withdrawing and user == author:
            return None
        users = self._policy().users
        if user not in users:
            return (f"{user} is not in the policy, so may not approve or reject models",
                    f"add `{user}:` under `users:` in governance/policy.yaml")
        if self.approver_roles is not None and not self.approver_roles & set(users[user].roles):
            roles = ", ".join(sorted(self.approver_roles)) or "(none configured)"
            return (f"{user} has none of the approver roles ({roles})",
                    "ask a member of an approver role, or change models.approver_roles in aios.yaml")
        if user == author and not self.allow_self_approval:
            return (f"{user} is the author of this version and may not approve it",
                    "ask another approver; or set models.allow_self_approval: true in aios.yaml")
        return None

    # -- promotion -------------------------------------------------------------------------------
    def gates(self, name: str, version: str | int) -> list[Gate]:
        """Every promotion gate of a version, met or not."""
        return self._gates_of(self._version(name, version))

    def _gates_of(self, mv) -> list[Gate]:
        ref = model_ref(mv.name, mv.version)
        return self._gates(mv, self._checks({mv.run_id}).get(mv.run_id, []), self._decisions({ref}).get(ref, []))

    def promote(self, name: str, version: str | int, user: str, alias: str = DEFAULT_ALIAS, *,
                surface: str = "api") -> dict:
        """Point `alias` at the version when every gate holds; otherwise raise `PromotionRefused` listing them."""
        # lazy: check ledger and results only when a model version is promoted
        from aios_workbench.checks.ledger import Ledger
        from aios_workbench.checks.result import CheckItem, CheckResult  # lazy: as above

        if not alias or not isinstance(alias, str):
            raise UsageError("an alias is a non-empty name", fix="e.g. --alias champion", input=alias)
        mv = self._version(name, version)
        ref = model_ref(name, mv.version)
        gates = self._gates_of(mv)
        if user not in self._policy().users:
            gates.append(Gate("promoter", False, f"{user} is not in the policy, so may not promote models"))
        unmet = [g for g in gates if not g.met]
        items = [CheckItem(g.name, "pass" if g.met else "fail", {}, {"reason": g.reason}) for g in gates]
        result = CheckResult(kind=PROMOTION_KIND, name=ref, items=items,
                             params={"model": name, "version": str(mv.version), "alias": alias})
        ledger_id = Ledger(self.store).record(result, user=user, mlflow_run_id=mv.run_id)
        detail = {"run_id": mv.run_id, "alias": alias, "ledger_id": ledger_id,
                  "gates": [asdict(g) for g in gates]}
        if unmet:
            self.audit.append(user=user, surface=surface, action="model.promote", target=ref, allowed=False,
                              detail=detail)
            raise PromotionRefused(f"{ref} cannot become {alias!r}; unmet gates:\n"
                                   + "\n".join(f"  - {g.reason}" for g in unmet),
                                   gates=unmet, input=ref,
                                   fix="record the missing checks or approvals, then promote again "
                                       f"(`aios models show {name} {mv.version}` lists the gates)")
        previous = self._alias_version(name, alias)
        self.client.set_registered_model_alias(name, alias, mv.version)
        # A rejection that landed between the gate check and the alias move must win: look again.
        if not self._approval_gate(mv.tags.get(AUTHOR_TAG, ""), _own(mv, self._decisions({ref}).get(ref, []))).met:
            if previous is None:
                self.client.delete_registered_model_alias(name, alias)
            else:
                self.client.set_registered_model_alias(name, alias, previous)
            self.audit.append(user=user, surface=surface, action="model.promote", target=ref, allowed=False,
                              detail={**detail, "reason": "rejected while promoting"})
            raise PromotionRefused(f"{ref} was rejected while it was being promoted; {alias!r} is unchanged",
                                   gates=[], input=ref, fix="ask for a new approval, then promote again")
        self.audit.append(user=user, surface=surface, action="model.promote", target=ref, allowed=True,
                          detail={**detail, "previous_version": previous})
        return {"model": name, "version": str(mv.version), "alias": alias, "previous_version": previous,
                "ledger_id": ledger_id}

    def _alias_version(self, name: str, alias: str) -> str | None:
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client.get_model_version_by_alias(name, alias).version)
        except MlflowException:
            return None

    def _gates(self, mv, checks: list[dict], decisions: list[dict]) -> list[Gate]:
        author = mv.tags.get(AUTHOR_TAG, "")
        decisions = _own(mv, decisions)
        gates = []
        newest: dict[tuple[str, str], dict] = {}
        for row in checks:                       # rows come oldest first: the last one wins
            newest[(row["kind"], row["name"])] = row
        # A check once recorded as required stays required: a later non-required run cannot waive it.
        required = {(r["kind"], r["name"]) for r in checks if r["required"]}
        for key in sorted(required, key=lambda k: k[1]):
            row = newest[key]
            if row["status"] == "error":
                gates.append(Gate(f"check:{key[1]}", False, f"required check {key[1]} errored "
                                  f"(ledger run {row['id']}): {row['error'] or 'no detail'}"))
            elif row["status"] in ("pass", "warn"):
                gates.append(Gate(f"check:{key[1]}", True, f"required check {key[1]} passed (ledger run {row['id']})"))
            else:
                gates.append(Gate(f"check:{key[1]}", False, f"required check {key[1]} {row['status']}ed "
                                  f"(ledger run {row['id']})"))
        gates.append(self._approval_gate(author, decisions))
        return gates

    def _approval_gate(self, author: str, decisions: list[dict]) -> Gate:
        rejections = [d for d in decisions if d["decision"] == "reject"]
        last_rejection = rejections[-1] if rejections else None
        after = last_rejection["id"] if last_rejection else 0
        valid = [d for d in decisions if d["decision"] == "approve" and d["id"] > after
                 and self._refusal(d["user"], author) is None]
        if valid:
            d = valid[-1]
            return Gate("approval", True, f"approved by {d['user']} (ledger run {d['id']})")
        who = "someone other than the author " + author if not self.allow_self_approval else "an approver"
        if self.approver_roles is not None:
            who += f" with a role in {', '.join(sorted(self.approver_roles)) or '(none)'}"
        if last_rejection:
            return Gate("approval", False, f"rejected by {last_rejection['user']} (ledger run "
                        f"{last_rejection['id']}) and no approval by {who} since")
        return Gate("approval", False, f"no approval by {who}")

    # -- reading ---------------------------------------------------------------------------------
    def _version(self, name: str, version: str | int):
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_model_version(name, str(version))
        except MlflowException:
            raise NotFound(f"no version {version} of registered model {name!r}",
                           fix="list versions with `aios models ls`", input=model_ref(name, version)) from None

    def _checks(self, run_ids: set[str]) -> dict[str, list[dict]]:
        """The ledger's check runs (not decisions) for each MLflow run id, oldest first."""
        query = (select(CheckRun.id, CheckRun.kind, CheckRun.name, CheckRun.status, CheckRun.required,
                        CheckRun.error, CheckRun.mlflow_run_id)
                 .where(CheckRun.mlflow_run_id.in_(run_ids), CheckRun.kind.not_in(DECISION_KINDS))
                 .order_by(CheckRun.id))
        out: dict[str, list[dict]] = {}
        with self.store.session() as session:
            for row in session.execute(query).mappings():
                out.setdefault(row["mlflow_run_id"], []).append(dict(row))
        return out

    def _decisions(self, refs: set[str]) -> dict[str, list[dict]]:
        """Approvals and rejections recorded for each `models:/name/version`, oldest first."""
        query = (select(CheckRun.id, CheckRun.name, CheckRun.user, CheckRun.at, CheckRun.params,
                        CheckRun.mlflow_run_id)
                 .where(CheckRun.kind == APPROVAL_KIND, CheckRun.name.in_(refs)).order_by(CheckRun.id))
        out: dict[str, list[dict]] = {}
        with self.store.session() as session:
            for row in session.execute(query).mappings():
                params = row["params"] or {}
                out.setdefault(row["name"], []).append({
                    "id": row["id"], "user": row["user"], "at": row["at"].isoformat(timespec="seconds"),
                    "decision": params.get("decision"), "comment": params.get("comment", ""),
                    "run_id": row["mlflow_run_id"]})
        return out

    def versions(self, name: str | None = None) -> list[dict]:
        """Every version (of `name`, or of every model), newest first within a model, with status and gates."""
        if name is not None:
            escaped = name.replace("'", "\\'")
            found = list(self.client.search_model_versions(filter_string=f"name = '{escaped}'"))
            if not found:
                self._registered_model(name)   # NotFound for an unknown model; [] for one without versions
        else:
            found = list(self.client.search_model_versions())
        found.sort(key=lambda mv: (mv.name, -int(mv.version)))
        # search_model_versions leaves `aliases` empty; the registered models hold them.
        aliases: dict[tuple[str, str], list[str]] = {}
        for model in {mv.name for mv in found}:
            for alias, version in (self.client.get_registered_model(model).aliases or {}).items():
                aliases.setdefault((model, str(version)), []).append(alias)
        checks = self._checks({mv.run_id for mv in found if mv.run_id})
        decisions = self._decisions({model_ref(mv.name, mv.version) for mv in found})
        return [self._describe(mv, checks.get(mv.run_id, []), decisions.get(model_ref(mv.name, mv.version), []),
                               aliases.get((mv.name, str(mv.version)), []))
                for mv in found]

    def show(self, name: str, version: str | int) -> dict:
        """One version with its checks, approvals and every promotion gate."""
        mv = self._version(name, version)
        ref = model_ref(name, mv.version)
        return self._describe(mv, self._checks({mv.run_id}).get(mv.run_id, []), self._decisions({ref}).get(ref, []))

    def _registered_model(self, name: str):
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_registered_model(name)
        except MlflowException:
            raise NotFound(f"no registered model {name!r}", fix="list models with `aios models ls`",
                           input=name) from None

    def _describe(self, mv, checks: list[dict], decisions: list[dict], aliases: list[str] | None = None) -> dict:
        gates = self._gates(mv, checks, decisions)
        decisions = _own(mv, decisions)
        aliases = sorted(mv.aliases or [] if aliases is None else aliases)
        if DEFAULT_ALIAS in aliases:
            status = DEFAULT_ALIAS
        elif decisions:
            status = "approved" if decisions[-1]["decision"] == "approve" else "rejected"
        else:
            status = "candidate"
        newest: dict[tuple[str, str], dict] = {}
        for row in checks:
            newest[(row["kind"], row["name"])] = row
        return {
            "name": mv.name, "version": str(mv.version), "status": status, "aliases": aliases,
            "author": mv.tags.get(AUTHOR_TAG), "registered_by": mv.tags.get(REGISTERED_BY_TAG),
            "run_id": mv.run_id, "source": mv.source, "created_at": _iso(mv.creation_timestamp),
            "checks": {"passed": sum(r["status"] in ("pass", "warn") for r in newest.values()),
                       "failed": sum(r["status"] in ("fail", "error") for r in newest.values()),
                       "latest": [{"kind": r["kind"], "name": r["name"], "status": r["status"],
                                   "required": r["required"], "ledger_id": r["id"]} for r in newest.values()]},
            "approvals": decisions,
            "promotable": all(g.met for g in gates),
            "gates": [asdict(g) for g in gates],
        }


__all__ = ["AUTHOR_TAG", "DEFAULT_ALIAS", "Gate", "ModelRegistry", "PromotionRefused", "model_ref"]
