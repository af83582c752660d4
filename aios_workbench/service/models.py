"""The gated model registry as a business action: list and show versions, register a run's model, approve
or reject a version, promote it through its gate. Each decision is a ledger row and an audit record."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

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

    def versions(self, name: str | None = None) -> list[dict[str, Any]]:
        """Every version (of `name`, or of every model) with status, author, checks, approvals and gates."""
        return self.registry.versions(name)

    def show(self, name: str, version: str | int) -> dict[str, Any]:
        """One version with its checks, approvals and every promotion gate."""
        return self.registry.show(name, version)

    def register(self, run_id: str, artifact_path: str = "model", *, name: str, user: str, surface: str) -> str:
        """Register the model logged in run `run_id` as a new candidate version of `name`; returns the version."""
        return self.registry.register(run_id, artifact_path, name=name, user=user, surface=surface)

    def approve(self, name: str, version: str | int, user: str, comment: str | None = None, *,
                surface: str) -> dict[str, Any]:
        """Approve a version as `user` (an eligible approver, not its author unless self-approval is allowed)."""
        return self.registry.approve(name, version, user, comment, surface=surface)

    def reject(self, name: str, version: str | int, user: str, comment: str | None = None, *,
               surface: str) -> dict[str, Any]:
        """Reject a version: it cannot be promoted until approved again."""
        return self.registry.reject(name, version, user, comment, surface=surface)

    def promote(self, name: str, version: str | int, user: str, alias: str = DEFAULT_ALIAS, *,
                surface: str) -> dict[str, Any]:
        """Point `alias` at the version when every gate holds; otherwise `PromotionRefused` lists the unmet."""
        return self.registry.promote(name, version, user, alias, surface=surface)
