"""One registry shape for every plugin family; one mapping from errors to statuses and exit codes."""

from __future__ import annotations

import logging

import pytest

from aios_workbench.core import errors
from aios_workbench.core.registry import Registry, notifiers


def test_unknown_plugin_lists_the_known_ones():
    family = Registry("widgets")
    family.register("alpha", object())
    family.register("beta", object())

    with pytest.raises(errors.PluginNotFound) as info:
        family.get("gamma")
    assert "known: alpha, beta" in info.value.message
    assert "aios_workbench.widgets" in info.value.fix


def test_register_works_as_a_decorator_and_refuses_a_second_plugin_of_the_same_name():
    family = Registry("checks-test")

    @family.register("not_null")
    class NotNull:
        pass

    assert family.get("not_null") is NotNull
    with pytest.raises(errors.WorkbenchError, match="both named 'not_null'"):
        family.register("not_null", object())


def test_entry_point_plugins_load_like_built_ins(caplog):
    notifier = notifiers.get("log")()

    with caplog.at_level(logging.WARNING, logger="aios_workbench.alerts"):
        notifier.notify("job nightly failed", "exit 1")
    assert "job nightly failed: exit 1" in caplog.text


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.UsageError("x"), 400, 64),
        (errors.ConfigError("x"), 422, 78),
        (errors.WorkspaceNotFound("x"), 404, 66),
        (errors.PluginNotFound("x"), 404, 66),
        (errors.AuthenticationRequired("x"), 401, 77),
        (errors.PermissionDenied("x"), 403, 77),
        (errors.StoreError("x"), 503, 69),
        (errors.ConnectorError("x"), 502, 69),
        (errors.WorkbenchError("x"), 500, 1),
    ],
)
def test_each_error_maps_to_one_http_status_and_one_exit_code(error, status, code):
    assert (errors.http_status(error), errors.exit_code(error)) == (status, code)


def test_error_body_carries_message_fix_and_input():
    error = errors.ConfigError("bad port", fix="use a number", input="aios.yaml")

    assert error.to_dict() == {"error": "invalid_config", "message": "bad port", "fix": "use a number",
                               "input": "aios.yaml"}
    assert str(error) == "bad port\n  fix: use a number"


def test_log_lines_never_carry_credentials():
    from aios_workbench.core.logs import redact

    line = redact("connect postgresql://etl:hunter2@db:5432/x?password=hunter3&token=abc")

    assert "hunter2" not in line and "hunter3" not in line and "token=abc" not in line


def test_a_client_rebuilds_the_servers_error_class_from_its_code_or_status():
    from aios_workbench.core.errors import NotFound, PermissionDenied, WorkbenchError, error_class
    from aios_workbench.query.rewrite import QueryDenied

    assert error_class("query_denied", 403) is QueryDenied                 # a class whose constructor wants a rule
    rebuilt = error_class("query_denied", 403).received("denied", fix="ask", input="t")
    assert isinstance(rebuilt, PermissionDenied) and (rebuilt.message, rebuilt.fix) == ("denied", "ask")
    assert error_class("something_newer", 404) is NotFound                 # unknown code: the status decides
    assert error_class("something_newer", 418) is WorkbenchError
