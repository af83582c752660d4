"""The policy in force: reloaded when its file changes; a broken edit keeps the previous one."""

from __future__ import annotations

import logging
import threading

from aios_workbench.core.errors import ConfigError
from aios_workbench.policy.model import POLICY_FILE, PolicyFile, load_policy

log = logging.getLogger(__name__)


class PolicyHolder:
    """Holds the workspace's policy file and reloads it when it changes."""

    def __init__(self, ws):
        self.folder = ws.governance_dir
        self._lock = threading.Lock()
        self._policy = load_policy(self.folder)
        self._stamp = self._file_stamp()
        self.last_error: ConfigError | None = None

    def _file_stamp(self) -> tuple[int, int] | None:
        path = self.folder / POLICY_FILE
        try:
            stat = path.stat()
            return (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            return None

    def current(self) -> PolicyFile:
        """The policy in force, reloading the file if it changed since the last look."""
        with self._lock:
            stamp = self._file_stamp()
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._policy = load_policy(self.folder)
                    self.last_error = None
                except ConfigError as exc:
                    self.last_error = exc
                    log.error("policy change rejected, the previous policy stays in force: %s", exc)
            return self._policy
