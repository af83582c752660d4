"""The model registry: versions with their gates, register, approve or reject, promote."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field

from aios_workbench.schemas.base import Body, CheckStatus, Moment, NonEmpty, Query, Reply


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


ModelVersionNumber = Annotated[NonEmpty, BeforeValidator(_as_text)]
"""MLflow's version number, as text (a JSON number is taken as its digits)."""


class ModelsQuery(Query):
    name: str | None = Field(None, description="One registered model (default: every model).")


class ModelVersionQuery(Query):
    name: str
    version: str


class LatestCheck(Reply):
    kind: str
    name: str
    status: CheckStatus
    required: bool
    ledger_id: int


class ModelChecks(Reply):
    """The newest ledger result of each check run on the version's MLflow run."""

    passed: int
    failed: int
    latest: list[LatestCheck]


class ModelDecision(Reply):
    id: int
    user: str
    at: Moment
    decision: Literal["approve", "reject"] | None
    comment: str
    run_id: str | None


class ModelGate(Reply):
    """One condition of promotion: whether it holds, and why (or why not)."""

    name: str
    met: bool
    reason: str


class ModelVersion(Reply):
    """A registered version with its status, author, checks, approvals and promotion gates."""

    name: str
    version: str
    status: Literal["candidate", "approved", "rejected", "champion"]
    aliases: list[str]
    author: str | None
    registered_by: str | None
    run_id: str | None
    source: str | None
    created_at: Moment | None
    checks: ModelChecks
    approvals: list[ModelDecision]
    promotable: bool
    gates: list[ModelGate]


class ModelVersionList(Reply):
    versions: list[ModelVersion] = Field(description="Newest first within a model.")


class RegisterModelRequest(Body):
    example: ClassVar[str] = '{"run_id": "RUN_ID", "name": "MODEL"}'

    run_id: NonEmpty
    name: NonEmpty
    artifact_path: str = "model"


class RegisteredModel(Reply):
    name: str
    version: str


class ModelDecisionRequest(Body):
    example: ClassVar[str] = '{"name": "MODEL", "version": "1", "decision": "approve"}'

    name: NonEmpty
    version: ModelVersionNumber
    decision: Literal["approve", "reject"]
    comment: str | None = None


class PromoteModelRequest(Body):
    example: ClassVar[str] = '{"name": "MODEL", "version": "1"}'

    name: NonEmpty
    version: ModelVersionNumber
    alias: str = Field("champion", description="The alias to move to this version.")


class ModelPromotion(Reply):
    model: str
    version: str
    alias: str
    previous_version: str | None = Field(description="The version the alias pointed at before.")
    ledger_id: int
