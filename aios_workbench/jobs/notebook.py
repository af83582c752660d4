"""A notebook as promotion sees it: loaded with clear errors, its parameters cell, its required
checks, and a content digest that ignores outputs.

The digest is what makes snapshots content-addressed: re-running a notebook changes its outputs and
execution counts but not its digest; editing a cell does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aios_workbench.core.errors import NotFound, UsageError

if TYPE_CHECKING:  # nbformat is imported where a notebook is read (jsonschema behind it)
    from nbformat import NotebookNode

PARAMETERS_TAG = "parameters"
# Cell metadata JupyterLab rewrites on every run (timings) or on every click (view state):
# not content, so it is dropped before hashing like outputs and execution counts.
VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled")
KERNELSPEC_FIX = ('open it in JupyterLab, pick a kernel (Kernel > Change Kernel...) and save; or add '
                  '"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"} '
                  'to the notebook\'s top-level "metadata"')
MAX_NAME_LENGTH = 1024
TAG_FIX = ("in JupyterLab select the cell holding the defaults, open the Property Inspector (the gear icon in "
           "the right sidebar) and add the tag `parameters` under Cell Tags; or add "
           '"tags": ["parameters"] to that cell\'s "metadata" in the .ipynb file')


class InvalidNotebook(UsageError):
    """A notebook file that cannot be promoted as it is: not JSON, not nbformat, no kernel language."""

    code = "invalid_notebook"


class MissingParametersCell(InvalidNotebook):
    """No cell is tagged `parameters`, so the job could not be given parameter values."""

    code = "missing_parameters_cell"


@dataclass(frozen=True)
class Notebook:
    """A loaded notebook: where it lives (absolute and workspace-relative, or the name it was sent under) and its
    nbformat node."""

    path: Path | None      # None: sent with its content (team mode: it lives in the user's folder)
    relative: str
    node: NotebookNode

    @property
    def kernel(self) -> str:
        return self.node.metadata.kernelspec.name

    @property
    def language(self) -> str:
        return self.node.metadata.kernelspec.language

    def parameters_cell(self) -> tuple[int, object]:
        """(index, cell) of the first cell tagged `parameters`; a `MissingParametersCell` error otherwise."""
        for index, cell in enumerate(self.node.cells):
            if PARAMETERS_TAG in (cell.get("metadata", {}).get("tags") or []):
                if cell.cell_type != "code":
                    raise MissingParametersCell(
                        f"{self.relative}: cell {index} is tagged `parameters` but is a {cell.cell_type} cell",
                        fix="move the tag to the code cell that assigns the defaults", input=self.relative)
                return index, cell
        raise MissingParametersCell(f"{self.relative} has no cell tagged `parameters`", fix=TAG_FIX,
                                    input=self.relative)

    def required_checks(self) -> list[str]:
        """Quality suites the notebook declares as required (metadata `aios.required_checks`)."""
        aios = self.node.metadata.get("aios") or {}
        names = aios.get("required_checks", []) if isinstance(aios, dict) else None
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise InvalidNotebook(
                f"{self.relative}: metadata aios.required_checks must be a list of suite names, got {names!r}",
                fix='write e.g. "aios": {"required_checks": ["shipments_basics"]} in the notebook metadata '
                    "(suites are defined in governance/checks.yaml)", input=self.relative)
        return list(dict.fromkeys(names))

    def cleaned(self) -> dict:
        """The notebook as plain JSON without outputs, execution counts and volatile cell metadata."""
        return clean(self.node)

    @property
    def digest(self) -> str:
        return digest(self.cleaned())


def resolve_notebook(workspace, path: str | Path, *, base: Path | None = None) -> tuple[Path, str]:
    """(absolute path, workspace-relative POSIX path) of a notebook inside `workspace`.

    A relative `path` is taken from `base` (the CLI passes the current folder; REST uses the
    workspace root). Paths that leave the workspace, also through symlinks, are refused."""
    text = str(path).strip()
    if not text:
        raise UsageError("no notebook given", fix="pass a path such as notebooks/02_governance_checks.ipynb")
    root = workspace.root.resolve()
    candidate = Path(text).expanduser()
    if not candidate.is_absolute():
        candidate = (base or root) / candidate
    resolved = candidate.resolve()
    if resolved != root and root not in resolved.parents:
        raise UsageError(f"notebook {text!r} is outside the workspace {root}", input=text,
                         fix="promote notebooks that live in the workspace, e.g. notebooks/NAME.ipynb")
    relative = resolved.relative_to(root).as_posix()
    if resolved.suffix != ".ipynb":
        raise UsageError(f"{relative} is not a notebook (.ipynb)", input=text,
                         fix="pass the path of a Jupyter notebook file ending in .ipynb")
    if not resolved.is_file():
        raise NotFound(f"notebook {relative} does not exist in workspace {root}", input=text,
                       fix="check the path (it is relative to the workspace root for the REST API and to "
                           "the current folder for the CLI)")
    return resolved, relative


def load_notebook(path: Path, relative: str | None = None) -> Notebook:
    """Read and validate a notebook; every problem is an `InvalidNotebook` naming the file and the fix."""
    relative = relative or str(path)
    try:
        raw = json.loads(Path(path).read_bytes())
    except UnicodeDecodeError as exc:
        raise InvalidNotebook(f"{relative} is not UTF-8 text: {exc.reason}", input=relative,
                              fix="save the notebook again from JupyterLab") from None
    except json.JSONDecodeError as exc:
        raise InvalidNotebook(f"{relative} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                              input=relative,
                              fix="restore the file from version control or re-save it from JupyterLab "
                                  "(a merge conflict or a hand edit often breaks notebook JSON)") from None
    return parse_notebook(raw, relative, path=Path(path))


def parse_notebook(raw: object, relative: str, *, path: Path | None = None) -> Notebook:
    """Validate a notebook's parsed JSON (read from `path`, or sent by a caller with its content);
    every problem is an `InvalidNotebook` naming `relative` and the fix."""
    import nbformat

    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise InvalidNotebook(f"{relative} is JSON but not a Jupyter notebook (no `cells`/`nbformat`)",
                              input=relative, fix="pass a .ipynb file saved by Jupyter")
    _stable_cell_ids(raw)
    try:
        node = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(node)
    except nbformat.ValidationError as exc:
        where = "/".join(str(p) for p in getattr(exc, "absolute_path", []) or [])
        raise InvalidNotebook(f"{relative} is not a valid nbformat 4 notebook: {exc.message}"
                              + (f" (at {where})" if where else ""), input=relative,
                              fix="open and re-save it in JupyterLab, or run `jupyter nbconvert --to notebook "
                                  "--inplace` on it to normalise its structure") from None
    except Exception as exc:  # noqa: BLE001 - nbformat raises several types for unreadable versions
        raise InvalidNotebook(f"{relative} cannot be read as a notebook: {exc}", input=relative,
                              fix="re-save it from JupyterLab (nbformat 4)") from None
    spec = node.metadata.get("kernelspec") or {}
    missing = [key for key in ("name", "language") if not spec.get(key)]
    if missing:
        raise InvalidNotebook(f"{relative} has no metadata.kernelspec.{missing[0]}: Papermill cannot tell which "
                              "kernel runs it", fix=KERNELSPEC_FIX, input=relative)
    return Notebook(path, relative, node)


def sent_notebook_name(text: str) -> str:
    """The name a notebook sent with its content is recorded under: the caller's relative POSIX path (in
    team mode relative to the user's Jupyter folder, which the service never reads). Only a label, but a
    clean one: no absolute path, no `..`, a .ipynb file."""
    name = str(text).strip().replace("\\", "/")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts or name.startswith("/") or ".." in parts or ":" in parts[0] or len(name) > MAX_NAME_LENGTH:
        raise UsageError(f"notebook {text!r} is not a relative path", input=str(text)[:MAX_NAME_LENGTH],
                         fix="send the notebook's path relative to your Jupyter folder, e.g. projects/NAME.ipynb")
    if not parts[-1].endswith(".ipynb"):
        raise UsageError(f"{text} is not a notebook (.ipynb)", input=str(text),
                         fix="send the path of a Jupyter notebook file ending in .ipynb")
    return "/".join(parts)


def _stable_cell_ids(raw: dict) -> None:
    """Give cells of an nbformat >= 4.5 notebook that lack an id a positional one.

    nbformat would invent random ids (and warn), which would change the digest on every load."""
    if raw.get("nbformat") == 4 and raw.get("nbformat_minor", 0) >= 5 and isinstance(raw["cells"], list):
        for index, cell in enumerate(raw["cells"]):
            if isinstance(cell, dict) and not cell.get("id"):
                cell["id"] = f"cell-{index}"


def clean(node) -> dict:
    """A JSON copy of `node` with outputs, execution counts and volatile cell metadata removed."""
    data = json.loads(json.dumps(node))
    for cell in data.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        meta = cell.get("metadata") or {}
        for key in VOLATILE_CELL_METADATA:
            meta.pop(key, None)
    return data


def canonical_bytes(data: dict) -> bytes:
    """One byte form per content: sorted keys, no whitespace, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(cleaned: dict) -> str:
    """sha256 of the cleaned notebook's canonical JSON."""
    return hashlib.sha256(canonical_bytes(cleaned)).hexdigest()
