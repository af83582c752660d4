"""The catalog as source > schema > dataset rows, flattened for a list widget and shown a page at a time.

Pure data, no widgets: the browser renders `visible_rows(...)[offset:offset + PAGE_SIZE]`, so a
10,000-dataset catalog never puts more than one page of options into the notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PAGE_SIZE = 200
OPEN_ALL_UP_TO = 500


@dataclass(eq=False)
class TreeNode:
    """A source, a schema or a dataset; `size` counts the datasets below it (1 for a dataset)."""

    key: str
    kind: str
    label: str
    level: int
    children: list[TreeNode] = field(default_factory=list)
    dataset: dict | None = None
    size: int = 0

    @property
    def is_group(self) -> bool:
        return self.kind != "dataset"


def build_tree(datasets: list[dict]) -> list[TreeNode]:
    """Group catalog entries by source and schema, each level sorted by label."""
    sources: dict[str, TreeNode] = {}
    schemas: dict[str, TreeNode] = {}
    for dataset in datasets:
        name = str(dataset.get("name", ""))
        source_name = dataset.get("source") or name.split(".")[0] or "?"
        schema_name = dataset.get("schema") or "main"
        source = sources.get(source_name)
        if source is None:
            source = sources[source_name] = TreeNode(f"s:{source_name}", "source", source_name, 1)
        schema_key = f"{source.key}/{schema_name}"
        schema = schemas.get(schema_key)
        if schema is None:
            schema = schemas[schema_key] = TreeNode(schema_key, "schema", schema_name, 2)
            source.children.append(schema)
        schema.children.append(TreeNode(f"d:{name}", "dataset", dataset.get("dataset") or name, 3,
                                        dataset=dataset, size=1))
        schema.size += 1
        source.size += 1
    roots = sorted(sources.values(), key=lambda n: n.label)
    for source in roots:
        source.children.sort(key=lambda n: n.label)
        for schema in source.children:
            schema.children.sort(key=lambda n: n.label)
    return roots


def default_expansion(roots: list[TreeNode], open_all_up_to: int = OPEN_ALL_UP_TO) -> set[str]:
    """Open everything when the catalog is small enough to read at once, else sources only."""
    total = sum(r.size for r in roots)
    opened: set[str] = set()
    for source in roots:
        opened.add(source.key)
        if total <= open_all_up_to or len(roots) == 1:
            for schema in source.children:
                if total <= open_all_up_to or len(source.children) == 1:
                    opened.add(schema.key)
    return opened


def visible_rows(roots: list[TreeNode], expanded: set[str]) -> list[TreeNode]:
    """Every root, and the children of expanded nodes, in display order."""
    rows: list[TreeNode] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        rows.append(node)
        if node.is_group and node.key in expanded:
            stack.extend(reversed(node.children))
    return rows


def flat_rows(datasets: list[dict]) -> list[TreeNode]:
    """Search results: one row per dataset, full names and why each matched, in the given (ranked) order."""
    return [TreeNode(f"d:{d.get('name', '')}", "dataset",
                     str(d.get("name", "")) + (f" — {d['why']}" if d.get("why") else ""), 1, dataset=d, size=1)
            for d in datasets]


def row_label(node: TreeNode, expanded: set[str]) -> str:
    """The option text of a row: indentation, a caret for groups, the dataset count."""
    indent = "\u00a0\u00a0\u00a0" * (node.level - 1)
    if node.is_group:
        caret = "▾" if node.key in expanded else "▸"
        return f"{indent}{caret} {node.label} ({node.size:,})"
    kind = (node.dataset or {}).get("kind")
    return f"{indent}\u00a0\u00a0{node.label}" + (f"  [{kind}]" if kind and kind != "table" else "")


def filter_datasets(datasets: list[dict], text: str) -> list[dict]:
    """Client-side search, used when the service cannot search: every word must occur somewhere."""
    words = text.lower().split()
    if not words:
        return list(datasets)

    def haystack(d: dict) -> str:
        parts = [d.get("name", ""), d.get("description") or "", *(d.get("tags") or []), *(d.get("owners") or []),
                 *(c.get("name", "") for c in d.get("columns") or [])]
        return "\n".join(str(p) for p in parts).lower()

    return [d for d in datasets if all(w in haystack(d) for w in words)]
