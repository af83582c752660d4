"""The workspace config file, `aios.yaml`: where things live and which stores to use."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from aios_workbench.core.models import Strict

CONFIG_FILE = "aios.yaml"
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


class Paths(Strict):
    """Folders of the workspace, relative to its root."""

    state: str = ".aios"
    connectors: str = "connectors"
    governance: str = "governance"
    notebooks: str = "notebooks"


class MetadataStoreSettings(Strict):
    """SQLAlchemy URL of the metadata store; by default a SQLite file in the state folder.

    `url_env` names an environment variable holding the URL, so a password never
    has to be written into the workspace.
    """

    url: str | None = None
    url_env: str | None = None

    @field_validator("url")
    @classmethod
    def _no_inline_password(cls, value: str | None) -> str | None:
        if value and re.search(r"://[^/@:]+:[^/@]+@", value):
            raise ValueError("the URL contains a password; put the whole URL in an environment "
                             "variable and name it with `url_env` instead")
        return value


class Tracking(Strict):
    """MLflow tracking: the workspace SQLite store by default, or a server URI."""

    uri: str | None = None
    required: bool = True
    ui_url: str | None = Field("http://127.0.0.1:5000", description="where people open MLflow's UI (`aios mlflow`'s "
                               "address): the runs screens link each run there; empty: no links")


class Service(Strict):
    """The standalone service (`aios serve`)."""

    host: str = "127.0.0.1"
    port: int = Field(8765, ge=1, le=65535)
    token_env: str = "AIOS_TOKEN"
    max_write_mb: int = Field(4096, ge=1, description="the largest dataset one write (`wb.write`) may send")


class Query(Strict):
    """Limits of the governed query path."""

    max_rows: int = Field(1_000_000, ge=1, description="rows a query may return; more are cut off and flagged")
    timeout_seconds: float = Field(300, gt=0, description="a query running longer is stopped")
    threads: int = Field(2, ge=1, le=256, description="DuckDB worker threads of the governed engine")
    # 1GB: the service is shared by every user and job, and DuckDB otherwise keeps whatever it read in its
    # buffer pool up to the limit (a 10M-row drift held 2.8 GB at 4GB). Past it, queries spill to .aios/tmp.
    memory_limit: str = Field("1GB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
                              description="DuckDB memory limit of the governed engine (it spills to "
                              ".aios/tmp/duckdb past it), e.g. 4GB")


class Models(Strict):
    """The model registry's promotion gate."""

    allow_self_approval: bool = Field(False, description="may a version's author approve it")
    approver_roles: tuple[str, ...] | None = Field(None, description="roles allowed to approve; "
                                                   "default any policy user other than the author")


class Lineage(Strict):
    """OpenLineage events: always written to <state>/lineage.jsonl; also posted to `url` when set."""

    url: str | None = None
    timeout_seconds: float = Field(5, gt=0)
    api_key_secret: str | None = Field(None, description="name of the secret sent as a Bearer token")


class Jobs(Strict):
    """Promotion and scheduling of notebooks as jobs."""

    require_approval: bool = Field(False, description="every promotion waits for a second user's approval")
    approver_roles: tuple[str, ...] | None = Field(None, description="roles allowed to approve; None: anyone")
    service_identities: tuple[str, ...] = Field((), description="identities a promoter may run a job as, "
                                                "besides themselves (each needs its own grants)")
    validation_timeout_seconds: float = Field(600, gt=0, description="limit of the validation run at promotion")


class SchedulerSettings(Strict):
    """`aios scheduler`: how often it looks for due runs and how much it runs at once."""

    poll_seconds: float = Field(0.5, gt=0, le=60)
    max_concurrent_runs: int = Field(4, ge=1, le=1000, description="runs at once across all jobs")
    pool_size: int = Field(2, ge=1, le=256, description="worker processes of the local executor")
    warm_workers: bool = Field(True, description="fork the local executor's workers from a parent that has "
                               "imported their libraries once (Linux), instead of starting each from cold")
    lease_seconds: float = Field(30, ge=2, description="a run whose scheduler stops renewing its lease "
                                 "this long is treated as crashed")
    dask_address: str | None = Field(None, description="tcp://host:port of a Dask scheduler for executor 'dask'")


class Smtp(Strict):
    host: str
    port: int = Field(25, ge=1, le=65535)
    sender: str
    username: str | None = None
    password_secret: str | None = Field(None, description="name of the secret holding the SMTP password")
    starttls: bool = False


class NotificationSettings(Strict):
    """How job notifications leave the workbench (webhook targets and addresses are set per job)."""

    smtp: Smtp | None = None
    timeout_seconds: float = Field(10, gt=0)


class WriterSettings(Strict):
    """An optional writer that rephrases drafted actions (`wb.propose(..., rephrase=True)`): any endpoint
    speaking OpenAI's chat-completions API. It receives the draft's template only, with placeholders where
    governed values go (see approvals/writer.py); every call is audited."""

    url: str = Field(description="the endpoint's base URL, to which /chat/completions is added, "
                     "e.g. http://127.0.0.1:8000/v1")
    model: str = Field(min_length=1, max_length=200, description="the model the endpoint should use")
    api_key_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                                    description="environment variable holding the endpoint's API key, if it needs one")
    timeout_seconds: float = Field(20, gt=0, le=300, description="a writer answering later is not waited for: "
                                   "the template's wording stands")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"the writer's URL must start with http:// or https:// and name a host, e.g. "
                             f"http://127.0.0.1:8000/v1 (got {value[:80]!r})")
        if re.search(r"://[^/@]+@", value):
            raise ValueError("the writer's URL holds credentials; put the API key in an environment variable "
                             "and name it with `api_key_env` instead")
        return value.rstrip("/")


