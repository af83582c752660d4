"""What a job run leaves behind, scrubbed on every write: the executed notebook (Papermill saves through a
scrubbing handler at each cell), its HTML copy, the live log, and the failing cell of a failed run.

A run's secret values and token are replaced by *** before anything reaches the disk (`Scrubber`), and
every file is written through a temporary sibling, so a reader (the UI showing a live run) never sees
half a file.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
from datetime import UTC
from pathlib import Path

log = logging.getLogger(__name__)

# -- outputs: scrubbed on every write ----------------------------------------------------------------------
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SCRUBBED_SCHEME = "aios-scrubbed://"
_scrubbers: dict[str, Scrubber] = {}     # output path -> the scrubber of the run writing it
_io_registered = False
_io_lock = threading.Lock()


class Scrubber:
    """Replaces a run's secret values and token (also as they appear inside JSON) by ***, and every
    secret this process resolved (`connectors.secrets.scrub`)."""

    def __init__(self):
        self._values: list[str] = []

    def add(self, *values: str) -> None:
        self._values.extend(v for v in values if v)
        self._values.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        # lazy: connectors.secrets runs the connectors package, which loads DuckDB; only when text is scrubbed
        from aios_workbench.connectors.secrets import scrub

        text = scrub(text)
        for value in self._values:
            text = text.replace(value, "***")
            escaped = json.dumps(value)[1:-1]
            if escaped != value:
                text = text.replace(escaped, "***")
        return text


def _atomic_write(path: Path, text: str) -> None:
    """Readers (the UI showing a live run) never see half a file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def register_scrubbed_io() -> str:
    """The path prefix under which Papermill saves through a scrubbing handler (registered once)."""
    global _io_registered
    with _io_lock:
        if not _io_registered:
            from papermill.iorw import LocalHandler, papermill_io

            class ScrubbedHandler(LocalHandler):
                """Papermill's local files, except that every save of a run's notebook is scrubbed first:
                Papermill saves at each cell, so an unscrubbed value would sit on disk while the run goes on."""

                def read(self, path):
                    return super().read(path[len(_SCRUBBED_SCHEME):])

                def write(self, buf, path):
                    # lazy: as in Scrubber.__call__: the connectors package loads DuckDB
                    from aios_workbench.connectors.secrets import scrub as scrub_resolved

                    real = path[len(_SCRUBBED_SCHEME):]
                    # a save after its run was given up on still loses every secret this process resolved
                    _atomic_write(Path(real), _scrubbers.get(real, scrub_resolved)(buf))

                def pretty_path(self, path):
                    return path[len(_SCRUBBED_SCHEME):]

            papermill_io.register(_SCRUBBED_SCHEME, ScrubbedHandler())
            _io_registered = True
    return _SCRUBBED_SCHEME


class RunLog:
    """log.txt: the kernel's stream output and the cell timings, scrubbed as written (it is read live)."""

    def __init__(self, path: Path, scrub: Scrubber):
        self.path, self._scrub = path, scrub
        self._file = open(path, "w", encoding="utf-8")
        self._lock = threading.Lock()
        self._at_line_start = True

    def write(self, text: str) -> None:   # Papermill's stdout_file / stderr_file
        with self._lock:
            if self._file.closed or not text:
                return
            self._file.write(self._scrub(text))
            self._file.flush()
            self._at_line_start = text.endswith("\n")

    def flush(self) -> None:
        pass

    def line(self, message: str) -> None:
        from datetime import datetime

        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        with self._lock:
            if self._file.closed:
                return
            self._file.write(("" if self._at_line_start else "\n") + f"[aios {stamp}] {self._scrub(message)}\n")
            self._file.flush()
            self._at_line_start = True

    def close(self) -> None:
        """Close, then scrub the whole file once more (a value split across two stream messages)."""
        with self._lock:
            if self._file.closed:
                return
            self._file.close()
        text = self.path.read_text(encoding="utf-8", errors="replace")
        if self._scrub(text) != text:
            _atomic_write(self.path, self._scrub(text))


