"""An app's form, generated from its notebook's parameters cell (the promoted version's parameter schema).

Each parameter becomes a field by its type: numbers (with a range), text, dates, yes/no, lists, and choices.
Ranges and choices come from the parameter's comment, a convention a notebook author writes once:

    share: float = 0.2          # Share of volume to move (0..1)
    region = "Southeast Asia"   # Region hit by the disruption. choices: SELECT DISTINCT region FROM suppliers
    carrier = "Nordline"        # choices: Nordline | Alpen Express | Rhine Cargo
    since = "2026-01-01"        # First day of the history (a date: YYYY-MM-DD)

A `choices:` query runs through the governed path as the viewer, so a viewer is offered only values they may
read. Values are checked against the field (type, range, choices) before any kernel starts.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from aios_workbench.jobs.parameters import InvalidParameters, validate

RANGE = re.compile(r"\(?\s*(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)\s*\)?")
CHOICES = re.compile(r"choices:\s*(.+)$", re.IGNORECASE | re.DOTALL)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_CHOICES = 500
FIELD_TYPES = {"int": "integer", "float": "number", "str": "text", "bool": "boolean", "list": "list",
               "dict": "json", "any": "json"}


def fields(schema: dict, choices_of=None) -> list[dict[str, Any]]:
    """The form's fields of a parameter schema; `choices_of(sql)` runs a `choices:` query as the viewer (its
    first column's values), or leaves such fields as text when None."""
    out = []
    for entry in schema.get("parameters", []):
        help_text = entry.get("help") or ""
        field: dict[str, Any] = {"name": entry["name"], "type": FIELD_TYPES.get(entry["type"], "json"),
                                 "value_type": entry["type"],
                                 "default": entry.get("default"), "nullable": bool(entry.get("nullable")),
                                 "label": entry["name"].replace("_", " ").capitalize()}
        found = CHOICES.search(help_text)
        if found:
            help_text = help_text[:found.start()].strip()
            spec = found.group(1).strip()
            if re.match(r"(select|with)\b", spec, re.IGNORECASE):
                # the query itself is the author's, not shown: it may name data a viewer may not read
                if choices_of is not None:
                    field["choices"] = [v for v in choices_of(spec)[:MAX_CHOICES] if v is not None]
            else:
                field["choices"] = [_typed(c.strip(), entry["type"])
                                    for c in re.split(r"\s*\|\s*|\s*,\s*", spec) if c.strip()]
            if "choices" in field:
                field["type"] = "choice"
        ranged = RANGE.search(help_text) if field["type"] in ("integer", "number") else None
        if ranged:
            field["minimum"], field["maximum"] = float(ranged.group(1)), float(ranged.group(2))
            help_text = (help_text[:ranged.start()] + help_text[ranged.end():]).strip()
        if field["type"] == "text" and isinstance(field["default"], str) and ISO_DATE.match(field["default"]):
            field["type"] = "date"
        field["help"] = help_text.rstrip(" .;,") + ("." if help_text.strip() else "")
        out.append(field)
    return out


def _typed(text: str, kind: str):
    """A choice written in a comment as the parameter's type (`1 | 2 | 5` for an int)."""
    try:
        return int(text) if kind == "int" else float(text) if kind == "float" else text
    except ValueError:
        return text


def checked(schema: dict, form: list[dict[str, Any]], values: dict[str, Any] | None, *,
            from_text: bool = False) -> dict[str, Any]:
    """`values` checked against the schema's types and the form's ranges, choices and dates; every problem
    named in one InvalidParameters error. `from_text`: the values are command-line strings, converted first."""
    out = validate(schema, values or {}, coerce_strings=from_text)
    problems = []
    for field in form:
        name = field["name"]
        if name not in out or out[name] is None:
            continue
        value = out[name]
        if "minimum" in field and not field["minimum"] <= value <= field["maximum"]:
            problems.append({"parameter": name, "expected": f"{field['minimum']:g}..{field['maximum']:g}",
                             "value": str(value), "message": f"{name} must be between {field['minimum']:g} and "
                                                             f"{field['maximum']:g}, got {value}"})
        if "choices" in field and value not in field["choices"]:
            shown = ", ".join(map(str, field["choices"][:10])) + (" ..." if len(field["choices"]) > 10 else "")
            problems.append({"parameter": name, "expected": "one of the choices", "value": str(value),
                             "message": f"{name} must be one of {shown}; got {value!r}"})
        if field["type"] == "date":
            try:
                date.fromisoformat(value)
            except (TypeError, ValueError):
                problems.append({"parameter": name, "expected": "a date", "value": str(value),
                                 "message": f"{name} must be a date written YYYY-MM-DD, got {value!r}"})
    if problems:
        raise InvalidParameters(problems, fix="pick values the form offers")
    return out

