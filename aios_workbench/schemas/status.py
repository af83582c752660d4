"""`GET status`: version, workspace, metadata store and data source health."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aios_workbench.schemas.base import Moment, Reply


class WorkspaceInfo(Reply):
    name: str
    path: str | None = Field(description="The workspace folder on the service's machine: on a Jupyter server of "
                                         "the caller's own, and to auditors; null to others.")


class StoreHealth(Reply):
    """The metadata store: reachable, which database, which schema migration."""

    ok: bool
    backend: str = Field(description="sqlite or postgresql")
    revision: str | None = Field(description="The schema migration revision.")
    error: str | None


class ConnectorHealth(Reply):
    """One declared data source, probed in DuckDB."""

    name: str
    type: str
    ok: bool
    error: str | None = Field(description="Why the probe failed; never contains credentials.")


class ComponentVersion(Reply):
    """An engine the workbench runs on, e.g. DuckDB 1.5.5."""

    name: str
    version: str


class Status(Reply):
    """The service's health as the caller asks it."""

    service: Literal["aios-workbench"]
    version: str
    mode: Literal["jupyter", "standalone", "local", "job", "dashboard"] = Field(
        description="How the service runs: in a Jupyter server, as `aios serve`, in-process, in a job's worker.")
    user: str = Field(description="The policy user the caller is taken for.")
    workspace: WorkspaceInfo
    store: StoreHealth
    connectors: list[ConnectorHealth]
    checked_at: Moment
    components: list[ComponentVersion] = Field(description="Python and the engines installed (DuckDB, MLflow, "
                                               "Evidently, Papermill, JupyterLab, Panel) with their versions.")
    state_private: bool | None = Field(description="Whether the workspace's state (state folder, metadata store "
                                       "file, key files, secrets file, audit witness) is the service account's "
                                       "alone; null when it could not be checked. Team mode refuses to start "
                                       "otherwise.")
    state_exposed: list[str] | None = Field(description="What of the state other accounts may read, write or "
                                            "enter, each as 'path (what, mode)': on a Jupyter server of the "
                                            "caller's own, and to auditors; null to others.")
    job_run_id: int | None = Field(None, description="In a job's run: the run whose token made the call "
                                                     "(absent elsewhere).")
