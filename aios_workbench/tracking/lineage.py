"""Dataset lineage for MLflow runs, without materialising data in Python.

A governed dataset read inside a run is logged as an MLflow dataset input: a
`MetaDataset` whose source is `aios://<workspace>/<source.schema.dataset>`, whose
digest DuckDB computed over the rows the reader may see (`digest_sql`), and whose
schema is the governed one. MLflow's own `from_pandas` infers all of this in
Python (6-9 s on 1M rows); here it is one aggregate query in the service.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from aios_workbench.core.errors import UsageError

SOURCE_TYPE = "aios"
SCHEME = "aios://"
_DATASET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}")

# describe(dataset) -> {"digest": str, "rows": int, "schema": [{"name": str, "type": str}, ...]}
Describe = Callable[[str], dict]


def _check_name(dataset: str) -> str:
    if not isinstance(dataset, str) or not _DATASET_NAME.fullmatch(dataset):
        raise UsageError(f"{dataset!r} is not a dataset name", fix="pass source.schema.dataset, e.g. "
                         "'supplier_master.main.suppliers'", input=dataset)
    return dataset


def digest_sql(dataset: str) -> str:
    """SQL computing a dataset's row count and an order-independent content hash, in DuckDB.

    Run it through the governed query path as the reader: masks and row filters
    apply, so the digest is of exactly what the run could see. `hash(t)` hashes
    the whole row; XOR and SUM of the row hashes do not depend on row order, and
    the SUM keeps duplicate rows from cancelling out as they would in XOR alone.
    The result has one row: `row_count`, `hash_xor`, `hash_sum`; pass it to `digest_from_row`."""
    name = _check_name(dataset)
    return ("SELECT count(*) AS row_count, bit_xor(h) AS hash_xor, sum(h) AS hash_sum "
            f"FROM (SELECT hash(t) AS h FROM {name} AS t)")


def schema_sql(dataset: str) -> str:
    """SQL returning no rows but the dataset's governed schema (masked columns as the reader sees them)."""
    return f"SELECT * FROM {_check_name(dataset)} LIMIT 0"


