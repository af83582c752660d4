"""Typed job parameters: a schema derived from the notebook's `parameters` cell, and validation of
supplied values against it before any kernel starts.

Papermill's own inspection (`Translator.inspect`) reads `name = default  # help` and
`name: type = default`; Python's `ast` evaluates the literal defaults and picks up assignments the
regex skips (`x: int | None = 3`, `where = "a=b"`). A type comes from the annotation when there is
one, else from the default; `None` as default means "any". The schema is plain JSON so it can be
stored with the job version and checked again at every run.
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import re
from typing import Any

from aios_workbench.core.errors import UsageError

_ANNOTATION_TYPES = {
    "int": "int", "float": "float", "str": "str", "bool": "bool",
    "list": "list", "tuple": "list", "sequence": "list", "set": "any",
    "dict": "dict", "mapping": "dict",
    "any": "any", "object": "any",
}
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}
_NULL = {"none", "null"}


class InvalidParameters(UsageError):
    """Supplied parameter values that do not fit the notebook's parameters cell; `problems` lists each."""

    code = "invalid_parameters"

    def __init__(self, problems: list[dict], *, fix: str):
        message = "; ".join(p["message"] for p in problems)
        super().__init__(f"invalid parameters: {message}", fix=fix,
                         input=", ".join(p["parameter"] for p in problems))
        self.problems = problems


def derive_schema(notebook) -> dict:
    """The parameter schema of a loaded `jobs.notebook.Notebook` (raises when it has no parameters cell)."""
    from papermill.exceptions import PapermillException
    from papermill.translators import papermill_translators

    index, cell = notebook.parameters_cell()
    schema: dict[str, Any] = {"language": notebook.language, "kernel": notebook.kernel, "cell_index": index,
                              "inspected": True, "parameters": [], "problems": []}
    try:
        translator = papermill_translators.find_translator(notebook.kernel, notebook.language)
    except PapermillException:
        schema["problems"].append(f"Papermill has no translator for kernel {notebook.kernel!r} "
                                  f"(language {notebook.language!r}), so it cannot pass parameters to it")
        schema["inspected"] = False
        return schema
    try:
        with _quiet("papermill"):  # it logs lines it cannot parse; `ast` below reads those
            found = translator.inspect(cell)
    except NotImplementedError:
        # e.g. Bash or Julia: Papermill can inject values but cannot read the defaults back
        schema["inspected"] = False
        return schema
    parsed = _python_assignments(cell.source, schema["problems"]) if notebook.language == "python" else {}
    seen = set()
    for p in found:
        entry = _entry(p.name, p.inferred_type_name, p.default, p.help, parsed.get(p.name))
        schema["parameters"].append(entry)
        seen.add(p.name)
    for name, (annotation, source, _value_node) in parsed.items():
        if name not in seen:  # the regex skipped it (a union annotation, a second '=' in the value)
            schema["parameters"].append(_entry(name, annotation or "None", source, "", parsed[name]))
    for entry in schema["parameters"]:
        if entry["literal"] and entry["default"] is not None:
            try:
                _check(entry, entry["default"], coerce_strings=False)
            except ValueError as exc:
                schema["problems"].append(f"the default of {entry['name']} ({entry['default_source']}) "
                                          f"is not {exc}")
    return schema


