"""Drift on 1M x 25 columns: `aios_workbench.checks.drift` through the governed path vs Evidently 0.7.23.

Data: a reference and a current table of 1,000,000 rows each, 20 numeric and
5 categorical columns (some drifted, some with nulls), generated once with numpy
(seeded) into a DuckDB file under `.aios/bench/drift_v{VERSION}/` and kept between runs.

Candidate: `drift("bench_drift.main.reference", "bench_drift.main.current",
run_sql=<QueryService.run(...).to_arrow()>)` in a throwaway governed workspace
(a `duckdb` source over that file, a grant-only user). Baseline: Evidently's
`Report([DataDriftPreset()], include_tests=True).run(current, reference)` on
pandas frames of the same tables. Each side runs in its own fresh subprocess
(`python -m bench.bench_drift candidate|evidently`), which reports the seconds of
the drift call alone (data loading excluded on Evidently's side; our side's
loading IS the drift call) and its peak resident memory (VmHWM: the whole
process, interpreter and imports included, which is what a notebook kernel pays;
tracemalloc would miss DuckDB's and numpy's native allocations).

Targets (issue 5): >= 50x faster, <= 1/4 of Evidently's peak memory, identical verdicts.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VERSION = 1
ROWS = 1_000_000
BIG_ROWS = 10_000_000
CHUNK = 1_000_000
BIG_MEMORY_LIMIT_MB = 2048
CAPPED_MEMORY = "4GB"   # the default before 2026-11-27, beside today's 1GB
FOLDER = REPO / ".aios" / "bench" / f"drift_v{VERSION}"
SOURCE = "bench_drift"
USER = "bench_plain"
SPEED_TARGET, MEMORY_TARGET = 50.0, 0.25


def generate(rows: int = ROWS) -> Path:
    """The cached DuckDB file with tables `reference` and `current` (`rows` rows each)."""
    path = FOLDER / f"drift_{rows}.duckdb"
    if path.exists():
        return path
    import duckdb
    import numpy as np

    FOLDER.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    con = duckdb.connect(str(partial))
    for name, seed, shift in (("reference", 1, 0.0), ("current", 2, 1.0)):
        # Chunks of at most 1M rows keep the generator's memory flat at 10M; the first chunk's seed is the
        # 1M file's, so the 1M data are the same as before chunking.
        for chunk, start in enumerate(range(0, rows, CHUNK)):
            rng = np.random.default_rng(seed if chunk == 0 else [seed, chunk])
            con.register("frame", _frame(rng, min(CHUNK, rows - start), shift))
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame" if chunk == 0
                        else f"INSERT INTO {name} SELECT * FROM frame")
            con.unregister("frame")
    con.close()
    partial.rename(path)
    return path


def _frame(rng, rows: int, shift: float):
    """`rows` rows of the 25 columns: 20 numeric (7 drift when shift = 1) and 5 categorical."""
    import numpy as np
    import pyarrow as pa

    cols = {}
    cols["num00"] = rng.normal(0, 1, rows) + 0.3 * shift
    cols["num01"] = rng.normal(50, 10, rows)
    cols["num02"] = rng.lognormal(0, 1, rows) * (1 + 0.4 * shift)
    cols["num03"] = rng.uniform(0, 100, rows)
    cols["num04"] = rng.exponential(3, rows)
    cols["num05"] = rng.poisson(20 + 5 * shift, rows).astype("int64")
    cols["num06"] = np.round(rng.gamma(2, 30, rows), 2)
    cols["num07"] = rng.normal(0, 1 + 0.5 * shift, rows)
    cols["num08"] = rng.integers(0, 1000, rows).astype("int64")
    cols["num09"] = rng.beta(2, 5, rows)
    cols["num10"] = rng.normal(1000, 200, rows) + 60 * shift
    cols["num11"] = rng.standard_t(5, rows)
    cols["num12"] = rng.uniform(-1, 1, rows) + 0.2 * shift
    cols["num13"] = rng.normal(0, 1, rows)
    cols["num14"] = rng.weibull(1.5, rows)
    cols["num15"] = rng.normal(0, 1, rows)
    cols["num16"] = rng.chisquare(4, rows) + 0.8 * shift
    cols["num17"] = rng.normal(5, 2, rows)
    cols["num18"] = rng.logistic(0, 1, rows)
    cols["num19"] = rng.normal(-3, 0.5, rows)
    nulls = rng.random(rows) < 0.02
    cols["num13"] = np.where(nulls, np.nan, cols["num13"])
    letters = np.array([f"k{i:02d}" for i in range(40)])
    p_shift = np.linspace(1, 2, 12) if shift else np.ones(12)
    cols["cat0"] = rng.choice(np.array(["red", "green", "blue"]), rows)
    cols["cat1"] = rng.choice(letters[:12], rows, p=p_shift / p_shift.sum())
    cols["cat2"] = rng.choice(letters, rows)
    cols["cat3"] = rng.choice(np.array(["yes", "no"]), rows, p=[0.5 + 0.1 * shift, 0.5 - 0.1 * shift])
    cat4 = rng.choice(letters[:6], rows).astype(object)
    cat4[rng.random(rows) < 0.05] = None
    cols["cat4"] = cat4
    return pa.table({k: pa.array(v, from_pandas=True) for k, v in cols.items()})


POLICY = f"""\
# Throwaway policy of the drift benchmark (bench/bench_drift.py): a grant, no mask, no row filter.
datasets: {{}}
roles:
  plain: {{description: grant only}}
