"""Team mode's identities: a JupyterHub token resolved to a policy user by asking the hub.

`aios serve` with `hub:` in aios.yaml is an external JupyterHub service. A caller sends a token the hub
issued (a user's API token, or the token the hub gave their single-user server); the service asks the hub
whose it is (`HubAuth.user_for_token`, the hub's `GET /hub/api/user` with that token), requires the scope
`access:services!service=<service_name>` on it, and takes the hub user for the policy user of the same name,
or the one `hub.users` maps them to. Nothing the caller sends besides the token decides who they are.

The hub's answer about a token is kept `hub.cache_seconds` (a token revoked at the hub works at most that much
longer); a hub that cannot be reached is a `ConnectorError` (502), never a pass.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aios_workbench.core.errors import AuthenticationRequired, ConfigError, ConnectorError, PermissionDenied
from aios_workbench.policy.model import User
from aios_workbench.workspace.config import CONFIG_FILE, HubSettings, check_hub_api_url

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService

log = logging.getLogger(__name__)
NAME_LIMIT = 64          # audit user names are at most this long
CACHE_LIMIT = 10_000     # tokens remembered at once: random tokens sent in a loop must not grow it without end
ACTION = "hub_login"


def service_scope(settings: HubSettings) -> str:
    """The scope a hub token needs to reach this service."""
    return f"access:services!service={settings.service_name}"


def hub_api_url(settings: HubSettings) -> str:
    """`hub.api_url`, else $JUPYTERHUB_API_URL (ConfigError when neither is set or it is no http(s) URL)."""
    url = settings.api_url or os.environ.get("JUPYTERHUB_API_URL", "")
    if not url:
        raise ConfigError(f"{CONFIG_FILE}: `hub:` is set but the hub's API URL is not known",
                          fix="set hub.api_url in aios.yaml (e.g. http://127.0.0.1:8081/hub/api) or export "
                              "JUPYTERHUB_API_URL", input="hub.api_url")
    try:
        check_hub_api_url(url)
    except ValueError as exc:
        raise ConfigError(f"$JUPYTERHUB_API_URL: {exc}", fix="export JUPYTERHUB_API_URL=http://HOST:PORT/hub/api "
                          "or set hub.api_url in aios.yaml", input="JUPYTERHUB_API_URL") from None
    return url.rstrip("/")


def _hub_unreachable() -> ConnectorError:
    return ConnectorError("JupyterHub, which vouches for this token, cannot be reached or did not answer",
                          fix="try again in a moment; if it persists, the administrator checks that the hub "
                              "is running and that hub.api_url in aios.yaml points at its API", input="hub")


def hub_api_token(settings: HubSettings) -> str:
    """The service's own hub API token, from the variable `hub.api_token_env` names."""
    token = os.environ.get(settings.api_token_env, "").strip()
    if not token:
        raise ConfigError(f"{CONFIG_FILE}: `hub:` is set but ${settings.api_token_env} (the service's hub API "
                          "token) is empty", fix=f"export {settings.api_token_env} with the api_token of the "
                          f"{settings.service_name!r} entry of c.JupyterHub.services", input=settings.api_token_env)
    return token