OUTPUT_SUFFIXES = (".html", ".ipynb")


def kept_output(workspace, recorded: str | None) -> Path | None:
    """The output file a run recorded, if it still exists, else None (pruned by retention, not written
    yet). Only an executed notebook or its HTML under `<state>/jobs/` qualifies, after following links:
    a doctored run row must not make a route serve any other file (the state folder also holds the
    masking salt, token digests and the dashboard's cookie secret)."""
    if not recorded:
        return None
    path = Path(recorded)
    path = (path if path.is_absolute() else workspace.root / path).resolve()
    outputs = (workspace.state_dir / "jobs").resolve()
    if not path.is_relative_to(outputs) or path.suffix not in OUTPUT_SUFFIXES:
        return None
    return path if path.is_file() else None


def write_notebook(path: Path, source_nb, scrub: Scrubber):
    """The executed notebook Papermill saved (or, if it saved none, the notebook as given), scrubbed."""
    import nbformat

    try:
        text = path.read_text(encoding="utf-8")
        nbformat.reads(text, as_version=4)
    except (OSError, ValueError):
        text = nbformat.writes(source_nb)
    text = scrub(text)
    _atomic_write(path, text)
    return nbformat.reads(text, as_version=4)


@functools.cache
def html_exporter():
    """One HTMLExporter per process: its Jinja templates compile on first use (~0.4 s), not per run.
    Exports through it hold `_HTML_LOCK` (a Dask worker runs several runs in threads of one process)."""
    from nbconvert import HTMLExporter

    return HTMLExporter()


_HTML_LOCK = threading.Lock()


def write_html(nb, path: Path, scrub: Scrubber) -> Path | None:
    """nbconvert's HTML of the executed notebook (built locally: nothing is downloaded)."""
    try:
        with _HTML_LOCK:
            body, _ = html_exporter().from_notebook_node(nb)
        _atomic_write(path, scrub(body))
        return path
    except Exception:  # an HTML export problem must not turn a run's outcome into a crash
        log.warning("HTML export of %s failed", path, exc_info=True)
        return None


def _short_traceback(lines, limit: int = 30) -> str:
    text = _ANSI.sub("", "\n".join(str(line).rstrip("\n") for line in lines or []))
    kept = text.strip().splitlines()
    return "\n".join((["..."] if len(kept) > limit else []) + kept[-limit:])


def failing_cell(nb, running_index: int | None, default_error: tuple[str, str]) -> dict | None:
    """The cell that raised (or, for a stopped or dead kernel, the cell that was running).

    `index` counts the cells as the author wrote them (Papermill's injected-parameters cell and its error
    banner left out); `output_index` is the position in output.ipynb."""
    from papermill.execute import ERROR_MARKER_TAG

    def added(cell) -> bool:
        tags = cell.get("metadata", {}).get("tags", [])
        return "injected-parameters" in tags or ERROR_MARKER_TAG in tags

    def errors(i: int) -> list:
        return [o for o in nb.cells[i].get("outputs", []) if o.get("output_type") == "error"]

    # Papermill marks the cell that raised; else the cell that was running; else any error output
    found = next((i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("papermill", {}).get("exception")),
                 None)
    if found is None and running_index is not None:
        shift = sum(1 for c in nb.cells[:running_index + 1] if ERROR_MARKER_TAG in c.metadata.get("tags", []))
        found = running_index + shift if running_index + shift < len(nb.cells) else None
    if found is None:
        found = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and errors(i)), None)
    if found is None:
        return None
    error = (errors(found) or [None])[0]
    cell = nb.cells[found]
    return {"index": sum(1 for c in nb.cells[:found] if not added(c)), "output_index": found,
            "execution_count": cell.get("execution_count"), "source": cell.source[:4000],
            "ename": error.get("ename") if error else default_error[0],
            "evalue": _ANSI.sub("", str(error.get("evalue", ""))) if error else default_error[1],
            "traceback": _short_traceback(error.get("traceback")) if error else ""}
