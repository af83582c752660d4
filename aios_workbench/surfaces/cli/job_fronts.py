"""What `aios jobs|runs|alerts` talk to: the workspace's service in this process, or a running one over REST.

Each command is written once against these verbs; `jobs_front` picks the side. In-process (`LocalJobs`) the
commands act as `$AIOS_USER` on the local workspace, no security boundary; over REST (`RemoteJobs`: `--url`,
`$AIOS_SERVICE_URL` in a team deployment's terminals) the service decides who is asking from the token and
applies the same rules it applies to the sidebar (errors and paths of runs only for those who may control the
job). Both answer the same shapes: the REST routes return what the service's methods return.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from aios_workbench.surfaces.cli.data_commands import local_user, remote

RETRY_WAIT = 5.0   # seconds to wait for the scheduler to queue a failed run's retry (it does within a tick or two)


class LocalJobs:
    """The local workspace's service, as $AIOS_USER (the job commands' rule: creator, identity or auditor)."""

    def __init__(self, service):
        self.service, self.user = service, local_user()

    def jobs(self) -> list[dict]:
        return self.service.jobs.list(self.user)

    def show(self, name: str) -> dict:
        return self.service.jobs.show(self.user, name)

    def run_now(self, name: str, parameters: dict[str, str]) -> dict:
        return self.service.jobs.run_now(self.user, name, surface="cli", parameters=parameters, from_text=True)

    def run(self, run_id: int) -> dict:
        return self.service.jobs.run(self.user, run_id)

    def retry_of(self, run: dict) -> int | None:
        return self.service.jobs.retry_of(run, wait=RETRY_WAIT)

    def cancel(self, run_id: int) -> dict:
        return self.service.jobs.cancel(self.user, run_id, surface="cli")

    def pause(self, name: str) -> dict:
        return self.service.jobs.pause(self.user, name, surface="cli")

    def resume(self, name: str) -> dict:
        return self.service.jobs.resume(self.user, name, surface="cli")

    def delete(self, name: str) -> dict:
        return self.service.jobs.delete(self.user, name, surface="cli")

    def history(self, name: str, *, limit: int, before_id: int | None) -> list[dict]:
        return self.service.jobs.run_history(name, limit=limit, before_id=before_id)

    def all_runs(self, **page: Any) -> dict:
        return self.service.jobs.all_runs(self.user, **page)

    def log(self, run_id: int, *, tail: int) -> dict:
        return self.service.jobs.log(self.user, run_id, tail=tail)

    def rerun(self, run_id: int) -> dict:
        return self.service.jobs.rerun(self.user, run_id, surface="cli")

    def output(self, run_id: int, fmt: str) -> str:
        """The path of the run's output notebook (`ipynb`) or HTML, here on this machine."""
        return str(self.service.jobs.output_path(self.user, run_id, fmt))

    def alerts(self, *, state: str | None, limit: int, before_id: int | None) -> dict:
        return self.service.alerts.page(self.user, state=state, limit=limit, before_id=before_id)

    def acknowledge(self, alert_id: int) -> dict:
        return self.service.alerts.acknowledge(self.user, alert_id, surface="cli")


class RemoteJobs:
    """A running service over its REST routes, as the token's user."""

    def __init__(self, client):
        self.client = client

    def _get(self, route: str, **arguments: Any) -> dict:
        present = {key: value for key, value in arguments.items() if value is not None}
        return self.client.get(f"{route}?{urlencode(present)}" if present else route)

    def jobs(self) -> list[dict]:
        return self.client.get("jobs")["jobs"]

    def show(self, name: str) -> dict:
        return self._get("jobs/job", name=name)

    def run_now(self, name: str, parameters: dict[str, str]) -> dict:
        return self.client.post("jobs/run", {"name": name, "parameters": parameters, "parameters_as_text": True})

    def run(self, run_id: int) -> dict:
        return self._get("jobs/runs/run", id=run_id)

    def retry_of(self, run: dict) -> int | None:
        """The run queued as `run`'s retry, once the scheduler queued it, when the job's policy has attempts
        left (the service's own `retry_of`, from the routes: the job's retry policy and its runs)."""
        if run["attempt"] > self.show(run["job"])["spec"]["retries"]["max"]:
            return None
        deadline = time.monotonic() + RETRY_WAIT
        while time.monotonic() < deadline:
            later = self._get("jobs/runs", job=run["job"], limit=20)["runs"]
            found = next((r["id"] for r in later if r["retry_of"] == run["id"]), None)
            if found:
                return found
            time.sleep(0.25)
        return None

    def cancel(self, run_id: int) -> dict:
        return self.client.post("jobs/runs/cancel", {"id": run_id})

    def pause(self, name: str) -> dict:
        return self.client.post("jobs/pause", {"name": name})

    def resume(self, name: str) -> dict:
        return self.client.post("jobs/resume", {"name": name})

    def delete(self, name: str) -> dict:
        return self.client.delete(f"jobs/job?{urlencode({'name': name})}")

    def history(self, name: str, *, limit: int, before_id: int | None) -> list[dict]:
        return self._get("jobs/history", name=name, limit=limit, before_id=before_id)["runs"]

    def all_runs(self, **page: Any) -> dict:
        return self._get("jobs/runs", **page)

    def log(self, run_id: int, *, tail: int) -> dict:
        return self._get("jobs/runs/log", id=run_id, tail=tail)

    def rerun(self, run_id: int) -> dict:
        return self.client.post("jobs/runs/rerun", {"id": run_id})

    def output(self, run_id: int, fmt: str) -> bytes:
        """The run's output notebook (`ipynb`) or HTML, downloaded: the service's files are not on this machine."""
        return self.client.fetch(f"jobs/runs/output?{urlencode({'id': run_id, 'format': fmt})}")[1]

    def alerts(self, *, state: str | None, limit: int, before_id: int | None) -> dict:
        return self._get("alerts", state=state, limit=limit, before_id=before_id)

    def acknowledge(self, alert_id: int) -> dict:
        return self.client.post("alerts/ack", {"id": alert_id})


@contextlib.contextmanager
def jobs_front(ctx, url: str | None, token: str | None) -> Iterator[LocalJobs | RemoteJobs]:
    """The service at `url` over REST, else the local workspace's in this process (closed afterwards)."""
    if url:
        yield RemoteJobs(remote(url, token))
        return
    from aios_workbench.surfaces.cli.promote_commands import local_workbench  # lazy: cycle through data_commands

    with local_workbench(ctx) as service:
        yield LocalJobs(service)


def new_lines(seen: list[str], latest: list[str]) -> list[str]:
    """The lines of `latest` (a log's last lines now) after those of `seen` (its last lines before): the
    longest end of `seen` that starts `latest` is the overlap; none means everything in `latest` is new."""
    for overlap in range(min(len(seen), len(latest)), 0, -1):
        if seen[-overlap:] == latest[:overlap]:
            return latest[overlap:]
    return latest
