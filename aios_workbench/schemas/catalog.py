"""The catalog: datasets a caller may read, search, masked previews, profiles, lineage, governed writes."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, JsonValue

from aios_workbench.schemas.base import Body, NonEmpty, Query, Raw, Reply

ARROW_STREAM = Raw(("application/vnd.apache.arrow.stream",), "A table as an Arrow IPC stream.")

DatasetName = Field(description="source.schema.dataset, or a name unique in the catalog (e.g. suppliers)")


# -- the catalog ---------------------------------------------------------------------------------

TagOrigin = Literal["policy", "scan", "lineage", "unverified", "kept"]


class TagSource(Reply):
    """Where one of a column's tags came from."""

    tag: str
    origin: TagOrigin = Field(description="policy: confirmed in governance/policy.yaml; scan: the classifier found "
                              "it in the data; lineage: inherited by a write from a column it was derived from; "
                              "unverified: a written column of unknown lineage whose writer read that kind of "
                              "data raw; kept: earned earlier (tags only grow until a steward removes one).")
    detail: str = Field(description="The same in words, e.g. 'inherited from supplier_master.main.suppliers."
                        "contact_email via column lineage (write by carol)'; for the scan, its evidence (counts "
                        "and shares, never a value).")
    confidence: float = Field(description="The scan's confidence in its verdict (0.75 to 1); 1 for a tag a human "
                              "confirmed or a write inherited.")


DescriptionOrigin = Literal["policy", "source", ""]
ORIGIN_WORDS = ("policy: a steward's, in governance/policy.yaml; source: the database's own comment (COMMENT ON), "
                "read by the scan; empty when there is no description.")


class DatasetColumn(Reply):
    name: str
    type: str = Field(description="The DuckDB type, e.g. VARCHAR, DECIMAL(12,2).")
    description: str = Field(description="What the column holds, in words (e.g. 'days between order and "
                             "delivery'); empty when nobody described it.")
    description_origin: DescriptionOrigin = Field(description="Where the description came from: " + ORIGIN_WORDS)
    classifications: list[str] = Field(description="Tags such as pii.email (the policy's, the scan's, and those the "
                                       "column earned earlier or inherited through lineage).")
    tag_sources: list[TagSource] = Field(description="Where each classification came from, in the same order.")


class Dataset(Reply):
    """A catalog entry the caller may read."""

    name: str = Field(description="source.schema.dataset")
    source: str
    schema_: str = Field(alias="schema")
    dataset: str
    kind: str = Field(description="table or view")
    description: str
    description_origin: DescriptionOrigin = Field(description="Where the description came from: " + ORIGIN_WORDS)
    owners: list[str]
    tags: list[str]
    row_count: int | None = Field(description="The scan's count; null where a row filter hides rows from the caller.")
    columns: list[DatasetColumn]


class DatasetList(Reply):
    datasets: list[Dataset]


class DatasetQuery(Query):
    name: str = DatasetName


class ExplainedColumn(Reply):
    name: str
    type: str
    description: str = Field(description="What the column holds, in the words of a steward or the source's "
                             "comment; empty when nobody described it.")
    description_origin: DescriptionOrigin = Field(description="Where the description came from: " + ORIGIN_WORDS)
    classifications: list[str]
    about: str = Field(description="What the column holds by its classifications, in words (e.g. 'e-mail "
                       "addresses'); empty when it has none.")
    tags: list[TagSource] = Field(description="Each classification with its origin, evidence and confidence.")
    mask: str | None = Field(description="The mask applied for the caller (hash, partial, redact, ...), or null.")
    rule: str | None = Field(description="The policy rule that masks it, in words: its `description:` in "
                             "governance/policy.yaml, else a generated sentence.")
    shows: str | None = Field(description="What the caller sees instead of the value, in words; null when unmasked.")


class RowFilter(Reply):
    predicate: str = Field(description="The filter as DuckDB SQL, e.g. region = 'EU'.")
    rule: str = Field(description="The row filter rule in words.")


