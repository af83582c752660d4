"""What every contract model shares: the request and response bases, the no-`true` integer, the marker
for bodies that are not JSON, and `parse`, which turns pydantic's complaints into the workbench's 400s.

Request models refuse unknown keys (a misspelt key is an error, not silently ignored); response models
refuse them too, so a field added to an answer without its model fails the contract test.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from aios_workbench.core.errors import UsageError
from aios_workbench.core.models import Strict


class Body(Strict):
    """A request body or a set of arguments: unknown keys refused, immutable once validated.

    The class variables word the refusals: `{names}` (the unknown keys), `{quoted}` (them, quoted),
    `{known}` (the keys it takes) and `{where}` (the request, e.g. "POST sql")."""

    unknown_message: ClassVar[str] = "unknown field {names}"
    unknown_fix: ClassVar[str] = "send only {known}"
    example: ClassVar[str] = "a JSON object"


def _no_defaults(schema: dict[str, Any]) -> None:
    # An answer's optional key is absent when it does not apply; the service never fills in a "default".
    for field in schema.get("properties", {}).values():
        field.pop("default", None)


class Reply(BaseModel):
    """A JSON answer: every field the service sends is declared, so an undeclared one is a contract break."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_defaults)


class Query(BaseModel):
    """Query parameters of a GET: documented and checked against what a handler accepted. Other parameters
    (a server's own, such as Jupyter's `token`) are ignored, not refused."""

    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True)
class Raw:
    """A body that is not JSON (an Arrow stream, a notebook, HTML): its media types and what it holds."""

    media_types: tuple[str, ...]
    description: str


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):   # JSON true is not the number 1
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Integer = Annotated[int, BeforeValidator(_no_bool)]
"""An integer that refuses booleans (pydantic's lax mode would read `true` as 1)."""

Id = Annotated[int, BeforeValidator(_no_bool), annotated_types.Ge(1), annotated_types.Le(2**62)]
"""A positive whole number naming a stored row (a run, an alert, a ledger entry)."""

NonEmpty = Annotated[str, annotated_types.MinLen(1)]
"""Text that must not be empty: an empty value is refused as missing."""

Moment = str
"""An ISO 8601 time with its zone, e.g. 2026-03-01T06:00:00+00:00."""

CheckStatus = Literal["pass", "warn", "fail", "error"]
Severity = Literal["warn", "fail"]


# -- turning pydantic's errors into the workbench's 400s ---------------------------------------------

