"""`aios lineage DATASET`: where a dataset's data comes from and where it goes.

Runs in-process on the local workspace, as `$AIOS_USER` or the OS account (not
a security boundary, like the other local commands). The user must be allowed
to read DATASET; datasets in the graph they may not read are shown as restricted.
"""

from __future__ import annotations

import click

from aios_workbench.surfaces.cli.data_commands import JSON, local_service, local_user
from aios_workbench.surfaces.cli.output import emit


@click.command()
@click.argument("dataset")
@click.option("--depth", type=click.IntRange(1, 20), default=3, show_default=True,
              help="How many job hops to follow in each direction.")
@JSON
@click.pass_context
def lineage(ctx, dataset, depth, as_json):
    """Show DATASET's upstream (jobs that wrote it, and their inputs) and downstream
    (queries, notebooks and jobs that read it, and what they wrote).

    \b
    aios lineage hr.main.people
    aios lineage people --depth 5 --json"""
    service = local_service(ctx)
    try:
        result = service.catalog.lineage(local_user(), dataset, depth)
    finally:
        service.close()
    emit(result, as_json=as_json, human=_lines)


def _describe(node: dict) -> str:
    if node["kind"] == "dataset":
        return node["name"]
    who = ", ".join(f"{u} {n}" for u, n in sorted(node.get("users", {}).items()))
    failed = f", {node['failed_runs']} failed" if node.get("failed_runs") else ""
    return (f"{node['name']}  [{node.get('type') or 'JOB'}: {node['runs']} run(s){failed}"
            + (f" by {who}" if who else "") + f", last {node.get('last_run') or '-'} {node.get('last_status', '')}]")


def _tree(graph: dict, upward: bool) -> list[str]:
    nodes = {n["id"]: n for n in graph["nodes"]}
    children: dict[str, list[str]] = {}
    for edge in graph["edges"]:
        parent, child = (edge["to"], edge["from"]) if upward else (edge["from"], edge["to"])
        children.setdefault(parent, []).append(child)
    arrow = "<-" if upward else "->"
    lines: list[str] = []

    def visit(node_id: str, indent: int, path: set[str]) -> None:
        for child in sorted(children.get(node_id, []), key=lambda c: nodes[c]["name"]):
            lines.append(f"{'   ' * indent}{arrow} {_describe(nodes[child])}")
            if child not in path:  # a job that reads and writes the same dataset makes a cycle
                visit(child, indent + 1, path | {child})

    root = f"dataset:{graph['dataset'].lower()}"
    visit(root, 1, {root})
    if graph.get("truncated"):
        lines.append("   ... more beyond --depth")
    return lines


def _lines(result: dict) -> list[str]:
    down, up = result["downstream"], result["upstream"]
    reads, writes = down["counts"], up["counts"]
    lines = [result["dataset"], "  upstream:"]
    lines += _tree(up, upward=True) or ["     (no recorded writer: a source dataset)"]
    lines.append("  downstream:")
    lines += _tree(down, upward=False) or ["     (no recorded reader)"]
    if reads["reads"]:
        by = ", ".join(f"{u} {n}" for u, n in reads["by_user"].items())
        lines.append(f"  read {reads['reads']} time(s)" + (f" by {by}" if by else "") + f", last {reads['last_read']}")
    if reads.get("columns"):
        lines.append("  columns read: " + ", ".join(f"{c} {n}" for c, n in list(reads["columns"].items())[:10]))
    if writes["writes"]:
        lines.append(f"  written {writes['writes']} time(s), last {writes['last_write']}")
    if not result.get("recorded"):
        lines.append("  note: no lineage events name this dataset yet (queries and jobs record them as they run)")
    return lines


COMMANDS = [lineage]