class DatasetView(Reply):
    """What the caller sees of a dataset (grant, masks per column, row filter) and which rule says so."""

    user: str
    dataset: str
    allowed: bool
    rule: str = Field(description="The grant that allows it, or why it is denied.")
    roles: list[str]
    columns: list[ExplainedColumn] = Field(description="Empty when the caller may not read the dataset.")
    row_filter: RowFilter | None
    summary: str = Field(description="What applied to the caller in one sentence: which columns are masked and "
                         "the row filter, or that nothing is masked or filtered.")


class DatasetShown(Dataset):
    """A catalog entry the caller may read with what they see of it (`aios catalog show`)."""

    access: DatasetView


# -- search --------------------------------------------------------------------------------------

class SearchQuery(Query):
    q: str = Field("", description="Words to look for in names, descriptions, tags, owners, column names and "
                   "column descriptions.")
    limit: int = Field(20, ge=1, le=200)


class MatchReason(Reply):
    """One place a search matched: the field, its text (a description is cut to a snippet around the match)
    and the [start, end) character ranges of the matching words in that text."""

    field: Literal["name", "column", "tag", "description", "owner", "source"]
    text: str
    highlights: list[list[int]]


class SearchHit(Reply):
    name: str
    kind: str
    description: str
    owners: list[str]
    tags: list[str]
    score: float
    matched_fields: list[str]
    matched_columns: list[str]
    reasons: list[MatchReason] = Field(description="Why it matched, strongest field first.")
    why: str = Field(description="The same in words, e.g. 'name and 2 columns (contact_email, contact_phone)'.")


class SearchHits(Reply):
    hits: list[SearchHit] = Field(description="Best first; readable datasets only.")


# -- preview and profile -------------------------------------------------------------------------

class PreviewQuery(Query):
    name: str = DatasetName
    order_by: str | None = Field(None, description="A column to sort by (keyset paging).")
    desc: bool = False
    after: str | None = Field(None, description="The next_cursor of the previous page (opaque, signed).")
    limit: int = Field(50, ge=1, le=1000)
    count: bool = Field(False, description="Also compute the (cached) governed row count.")


class PreviewColumn(Reply):
    name: str
    type: str = Field(description="The type as the caller sees it (a hashed column is VARCHAR).")


class PreviewPage(Reply):
    """One masked, filtered page; values JSON lacks (NaN, dates, bytes) arrive as text."""

    dataset: str
    columns: list[PreviewColumn]
    rows: list[dict[str, JsonValue]]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null on the last page.")
    row_count: int | None
    row_count_source: Literal["count", "scan"] | None = Field(
        description="count: a governed count(*), cached; scan: the catalog's count (no row filter applies).")
    order_by: str | None
    descending: bool
    applied: str = Field(description="What governance did to this page for the caller, in words: the masked "
                         "columns and the row filter, or that nothing was masked or filtered.")


class MaskedColumnProfile(Reply):
    """A masked column: nothing derived from its values."""

    name: str
    masked: Literal[True]
    mask: str | None
    rows: int


class HistogramBin(Reply):
    low: JsonValue
    high: JsonValue
    count: int


class TopValue(Reply):
    value: JsonValue
    count: int


class ColumnProfile(Reply):
    name: str
    type: str
    masked: Literal[False]
    rows: int
    nulls: int | None
    distinct: int | None
    min: JsonValue
    max: JsonValue
    mean: float | str | None = Field(None, description="Numeric columns; NaN and infinities as text.")
    std: float | str | None = None
    quantiles: dict[str, JsonValue] | None = Field(None, description="p05, p25, p50, p75, p95.")
    histogram: list[HistogramBin] | None = None
    top: list[TopValue] | None = Field(None, description="Most frequent values of low-cardinality columns.")


class DatasetProfile(Reply):
    """Row count and per-column statistics computed in DuckDB, as the caller sees the dataset."""

    dataset: str
    rows: int = Field(description="Rows the caller sees (after the row filter).")
    rows_label: str = Field(description="The same in words with the row filter that applies, e.g. "
                            "\"73 rows you can see (row filter: region = 'EU')\".")
    row_filter: str | None = Field(description="The caller's row filter as DuckDB SQL, or null.")
    profiled_rows: int = Field(description="Rows the statistics were computed over (fewer when sampled).")
    approximate: bool
    sample: int | float | None
    statements: int
    seconds: float
    columns: list[ColumnProfile | MaskedColumnProfile]


