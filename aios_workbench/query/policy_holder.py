"""The policy in force: reloaded when its file changes; a broken edit keeps the previous one.

Besides the users of the file, an identity provider may vouch for users the file does not name (team mode: a
hub user in a hub group that `hub.groups` maps to roles). They live here, beside the file, so every reader of
the policy sees the same users; a user of the file always wins over a vouched one of the same name."""

from __future__ import annotations

import logging
import os
import threading

from aios_workbench.core.errors import ConfigError
from aios_workbench.policy.model import POLICY_FILE, PolicyFile, User, load_policy

log = logging.getLogger(__name__)


class PolicyHolder:
    """Holds the workspace's policy file and reloads it when it changes."""

    def __init__(self, ws):
        self.folder = ws.governance_dir
        self._path = str(self.folder / POLICY_FILE)   # looked at on every query: os.stat of a str, no pathlib
        self._lock = threading.Lock()
        self._policy = load_policy(self.folder)
        self._stamp = self._file_stamp()
        self.last_error: ConfigError | None = None
        self._vouched: dict[str, User] = {}
        self._merged: tuple[PolicyFile, PolicyFile] | None = None   # (the file's policy, with the vouched users)

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self._path)
            return (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            return None

    def current(self) -> PolicyFile:
        """The policy in force (with the vouched users), reloading the file if it changed since the last look."""
        with self._lock:
            self._reload_if_changed()
            if not self._vouched:
                return self._policy
            if self._merged is None or self._merged[0] is not self._policy:   # one object per state: caches key on it
                users = {**self._vouched, **self._policy.users}
                self._merged = (self._policy, self._policy.model_copy(update={"users": users}))
            return self._merged[1]

    def declared(self) -> PolicyFile:
        """The policy file's own content, without vouched users."""
        with self._lock:
            self._reload_if_changed()
            return self._policy

    def vouch(self, name: str, user: User | None) -> None:
        """An identity provider vouches for `name` as `user` (None: no longer)."""
        with self._lock:
            if self._vouched.get(name) == user:
                return
            if user is None:
                del self._vouched[name]
            else:
                self._vouched[name] = user
            self._merged = None

    def _reload_if_changed(self) -> None:
        stamp = self._file_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._policy = load_policy(self.folder)
                self.last_error = None
            except ConfigError as exc:
                self.last_error = exc
                log.error("policy change rejected, the previous policy stays in force: %s", exc)
