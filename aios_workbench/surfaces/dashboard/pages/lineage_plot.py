"""The lineage graph as an interactive Bokeh plot: upstream to the left, downstream to the right.

Each node sits in the column of its hop distance from the dataset (jobs and datasets
alternate), rows spread evenly; hovering shows a node's kind, runs and last status.
"""

from __future__ import annotations

from collections import defaultdict

MAX_NODES = 60


def layers(result: dict) -> tuple[dict[str, dict], dict[str, int], list[tuple[str, str]]]:
    """Nodes by id, each node's column (negative upstream), and the edges, from `service.lineage`'s answer."""
    nodes: dict[str, dict] = {}
    edges: set[tuple[str, str]] = set()
    for direction in ("upstream", "downstream"):
        for node in result[direction]["nodes"]:
            nodes.setdefault(node["id"], node)
        edges |= {(e["from"], e["to"]) for e in result[direction]["edges"]}
    start = f"dataset:{result['dataset'].lower()}"
    column = {start: 0}
    for sign, follow in ((1, lambda a, b: (a, b)), (-1, lambda a, b: (b, a))):
        frontier = [start]
        while frontier:
            nxt = []
            for node in frontier:
                for a, b in edges:
                    src, dst = follow(a, b)
                    if src == node and dst not in column:
                        column[dst] = column[node] + sign
                        nxt.append(dst)
            frontier = nxt
    return nodes, column, sorted(edges)


def lineage_figure(result: dict):
    """A Bokeh figure of the graph, or None when nothing but the dataset itself is recorded."""
    from bokeh.models import ColumnDataSource, HoverTool, Range1d
    from bokeh.models.annotations.labels import LabelSet
    from bokeh.plotting import figure

    nodes, column, edges = layers(result)
    if len(nodes) <= 1:
        return None
    placed = sorted(column, key=lambda n: (column[n], nodes[n]["name"]))[:MAX_NODES]
    rows: dict[int, list[str]] = defaultdict(list)
    for node in placed:
        rows[column[node]].append(node)
    x, y = {}, {}
    for col, members in rows.items():
        for i, node in enumerate(members):
            x[node], y[node] = col, (len(members) - 1) / 2 - i
    points = ColumnDataSource({
        "x": [x[n] for n in placed], "y": [y[n] for n in placed],
        "name": [nodes[n]["name"] for n in placed], "kind": [nodes[n]["kind"] for n in placed],
        "detail": [f"{nodes[n].get('runs', '')} runs, last {nodes[n].get('last_status', '')}"
                   if nodes[n]["kind"] == "job" else ("restricted" if nodes[n].get("restricted") else "dataset")
                   for n in placed],
        "color": ["#0b6e99" if nodes[n]["kind"] == "dataset" else "#9a6700" for n in placed],
    })
    spread = max(len(m) for m in rows.values())
    plot = figure(height=max(220, 70 * spread), sizing_mode="stretch_width", tools="pan,wheel_zoom,reset,save",
                  x_range=Range1d(start=min(rows) - 0.8, end=max(rows) + 0.8),
                  y_range=Range1d(start=-spread / 2 - 0.5, end=spread / 2 + 0.5),
                  toolbar_location="right", title=f"Lineage of {result['dataset']}")
    plot.axis.visible = False
    plot.grid.visible = False
    shown = [(a, b) for a, b in edges if a in x and b in x]
    plot.segment([x[a] for a, _ in shown], [y[a] for a, _ in shown], [x[b] for _, b in shown],
                 [y[b] for _, b in shown], line_color="#9aa5b1", line_width=1.5)
    circles = plot.scatter("x", "y", source=points, size=16, color="color")
    plot.add_layout(LabelSet(x="x", y="y", text="name", source=points, y_offset=10, text_font_size="9pt",
                             text_align="center"))
    plot.add_tools(HoverTool(renderers=[circles], tooltips=[("", "@name"), ("kind", "@kind"), ("", "@detail")]))
    return plot
