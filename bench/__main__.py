"""`python -m bench`: run the benchmarks, print the table, refresh docs/benchmarks.md."""

from __future__ import annotations

import argparse
import sys

from bench import harness, report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run each benchmark side by side with its baseline (interleaved, in one process run; "
                    "each benchmark in a fresh process of its own) and report medians, p90 and the ratio "
                    "candidate/baseline. A full run rewrites the generated section of docs/benchmarks.md.",
    )
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this benchmark (repeatable); the docs are then left untouched")
    parser.add_argument("--repeat", type=int, metavar="N",
                        help="samples per side (default: each benchmark's own)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--in-process", action="store_true",
                        help="run every benchmark in this process (default: each of several in a fresh one)")
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for bench in harness.discover().values():
            print(f"{bench.name}  (baseline: {bench.baseline}; {bench.repeat} samples)  {bench.description}")
        return 0
    selected = harness.select(args.only)
    failed: list[str] = []
    results = harness.run(selected, args.repeat, progress=lambda msg: print(msg, file=sys.stderr), failed=failed,
                          isolated=len(selected) > 1 and not args.in_process)
    print(report.as_json(results) if args.json else report.table(results) + "\n\n" + report.notes(results))
    if failed:
        print(f"{len(failed)} benchmark(s) failed ({', '.join(failed)}): docs/benchmarks.md left as is",
              file=sys.stderr)
        return 1
    if args.no_docs:
        return 0
    if args.only:
        print("docs/benchmarks.md left as is: --only ran a subset", file=sys.stderr)
        return 0
    print(f"wrote {report.rewrite_docs(results)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