def parse(model: type[Body], data: Any, *, where: str) -> Body:
    """`data` validated as `model`, or a `UsageError` naming the first bad key, its value and the fix, in
    the same words the hand-written checks used ("missing name", "limit must be from 1 to 500, got 0")."""
    if not isinstance(data, dict):
        raise UsageError("the request body must be a JSON object", fix=f"send {model.example}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise refusal(model, exc, where=where) from None


def refusal(model: type[BaseModel], exc: ValidationError, *, where: str) -> UsageError:
    """The one `UsageError` that says what is wrong with a request `model` refused."""
    errors = exc.errors(include_url=False)
    known = ", ".join(model.model_fields) or "none"
    unknown = [str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden"]
    if unknown:
        words = {"names": ", ".join(unknown), "quoted": ", ".join(map(repr, unknown)), "known": known,
                 "where": where}
        return UsageError(getattr(model, "unknown_message", Body.unknown_message).format(**words),
                          fix=getattr(model, "unknown_fix", Body.unknown_fix).format(**words), input=unknown[0])
    missing = [_name(e, model) for e in errors if e["type"] == "missing" or (e["type"] == "string_too_short"
                                                                      and e.get("input") == "")]
    if missing:
        names = ", ".join(missing)
        fix = f"pass {names} as query parameters" if where.startswith(("GET", "DELETE")) else \
            f"send {names} in the JSON body"
        return UsageError(f"missing {names}", fix=fix, input=names)
    first = errors[0]
    name, value = _name(first, model), first.get("input")
    if first["type"].startswith(("greater_than", "less_than")):
        value = _number(value)
    return UsageError(f"{name} must be {_expected(model, first)}, got {value!r}", input=str(value)[:200],
                      fix=_fix(model, first))


def _number(value: Any) -> Any:
    """A query string's number as the number it is ("0" -> 0), so the message quotes it as one."""
    try:
        return int(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _name(error: ErrorDetails, model: type[BaseModel] | None = None) -> str:
    """The key an error is about, e.g. `retries` or `notifications.emails` (list positions and the union
    member pydantic tried left out)."""
    parts = list(error["loc"])
    field = model.model_fields.get(str(parts[0])) if model is not None and parts else None
    members = [a for a in get_args(field.annotation) if a is not type(None)] if field is not None and \
        get_origin(field.annotation) in (Union, UnionType) else []
    if len(members) > 1 and len(parts) > 1:   # `X | None` is no union to pydantic; `int | dict` is
        del parts[1]   # e.g. "function-before[_no_bool(), int]": which member refused it
    return ".".join(str(part) for part in parts if not isinstance(part, int)) or "the body"


def _field(model: type[BaseModel], error: ErrorDetails):
    fields = model.model_fields
    return fields.get(str(error["loc"][0])) if error["loc"] else None


def _constraints(annotation) -> list:
    """The constraints inside an annotation, also of an optional one (`Annotated[int, Ge(1)] | None`)."""
    if get_origin(annotation) is Annotated:   # a Field(...) inside holds its own constraints
        return [part for item in annotation.__metadata__ for part in getattr(item, "metadata", [item])]
    return [item for arg in get_args(annotation) for item in _constraints(arg)]


def _bounds(field) -> tuple[Any, Any]:
    low: Any = None
    high: Any = None
    for item in [*getattr(field, "metadata", ()), *_constraints(getattr(field, "annotation", None))]:
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Gt):
            low = item.gt + 1 if isinstance(item.gt, int) else item.gt
        elif isinstance(item, annotated_types.Le):
            high = item.le
        elif isinstance(item, annotated_types.Lt):
            high = item.lt
    return low, high


def _choices(annotation) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(a) for a in get_args(annotation)]
    return [c for arg in get_args(annotation) for c in _choices(arg)]


def _expected(model: type[BaseModel], error: ErrorDetails) -> str:
    """What the value should have been, in words."""
    kind, field = error["type"], _field(model, error)
    low, high = _bounds(field) if field is not None else (None, None)
    if kind.startswith(("int_", "greater_than", "less_than")):
        if kind.startswith(("greater_than", "less_than")) and low is not None and high is not None:
            return f"from {low} to {high}"
        if low == 1 and high is None:
            return "a positive integer"
        return "an integer"
    if kind.startswith("float_"):
        return "a number"
    if kind.startswith("bool_"):
        return "true or false"
    if kind == "literal_error":
        choices = _choices(field.annotation) if field is not None else []
        return " or ".join(choices) if choices else "one of " + error.get("ctx", {}).get("expected", "")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "a JSON object"
    if kind in ("list_type", "tuple_type", "set_type"):
        return "a list"
    if kind.startswith("string_"):
        return "a non-empty string" if kind == "string_too_short" else "a string"
    return error["msg"][0].lower() + error["msg"][1:]


def _fix(model: type[BaseModel], error: ErrorDetails) -> str:
    name, field = _name(error, model), _field(model, error)
    low, _ = _bounds(field) if field is not None else (None, None)
    if error["type"] == "literal_error" and field is not None and _choices(field.annotation):
        return "send " + " or ".join(_choices(field.annotation))
    if error["type"] in ("dict_type", "model_type"):
        return f'send e.g. {{"{name}": {{...}}}}'
    if field is not None and field.examples:
        return f"pass e.g. {field.examples[0]}"
    if low is not None:
        return f"e.g. {name}={low}"
    return f"see the {model.__name__} schema in openapi.yaml"
