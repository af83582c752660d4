"""How a route keeps its contract: its request body is validated by the model it declares, and (under
`AIOS_VALIDATE_RESPONSES=1`, which the test run sets) every JSON answer is validated by its response model.

A route class declares, per verb, `request_model` (a `schemas.base.Body`, or `Raw` for a body that is not
JSON), `query_model` (a `schemas.base.Query`, documenting the query string) and `response_model` (a model,
`Raw`, or `{status: model}` when the answer's shape depends on the status). Error answers are
`ErrorBody` unless a status says otherwise. Production answers are not validated: nothing is slowed.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from aios_workbench.core.errors import UsageError
from aios_workbench.schemas.base import Body, Raw, parse
from aios_workbench.schemas.errors import ErrorBody

VALIDATE_ENV = "AIOS_VALIDATE_RESPONSES"
VERBS = ("get", "post", "put", "patch", "delete")


def validating() -> bool:
    """Whether answers are checked against their models (the test run; never in production by default)."""
    return os.environ.get(VALIDATE_ENV) == "1"


def is_model(declared: Any) -> bool:
    return isinstance(declared, type) and issubclass(declared, BaseModel)


def verbs(route: type) -> list[str]:
    """The HTTP verbs a route class implements."""
    return [verb for verb in VERBS if callable(getattr(route, verb, None))]


def answer_model(declared: Any, status: int) -> Any:
    """The model an answer with `status` must match: the declared one (or the one declared for that
    status), `ErrorBody` for a refusal, None when nothing is declared for a success."""
    model = declared.get(status) if isinstance(declared, dict) else declared if status < 400 else None
    return ErrorBody if model is None and status >= 400 else model


def read_json_body(raw: bytes | None, model: type[Body] | None, *, where: str) -> dict:
    """The request's JSON object, validated by `model` when one is declared: the fields the caller sent,
    as the model read them (a 400 naming the first bad key otherwise)."""
    example = model.example if model is not None else '{"sql": "SELECT ..."}'
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise UsageError("the request body is not JSON", fix=f"send {example}") from None
    if not isinstance(data, dict):
        raise UsageError("the request body must be a JSON object", fix=f"send {example}")
    if model is None:
        return data
    return parse(model, data, where=where).model_dump(exclude_unset=True)


def resolved_path(path: str, arguments: tuple) -> str:
    """A route's path with its `{name}` segments filled in from the request (`dashboard/acknowledge`)."""
    values = iter(arguments)
    return re.sub(r"\{[a-z_]+\}", lambda match: str(next(values, match.group(0))), path)


def answer_problem(declared: Any, status: int, text: str, *, where: str) -> str | None:
    """Why the JSON answer `text` breaks the contract, or None when it keeps it."""
    model = answer_model(declared, status)
    if model is None:
        return f"{where} declares no response model for status {status}"
    if isinstance(model, Raw):
        return f"{where} answered JSON with status {status} but declares {', '.join(model.media_types)}"
    try:
        (model.model_validate_json(text) if is_model(model) else TypeAdapter(model).validate_json(text))
    except ValidationError as exc:
        return f"the {status} answer of {where} does not match {getattr(model, '__name__', model)}: {exc}"
    return None


def query_problem(model: Any, query: dict[str, str], *, where: str) -> str | None:
    """Why query parameters a handler accepted are refused by the route's declared query model, if they are."""
    if model is None:
        return None
    try:
        model.model_validate(query)
    except ValidationError as exc:
        return f"{where} accepted query parameters its {model.__name__} refuses: {exc}"
    return None


def violation(problem: str) -> str:
    """The 500 answer's body for a broken contract (only ever sent under `AIOS_VALIDATE_RESPONSES=1`)."""
    return json.dumps(ErrorBody(error="contract_violation", message=problem,
                                fix="update the route's model in aios_workbench/schemas (and regenerate "
                                    "openapi.yaml), or the code that builds the answer").model_dump())
