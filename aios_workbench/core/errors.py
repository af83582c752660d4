"""One error hierarchy for the whole workbench.

Every error carries the offending input and the fix, so the CLI, the REST API
and the notebook can all show a message a user can act on. `HTTP_STATUS` and
`EXIT_CODE` below are the only place errors are mapped to HTTP statuses and
process exit codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class WorkbenchError(Exception):
    """Base of every error the workbench raises on purpose."""

    code = "workbench_error"
    rule: str | None = None  # the governance rule that refused, when one did (a query path's denial)

    def __init__(self, message: str, *, fix: str | None = None, input: Any = None):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.input = input

    def __str__(self) -> str:
        return self.message if not self.fix else f"{self.message}\n  fix: {self.fix}"

    @classmethod
    def received(cls, message: str, *, fix: str | None = None, input: Any = None) -> WorkbenchError:
        """This class's error as a service sent it: built with the base constructor, whatever arguments
        this class's own takes (`QueryDenied` wants a rule, which the body may lack)."""
        error = cls.__new__(cls)
        WorkbenchError.__init__(error, message, fix=fix, input=input)
        return error

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of an error response (never contains credentials)."""
        body: dict[str, Any] = {"error": self.code, "message": self.message, "fix": self.fix}
        if self.input is not None:
            body["input"] = str(self.input)
        return body


class UsageError(WorkbenchError):
    """A bad argument or parameter given by the caller."""

    code = "bad_input"


class ConfigError(WorkbenchError):
    """A workspace config or governance file is missing, malformed or invalid."""

    code = "invalid_config"


class WorkspaceNotFound(WorkbenchError):
    """No workspace could be located from the flags, environment or folder."""

    code = "workspace_not_found"


class NotFound(WorkbenchError):
    """A named thing (dataset, job, connector, route) does not exist."""

    code = "not_found"


class PluginNotFound(NotFound):
    """An unknown plugin name was asked of a registry."""

    code = "unknown_plugin"


class AuthenticationRequired(WorkbenchError):
    """The request carries no valid credentials."""

    code = "authentication_required"


class PermissionDenied(WorkbenchError):
    """The caller is authenticated but not allowed to do this."""

    code = "permission_denied"


class UnknownPolicyUser(PermissionDenied):
    """The acting user is no user of the workspace's policy, so it may do nothing (deny by default). Its
    `input` is that user's name; surfaces that chose the name (the CLI, local mode) say how to choose another."""


class StoreError(WorkbenchError):
    """The metadata store cannot be reached, migrated or written."""

    code = "store_unavailable"


class ConnectorError(WorkbenchError):
    """A data source cannot be reached or answered with an error."""

    code = "connector_error"


class AuditIntegrityError(WorkbenchError):
    """The audit log's hash chain is broken: a record was edited, deleted, inserted or cut off."""

    code = "audit_tampered"


class PromotionGatesFailed(WorkbenchError):
    """A notebook promotion was refused: at least one gate failed (the report lists every verdict)."""

    code = "promotion_refused"


class Conflict(WorkbenchError):
    """The thing acted on changed state meanwhile (an action already approved, rejected or expired)."""

    code = "conflict"


# The one mapping from error class to HTTP status and CLI exit code. Exit codes
# follow sysexits(3) where one fits, so scripts can tell the cases apart.
HTTP_STATUS: dict[type[WorkbenchError], int] = {
    UsageError: 400,
    ConfigError: 422,
    WorkspaceNotFound: 404,
    NotFound: 404,
    AuthenticationRequired: 401,
    PermissionDenied: 403,
    StoreError: 503,
    ConnectorError: 502,
    AuditIntegrityError: 409,
    PromotionGatesFailed: 422,
    Conflict: 409,
    WorkbenchError: 500,
}

EXIT_CODE: dict[type[WorkbenchError], int] = {
    UsageError: 64,  # EX_USAGE
    WorkspaceNotFound: 66,  # EX_NOINPUT
    NotFound: 66,
    ConnectorError: 69,  # EX_UNAVAILABLE
    StoreError: 69,
    PermissionDenied: 77,  # EX_NOPERM
    AuthenticationRequired: 77,
    ConfigError: 78,  # EX_CONFIG
    AuditIntegrityError: 65,  # EX_DATAERR
    PromotionGatesFailed: 65,
    Conflict: 75,  # EX_TEMPFAIL: look again and decide on the current state
    WorkbenchError: 1,
}


def _lookup(table: dict[type[WorkbenchError], int], error: WorkbenchError) -> int:
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return table[WorkbenchError]


def http_status(error: WorkbenchError) -> int:
    """The HTTP status a REST handler answers with for this error."""
    return _lookup(HTTP_STATUS, error)


def exit_code(error: WorkbenchError) -> int:
    """The process exit code the CLI ends with for this error."""
    return _lookup(EXIT_CODE, error)


def error_class(code: str, status: int) -> type[WorkbenchError]:
    """The error class a service's JSON `error` code stands for, so a client raises what the server raised:
    the class with that code if this process knows it, else the class of that HTTP status."""
    def subclasses(cls: type[WorkbenchError]) -> Iterator[type[WorkbenchError]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    known = next((cls for cls in subclasses(WorkbenchError) if cls.code == code), None)
    by_status = {400: UsageError, 401: AuthenticationRequired, 403: PermissionDenied, 404: NotFound, 409: Conflict,
                 502: ConnectorError, 503: StoreError}
    return known or by_status.get(status, WorkbenchError)