class HubIdentities:
    """Who a hub token stands for, as a policy user of the service's workspace."""

    def __init__(self, service: WorkbenchService, settings: HubSettings):
        # lazy: JupyterHub's client (0.7 s of imports): only a service in team mode loads it
        from jupyterhub.services.auth import HubAuth, check_scopes

        self.service = service
        self.settings = settings
        self.scope = service_scope(settings)
        self.api_url = hub_api_url(settings)
        # the hub asks each token itself who it is; ours is checked at start (`check_service_token`)
        self._auth = HubAuth(api_url=self.api_url, api_token=hub_api_token(settings),
                             access_scopes={self.scope}, cache_max_age=1)
        self._check_scopes = check_scopes
        known = set(service.queries.policy.declared().roles)
        unknown = sorted({role for roles in settings.groups.values() for role in roles} - known)
        if unknown:
            raise ConfigError(f"{CONFIG_FILE}: hub.groups names roles governance/policy.yaml does not declare: "
                              f"{', '.join(unknown)}", fix=f"declare them under `roles:` of the policy, or map the "
                              f"groups to roles it has ({', '.join(sorted(known)) or 'none yet'})", input="hub.groups")
        self._cache: OrderedDict[str, tuple[float, dict[str, Any] | None]] = OrderedDict()

    # -- asking the hub ----------------------------------------------------------------------------------------
    async def _ask(self, token: str, *, fresh: bool = False) -> tuple[dict[str, Any] | None, bool]:
        """The hub's model of `token`'s owner (None: the hub does not know the token), and whether it was
        asked now (False: from the cache)."""
        key = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now and not fresh:
            return cached[1], False
        from tornado.web import HTTPError  # lazy: what HubAuth raises; loaded with it in team mode only

        try:
            model = await self._auth.user_for_token(token, use_cache=False, sync=False)
        except HTTPError as exc:
            log.warning("JupyterHub at %s did not resolve a token: %s", self.api_url, exc.log_message or exc)
            raise _hub_unreachable() from None
        if model is not None and self.settings.groups and model.get("kind") == "user" and "groups" not in model:
            model = {**model, "groups": await self._groups_of(str(model.get("name") or ""))}
        if self.settings.cache_seconds > 0:
            self._cache[key] = (now + self.settings.cache_seconds, model)
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_LIMIT:
                self._cache.popitem(last=False)
        return model, True

    async def _groups_of(self, hub_name: str) -> list[str]:
        """The hub groups of `hub_name`, asked with the service's own token (its role needs read:users:groups;
        a user's token usually may not read them)."""
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError  # lazy: team mode only

        url = f"{self.api_url}/users/{urllib.parse.quote(hub_name, safe='')}"
        try:
            answer = await AsyncHTTPClient().fetch(url, headers={"Authorization": f"token {self._auth.api_token}"},
                                                   request_timeout=10)
        except HTTPClientError as exc:
            if exc.code == 403:
                raise ConfigError("hub.groups is set, but the hub does not let this service read its users' groups",
                                  fix="give the service's role the scope read:users:groups in the hub's "
                                      "c.JupyterHub.load_roles (deploy/jupyterhub_config.py does)",
                                  input="hub.groups") from None
            log.warning("JupyterHub at %s did not answer the groups of %r: %s", self.api_url, hub_name, exc)
            raise _hub_unreachable() from None
        except OSError as exc:
            log.warning("JupyterHub at %s cannot be reached: %s", self.api_url, exc)
            raise _hub_unreachable() from None
        groups = json.loads(answer.body or b"{}").get("groups") or []
        return [str(group) for group in groups]

    async def check_service_token(self) -> str:
        """Ask the hub who the service's own token is; ConfigError when it is not this service's, ConnectorError
        when the hub cannot be reached. The service's name as the hub knows it."""
        model, _ = await self._ask(self._auth.api_token, fresh=True)
        if model is None or model.get("kind") != "service" or model.get("name") != self.settings.service_name:
            who = "nobody" if model is None else f"{model.get('kind')} {model.get('name')!r}"
            raise ConfigError(f"${self.settings.api_token_env} is not the hub API token of service "
                              f"{self.settings.service_name!r} (the hub says it is {who}'s)",
                              fix=f"export {self.settings.api_token_env} with the api_token of the "
                                  f"{self.settings.service_name!r} entry of c.JupyterHub.services, or set "
                                  "hub.service_name to the entry's name", input=self.settings.api_token_env)
        return str(model["name"])

    # -- the policy user ---------------------------------------------------------------------------------------
    async def user_for(self, token: str) -> str:
        """The policy user `token` acts as. AuthenticationRequired: the hub does not know the token;
        PermissionDenied: it lacks the service's scope, or its hub user is no policy user (audited)."""
        model, asked = await self._ask(token)
        if model is None:
            raise AuthenticationRequired(
                "the token sent is not valid here (mistyped, revoked, expired, or another service's)",
                fix="send a current JupyterHub token of yours (your server's $JUPYTERHUB_API_TOKEN, or one made "
                    "at the hub's /hub/token page with access to this service)")
        hub_name = str(model.get("name") or "")
        if model.get("kind") != "user" or not hub_name:
            raise PermissionDenied(f"this hub token belongs to {model.get('kind') or 'something'} "
                                   f"{hub_name!r}, not a user: only people's tokens reach the workbench",
                                   fix="send a hub user's token")
        if not self._check_scopes({self.scope}, set(model.get("scopes") or ())):
            raise PermissionDenied(
                f"hub user {hub_name!r}'s token does not grant access to this service (scope {self.scope})",
                fix=f"make a token with the scope {self.scope} (the hub's /hub/token page), or ask the "
                    "administrator to give your role that scope", input=self.scope)
        policy_user = self._policy_user(hub_name, model.get("groups") or ())
        if policy_user is None:
            refusal = PermissionDenied(
                f"hub user {hub_name!r} is not a user of this workbench",
                fix=f"the administrator adds `{hub_name}:` with its roles under `users:` of governance/policy.yaml, "
                    f"maps it to a policy user under `hub.users`, or adds it at the hub to a group `hub.groups` "
                    f"of aios.yaml gives roles", input=hub_name)
            if asked:   # audited once per token and cache period, so a client retrying cannot flood the log
                await self._audit_refusal(hub_name, refusal.message)
            raise refusal
        return policy_user

    def _policy_user(self, hub_name: str, groups: Iterable[str] = ()) -> str | None:
        """The policy user hub user `hub_name` is: mapped in `hub.users`, else the policy user of the same name,
        else (`hub.groups`) a user of that name with the roles of their hub groups, vouched for in the policy
        while the hub lists them in such a group. None: nobody (and never, by name or group alone, a job
        identity, which only an explicit mapping may reach)."""
        holder = self.service.queries.policy
        mapped = self.settings.users.get(hub_name)
        if mapped is not None:
            return mapped if mapped in holder.current().users else None
        if hub_name in self.service.workspace.config.jobs.service_identities:
            return None
        if hub_name in holder.declared().users:
            return hub_name
        roles = sorted({role for group in groups for role in self.settings.groups.get(str(group), ())})
        holder.vouch(hub_name, User(roles=tuple(roles)) if roles else None)
        return hub_name if roles else None

    async def _audit_refusal(self, hub_name: str, reason: str) -> None:
        # the append writes the metadata store: off the event loop
        await asyncio.to_thread(self.service.audit.append, user=hub_name[:NAME_LIMIT], surface="api",
                                action=ACTION, target=self.settings.service_name, allowed=False,
                                detail={"reason": reason, "hub_user": hub_name[:200]})
