"""`RemoteDashboardData`: the dashboard's data facade in team mode, over a workbench service's REST API.

Same methods as `DashboardData`, derived from the one list of views (`schemas.dashboard.VIEWS`, which
`GET/POST dashboard/VIEW` serves); each calls `dashboard/VIEW` on the service with the logged-in
user's own token (`aios tokens add USER` on the service), so the service applies that user's
grants, masks and row filters, exactly as for a local dashboard. The dashboard process holds no
workspace, no policy and no data-source credential.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from aios_workbench.core.errors import ConnectorError
from aios_workbench.kernel.client import ServiceClient
from aios_workbench.schemas.base import parse
from aios_workbench.schemas.dashboard import VIEWS, View
from aios_workbench.service.dashboard.views import may_open_output
from aios_workbench.service.tokens import ACT_AS


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
    applied: str = ""   # what governance did to the page for this user, in words (the service's)

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


        headers = {ACT_AS: quote(act_as, safe="")} if act_as else None   # headers carry Latin-1 only
        client = ServiceClient(url, token, timeout=timeout, headers=headers)
        me = _result(client.post("dashboard/login", {}) if login else client.get("dashboard/whoami"))
        return cls(client, me)

    # -- transport -----------------------------------------------------------------------------
    def _endpoint(self, view: str, args: dict) -> str:
        query = {k: ("1" if v else "0") if isinstance(v, bool) else v for k, v in args.items() if v is not None}
        return f"dashboard/{view}" + (f"?{urlencode(query)}" if query else "")

    def _arguments(self, view: View, args: tuple, kwargs: dict) -> dict:
        """The call's arguments as the view's model reads them (positional ones in the model's order),
        checked here first so a mistake is named before a request is sent."""
        names = list(view.arguments.model_fields)
        if len(args) > len(names):
            raise TypeError(f"{view.name}() takes at most {len(names)} positional arguments")
        given = {**dict(zip(names, args, strict=False)), **kwargs}
        checked = parse(view.arguments, given, where=f"dashboard/{view.name}")
        return checked.model_dump(mode="json", exclude_unset=True)

    def _call(self, view: View, *args, **kwargs):
        """Ask the service for `view` (GET or POST, as the view list says) and answer its result."""
        arguments = self._arguments(view, args, kwargs)
        if view.verb == "post":
            return _result(self.client.post(f"dashboard/{view.name}", arguments))
        return _result(self.client.get(self._endpoint(view.name, arguments)))

    def _raw(self, view: str, *args, **kwargs) -> tuple[str, bytes, dict]:
        return self.client.fetch(self._endpoint(view, self._arguments(VIEWS[view], args, kwargs)))

    # -- views that answer more than JSON data -------------------------------------------------
    def preview(self, dataset: str, *, limit: int = 50, after: str | None = None, order_by: str | None = None,
                descending: bool = False) -> RemotePreviewPage:
        page = self._call(VIEWS["preview"], dataset=dataset, limit=limit, after=after, order_by=order_by,
                          descending=descending)
        fields = RemotePreviewPage.__dataclass_fields__
        return RemotePreviewPage(**{k: v for k, v in page.items() if k in fields})

    def csv(self, dataset: str) -> tuple[bytes, bool]:
        _, content, headers = self._raw("csv", dataset=dataset)
        return content, headers.get("X-AIOS-Truncated") == "1"

    def job_output(self, run_id: int) -> tuple[str, bytes]:
        kind, content, _ = self._raw("job_output", run_id=run_id)
        return kind.split(";")[0], content

    def may_open_output(self, run: dict) -> bool:
        """Whether to offer the link; the service decides again when it is followed."""
        return may_open_output(self.user, self.is_auditor, run)


def _view_method(view: View):
    def call(self, *args, **kwargs):
        return self._call(view, *args, **kwargs)

    arguments = ", ".join(view.arguments.model_fields) or "no arguments"
    call.__name__ = call.__qualname__ = view.name
    call.__doc__ = f"`{view.verb.upper()} dashboard/{view.name}` ({arguments}): `DashboardData.{view.name}` " \
                   "as the logged-in user, on the service."
    return call


# Every other view is a method of the same name, derived from the one view list (`schemas.dashboard.VIEWS`);
# `login` is what `connect(login=True)` calls.
for _view in VIEWS.values():
    if _view.name != "login" and _view.name not in vars(RemoteDashboardData):
        setattr(RemoteDashboardData, _view.name, _view_method(_view))


def _result(body):
    if not isinstance(body, dict) or "result" not in body:
        raise ConnectorError(f"the service answered something other than a dashboard view: {json.dumps(body)[:200]}",
                             fix="point --service-url at `aios serve` of the same aios-workbench version")
    return body["result"]
