"""The ledger read back through a reader's grants, for every surface (REST `checks/history`, `aios check
history`, the dashboard's Quality page): an entry is shown only to a reader who may read every dataset its
queries read, and its values only when his view of them covers its runner's (`entries.governed_entry`).
Pages stay full: entries left out are made up from older ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aios_workbench.checks.ledger import Ledger
from aios_workbench.core.errors import NotFound, PermissionDenied
from aios_workbench.service.checks.entries import governed_entry, with_words
from aios_workbench.service.visibility import Reader, Views

if TYPE_CHECKING:
    from aios_workbench.service.core import WorkbenchService

_LATER_BATCH = 200   # once rows were left out, read on in bigger steps


def governed_history(service: WorkbenchService, views: Views, user: str, *, dataset: str | None = None,
                     name: str | None = None, kind: str | None = None, limit: int = 50,
                     before_id: int | None = None) -> list[dict[str, Any]]:
    """Ledger runs `user` may see, newest first, each as he may see it and in words (`with_words`)."""
    reader = views.reader(user)
    wanted = dataset_filter(service, reader, dataset) if dataset is not None else None
    scopes = reader.read_scopes()
    ledger = Ledger(service.store)
    out: list[dict[str, Any]] = []
    cursor, size = before_id, limit
    while len(out) < limit:
        batch = ledger.history(dataset=wanted, name=name, kind=kind, limit=size, before_id=cursor, scopes=scopes)
        for run in batch:
            entry = governed_entry(reader, run)
            if entry is not None:
                out.append(with_words(entry))
                if len(out) == limit:
                    break
        if len(batch) < size:
            break
        cursor, size = batch[-1]["id"], max(limit, _LATER_BATCH)
    return out


def dataset_filter(service: WorkbenchService, reader: Reader, dataset: str) -> str:
    """`dataset` as the ledger files it (source.schema.dataset, lower-case), if `reader` may read it."""
    try:
        name = service.queries.catalog().resolve(tuple(dataset.split("."))).full_name.lower()
    except NotFound:
        if dataset.count(".") != 2:
            raise
        name = dataset.lower()   # a dataset no longer in the catalog keeps its history
    if not reader.may_read(name):
        raise PermissionDenied(f"{reader.user} may not read {dataset}, so its check history is not shown",
                               fix="ask a data steward for a grant in governance/policy.yaml", input=dataset)
    return name
