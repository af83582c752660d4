"""The catalog as a caller sees it: datasets they may read, search, show, preview, profile, CSV export,
lineage, policy explanations, governed writes and scans."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlglot import exp

from aios_workbench.catalog import scan_catalog
from aios_workbench.catalog.preview import PreviewPage, preview
from aios_workbench.catalog.profile import profile
from aios_workbench.catalog.search import search
from aios_workbench.catalog.search_reasons import answer
from aios_workbench.core.errors import NotFound, PermissionDenied, UsageError
from aios_workbench.lineage import LineageLog, lineage_of, log_path, restrict
from aios_workbench.lineage.graph import only_own_activity
from aios_workbench.policy.explain import explain
from aios_workbench.service.manager import Manager
from aios_workbench.service.writes import write_dataset
from aios_workbench.store.models import ColumnTag, utcnow

if TYPE_CHECKING:
    import pyarrow as pa



def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def lineage_summary(graph: dict[str, Any]) -> str:
    """One direction of a dataset's lineage in words: the jobs (and people's ad-hoc queries) and datasets it
    holds, and how often the dataset was written or read. The one count every surface shows (sidebar,
    `wb.catalog()`, dashboard), so they cannot disagree."""
    own = f"dataset:{graph['dataset'].lower()}"
    runners = [n for n in graph["nodes"] if n["kind"] == "job"]
    jobs = sum(1 for n in runners if not n["name"].startswith("query:"))
    who = ([_count(jobs, "job")] if jobs else []) + (["ad-hoc queries"] if len(runners) > jobs else [])
    datasets = sum(1 for n in graph["nodes"] if n["kind"] == "dataset" and n["id"].lower() != own)
    counts = graph.get("counts") or {}
    more = " (more beyond this depth)" if graph.get("truncated") else ""
    if graph["direction"] == "upstream":
        if not runners:
            return "No recorded job or query wrote it."
        inputs = f" from {_count(datasets, 'dataset')}" if datasets else ""
        return (f"Written by {' and '.join(who)}{inputs}; {_count(counts.get('writes', 0), 'write')} "
                f"recorded{more}.")
    if not runners:
        return "No recorded job, notebook or query read it."
    outputs = f", which wrote {_count(datasets, 'dataset')}" if datasets else ""
    return f"Read by {' and '.join(who)}{outputs}; {_count(counts.get('reads', 0), 'read')} recorded{more}."


class CatalogManager(Manager):
    """Catalog actions of one workspace, each run as a named caller."""

    def readable(self, user: str) -> list[dict[str, Any]]:
        """Catalog entries `user` may read (deny by default hides the rest)."""
        policy = self.service.policy()
        principal = policy.principal(user)
        out = []
        for entry in self.service.queries.catalog().entries:
            if not policy.grant_for(principal, entry):
                continue
            data = entry.to_dict()
            if policy.filters_rows(principal, entry):
                data["row_count"] = None  # the scan's count includes rows this user's filter hides
            out.append(data)
        return out

    def size(self) -> int:
        """How many datasets the catalog holds, readable or not (a count reveals no names)."""
        return len(self.service.queries.catalog().entries)

    def search(self, user: str, text: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """Ranked catalog search over what `user` may read, with why each dataset matched."""
        policy = self.service.policy()
        principal = policy.principal(user)
        hits = search(self.service.queries.catalog(), text,
                      visible=lambda e: policy.grant_for(principal, e) is not None, limit=limit)
        return [answer(h) for h in hits]

    def explain(self, user: str, dataset: str, *, agent: bool = False) -> dict[str, Any]:
        """What `user` (through an AI agent, with `agent`) sees of `dataset` and why: grant, masks, row filter."""
        return explain(self.service.queries.policy.current(), self.service.queries.catalog(), user, dataset,
                       agent=agent)

    def show(self, user: str, dataset: str, *, agent: bool = False) -> dict[str, Any]:
        """`dataset`'s catalog entry with what `user` (through an AI agent, with `agent`) sees of it (`access`);
        a dataset they may not read is refused, as `readable` and `search` leave it out."""
        info = self.explain(user, dataset, agent=agent)
        if not info["allowed"]:
            raise PermissionDenied(f"{user} may not read {info['dataset']}: {info['rule']}", input=dataset,
                                   fix="ask a data steward for a grant in governance/policy.yaml "
                                       f"(`aios policy explain {user} {dataset}` says which rule applies)")
        data = self.service.queries.catalog().resolve(tuple(dataset.split("."))).to_dict()
        if info["row_filter"] is not None:
            data["row_count"] = None   # the scan counted rows this user's filter hides
        return {**data, "access": info}

    def preview(self, user: str, dataset: str, *, order_by: str | None = None, descending: bool = False,
                after: str | None = None, limit: int = 50, count: bool = False, surface: str) -> PreviewPage:
        """One masked, filtered page of `dataset` through the governed path (keyset paging with `after`)."""
        return preview(self.service.queries, user, dataset, order_by=order_by, descending=descending, after=after,
                       limit=limit, count=count, surface=surface)

    def profile(self, user: str, dataset: str, *, surface: str) -> dict[str, Any]:
        """The profile of `dataset` as `user` sees it (masked columns report only that they are masked)."""
        return profile(self.service.queries, user, dataset, surface=surface).to_dict()

    def export_csv(self, user: str, dataset: str, *, max_rows: int, surface: str) -> tuple[bytes, bool]:
        """`dataset` as `user` sees it, as CSV bytes, and whether it was cut at `max_rows`."""
        entry = self.service.queries.catalog().resolve(tuple(dataset.split(".")))
        table = exp.Table(this=exp.to_identifier(entry.name, quoted=True),
                          db=exp.to_identifier(entry.schema, quoted=True),
                          catalog=exp.to_identifier(entry.source, quoted=True))
        sql = exp.select("*").from_(table).limit(max_rows + 1).sql("duckdb")
        result = self.service.queries.run(sql, user=user, surface=surface, max_rows=max_rows + 1).to_arrow()
        truncated = result.num_rows > max_rows
        out = io.BytesIO()
        import pyarrow.csv as pa_csv  # lazy: Arrow costs 0.15 s that `aios` commands without data never pay

        pa_csv.write_csv(result.slice(0, max_rows), out)
        return out.getvalue(), truncated

    def lineage(self, user: str, dataset: str, depth: int = 3) -> dict[str, Any]:
        """Upstream and downstream of `dataset` from the lineage log; datasets `user` may not
        read appear as restricted, and other people's queries only to auditors."""
        info = self.explain(user, dataset)  # unknown or ambiguous names raise here, with the fix
        if not info["allowed"]:
            raise PermissionDenied(f"{user} may not read {info['dataset']}: {info['rule']}",
                                   fix="ask a data steward for a grant in governance/policy.yaml",
                                   input=info["dataset"])
        readable = {d["name"].lower() for d in self.readable(user)}
        self.service.queries.flush_lineage()
        result = lineage_of(LineageLog(log_path(self.service.workspace)), info["dataset"], depth)
        result["dataset"] = info["dataset"]
        auditor = self.service.policy().is_auditor(user)
        for direction in ("upstream", "downstream"):
            result[direction] = restrict(result[direction], lambda name: name.lower() in readable)
            if not auditor:   # who else queried it is audit information: auditors only
                result[direction] = only_own_activity(result[direction], user)
            result[direction]["summary"] = lineage_summary(result[direction])
        return result

    def write(self, user: str, target: str, table: pa.Table, *, mode: str = "replace", inputs: Iterable[str] = (),
              run_id: str | None = None, surface: str = "api", strict_inputs: bool = True,
              queries: Iterable[str] = ()) -> dict[str, Any]:
        """Write an Arrow table as a dataset of a `datasets` source (write grant, and ownership of an existing
        one; classified, with the tags of what it was derived from; audited; traced from `inputs`)."""
        return write_dataset(self.service, user, target, table, mode=mode, inputs=inputs, run_id=run_id,
                             surface=surface, strict_inputs=strict_inputs, queries=queries).to_dict()

    def untag(self, user: str, dataset: str, column: str, tag: str, *, reason: str, surface: str) -> dict[str, Any]:
        """A steward (`privilege: manage` on `dataset`) removes classification `tag` from `column`, with a reason;
        audited. The removal holds against later scans; new column lineage from a later write earns it again.
        A tag confirmed in governance/policy.yaml is removed there, not here."""
        policy = self.service.policy()
        principal = policy.principal(user)
        entry = self.service.queries.catalog().resolve(tuple(dataset.split(".")))
        reason = (reason or "").strip()
        detail = {"column": column, "tag": tag, "reason": reason}
        if policy.grant_for(principal, entry, "manage") is None:
            self.service.audit.append(user=user, surface=surface, action="catalog.untag", target=entry.full_name,
                                      allowed=False, detail={**detail, "reason_denied": "no manage grant"})
            raise PermissionDenied(f"{user} may not remove classification tags of {entry.full_name}: that is a "
                                   "steward's decision (a `privilege: manage` grant on it)", input=entry.full_name,
                                   fix="ask a data steward; they can also reject it for good under "
                                       "`rejected_classifications` in governance/policy.yaml")
        info = entry.column(column)
        if info is None:
            raise NotFound(f"{entry.full_name} has no column {column!r}", input=column,
                           fix=f"use one of: {', '.join(c.name for c in entry.columns)}")
        source = next((s for s in info.sources if s.tag == tag), None)
        if source is None:
            raise NotFound(f"column {entry.full_name}.{info.name} has no tag {tag!r}", input=tag,
                           fix=f"its tags are: {', '.join(info.classifications) or 'none'}")
        if source.origin == "policy":
            raise UsageError(f"{tag} on {entry.full_name}.{info.name} is confirmed in governance/policy.yaml",
                             fix=f"remove it from `datasets: {entry.full_name}: columns: {info.name}` there", input=tag)
        if not reason:
            raise UsageError("removing a classification needs a reason (it is audited)", input=tag,
                             fix='pass --reason "why the column does not hold this kind of data"')
        with self.service.store.session() as session, session.begin():
            row = session.scalar(select(ColumnTag).where(
                ColumnTag.source == entry.source, ColumnTag.schema_name == entry.schema,
                ColumnTag.dataset == entry.name, ColumnTag.column == info.name, ColumnTag.tag == tag))
            if row is None:
                row = ColumnTag(source=entry.source, schema_name=entry.schema, dataset=entry.name, column=info.name,
                                tag=tag, origin="scan", detail=source.detail, inputs=[], earned_by="scan")
                session.add(row)
            row.state, row.removed_by, row.removed_at, row.removed_reason = "removed", user, utcnow(), reason
        self.service.audit.append(user=user, surface=surface, action="catalog.untag", target=entry.full_name,
                                  allowed=True, detail={**detail, "origin": source.origin, "was": source.detail})
        self.service.queries.catalog_changed()   # masks follow tags in the rewrite; the engine's views stay
        after = self.service.queries.catalog().resolve((entry.source, entry.schema, entry.name)).column(info.name)
        return {"dataset": entry.full_name, "column": info.name, "tag": tag, "removed_by": user, "reason": reason,
                "classifications": list(after.classifications) if after else []}

    def scan(self, *, force: bool = False) -> dict[str, Any]:
        """Discover datasets and columns from every declared source (unchanged sources are skipped unless
        `force`); the next query sees the new catalog."""
        report = scan_catalog(self.service.workspace, self.service.store, force=force).to_dict()
        self.service.queries.refresh()
        return report
