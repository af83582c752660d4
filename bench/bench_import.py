"""Import time: `import aios_workbench` in a fresh interpreter, against an interpreter that does nothing.

Target (design brief, "what we take" 4): `import aios_workbench` stays under 0.5 s.
The target's unit is the time the import adds, so that is reported next to the ratio.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.harness import Comparison, benchmark, interleave

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.5


def python_c(code: str):
    """A callable that runs `python -c code` in a fresh process with this interpreter (timed by the harness)."""
    args = [sys.executable, "-c", code]

    def run() -> None:
        subprocess.run(args, cwd=REPO, check=True, stdin=subprocess.DEVNULL)

    return run


def heaviest_children(package: str = "aios_workbench", count: int = 3) -> list[tuple[str, float]]:
    """The direct imports of `package` that took longest (cumulative seconds), from one `-X importtime` run."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {package}"],
                         cwd=REPO, check=True, capture_output=True, text=True).stderr
    children: list[tuple[str, float]] = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, column = line.removeprefix("import time:").split("|")
        name = column[1:]
        depth = (len(name) - len(name.lstrip(" "))) // 2
        if depth == 1:  # post-order output: a module's children are listed just before it
            children.append((name.strip(), int(cumulative) / 1e6))
        elif depth == 0:
            if name.strip() == package:
                return sorted(children, key=lambda row: row[1], reverse=True)[:count]
            children = []
    return []


@benchmark("import aios_workbench", baseline="python -c pass", repeat=20)
def import_time(repeat: int) -> Comparison:
    """`python -c "import aios_workbench"` vs `python -c "pass"`, each a fresh process, same interpreter."""
    cand, base = interleave(python_c("import aios_workbench"), python_c("pass"), repeat=repeat)
    result = Comparison("import aios_workbench", "python -c pass", cand, base)
    verdict = "met" if result.added < TARGET_SECONDS else "MISSED"
    result.notes.append(f"the import adds {result.added * 1e3:.0f} ms to a bare interpreter start "
                        f"(median minus median); target < {TARGET_SECONDS * 1e3:.0f} ms: {verdict}.")
    heaviest = ", ".join(f"`{name}` {t * 1e3:.0f} ms" for name, t in heaviest_children() if t >= 1e-3)
    result.notes.append(f"its heaviest direct imports (`python -X importtime`, one run): {heaviest}.")
    return result