users:
  {USER}:
    roles: [plain]
grants:
  - {{role: plain, scope: {SOURCE}}}
"""


def peak_rss_kb() -> int:
    """This process's peak RSS in kB: /proc's VmHWM, which starts afresh at exec. (`ru_maxrss` does not on
    Linux: a child inherits its parent's high-water mark, e.g. a parent that had just generated the data.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def candidate(rows: int, memory_limit: str | None = None) -> dict:
    """Our drift through a governed `WorkbenchService(mode="local")`; seconds, peak RSS and verdicts."""
    import shutil
    import tempfile

    from aios_workbench.catalog import scan_catalog
    from aios_workbench.checks.drift import drift
    from aios_workbench.service.core import WorkbenchService
    from aios_workbench.workspace import Workspace
    from aios_workbench.workspace.scaffold import init_workspace

    path = generate(rows)
    root = Path(tempfile.mkdtemp(prefix="aios-bench-drift-"))
    try:
        init_workspace(root, name="bench-drift")
        if memory_limit:   # aios.yaml query.memory_limit: what the governed DuckDB may hold (its buffer pool too)
            with (root / "aios.yaml").open("a") as config:
                config.write(f"\nquery:\n  memory_limit: {memory_limit}\n")
        (root / "connectors" / f"{SOURCE}.yaml").write_text(
            f"name: {SOURCE}\ntype: duckdb\noptions: {{path: '{path}'}}\n")
        (root / "governance" / "policy.yaml").write_text(POLICY)
        service = WorkbenchService(Workspace.load(root), mode="local")
        scan_catalog(service.workspace, service.store)
        service.queries.refresh()
        queries = service.queries
        started = time.perf_counter()
        result = drift(f"{SOURCE}.main.reference", f"{SOURCE}.main.current",
                       run_sql=lambda sql: queries.run(sql, user=USER, surface="check").to_arrow())
        seconds = time.perf_counter() - started
        service.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    columns = {i.name: {"drifted": i.status == "fail", "stattest": i.detail.get("stattest"),
                        "score": i.metrics.get("statistic"), "method": i.metrics.get("method")}
               for i in result.items if i.name != "dataset drift"}
    return {"seconds": seconds, "maxrss_kb": peak_rss_kb(),
            "columns": columns, "dataset": result.items[0].status == "fail", "queries": result.params["queries"]}


def evidently(rows: int) -> dict:
    """Evidently's DataDriftPreset on pandas frames of the same tables; seconds of `Report.run` only."""
    import warnings

    import duckdb

    warnings.simplefilter("ignore")   # Evidently's import and run warn (numpy.core, litestar, scipy): not ours
    con = duckdb.connect(str(generate(rows)), read_only=True)
    ref, cur = con.execute("SELECT * FROM reference").df(), con.execute("SELECT * FROM current").df()
    con.close()
    from evidently import Report
    from evidently.presets import DataDriftPreset

    started = time.perf_counter()
    snapshot = Report([DataDriftPreset()], include_tests=True).run(cur, ref).dict()
    seconds = time.perf_counter() - started
    names = {"K-S p_value": "ks", "chi-square p_value": "chisquare", "Z-test p_value": "z",
             "Wasserstein distance (normed)": "wasserstein", "Jensen-Shannon distance": "jensenshannon"}
    columns = {m["config"]["column"]: {"stattest": names.get(m["config"]["method"]), "score": m["value"]}
               for m in snapshot["metrics"] if m["config"]["type"].endswith("ValueDrift")}
    dataset = None
    for test in snapshot["tests"]:
        if test["name"].startswith("Value Drift for column "):
            columns[test["name"].removeprefix("Value Drift for column ")]["drifted"] = test["status"] == "FAIL"
        elif test["name"].startswith("Share of Drifted Columns"):
            dataset = test["status"] == "FAIL"
    return {"seconds": seconds, "maxrss_kb": peak_rss_kb(),
            "columns": columns, "dataset": dataset}


def in_subprocess(side: str, rows: int, *extra: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_drift", side, str(rows), *extra], cwd=REPO, check=True,
                         capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _register() -> None:
    from bench.harness import Comparison, benchmark

    @benchmark("drift 1M x 25 columns", baseline="Evidently 0.7.23 DataDriftPreset", repeat=1)
    def drift_1m(repeat: int) -> Comparison:
        """Our governed drift vs Evidently's DataDriftPreset, 1M reference + 1M current rows, 25 columns."""
        generate(ROWS)
        ours, theirs = [], []
        for _ in range(repeat):   # Evidently takes minutes per sample: keep repeat small
            ours.append(in_subprocess("candidate", ROWS))
            theirs.append(in_subprocess("evidently", ROWS))
        result = Comparison("drift 1M x 25 columns", "Evidently 0.7.23 DataDriftPreset",
                            [o["seconds"] for o in ours], [t["seconds"] for t in theirs])
        result.notes += notes(ours[-1], theirs[-1], result.ratio)
        return result


    @benchmark("drift 10M x 25 columns", baseline="the same drift on 1M x 25 columns", repeat=1)
    def drift_10m(repeat: int) -> Comparison:
        """Our governed drift on 10M + 10M rows: its peak memory (target < 2 GB) and how its time scales."""
        generate(ROWS)
        generate(BIG_ROWS)
        big, small, capped = [], [], []
        for _ in range(repeat):
            big.append(in_subprocess("candidate", BIG_ROWS))
            small.append(in_subprocess("candidate", ROWS))
        capped.append(in_subprocess("candidate", BIG_ROWS, CAPPED_MEMORY))
        result = Comparison("drift 10M x 25 columns", "the same drift on 1M x 25 columns",
                            [b["seconds"] for b in big], [s["seconds"] for s in small])
        peak = max(b["maxrss_kb"] for b in big) / 1024
        same = sum(big[-1]["columns"][c]["drifted"] == v["drifted"] for c, v in small[-1]["columns"].items())
        result.notes += [
            f"peak RSS of the 10M run's process (VmHWM, interpreter and imports included): {peak:.0f} MB "
            f"(target < {BIG_MEMORY_LIMIT_MB} MB: {'met' if peak < BIG_MEMORY_LIMIT_MB else 'missed'}); "
            f"the 1M run: {max(s['maxrss_kb'] for s in small) / 1024:.0f} MB.",
            f"10x the rows took {result.ratio:.1f}x the time; {big[-1]['queries']} governed SQL statements; "
            f"verdicts equal to the 1M run's on {same}/{len(small[-1]['columns'])} columns.",
            f"with aios.yaml `query: {{memory_limit: {CAPPED_MEMORY}}}` the 10M run peaked at "
            f"{capped[-1]['maxrss_kb'] / 1024:.0f} MB in {capped[-1]['seconds']:.1f} s.",
        ]
        return result


def notes(ours: dict, theirs: dict, ratio: float) -> list[str]:
    speedup = 1 / ratio
    memory = ours["maxrss_kb"] / theirs["maxrss_kb"]
    same = [c for c in theirs["columns"] if ours["columns"].get(c, {}).get("drifted") == theirs["columns"][c]["drifted"]
            and ours["columns"][c]["stattest"] == theirs["columns"][c]["stattest"]]
    drifted = sorted(c for c, v in theirs["columns"].items() if v["drifted"])
    return [
        f"speed: {speedup:.0f}x faster (target >= {SPEED_TARGET:.0f}x: {'met' if speedup >= SPEED_TARGET else 'missed'}); "
        f"{ours['queries']} governed SQL statements.",
        f"peak RSS (VmHWM of each side's own subprocess, interpreter and imports included): ours "
        f"{ours['maxrss_kb'] / 1024:.0f} MB, Evidently {theirs['maxrss_kb'] / 1024:.0f} MB, ratio {memory:.2f} "
        f"(target <= {MEMORY_TARGET}: {'met' if memory <= MEMORY_TARGET else 'missed'}).",
        f"verdicts: {len(same)}/{len(theirs['columns'])} columns with the same test and verdict; dataset drift "
        f"{'same' if ours['dataset'] == theirs['dataset'] else 'DIFFERENT'} ({theirs['dataset']}); "
        f"drifted: {', '.join(drifted)}.",
    ]


if __name__ == "__main__":
    print(json.dumps({"candidate": candidate, "evidently": evidently}[sys.argv[1]](int(sys.argv[2]), *sys.argv[3:])))
else:
    _register()
