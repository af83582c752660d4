"""Proposed actions over REST: propose, list, show, approve (with an edit) and reject.

Who sees and decides what is the service's rule (`service/actions.py`): an action is visible to its
proposer, to approvers of its kind and to auditors; values are governed per caller; approval executes it once.
"""

from __future__ import annotations

import asyncio

from tornado import web

from aios_workbench.schemas.actions import (
    Action,
    ActionIdQuery,
    ActionKinds,
    ActionPage,
    ActionsQuery,
    ApproveRequest,
    ProposeRequest,
    RejectRequest,
)
from aios_workbench.service.jobs import positive_id
from aios_workbench.surfaces.rest.catalog_routes import _int_arg
from aios_workbench.surfaces.rest.query_routes import _body
from aios_workbench.surfaces.rest.routes import RouteMixin


class ActionsRoute(RouteMixin):
    """GET actions?state=&limit=&before_id=: the actions the caller may see, newest first, with how many wait
    for their decision. POST actions {kind, payload, ...}: propose one (it waits for an approver)."""

    path = "actions"
    query_model = {"get": ActionsQuery}
    request_model = {"post": ProposeRequest}
    response_model = {"get": ActionPage, "post": Action}

    @web.authenticated
    async def get(self):
        state = self.get_query_argument("state", "") or None
        limit = _int_arg(self, "limit", 50, low=1, high=500)
        raw = self.get_query_argument("before_id", "")
        before_id = positive_id(raw, "page") if raw else None
        self.write_json(await asyncio.to_thread(self.service.actions.page, self.user_name, state=state, limit=limit,
                                                before_id=before_id))

    @web.authenticated
    async def post(self):
        body = _body(self)
        self.write_json(await asyncio.to_thread(
            self.service.actions.propose, self.user_name, kind=body["kind"], payload=body["payload"],
            title=body.get("title"), reason=body.get("reason", ""), evidence=body.get("evidence"),
            sources=body.get("sources"), expires_in_hours=body.get("expires_in_hours"), surface="api",
            via=body.get("via"), fill=body.get("fill"), rephrase=bool(body.get("rephrase", False))))


class ActionRoute(RouteMixin):
    """GET actions/action?id=: one action as the caller may see it (404 when they may not)."""

    path = "actions/action"
    query_model = {"get": ActionIdQuery}
    response_model = {"get": Action}

    @web.authenticated
    async def get(self):
        action_id = positive_id(self.get_query_argument("id", ""), "action")
        self.write_json(await asyncio.to_thread(self.service.actions.show, self.user_name, action_id))


class ApproveActionRoute(RouteMixin):
    """POST actions/approve {id, reason?, payload?}: approve a pending action (optionally edited) and execute
    it now, once; the answer carries its outcome (an approver of its kind who sees all of it)."""

    path = "actions/approve"
    in_job_runtime = False   # a person decides: never a job's or an app's kernel acting for them
    request_model = {"post": ApproveRequest}
    response_model = {"post": Action}

    @web.authenticated
    async def post(self):
        body = _body(self)
        self.write_json(await asyncio.to_thread(self.service.actions.approve, self.user_name, body["id"],
                                                payload=body.get("payload"), reason=body.get("reason"),
                                                surface="api"))


class RejectActionRoute(RouteMixin):
    """POST actions/reject {id, reason}: reject a pending action; nothing is executed."""

    path = "actions/reject"
    in_job_runtime = False   # see ApproveActionRoute
    request_model = {"post": RejectRequest}
    response_model = {"post": Action}

    @web.authenticated
    async def post(self):
        body = _body(self)
        self.write_json(await asyncio.to_thread(self.service.actions.reject, self.user_name, body["id"],
                                                reason=body["reason"], surface="api"))


class ActionKindsRoute(RouteMixin):
    """GET actions/kinds: the kinds of action that may be proposed."""

    path = "actions/kinds"
    response_model = {"get": ActionKinds}

    @web.authenticated
    async def get(self):
        self.write_json({"kinds": self.service.actions.kinds()})


ROUTES = [ActionsRoute, ActionRoute, ApproveActionRoute, RejectActionRoute, ActionKindsRoute]
