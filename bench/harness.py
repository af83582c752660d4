"""A tiny benchmark harness: a candidate always runs side by side with its baseline.

A benchmark is a plain function registered with `@benchmark(name, baseline=...)`.
It receives the number of samples to take and returns a `Comparison`; most use
`interleave()`, which alternates candidate and baseline runs so that noise on a
shared machine hits both alike. What matters is the ratio candidate/baseline
measured in one process run, never a lone absolute time.

Benchmarks are not timed tests: nothing here fails on a slow figure. A target
is reported next to the figures (`notes`) for a human to read.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Comparison:
    """One benchmark's outcome: candidate and baseline samples in seconds, plus notes for the reader."""

    name: str
    baseline: str
    candidate_samples: list[float]
    baseline_samples: list[float]
    notes: list[str] = field(default_factory=list)

    @property
    def candidate(self) -> Summary:
        return Summary.of(self.candidate_samples)

    @property
    def reference(self) -> Summary:
        return Summary.of(self.baseline_samples)

    @property
    def ratio(self) -> float:
        """Median of the per-pair ratios candidate/baseline.

        Samples taken one after the other share the machine's state at that
        moment, so each pair's ratio cancels slow drifts; the median drops the
        pairs a noisy neighbour disturbed.
        """
        pairs = zip(self.candidate_samples, self.baseline_samples, strict=False)
        return statistics.median(c / b for c, b in pairs if b > 0)

    @property
    def added(self) -> float:
        """Candidate median minus baseline median, in seconds: the cost the candidate adds."""
        return self.candidate.median - self.reference.median

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "baseline": self.baseline,
            "candidate": self.candidate.to_dict(),
            "reference": self.reference.to_dict(),
            "ratio_median": self.ratio,
            "added_seconds": self.added,
            "notes": self.notes,
            "candidate_samples": self.candidate_samples,
            "baseline_samples": self.baseline_samples,
        }


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    p90: float

    @classmethod
    def of(cls, samples: list[float]) -> Summary:
        if not samples:
            raise ValueError("a benchmark returned no samples")
        ordered = sorted(samples)
        # Nearest-rank p90: an observed value, defined for any sample count.
        rank = max(1, -(-9 * len(ordered) // 10))
        return cls(len(ordered), statistics.median(ordered), ordered[rank - 1])

    def to_dict(self) -> dict:
        return {"n": self.n, "median_seconds": self.median, "p90_seconds": self.p90}


def interleave(candidate: Callable[[], float | None], baseline: Callable[[], float | None], *,
               repeat: int, warmup: int = 1) -> tuple[list[float], list[float]]:
    """Run candidate and baseline `repeat` times each, alternating, and return their samples.

    Each callable runs once and either returns its own measured duration in
    seconds or None, in which case the call itself is timed. Rounds alternate
    which side goes first (AB BA AB ...), so neither always inherits the
    other's warm caches. `warmup` rounds run first and are discarded.
    """
    cand: list[float] = []
    base: list[float] = []
    for round_no in range(warmup + repeat):
        order = [(candidate, cand), (baseline, base)]
        if round_no % 2:
            order.reverse()
        for fn, samples in order:
            started = time.perf_counter()
            measured = fn()
            elapsed = time.perf_counter() - started if measured is None else measured
            if round_no >= warmup:
                samples.append(elapsed)
    return cand, base


@dataclass(frozen=True)
class Benchmark:
    name: str
    baseline: str
    run: Callable[[int], Comparison]
    repeat: int
    description: str


REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, *, baseline: str, repeat: int = 20):
    """Register `fn(repeat) -> Comparison` as benchmark `name`, measured against `baseline`.

    `repeat` is the default number of samples per side; `--repeat` overrides it.
    """
    def register(fn: Callable[[int], Comparison]) -> Callable[[int], Comparison]:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} is registered twice ({fn.__module__})")
        doc = (fn.__doc__ or "").strip().splitlines()
        REGISTRY[name] = Benchmark(name, baseline, fn, repeat, doc[0] if doc else "")
        return fn

    return register


def discover() -> dict[str, Benchmark]:
    """Import every `bench/bench_*.py` module, which registers its benchmarks."""
    package = importlib.import_module(__package__ or "bench")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("bench_"):
            importlib.import_module(f"{package.__name__}.{module.name}")
    return REGISTRY


def select(only: list[str] | None) -> list[Benchmark]:
    """The benchmarks named in `only` (all when empty); an unknown name lists the known ones."""
    benchmarks = discover()
    if not only:
        return list(benchmarks.values())
    unknown = [name for name in only if name not in benchmarks]
    if unknown:
        known = ", ".join(repr(n) for n in benchmarks)
        raise SystemExit(f"no benchmark named {', '.join(map(repr, unknown))}; known: {known}")
    return [benchmarks[name] for name in only]


def run(selected: list[Benchmark], repeat: int | None = None, *, progress=print,
        failed: list[str] | None = None, isolated: bool = False) -> list[Comparison]:
    """Each benchmark's comparison. One that raises is reported through `progress` and named in `failed`
    (when given; else it raises), and the others still run: an hour-long run is not lost to one of them.

    `isolated`: each benchmark in a fresh Python process (`python -m bench --only NAME --json`), so none
    inherits the threads, heap and caches earlier ones left in this process (a full run's late benchmarks
    measured up to 20 points worse than the same benchmark alone)."""
    results = []
    for bench in selected:
        n = repeat or bench.repeat
        progress(f"running {bench.name!r} vs {bench.baseline!r} ({n} samples each) ...")
        try:
            comparison = in_child(bench, repeat) if isolated else bench.run(n)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:   # also pytest's Skipped (a helper's "not installed here" is a BaseException)
            if failed is None:
                raise
            progress(f"FAILED {bench.name!r}: {type(exc).__name__}: {exc}")
            failed.append(bench.name)
            continue
        if comparison.name != bench.name:
            raise ValueError(f"benchmark {bench.name!r} returned a Comparison named {comparison.name!r}")
        results.append(comparison)
    return results


def in_child(bench: Benchmark, repeat: int | None) -> Comparison:
    """`bench` run by `python -m bench --only NAME --json` in a new process (its progress on our stderr)."""
    command = [sys.executable, *(f"-W{option}" for option in sys.warnoptions), "-m", "bench", "--only", bench.name,
               "--json", "--no-docs", *(["--repeat", str(repeat)] if repeat else [])]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"its process exited with {done.returncode} (its output is above)")
    answer = done.stdout[done.stdout.rfind('{\n  "date"'):]   # after anything a benchmark's tools printed
    (result,) = json.loads(answer)["results"]
    return Comparison(result["name"], result["baseline"], result["candidate_samples"], result["baseline_samples"],
                      result["notes"])


def cached_workspace(data: Path, name: str, *, policy: str, populate: Callable[[Path], None]) -> Path:
    """The benchmark's seeded workspace `data/ws`, built once: a fresh `aios init` named `name` with `policy`,
    then `populate(root)` adds its sources and state. A `.ready` file marks a complete build, so an
    interrupted one starts over (from an empty `data`, where `populate` may keep files beside the workspace)."""
    root = data / "ws"
    if (root / ".ready").exists():
        return root
    from aios_workbench.workspace.scaffold import init_workspace  # lazy: only a first run builds a workspace

    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    init_workspace(root, name=name)
    (root / "governance" / "policy.yaml").write_text(policy)
    populate(root)
    (root / ".ready").write_text("ok\n")
    return root
