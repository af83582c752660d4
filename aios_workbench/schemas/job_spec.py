"""What a job is: the settings a promotion freezes next to the notebook snapshot.

Stored as JSON in `jobs.spec` and `job_versions.spec`. Every field has the default a user would
expect from a scheduler, so `aios promote notebooks/x.ipynb` alone gives a valid manual job.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_serializer, field_validator

from aios_workbench.schemas.schedule import Schedule, Spec

JOB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,127}$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
Outcome = Literal["failure", "success", "recovery"]
OUTCOMES = ("failure", "success", "recovery")


class Retries(Spec):
    """A failed or timed-out attempt is retried `max` times, waiting backoff * factor^(n-1) seconds."""

    max: int = Field(0, ge=0, le=20)
    backoff_seconds: float = Field(30, ge=0)
    backoff_factor: float = Field(2, ge=1)
    max_backoff_seconds: float = Field(3600, ge=0)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt + 1` (attempt counts from 1)."""
        return min(self.backoff_seconds * self.backoff_factor ** (attempt - 1), self.max_backoff_seconds)


class CatchUp(Spec):
    """Occurrences missed while no scheduler ran: skip them, run the latest once, or run each (up to max_runs)."""

    policy: Literal["skip", "once", "all"] = "once"
    max_runs: int = Field(10, ge=1, le=1000)


class Triggers(Spec):
    """Runs started by events instead of the clock: another job's success, a monitor's failure."""

    after_success: tuple[str, ...] = ()
    on_monitor_failure: tuple[str, ...] = ()


class Notifications(Spec):
    """Where a run's outcome goes: the alert feed always for failures; webhooks and e-mail when listed.

    `failure` is a run that failed, timed out or was cancelled (after its last retry), and also a run whose
    notebook succeeded while checks it recorded failed (verdict `checks_failed`): a failed data check fails
    the pipeline, as in Airflow or Dagster; the payload's `verdict` tells the two apart. `recovery` is the
    first clean run (notebook and checks passed) after either; `success` is every other clean run."""

    on: frozenset[Outcome] = Field(frozenset({"failure", "recovery"}), description=(
        "Which outcomes are sent: failure (a failed run, or a run whose checks failed), recovery, success."))

    @field_validator("on", mode="before")
    @classmethod
    def _known(cls, events: object) -> object:
        listed = [events] if isinstance(events, str) else events if isinstance(events, list | tuple | set | frozenset) \
            else []
        for event in listed:
            if event == "checks_failed":
                raise ValueError("`checks_failed` is not an event of its own: runs whose checks failed are sent as "
                                 "`failure` (write on: [failure])")
            if event not in OUTCOMES:
                raise ValueError(f"unknown notification event {event!r}: use failure, recovery or success")
        return events
    webhooks: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    @field_serializer("on")
    def _in_order(self, events: frozenset[Outcome]) -> list[Outcome]:
        return sorted(events)   # a set has no order; stored specs and the OpenAPI document need one

    @field_validator("webhooks")
    @classmethod
    def _http(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        for url in urls:
            if not re.match(r"^https?://", url):
                raise ValueError(f"webhook {url!r} must be an http:// or https:// URL")
        return urls

    @field_validator("emails")
    @classmethod
    def _mail(cls, addresses: tuple[str, ...]) -> tuple[str, ...]:
        for address in addresses:
            if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", address):
                raise ValueError(f"{address!r} is not an e-mail address")
        return addresses


class Retention(Spec):
    """Output notebooks and logs of old runs are deleted beyond the last N runs or N days (the run rows stay)."""

    keep_last: int | None = Field(50, ge=1)
    keep_days: float | None = Field(None, gt=0)


class JobSpec(Spec):
    """A job's settings as its promotion froze them, stored with each version."""

    name: str
    parameters: dict[str, Any] = {}
    schedule: Schedule = Schedule()
    timeout_seconds: float | None = Field(3600, gt=0, description="whole-notebook limit")
    cell_timeout_seconds: float | None = Field(None, gt=0, description="per-cell limit")
    retries: Retries = Retries()
    max_concurrent: int = Field(1, ge=1, le=100, description="runs of this job at once")
    catch_up: CatchUp = CatchUp()
    triggers: Triggers = Triggers()
    notifications: Notifications = Notifications()
    secrets: dict[str, str] = Field({}, description="kernel env var -> secret reference (resolved at run time)")
    retention: Retention = Retention()
    executor: str = "local"
    kernel: str = "python3"
    identity: str | None = Field(None, description="who the job runs as; default: the promoter")
    approver: str | None = Field(None, description="a second user who must approve the promotion")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not JOB_NAME.match(value):
            raise ValueError(f"job name {value!r} must start with a letter and use only letters, digits, "
                             "'_', '-' and '.' (at most 128)")
        return value

    @field_validator("secrets")
    @classmethod
    def _env_names(cls, secrets: dict[str, str]) -> dict[str, str]:
        for env in secrets:
            if not ENV_NAME.match(env):
                raise ValueError(f"secret target {env!r} must be an environment variable name like API_KEY")
        return secrets

    def to_json(self) -> dict:
        return self.model_dump(mode="json")