def digest_from_row(row: dict, columns: list[dict] | None = None) -> str:
    """A 32-hex-character digest from `digest_sql`'s result row and the column list.

    The columns take part so that renaming or retyping a column changes the digest.
    (MLflow stores at most 36 characters per dataset digest.)"""
    payload = json.dumps({"rows": int(row["row_count"]), "xor": str(row["hash_xor"]),
                          "sum": str(row["hash_sum"]), "columns": columns or []}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def columns_from_arrow(schema) -> list[dict]:
    """`[{"name", "type"}]` from a pyarrow schema (e.g. the result of `schema_sql`)."""
    return [{"name": field.name, "type": str(field.type)} for field in schema]


def governed_describer(run_sql: Callable[[str], Any]) -> Describe:
    """A `describe` for `WorkbenchRun.record_read` from a function running governed SQL into Arrow.

    Two small queries per dataset: the digest aggregate and a LIMIT 0 for the
    schema. Example, in the kernel client:
    `governed_describer(lambda q: client.query_arrow(q, surface="lineage"))`."""
    def describe(dataset: str) -> dict:
        columns = columns_from_arrow(run_sql(schema_sql(dataset)).schema)
        row = run_sql(digest_sql(dataset)).to_pylist()[0]
        return {"digest": digest_from_row(row, columns), "rows": int(row["row_count"]), "schema": columns}

    return describe


def source_uri(workspace: str, dataset: str) -> str:
    return f"{SCHEME}{workspace}/{dataset}"


# -- MLflow types (imported lazily) ----------------------------------------------------------------
_SCALAR_TYPES = {  # DuckDB and Arrow spellings (parameters stripped) -> mlflow DataType name
    **dict.fromkeys(["boolean", "bool"], "boolean"),
    **dict.fromkeys(["tinyint", "smallint", "integer", "int", "int8", "int16", "int32", "utinyint",
                     "usmallint", "uint8", "uint16"], "integer"),
    **dict.fromkeys(["bigint", "int64", "uinteger", "uint32", "ubigint", "uint64", "hugeint", "uhugeint"], "long"),
    **dict.fromkeys(["float", "real", "float4", "float32", "halffloat", "float16"], "float"),
    **dict.fromkeys(["double", "float8", "float64", "decimal", "numeric", "decimal128", "decimal256"], "double"),
    **dict.fromkeys(["varchar", "string", "large_string", "string_view", "text", "uuid", "enum", "char",
                     "bpchar"], "string"),
    **dict.fromkeys(["blob", "bytea", "binary", "large_binary", "binary_view"], "binary"),
    **dict.fromkeys(["date", "date32", "date64", "timestamp", "timestamptz", "timestamp_s", "timestamp_ms",
                     "timestamp_ns", "datetime"], "datetime"),
}


def mlflow_type(type_name: str):
    """The mlflow type for a DuckDB or Arrow type name; `AnyType` for nested and unusual types."""
    from mlflow.types.schema import AnyType, DataType

    lowered = type_name.strip().lower()
    if lowered.endswith("]") and "[" in lowered and not lowered.startswith(("timestamp", "date")):
        return AnyType()   # DuckDB lists and arrays: INTEGER[], VARCHAR[3]
    base = re.split(r"[(\[<\s]", lowered, maxsplit=1)[0]
    name = _SCALAR_TYPES.get(base)
    return getattr(DataType, name) if name else AnyType()


def mlflow_schema(columns: list[dict]):
    from mlflow.types import ColSpec, Schema

    # required=False: the catalog does not promise non-null columns, and a "null" mask empties one.
    return Schema([ColSpec(type=mlflow_type(c["type"]), name=c["name"], required=False) for c in columns])


_source_class = None


def dataset_source_class():
    """The `aios://` DatasetSource class, defined and registered with MLflow on first use."""
    global _source_class
    if _source_class is not None:
        return _source_class
    from mlflow.data.dataset_source import DatasetSource
    from mlflow.data.dataset_source_registry import get_registered_sources, register_dataset_source

    class WorkbenchDatasetSource(DatasetSource):
        """A governed dataset of a workbench workspace: `aios://<workspace>/<source.schema.dataset>`."""

        def __init__(self, uri: str):
            self.uri = uri

        @staticmethod
        def _get_source_type() -> str:
            return SOURCE_TYPE

        def load(self, dst_path=None):
            dataset = self.uri.removeprefix(SCHEME).split("/", 1)[-1]
            raise UsageError(f"{self.uri} is a governed dataset and is read through the workbench, not MLflow",
                             fix=f"read it with wb.table({dataset!r}) (your policy's masks and filters apply)",
                             input=self.uri)

        @staticmethod
        def _can_resolve(raw_source: Any) -> bool:
            return isinstance(raw_source, str) and raw_source.startswith(SCHEME)

        @classmethod
        def _resolve(cls, raw_source: Any) -> WorkbenchDatasetSource:
            return cls(raw_source)

        def to_dict(self) -> dict[str, Any]:
            return {"uri": self.uri}

        @classmethod
        def from_dict(cls, source_dict: dict[Any, Any]) -> WorkbenchDatasetSource:
            return cls(source_dict["uri"])

    if not any(getattr(s, "_get_source_type", lambda: None)() == SOURCE_TYPE for s in get_registered_sources()):
        # MLflow annotates the parameter as an instance, but registers (and its own callers pass) the class
        register_dataset_source(WorkbenchDatasetSource)  # type: ignore[arg-type]
    _source_class = WorkbenchDatasetSource
    return _source_class


def dataset_input(workspace: str, dataset: str, description: dict, context: str):
    """An MLflow `DatasetInput` for one governed dataset, built from `describe`'s metadata only."""
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.entities import Dataset as DatasetEntity
    from mlflow.entities import DatasetInput, InputTag
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    missing = {"digest", "rows", "schema"} - set(description)
    if missing:
        raise UsageError(f"describe({dataset!r}) returned no {', '.join(sorted(missing))}",
                         fix='return {"digest": str, "rows": int, "schema": [{"name", "type"}, ...]}',
                         input=dataset)
    source = dataset_source_class()(source_uri(workspace, dataset))
    digest, schema = str(description["digest"])[:36], mlflow_schema(description["schema"])
    # MLflow marks `profile` abstract on Dataset (not an ABC) and MetaDataset, meant to be built, leaves it
    meta = MetaDataset(source, name=dataset, digest=digest, schema=schema)  # type: ignore[abstract]
    base = meta._to_mlflow_entity()
    # MetaDataset has no profile; the row count goes where MLflow's own datasets put theirs.
    entity = DatasetEntity(name=base.name, digest=base.digest, source_type=base.source_type, source=base.source,
                           schema=base.schema, profile=json.dumps({"num_rows": int(description["rows"])}))
    return DatasetInput(dataset=entity, tags=[InputTag(key=MLFLOW_DATASET_CONTEXT, value=context)])