class ActionSettings(Strict):
    """Proposed actions (`wb.propose`): how long one waits for a decision and what it may reach."""

    expire_after_hours: float = Field(72, gt=0, le=24 * 366, description="a proposal nobody decided on within "
                                      "this many hours expires and can no longer be approved")
    allow_self_approval: bool = Field(True, description="may an approver approve an action they proposed "
                                      "themselves (a draft of their own); false: a second person must")
    webhook_hosts: tuple[str, ...] = Field((), description="hosts a proposed webhook may call (host or host:port); "
                                           "none listed: webhook actions are refused")
    writer: WriterSettings | None = Field(None, description="an OpenAI-compatible endpoint that may rephrase "
                                          "drafted actions; none (the default): drafts keep their template's wording")


class AppSettings(Strict):
    """Decision apps (`aios apps`): kernels kept warm for their runs and how long a page is reused."""

    warm_kernels: int = Field(2, ge=0, le=64, description="kernels started ahead of need (each serves one run); "
                              "0 starts one per run (slower, less memory)")
    cache_seconds: float = Field(600, ge=0, description="how long a viewer's page for the same values and data is "
                                 "reused; 0: every run executes")
    cell_timeout_seconds: float = Field(120, gt=0, description="a cell of an app running longer is stopped")


class Dashboard(Strict):
    """`aios dashboard`: the Panel dashboard for business analysts."""

    address: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(5006, ge=1, le=65535)
    title: str = Field("AI OS dashboard", min_length=1, max_length=80, description="shown in the header")


class AuditSettings(Strict):
    """The audit log's signed checkpoints: its head anchored outside the state folder (see audit/witness.py)."""

    witness: str | None = Field(None, description="file of signed checkpoints, outside the state folder and "
                                "writable by the service's account alone (its key is kept beside it); default "
                                "$AIOS_WITNESS_DIR, else ~/.local/state/aios/witness/<workspace>-<id>.jsonl")
    checkpoint_every: int = Field(1000, ge=1, le=1_000_000, description="sign a checkpoint every this many records")
    checkpoint_seconds: float = Field(300, gt=0, description="and, on the next record, once this many seconds "
                                      "passed since the last checkpoint")


class HubSettings(Strict):
    """Team mode: `aios serve` as an external JupyterHub service. Besides its own tokens it accepts hub tokens
    carrying the scope `access:services!service=<service_name>`, and the hub user is the policy user of the
    same name (or the one `users` maps them to); a hub user who is no policy user is refused."""

    api_url: str | None = Field(None, description="the hub's REST API, e.g. http://127.0.0.1:8081/hub/api; "
                                "default $JUPYTERHUB_API_URL")
    service_name: str = Field("aios", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                              description="the name of the service entry in the hub's c.JupyterHub.services")
    api_token_env: str = Field("JUPYTERHUB_API_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                               description="the environment variable holding the service's own hub API token "
                               "(the api_token of its services entry)")
    users: dict[str, str] = Field({}, description="hub user name -> policy user, where they differ")
    groups: dict[str, tuple[str, ...]] = Field(
        {}, description="hub group -> roles of governance/policy.yaml: a hub user who is no policy user (and not "
        "in `users`) acts under their own name with the roles of their groups, as long as the hub lists them in "
        "one (no attributes, so row filters that need one refuse them)")
    cache_seconds: float = Field(60, ge=0, le=3600, description="how long the hub's answer about a token is "
                                 "reused: a token revoked at the hub works at most this much longer")

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            check_hub_api_url(value)
        return value

    @field_validator("users")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for hub_name, policy_user in value.items():
            if not hub_name.strip() or not str(policy_user).strip():
                raise ValueError("each entry maps a hub user name to a policy user name, e.g. `ana.lopez: ana`")
        return value

    @field_validator("groups")
    @classmethod
    def _roles(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for group, roles in value.items():
            if not group.strip() or not roles or not all(str(role).strip() for role in roles):
                raise ValueError("each entry maps a hub group to a list of policy roles, e.g. `analysts: [analyst]`")
        return value


def check_hub_api_url(value: str) -> None:
    """ValueError unless `value` is an http(s) URL with a host (the hub's REST API)."""
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"the hub's API URL must start with http:// or https:// and name a host, e.g. "
                         f"http://127.0.0.1:8081/hub/api (got {value[:80]!r})")


class WorkspaceConfig(Strict):
    """Everything in `aios.yaml`."""

    name: str = "workspace"
    paths: Paths = Paths()
    metadata_store: MetadataStoreSettings = MetadataStoreSettings()
    tracking: Tracking = Tracking()
    service: Service = Service()
    query: Query = Query()
    models: Models = Models()
    lineage: Lineage = Lineage()
    jobs: Jobs = Jobs()
    scheduler: SchedulerSettings = SchedulerSettings()
    notifications: NotificationSettings = NotificationSettings()
    actions: ActionSettings = ActionSettings()
    apps: AppSettings = AppSettings()
    dashboard: Dashboard = Dashboard()
    audit: AuditSettings = AuditSettings()
    hub: HubSettings | None = Field(None, description="team mode: identities from JupyterHub (see HubSettings)")

    @model_validator(mode="before")
    @classmethod
    def _bare_hub_key_means_defaults(cls, data: Any) -> Any:
        # `hub:` written alone is YAML null: the administrator asked for team mode with every default
        if isinstance(data, dict) and "hub" in data and data["hub"] is None:
            data = {**data, "hub": {}}
        return data

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError("a workspace name starts with a letter and holds only letters, digits, '_', '-', '.'")
        return value