@contextlib.contextmanager
def _quiet(logger_name: str):
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _python_assignments(source: str, problems: list[str]) -> dict[str, tuple[str | None, str, ast.AST]]:
    """Top-level `name = value` / `name: ann = value` of a Python cell: name -> (annotation, value source, node)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        problems.append(f"the parameters cell is not valid Python: {exc.msg} (line {exc.lineno})")
        return {}
    found: dict[str, tuple[str | None, str, ast.AST]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = (None, ast.get_source_segment(source, node.value) or "", node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            found[node.target.id] = (ast.get_source_segment(source, node.annotation),
                                     ast.get_source_segment(source, node.value) or "", node.value)
    return found


def _entry(name: str, annotation: str | None, default_source: str, help_text: str, parsed) -> dict:
    if parsed is not None:  # Python's parser is exact where the regex guesses
        annotation = parsed[0] or annotation
        default_source = parsed[1] or default_source
    annotation = None if annotation in (None, "None", "") else annotation.strip().strip("'\"")
    literal, default = True, None
    try:
        default = _jsonable(ast.literal_eval(default_source))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        literal = False  # an expression such as date.today(): the notebook computes it
    declared = _annotation_type(annotation) if annotation else None
    if declared:
        kind, nullable = declared
    elif literal:
        kind, nullable = _value_type(default), default is None
    else:
        kind, nullable = "any", True
    if literal and default is None:
        nullable = True
    return {"name": name, "type": kind, "nullable": nullable, "default": default if literal else None,
            "default_source": default_source, "literal": literal, "annotation": annotation,
            "help": help_text or ""}


def _jsonable(value):
    """`value` as JSON data (tuples become lists); ValueError when it has no JSON form."""
    if isinstance(value, tuple):
        value = list(value)
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        raise ValueError("not JSON") from None


def _annotation_type(text: str) -> tuple[str, bool] | None:
    """(type, nullable) for an annotation such as `int`, `list[str]`, `Optional[float]`, `str | None`."""
    parts = [p.strip() for p in text.split("|")]
    nullable = "None" in parts
    parts = [p for p in parts if p != "None"]
    if len(parts) != 1:
        return ("any", True) if parts else None
    core = parts[0]
    match = re.fullmatch(r"(?:typing\.)?(Optional)\[(.*)\]", core)
    if match:
        inner = _annotation_type(match.group(2))
        return (inner[0] if inner else "any"), True
    base = re.split(r"[\[.]", core.split("[")[0].split(".")[-1])[0].lower()
    return _ANNOTATION_TYPES.get(base, "any"), nullable


def _value_type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    for kind, cls in (("int", int), ("float", float), ("str", str), ("list", list), ("dict", dict)):
        if isinstance(value, cls):
            return kind
    return "any"


def validate(schema: dict, values: dict | None, *, coerce_strings: bool = False) -> dict:
    """The supplied `values`, checked (and, from the CLI, converted) against `schema`.

    Unknown names, wrong types and values without a JSON form are all reported in one
    `InvalidParameters` error. An int is accepted for a float; a bool is never an int.
    `coerce_strings`: values are `-p key=value` strings, converted by the declared type."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise UsageError(f"parameters must be a mapping of names to values, got {type(values).__name__}",
                         fix='send e.g. {"n": 5, "region": "EU"}', input=str(values)[:200])
    declared = {p["name"]: p for p in schema.get("parameters", [])}
    inspected = schema.get("inspected", True)
    problems, out = [], {}
    for name, value in values.items():
        entry = declared.get(name)
        if entry is None and inspected:
            known = ", ".join(sorted(declared)) or "none: the parameters cell assigns nothing"
            problems.append({"parameter": name, "expected": None, "value": _show(value),
                             "message": f"unknown parameter {name!r} (known: {known})"})
            continue
        entry = entry or {"name": name, "type": "any", "nullable": True}
        try:
            out[name] = _check(entry, value, coerce_strings=coerce_strings)
        except ValueError as exc:
            expected = f"{entry['type']}{' or None' if entry.get('nullable') else ''}"
            problems.append({"parameter": name, "expected": expected, "value": _show(value),
                             "message": f"{name} expects {exc}, got {_show(value)}"})
    if problems:
        raise InvalidParameters(problems, fix="pass values of the declared types (see the parameters cell); "
                                "from the CLI: -p n=5 -p flag=true -p items='[1, 2]'")
    return out


def _check(entry: dict, value, *, coerce_strings: bool):
    """The value as the declared type; ValueError("<type>") when it is not one."""
    kind, nullable = entry["type"], entry.get("nullable", False)
    expected = f"{kind}{' or None' if nullable else ''}"
    if coerce_strings and isinstance(value, str):
        if (nullable or kind == "any") and value.strip().lower() in _NULL:
            return None
        value = _from_text(kind, value, expected)
    if value is None:
        if nullable or kind == "any":
            return None
        raise ValueError(expected)
    if kind == "any":
        try:
            return _jsonable(value)
        except ValueError:
            raise ValueError("a JSON value (number, string, bool, list, dict)") from None
    if kind == "bool" and isinstance(value, bool):
        return value
    if isinstance(value, bool):
        raise ValueError(expected)  # True is an int to Python, never to a parameter
    if kind == "int" and isinstance(value, int):
        return value
    if kind == "float" and isinstance(value, (int, float)):
        return float(value)
    if kind == "str" and isinstance(value, str):
        return value
    if kind in ("list", "dict") and isinstance(value, (list, tuple) if kind == "list" else dict):
        try:
            return _jsonable(value)
        except ValueError:
            raise ValueError(f"a {kind} of JSON values") from None
    raise ValueError(expected)


def _from_text(kind: str, text: str, expected: str):
    """A `-p key=value` string converted to `kind` (ValueError naming the type when it does not convert)."""
    stripped = text.strip()
    if kind == "str":
        return text
    if kind == "int":
        if re.fullmatch(r"[+-]?\d+", stripped):
            return int(stripped)
        raise ValueError(expected)
    if kind == "float":
        try:
            return float(stripped)
        except ValueError:
            raise ValueError(expected) from None
    if kind == "bool":
        if stripped.lower() in _TRUE | _FALSE:
            return stripped.lower() in _TRUE
        raise ValueError(f"{expected} (true/false, yes/no, 1/0)")
    try:
        parsed = json.loads(stripped)
    except ValueError:
        if kind == "any":
            return text  # plain text for an untyped parameter
        raise ValueError(f"{expected} as JSON, e.g. " + ("'[1, 2]'" if kind == "list" else "'{\"a\": 1}'")) from None
    return parsed


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_assignments(pairs) -> dict[str, str]:
    """`-p key=value` options as a dict of strings (types are applied by `validate(coerce_strings=True)`)."""
    out: dict[str, str] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise UsageError(f"parameter {pair!r} is not key=value", input=pair,
                             fix="write -p NAME=VALUE, e.g. -p n=5 or -p regions='[\"EU\"]'")
        out[name] = value
    return out


def describe(schema: dict) -> list[str]:
    """One line per parameter, e.g. `n: int = 5  # rows to read`."""
    lines = []
    for p in schema.get("parameters", []):
        kind = p["type"] + (" | None" if p["nullable"] and p["type"] != "any" else "")
        default = " ".join(p["default_source"].split())
        lines.append(f"{p['name']}: {kind} = {default}" + (f"  # {p['help']}" if p["help"] else ""))
    return lines
