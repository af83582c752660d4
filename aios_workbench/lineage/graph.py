"""Upstream and downstream of a dataset, from the lineage log's events.

Jobs are aggregated over their runs (`query:ana` is one node however many
queries Ana ran), datasets are matched case-insensitively by catalog name, and
a query's virtual result set is not a dataset. Edges follow the data:
dataset -> job (the job read it) and job -> dataset (the job wrote it).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from aios_workbench.lineage.events import is_result

MAX_DEPTH = 20
TERMINAL = ("COMPLETE", "FAIL", "ABORT")


@dataclass
class JobSummary:
    name: str
    type: str = ""
    inputs: dict[str, str] = field(default_factory=dict)    # lowercased name -> display name
    outputs: dict[str, str] = field(default_factory=dict)
    runs: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    users: Counter = field(default_factory=Counter)
    last_time: str = ""
    last_status: str = ""

    def node(self) -> dict:
        return {"id": f"job:{self.name}", "kind": "job", "name": self.name, "type": self.type,
                "runs": len(self.runs), "failed_runs": len(self.failed), "last_run": self.last_time,
                "last_status": self.last_status, "users": dict(self.users)}


@dataclass
class _RunUse:
    run: str
    job: str
    user: str
    time: str
    status: str
    columns: set[str]


class LineageIndex:
    """The events of one log, indexed by dataset for graph walks."""

    def __init__(self, events: Iterable[dict]):
        self.jobs: dict[str, JobSummary] = {}
        self.readers: dict[str, set[str]] = {}   # dataset -> job names that read it
        self.writers: dict[str, set[str]] = {}   # dataset -> job names that wrote it
        self.reads: dict[str, dict[str, _RunUse]] = {}   # dataset -> run id -> use
        self.writes: dict[str, dict[str, _RunUse]] = {}
        self.names: dict[str, str] = {}
        for event in events:
            self._add(event)

    def _add(self, event: dict) -> None:
        try:
            name = event["job"]["name"]
            run = event["run"]["runId"]
        except (KeyError, TypeError):
            return
        status = event.get("eventType", "")
        time = str(event.get("eventTime", ""))
        facet = ((event.get("run") or {}).get("facets") or {}).get("aios_run") or {}
        user = str(facet.get("user", ""))
        job = self.jobs.setdefault(name, JobSummary(name))
        job_type = (((event["job"].get("facets") or {}).get("jobType")) or {}).get("jobType")
        job.type = job_type or job.type
        job.runs.add(run)
        if status == "FAIL":
            job.failed.add(run)
        if user and status in TERMINAL:
            job.users[user] += 1
        if time >= job.last_time:
            job.last_time, job.last_status = time, status
        read_columns = self._columns_read(event)
        for ds in event.get("inputs") or []:
            self._use(ds, job, run, user, time, status, read_columns, job.inputs, self.readers, self.reads)
        for ds in event.get("outputs") or []:
            if not is_result(ds):
                self._use(ds, job, run, user, time, status, {}, job.outputs, self.writers, self.writes)

    def _use(self, ds, job, run, user, time, status, columns, job_side, by_dataset, uses) -> None:
        display = str(ds.get("name", ""))
        key = display.lower()
        if not key:
            return
        self.names.setdefault(key, display)
        job_side[key] = display
        by_dataset.setdefault(key, set()).add(job.name)
        previous = uses.setdefault(key, {}).get(run)
        if previous is None or time >= previous.time:  # START then COMPLETE: keep the run's latest state
            uses[key][run] = _RunUse(run, job.name, user, time, status, set(columns.get(key, ())))

    @staticmethod
    def _columns_read(event: dict) -> dict[str, set[str]]:
        """dataset (lowercased) -> its columns that the column lineage facets mention."""
        found: dict[str, set[str]] = {}
        for output in event.get("outputs") or []:
            facet = (output.get("facets") or {}).get("columnLineage") or {}
            fields = [f for spec in (facet.get("fields") or {}).values() for f in spec.get("inputFields") or []]
            for f in fields + list(facet.get("dataset") or []):
                found.setdefault(str(f.get("name", "")).lower(), set()).add(str(f.get("field", "")))
        return found

    def known(self, dataset: str) -> bool:
        return dataset.lower() in self.names

    def walk(self, dataset: str, direction: str, depth: int = 3) -> dict:
        """{nodes, edges, truncated, counts} of everything `direction` ("upstream"/"downstream") of `dataset`."""
        if direction not in ("upstream", "downstream"):
            raise ValueError("direction is 'upstream' or 'downstream'")
        depth = max(1, min(int(depth), MAX_DEPTH))
        start = dataset.lower()
        down = direction == "downstream"
        nodes = {f"dataset:{start}": _dataset_node(self.names.get(start, dataset))}
        edges: set[tuple[str, str]] = set()
        frontier, seen, truncated = {start}, {start}, False
        for level in range(depth + 1):
            next_frontier = set()
            for ds in sorted(frontier):
                for name in sorted((self.readers if down else self.writers).get(ds, ())):
                    if level == depth:
                        truncated = True
                        break
                    job = self.jobs[name]
                    nodes[f"job:{name}"] = job.node()
                    edges.add((f"dataset:{ds}", f"job:{name}") if down else (f"job:{name}", f"dataset:{ds}"))
                    for other, display in (job.outputs if down else job.inputs).items():
                        nodes.setdefault(f"dataset:{other}", _dataset_node(display))
                        edges.add((f"job:{name}", f"dataset:{other}") if down
                                  else (f"dataset:{other}", f"job:{name}"))
                        if other not in seen:
                            seen.add(other)
                            next_frontier.add(other)
            frontier = next_frontier
            if not frontier:
                break
        return {"dataset": self.names.get(start, dataset), "direction": direction, "depth": depth,
                "nodes": list(nodes.values()),
                "edges": [{"from": a, "to": b} for a, b in sorted(edges)],
                "truncated": truncated, "counts": self.counts(dataset, direction)}

    def counts(self, dataset: str, direction: str) -> dict:
        """Reads (downstream) or writes (upstream) of `dataset`: runs, by user and job, last time, columns."""
        uses = list(((self.reads if direction == "downstream" else self.writes).get(dataset.lower()) or {}).values())
        columns = Counter(c for use in uses for c in use.columns)
        verb = "reads" if direction == "downstream" else "writes"
        return {verb: len(uses),
                "by_user": dict(Counter(u.user for u in uses if u.user).most_common()),
                "by_job": dict(Counter(u.job for u in uses).most_common()),
                f"last_{verb[:-1]}": max((u.time for u in uses), default=None),
                "failed": sum(1 for u in uses if u.status == "FAIL"),
                **({"columns": dict(columns.most_common())} if direction == "downstream" else {})}


OTHERS = "(other users)"


def only_own_activity(graph: dict, user: str) -> dict:
    """`graph` as a non-auditor may see it: other people's queries merged into one anonymous node and
    their counts pooled, as the audit log shows them only their own records. Jobs stay named."""
    def person(name: str) -> str:
        return name if name == user else OTHERS

    def query_job(name: str) -> str:   # "query:<who>" jobs are people too
        return f"query:{person(name[6:])}" if name.startswith("query:") else name

    def pooled(counter: dict, key=person) -> dict:
        out: dict[str, int] = {}
        for name, count in counter.items():
            out[key(name)] = out.get(key(name), 0) + count
        return out

    renamed: dict[str, str] = {}
    nodes: dict[str, dict] = {}
    for node in graph["nodes"]:
        node = dict(node)
        if node["kind"] == "job" and query_job(node["name"]) != node["name"]:
            renamed[node["id"]] = node["id"] = f"job:query:{OTHERS}"
            node["name"] = f"query:{OTHERS}"
            merged = nodes.get(node["id"])
            if merged is not None:   # several people's queries: one node, their runs added up
                node["runs"] += merged["runs"]
                node["failed_runs"] += merged["failed_runs"]
                node["last_run"] = max(node["last_run"], merged["last_run"])
                node["users"] = {OTHERS: sum(node["users"].values()) + sum(merged["users"].values())}
        if node["kind"] == "job":
            node["users"] = pooled(node.get("users") or {})
        nodes[node["id"]] = node
    edges = sorted({(renamed.get(e["from"], e["from"]), renamed.get(e["to"], e["to"])) for e in graph["edges"]})
    counts = dict(graph.get("counts") or {})
    if "by_user" in counts:
        counts["by_user"] = pooled(counts["by_user"])
    if "by_job" in counts:
        counts["by_job"] = pooled(counts["by_job"], query_job)
    return {**graph, "nodes": list(nodes.values()), "edges": [{"from": a, "to": b} for a, b in edges],
            "counts": counts}


def _dataset_node(name: str) -> dict:
    return {"id": f"dataset:{name.lower()}", "kind": "dataset", "name": name}


def upstream(log, dataset: str, depth: int = 3) -> dict:
    """Jobs that wrote `dataset`, their inputs, and so on up to `depth` job hops."""
    return LineageIndex(log.events()).walk(dataset, "upstream", depth)


def downstream(log, dataset: str, depth: int = 3) -> dict:
    """Jobs, queries and notebooks that read `dataset`, what they wrote, and so on up to `depth` hops."""
    return LineageIndex(log.events()).walk(dataset, "downstream", depth)


# One index per log file, kept up to date by reading only what was appended since (the log only grows;
# a file replaced or cut shorter is read again from the start).
_INDEXES: dict[str, tuple[int, int, LineageIndex]] = {}   # path -> (inode, offset read to, index)
_INDEXES_LOCK = threading.Lock()


def _current_index(log) -> LineageIndex:
    """The index of `log` as it is now; call with `_INDEXES_LOCK` held."""
    key = str(log.path.resolve())
    try:
        stat = log.path.stat()
    except FileNotFoundError:
        _INDEXES.pop(key, None)
        return LineageIndex(())
    cached = _INDEXES.get(key)
    if cached is None or cached[0] != stat.st_ino or stat.st_size < cached[1]:
        inode, offset, index = stat.st_ino, 0, LineageIndex(())
    else:
        inode, offset, index = cached
    events, offset = log.events_after(offset)
    for event in events:
        index._add(event)
    _INDEXES[key] = (inode, offset, index)
    return index


def lineage_of(log, dataset: str, depth: int = 3) -> dict:
    """Both directions (what `aios lineage` and the REST endpoint show), from the log's index: only the
    events appended since the last call are read."""
    with _INDEXES_LOCK:   # walks read the index that updates write
        index = _current_index(log) if hasattr(log, "events_after") else LineageIndex(log.events())
        return {"dataset": index.names.get(dataset.lower(), dataset), "recorded": index.known(dataset),
                "upstream": index.walk(dataset, "upstream", depth),
                "downstream": index.walk(dataset, "downstream", depth)}


def restrict(graph: dict, may_read) -> dict:
    """`graph` with the datasets `may_read(name)` refuses shown as restricted, names hidden.

    Lineage must not tell a user the names of datasets they may not see; the
    jobs in between stay, so the shape of the flow is still visible."""
    renamed: dict[str, str] = {}
    nodes = []
    for node in graph["nodes"]:
        if node["kind"] == "dataset" and node["name"].lower() != graph["dataset"].lower() \
                and not may_read(node["name"]):
            renamed[node["id"]] = f"dataset:restricted-{len(renamed) + 1}"
            node = {"id": renamed[node["id"]], "kind": "dataset", "name": "(restricted)", "restricted": True}
        nodes.append(node)
    edges = [{"from": renamed.get(e["from"], e["from"]), "to": renamed.get(e["to"], e["to"])}
             for e in graph["edges"]]
    return {**graph, "nodes": nodes, "edges": edges}