# -- lineage -------------------------------------------------------------------------------------

class LineageQuery(Query):
    name: str = DatasetName
    depth: int = Field(3, ge=1, le=20)


class DatasetNode(Reply):
    id: str
    kind: Literal["dataset"]
    name: str = Field(description="(restricted) for a dataset the caller may not read.")
    restricted: Literal[True] | None = None


class JobNode(Reply):
    """A job, notebook or person's queries that read or wrote datasets, aggregated over its runs."""

    id: str
    kind: Literal["job"]
    name: str
    type: str
    runs: int
    failed_runs: int
    last_run: str
    last_status: str
    users: dict[str, int]


class LineageEdge(Reply):
    from_: str = Field(alias="from")
    to: str


class UpstreamCounts(Reply):
    writes: int
    by_user: dict[str, int]
    by_job: dict[str, int]
    last_write: str | None
    failed: int


class DownstreamCounts(Reply):
    reads: int
    by_user: dict[str, int]
    by_job: dict[str, int]
    last_read: str | None
    failed: int
    columns: dict[str, int] = Field(description="How often each column was read.")


class LineageGraph(Reply):
    dataset: str
    direction: Literal["upstream", "downstream"]
    depth: int
    nodes: list[DatasetNode | JobNode]
    edges: list[LineageEdge]
    truncated: bool
    counts: UpstreamCounts | DownstreamCounts
    summary: str = Field(description="What the graph holds in words, e.g. '2 jobs and 3 datasets downstream; "
                         "read 14 times'; every surface shows this one count.")


class Lineage(Reply):
    """Upstream (jobs that wrote it, their inputs) and downstream (queries, notebooks, jobs that read it)."""

    dataset: str
    recorded: bool = Field(description="Whether the lineage log has seen the dataset at all.")
    upstream: LineageGraph
    downstream: LineageGraph


# -- governed writes -----------------------------------------------------------------------------

class WriteQuery(Query):
    """Where and how to write. The body's Arrow schema metadata may carry `aios.queries`: a JSON list of the
    SQL the data was derived from (wb.write sends the queries the kernel ran); the service derives their
    column lineage itself, so written columns inherit the tags of the columns they were computed from."""

    target: str = Field(description="SOURCE.NAME of a `datasets` source.")
    mode: Literal["replace", "append"] = "replace"
    inputs: str = Field("", description="Comma-separated datasets the data came from; each readable by the caller.")
    infer_inputs: Literal["0", "1", "true"] = Field(
        "0", description="1: the inputs are what the kernel read; those no longer readable are left out.")
    run_id: str | None = Field(None, description="The caller's own MLflow run (or its job run) to link the audit record "
                                                 "and lineage to; any other run is refused.")
    surface: str = Field("api", description="Ignored (kept so older clients are not refused): the service records "
                                            "how the caller authenticated (kernel, ui, api, job).")


class WriteResult(Reply):
    """What was written."""

    dataset: str = Field(description="source.main.name")
    mode: str
    rows: int
    columns: list[str]
    total_rows: int | None = Field(description="The dataset's rows after the write, as the scan counted them.")
    inputs: list[str]
    pii_columns: dict[str, list[str]] = Field(description="Column -> its PII tags (found by the scan, inherited "
                                              "through lineage, or kept from before).")
    tags: dict[str, list[TagSource]] = Field(description="Column -> each of its tags and where it came from.")
    owner: str | None = Field(description="Who first wrote the dataset (may replace or append to it).")
    warnings: list[str] = Field(description="E.g. columns tagged because their lineage is unknown.")


class UntagRequest(Body):
    example: ClassVar[str] = ('{"dataset": "outputs.main.report", "column": "label", "tag": "pii.person_name", '
                              '"reason": "product labels, not names"}')

    dataset: NonEmpty = DatasetName
    column: NonEmpty
    tag: NonEmpty
    reason: NonEmpty = Field(description="Why the column does not hold this kind of data (audited).")


class Untagged(Reply):
    """A steward removed a classification tag (audited)."""

    dataset: str
    column: str
    tag: str
    removed_by: str
    reason: str
    classifications: list[str] = Field(description="The column's tags now.")

