"""The gated model registry as a business action: list and show versions, register a run's model, approve
or reject a version, promote it through its gate. Each decision is a ledger row and an audit record."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from aios_workbench.core.errors import NotFound, PermissionDenied
from aios_workbench.core.incidents import scrub_paths
from aios_workbench.tracking.registry import DECISION_KINDS, DEFAULT_ALIAS, ModelRegistry, PromotionRefused

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService

__all__ = ["DECISION_KINDS", "DEFAULT_ALIAS", "ModelsManager", "PromotionRefused"]


class ModelsManager:
    """Model registry actions of one workspace, on its MLflow store, metadata store and audit log."""

    def __init__(self, service: WorkbenchService):
        self.service = service
        self._registry: ModelRegistry | None = None
        self._lock = threading.Lock()

    @property
    def registry(self) -> ModelRegistry:
        """The registry, configured from aios.yaml's `models:` section, built on first use."""
        with self._lock:
            if self._registry is None:
                service = self.service
                self._registry = ModelRegistry.for_workspace(service.workspace, service.store, service.audit,
                                                             policy=service.queries.policy.current)
            return self._registry

    def versions(self, user: str, name: str | None = None) -> list[dict[str, Any]]:
        """The versions `user` may see (of `name`, or of every model) with status, author, checks, approvals and
        gates: a version is an artifact of its run, so it is listed to the run's readers only (service/runs.py)."""
        seen: dict[str, bool] = {}

        def visible(run_id: str | None) -> bool:
            if not run_id:
                return True
            if run_id not in seen:
                seen[run_id] = self.service.runs.run_access(user, run_id) is not None
            return seen[run_id]
        return [self._shown(v) for v in self.registry.versions(name) if visible(v["run_id"])]

    def show(self, user: str, name: str, version: str | int) -> dict[str, Any]:
        """One version with its checks, approvals and every promotion gate, if `user` may see its run."""
        return self._shown(self._visible(user, name, version))

    def check_model_uri(self, user: str, uri: str) -> None:
        """Refuse an MLflow model URI (runs:/RUN/PATH, models:/NAME/VERSION, models:/NAME@ALIAS) whose run `user`
        may not see, with the answer a missing model gets: a model is an artifact of its run."""
        run_id: str | None
        if uri.startswith("runs:/"):
            run_id = uri[len("runs:/"):].split("/", 1)[0]
        elif uri.startswith("models:/"):
            name, _, version = uri[len("models:/"):].partition("/")
            name, at, alias = name.partition("@")
            try:
                if at:
                    run_id = self.registry.client.get_model_version_by_alias(name, alias).run_id
                else:
                    run_id = self.registry.show(name, version.split("/", 1)[0])["run_id"]
            except Exception:  # noqa: BLE001 - no such model: loading it says so, with the fix
                return
        else:
            return   # not a model URI: loading it says so
        if run_id and self.service.runs.run_access(user, run_id) is None:
            raise NotFound(f"no model at {uri} among those you may see", input=uri,
                           fix="explain a model of a run you may see (`aios models ls`, wb.runs())")

    def _visible(self, user: str, name: str, version: str | int) -> dict[str, Any]:
        found = self.registry.show(name, version)
        if found["run_id"] and self.service.runs.run_access(user, found["run_id"]) is None:
            # the same answer as for a version that does not exist: its existence is a fact of the run
            raise NotFound(f"model {name!r} has no version {version} among those you may see", input=str(version),
                           fix="list the versions you may see with `aios models ls`")
        return found

    def _shown(self, version: dict[str, Any]) -> dict[str, Any]:
        """A version as answered: its artifact's place inside the state folder as `<state>/...`."""
        source = version.get("source")
        if source:
            version["source"] = scrub_paths(source, [("<state>", str(self.service.workspace.state_dir))])
        return version

    def register(self, run_id: str, artifact_path: str = "model", *, name: str, user: str, surface: str) -> str:
        """Register the model logged in run `run_id` as a new candidate version of `name`; returns the version.
        Only a run `user` sees whole (service/runs.py): a model is an artifact of its run, trained on what the
        run read, so registering it is no way around the run's privacy."""
        access = self.service.runs.run_access(user, run_id)
        if access is None:
            raise NotFound(f"run {run_id} not found among the runs you may see", input=run_id,
                           fix="register the model of a run of yours (wb.runs() lists the runs you see)")
        if not access.full:
            raise PermissionDenied(f"the model of run {run_id} is withheld from you: {access.reason}", input=run_id,
                                   fix="ask its owner to register it")
        return self.registry.register(run_id, artifact_path, name=name, user=user, surface=surface)

    def approve(self, name: str, version: str | int, user: str, comment: str | None = None, *,
                surface: str) -> dict[str, Any]:
        """Approve a version as `user` (an eligible approver, not its author unless self-approval is allowed)."""
        self._visible(user, name, version)
        return self.registry.approve(name, version, user, comment, surface=surface)

    def reject(self, name: str, version: str | int, user: str, comment: str | None = None, *,
               surface: str) -> dict[str, Any]:
        """Reject a version: it cannot be promoted until approved again."""
        self._visible(user, name, version)
        return self.registry.reject(name, version, user, comment, surface=surface)

    def promote(self, name: str, version: str | int, user: str, alias: str = DEFAULT_ALIAS, *,
                surface: str) -> dict[str, Any]:
        """Point `alias` at the version when every gate holds; otherwise `PromotionRefused` lists the unmet."""
        self._visible(user, name, version)
        return self.registry.promote(name, version, user, alias, surface=surface)
