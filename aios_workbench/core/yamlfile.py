"""Load a YAML file into a pydantic model, with errors that name file and line.

Every config and governance file goes through `load_model`: a malformed or
invalid file raises `ConfigError` naming the file, the line, the key path, what
was expected and how to fix it. Loading never writes anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from aios_workbench.core.errors import ConfigError
from aios_workbench.core.logs import redact

M = TypeVar("M", bound=BaseModel)
KeyPath = tuple[str | int, ...]
"""Where a value sits in a YAML document: mapping keys and sequence indexes from the root."""
LineIndex = dict[KeyPath, int]
"""Each key path of a document mapped to its 1-based line."""


def _line_index(node: yaml.Node | None, path: KeyPath = (), index: LineIndex | None = None) -> LineIndex:
    """Map each key path in a composed YAML tree to its 1-based line."""
    index = {} if index is None else index
    if node is None:
        return index
    index.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            index[path + (key,)] = key_node.start_mark.line + 1
            _line_index(value_node, path + (key,), index)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, path + (i,), index)
    return index


_MERGE = "tag:yaml.org,2002:merge"  # `<<: *base`: may repeat, and keys written beside it override the merged ones


def _refuse_duplicate_keys(root: yaml.Node | None, path: Path) -> None:
    """Raise on the first key, in file order, that its mapping already holds.

    YAML loaders silently keep the last value, so a second `alice:` under `users:` would replace the
    first unnoticed. Keys compare as loaded (`on` and `true` are one key), so none slips through."""
    as_loaded = yaml.constructor.SafeConstructor()  # one per file: it caches every node it constructs
    seen: set[int] = set()

    def walk(node: yaml.Node, at: KeyPath) -> None:
        if id(node) in seen:  # an alias shares its anchor's node: check it once
            return
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, at + (i,))
        elif isinstance(node, yaml.MappingNode):
            first: dict[Any, yaml.Node] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                    key = as_loaded.construct_object(key_node)
                    if isinstance(key, bool) and key_node.value.lower() not in ("true", "false"):
                        raise _boolean_key(path, key_node, key)
                    if key in first:
                        raise _duplicate_key(path, at, first[key], key_node)
                    first[key] = key_node
                walk(value_node, at + (key_node.value,))

    if root is not None:
        walk(root, ())


def _boolean_key(path: Path, node: yaml.Node, key: bool) -> ConfigError:
    """`on:`, `yes:`, `off:`... are booleans to YAML 1.1, so no setting of that name is ever found."""
    return ConfigError(
        f"{path} line {node.start_mark.line + 1}: the key `{node.value}` is read by YAML as the boolean {key}",
        fix=f"quote it ('{node.value}':) if you mean the word; a grant names its datasets with `scope:`",
        input=str(path),
    )


def _duplicate_key(path: Path, at: KeyPath, first: yaml.Node, second: yaml.Node) -> ConfigError:
    where = f"under `{'.'.join(map(str, at))}`" if at else "at the top level"
    same = f" (read as the same key as `{first.value}`)" if first.value != second.value else ""
    line, first_line = second.start_mark.line + 1, first.start_mark.line + 1
    return ConfigError(
        f"{path} line {line}: duplicate key `{second.value}`{same} {where}: YAML would silently keep only the last",
        fix=f"remove one of the two `{second.value}:` entries (first at line {first_line}), or merge them into one",
        input=str(path),
    )


# libyaml's parser when PyYAML was built with it (the wheels are): 5-10x faster, the same marks and errors
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> tuple[Any, LineIndex]:
    """Parse `path`; return the data and a key-path -> line index."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found", fix=f"create {path.name} or run `aios init`", input=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})", fix="save the file as UTF-8", input=str(path)) from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{path}{where}: not valid YAML: {problem}",
            fix="fix the YAML syntax there (indentation, a missing ':' or an unclosed quote are the usual causes)",
            input=str(path),
        ) from None
    _refuse_duplicate_keys(node, path)
    return data, _line_index(node)


def _describe(error: dict[str, Any], lines: LineIndex, path: Path) -> tuple[str, int | None]:
    loc = tuple(error["loc"])
    line = None
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            line = lines[loc[:end]]
            break
    dotted = ".".join(str(p) for p in loc) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    got = error.get("input")
    if error["type"] not in ("missing", "extra_forbidden") and not isinstance(got, (dict, list)):
        message += f" (got {redact(repr(got))})"
    return f"key `{dotted}`: {message}", line


def load_model(path: Path, model: type[M], *, empty_ok: bool = True) -> tuple[M, LineIndex]:
    """Parse and validate `path` as `model`, or raise one precise `ConfigError`.

    Returns the model and the line index, so callers can validate parts of the
    file further (`validate_part`) with the same precise errors."""
    data, lines = read_yaml(path)
    if data is None and empty_ok:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} line 1: expected a mapping of keys to values, got {type(data).__name__}",
            fix="start the file with `key: value` lines",
            input=str(path),
        )
    return validate_part(data, model, path=path, lines=lines), lines


def validate_part(data: Any, model: type[M], *, path: Path, lines: LineIndex, at: KeyPath = ()) -> M:
    """Validate `data` (found at key path `at` of `path`) as `model`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: list[dict[str, Any]] = [dict(e, loc=at + tuple(e["loc"])) for e in exc.errors(include_url=False)]
        problems = [_describe(e, lines, path) for e in errors]
        text, line = problems[0]
        where = f" line {line}" if line else ""
        more = f" (and {len(problems) - 1} more problem(s): " + "; ".join(
            f"line {ln}: {t}" if ln else t for t, ln in problems[1:4]
        ) + ")" if len(problems) > 1 else ""
        if len(errors[0]["loc"]) <= len(at) + 1:
            scope = f"`{'.'.join(map(str, at))}`" if at else "top-level"
            hint = f"valid {scope} keys are: {', '.join(sorted(model.model_fields))}"
        else:
            hint = "see docs/workspace.md for the expected keys and types"
        raise ConfigError(
            f"{path}{where}: {text}{more}",
            fix=f"edit {path.name}{where}; {hint}",
            input=str(path),
        ) from None
