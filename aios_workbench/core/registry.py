"""One registry shape for every plugin family.

Connectors, checks, executors, notifiers and action kinds are each a `Registry`. Built-ins
register themselves with `register(name, obj)` exactly as third-party plugins do
through the entry-point group ``aios_workbench.<family>``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar, overload

from aios_workbench.core.errors import PluginNotFound, WorkbenchError

T = TypeVar("T")
log = logging.getLogger(__name__)


class Registry(Generic[T]):
    """Named plugins of one family, loaded from built-ins and entry points."""

    def __init__(self, family: str):
        self.family = family
        self.entry_point_group = f"aios_workbench.{family}"
        self._plugins: dict[str, T] = {}
        self._entry_points_loaded = False

    @overload
    def register(self, name: str, obj: T) -> T: ...
    @overload
    def register(self, name: str, obj: None = None) -> Callable[[T], T]: ...

    def register(self, name: str, obj: T | None = None) -> T | Callable[[T], T]:
        """Register `obj` under `name`; without `obj`, return a decorator."""
        if obj is None:
            def decorator(target: T) -> T:
                self.register(name, target)
                return target
            return decorator
        if name in self._plugins and self._plugins[name] is not obj:
            raise WorkbenchError(
                f"two {self.family} plugins are both named {name!r}",
                fix="rename one of them or uninstall the package that provides the other",
                input=name,
            )
        self._plugins[name] = obj
        return obj

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            if ep.name in self._plugins:
                continue
            try:
                self._plugins[ep.name] = ep.load()
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the workbench
                log.warning("could not load %s plugin %r from %s: %s", self.family, ep.name, ep.value, exc)

    def get(self, name: str) -> T:
        """The plugin called `name`; an unknown name lists the known ones."""
        self._load_entry_points()
        try:
            return self._plugins[name]
        except KeyError:
            known = ", ".join(sorted(self._plugins)) or "none"
            raise PluginNotFound(
                f"unknown {self.family} plugin {name!r}; known: {known}",
                fix=f"use one of the known names, or install a package that registers {name!r} "
                f"in the entry-point group {self.entry_point_group!r}",
                input=name,
            ) from None

    def names(self) -> list[str]:
        """The names of every plugin of this family, built-in and installed, sorted."""
        self._load_entry_points()
        return sorted(self._plugins)

    def __contains__(self, name: object) -> bool:
        self._load_entry_points()
        return name in self._plugins


# Any: the plugin types (connector classes, check functions, executor classes, notifiers) live in the
# layers above, which core may not import; each family's module states its own protocol.
connectors: Registry[Any] = Registry("connectors")
checks: Registry[Any] = Registry("checks")
executors: Registry[Any] = Registry("executors")
notifiers: Registry[Any] = Registry("notifiers")
actions: Registry[Any] = Registry("actions")   # kinds of proposed actions (actions/kinds.py)
