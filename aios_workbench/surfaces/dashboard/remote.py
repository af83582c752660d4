"""`RemoteDashboardData`: the dashboard's data facade in team mode, over a workbench service's REST API.

Same methods as `DashboardData`; each calls `dashboard/VIEW` on the service with the logged-in
user's own token (`aios tokens add USER` on the service), so the service applies that user's
grants, masks and row filters, exactly as for a local dashboard. The dashboard process holds no
workspace, no policy and no data-source credential.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from aios_workbench.kernel.client import ServiceClient
from aios_workbench.service.dashboard.views import may_open_output


@dataclass
class RemotePreviewPage:
    """A preview page as the service sent it (values JSON lacks arrive as text)."""

    dataset: str
    columns: list[dict]
    rows: list[dict]
    next_cursor: str | None
    row_count: int | None
    row_count_source: str | None = None
    order_by: str | None = None
    descending: bool = False

    @property
    def table(self):
        """The rows as Arrow, a column per name; a column whose JSON values do not share one type
        (a float column with "nan", a map's pairs) becomes text."""
        import pyarrow as pa

        def column(values: list):
            try:
                return pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return pa.array([None if v is None else str(v) for v in values], pa.string())

        names = [c["name"] for c in self.columns]
        if not self.rows:
            return pa.table({n: pa.array([], pa.string()) for n in names})
        return pa.table({n: column([row.get(n) for row in self.rows]) for n in names})


class RemoteDashboardData:
    """What `user` may see through a workbench service, calling it with that user's token."""

    TIMEOUT = 60.0   # seconds per call: ranking every MLflow run can take several

    def __init__(self, client: ServiceClient, me: dict):
        self.client = client
        self.user = me["user"]
        self.roles = list(me["roles"])
        self.is_auditor = bool(me["is_auditor"])

    @classmethod
    def connect(cls, url: str, token: str, *, login: bool = False, timeout: float = TIMEOUT,
                act_as: str | None = None) -> RemoteDashboardData:
        """Ask the service who `token` is (recording a dashboard login when `login`); raises
        AuthenticationRequired for a wrong or revoked token, ConnectorError when unreachable.
        `act_as`: with a delegate token, the user it acts for (PermissionDenied unless a policy user)."""
        from urllib.parse import quote

        from aios_workbench.service.tokens import ACT_AS

        headers = {ACT_AS: quote(act_as, safe="")} if act_as else None   # headers carry Latin-1 only
        client = ServiceClient(url, token, timeout=timeout, headers=headers)
        me = _result(client.post("dashboard/login", {}) if login else client.get("dashboard/whoami"))
        return cls(client, me)

    # -- transport -----------------------------------------------------------------------------
    def _endpoint(self, view: str, args: dict) -> str:
        query = {k: ("1" if v else "0") if isinstance(v, bool) else v for k, v in args.items() if v is not None}
        return f"dashboard/{view}" + (f"?{urlencode(query)}" if query else "")

    def _get(self, view: str, **args):
        return _result(self.client.get(self._endpoint(view, args)))

    def _raw(self, view: str, **args) -> tuple[str, bytes, dict]:
        return self.client.fetch(self._endpoint(view, args))

    def _post(self, view: str, **args):
        return _result(self.client.post(f"dashboard/{view}", args))

    # -- catalog -------------------------------------------------------------------------------
    def datasets(self) -> list[dict]:
        return self._get("datasets")

    def catalog_size(self) -> int:
        return self._get("catalog_size")

    def search(self, text: str, *, limit: int = 50) -> list[dict]:
        return self._get("search", text=text, limit=limit)

    def explain(self, dataset: str) -> dict:
        return self._get("explain", dataset=dataset)

    def preview(self, dataset: str, *, limit: int = 50, after: str | None = None, order_by: str | None = None,
                descending: bool = False) -> RemotePreviewPage:
        page = self._get("preview", dataset=dataset, limit=limit, after=after, order_by=order_by,
                         descending=descending)
        fields = RemotePreviewPage.__dataclass_fields__
        return RemotePreviewPage(**{k: v for k, v in page.items() if k in fields})

    def profile(self, dataset: str) -> dict:
        return self._get("profile", dataset=dataset)

    def lineage(self, dataset: str, depth: int = 3) -> dict:
        return self._get("lineage", dataset=dataset, depth=depth)

    def csv(self, dataset: str) -> tuple[bytes, bool]:
        _, content, headers = self._raw("csv", dataset=dataset)
        return content, headers.get("X-AIOS-Truncated") == "1"

    # -- checks --------------------------------------------------------------------------------
    def check_history(self, *, dataset=None, name=None, kind=None, limit: int = 200, before_id=None) -> list[dict]:
        return self._get("check_history", dataset=dataset, name=name, kind=kind, limit=limit, before_id=before_id)

    def check_run(self, run_id: int) -> dict:
        return self._get("check_run", run_id=run_id)

    def check_figures(self) -> dict:
        return self._get("check_figures")

    # -- audit ---------------------------------------------------------------------------------
    def audit(self, *, since=None, until=None, **filters) -> list[dict]:
        moments = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in (("since", since), ("until", until))}
        return self._get("audit", **filters, **moments)

    def verify_audit_chain(self) -> dict:
        return self._post("verify_audit_chain")

    # -- experiments and models ----------------------------------------------------------------
    def runs(self, *, metric=None, descending: bool = True, limit: int = 50, page_token=None, experiment=None) -> dict:
        return self._get("runs", metric=metric, descending=descending, limit=limit, page_token=page_token,
                         experiment=experiment)

    def model_versions(self) -> list[dict]:
        return self._get("model_versions")

    # -- jobs ----------------------------------------------------------------------------------
    def jobs(self) -> list[dict]:
        return self._get("jobs")

    def job_runs(self, *, job=None, limit: int = 200, before_id=None) -> list[dict]:
        return self._get("job_runs", job=job, limit=limit, before_id=before_id)

    def job_health(self) -> list[dict]:
        return self._get("job_health")

    def upcoming(self) -> list[dict]:
        return self._get("upcoming")

    def job_output(self, run_id: int) -> tuple[str, bytes]:
        kind, content, _ = self._raw("job_output", run_id=run_id)
        return kind.split(";")[0], content

    def may_open_output(self, run: dict) -> bool:
        """Whether to offer the link; the service decides again when it is followed."""
        return may_open_output(self.user, self.is_auditor, run)

    # -- alerts --------------------------------------------------------------------------------
    def alerts_available(self) -> bool:
        return self._get("alerts_available")

    def alerts(self, *, state=None, limit: int = 50, before_id=None) -> list[dict]:
        return self._get("alerts", state=state, limit=limit, before_id=before_id)

    def alert_counts(self) -> dict:
        return self._get("alert_counts")

    def alert_trend(self) -> list[dict]:
        return self._get("alert_trend")

    def acknowledge(self, alert_id: int) -> dict:
        return self._post("acknowledge", alert_id=alert_id)


def _result(body):
    if not isinstance(body, dict) or "result" not in body:
        from aios_workbench.core.errors import ConnectorError

        raise ConnectorError(f"the service answered something other than a dashboard view: {json.dumps(body)[:200]}",
                             fix="point --service-url at `aios serve` of the same aios-workbench version")
    return body["result"]
