"""Files in an S3-compatible object store (AWS S3, MinIO, Ceph, R2, ...), read through httpfs.

The source becomes an in-memory DuckDB catalog holding one view over the files that
`prefix` + `glob` select, like the `files` connector does for a local folder. The
credentials are named secrets (`key_id_secret`, `secret_secret`), resolved in the
workbench service only and handed to DuckDB as a temporary S3 secret scoped to the
source's bucket and prefix; they never appear in errors.

After the governed engine disables external access, DuckDB reads only from
`allowed_directories`: `allowed_directories()` gives the entry this source needs.
"""

from __future__ import annotations

import re
from typing import Literal, Self

import duckdb
from pydantic import Field, field_validator, model_validator

from aios_workbench.connectors.builtin import Connector, _Options, _quote
from aios_workbench.connectors.engine import load_extension
from aios_workbench.connectors.secrets import resolve_secret, scrub
from aios_workbench.core.errors import ConnectorError
from aios_workbench.core.registry import connectors

_BUCKET = r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$"
_ENDPOINT = r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$"
_IDENTIFIER = r"^[a-z_][a-z0-9_]{0,62}$"
_READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json_auto"}


@connectors.register("s3")
class S3Connector(Connector):
    """Parquet, CSV or JSON files under a prefix of an S3-compatible bucket."""

    duckdb_extension = "httpfs"

    class Options(_Options):
        endpoint: str | None = Field(None, description="host:port of an S3-compatible server; omit for AWS S3")
        bucket: str = Field(pattern=_BUCKET)
        prefix: str = Field("", description="folder inside the bucket, e.g. `exports/sales`")
        glob: str = Field("*.parquet", description="which files under the prefix belong to the dataset")
        format: Literal["parquet", "csv", "json"] = "parquet"
        dataset: str | None = Field(None, pattern=_IDENTIFIER,
                                    description="name of the dataset; default the last prefix segment or the bucket")
        region: str = Field("us-east-1", pattern=r"^[a-z0-9\-]+$")
        url_style: Literal["path", "vhost"] = "path"
        use_ssl: bool = True
        key_id_secret: str | None = Field(None, description="name of the secret holding the access key id")
        secret_secret: str | None = Field(None, description="name of the secret holding the secret access key")

        @field_validator("endpoint")
        @classmethod
        def _endpoint_is_host_port(cls, value: str | None) -> str | None:
            if value is None:
                return None
            if "://" in value:
                raise ValueError("give `host:port` without a scheme (e.g. `minio.internal:9000`); "
                                 "set `use_ssl: false` for plain http")
            if not re.match(_ENDPOINT, value):
                raise ValueError("expected `host` or `host:port`, e.g. `minio.internal:9000`")
            return value

        @field_validator("prefix")
        @classmethod
        def _prefix_is_a_folder(cls, value: str) -> str:
            value = value.strip("/")
            if any(part in ("", ".", "..") for part in value.split("/")) and value:
                raise ValueError("a prefix is a folder path like `exports/sales`: no empty, `.` or `..` segments")
            if any(c in value for c in "*?[]{}'\"\\"):
                raise ValueError("a prefix cannot hold glob characters or quotes; put patterns in `glob`")
            return value

        @field_validator("glob")
        @classmethod
        def _glob_stays_under_the_prefix(cls, value: str) -> str:
            if not value or value.startswith("/") or ".." in value.split("/"):
                raise ValueError("a glob is relative to the prefix, e.g. `*.parquet` or `year=*/*.parquet`")
            return value

        @model_validator(mode="after")
        def _both_or_no_credentials(self) -> Self:
            if (self.key_id_secret is None) != (self.secret_secret is None):
                raise ValueError("set both `key_id_secret` and `secret_secret`, or neither (anonymous access)")
            return self

    options: Options

    # -- derived names -------------------------------------------------------------------
    @property
    def folder_url(self) -> str:
        """`s3://bucket/prefix/`: the folder that holds every file of this source."""
        o = self.options
        return f"s3://{o.bucket}/" + (f"{o.prefix}/" if o.prefix else "")

    @property
    def files_url(self) -> str:
        return self.folder_url + self.options.glob

    @property
    def dataset(self) -> str:
        o = self.options
        if o.dataset:
            return o.dataset
        name = re.sub(r"[^a-z0-9_]", "_", (o.prefix.rsplit("/", 1)[-1] or o.bucket).lower())
        return name if re.match(_IDENTIFIER, name) else f"_{name}"[:63]

    @staticmethod
    def secret_name(alias: str) -> str:
        return f"aios_s3_{alias}"

    def allowed_directories(self) -> list[str]:
        """What the governed engine must put in `allowed_directories` before it disables
        external access, so that this source still answers (and nothing else of the bucket)."""
        return [self.folder_url]

    def where(self) -> str:
        o = self.options
        server = o.endpoint or f"AWS S3 ({o.region})"
        return f"{self.files_url} at {server}"

    # -- attach / probe --------------------------------------------------------------------
    def attach(self, con, *, alias, root):
        load_extension(con, self.duckdb_extension)
        self._create_secret(con, alias)
        reader = _READERS[self.options.format]
        con.execute(f"ATTACH ':memory:' AS {alias}")
        try:
            con.execute(f"CREATE VIEW {alias}.main.{self.dataset} AS SELECT * FROM {reader}({_quote(self.files_url)})")
        except duckdb.Error as exc:
            con.execute(f"DETACH {alias}")  # a source that does not answer leaves nothing behind
            con.execute(f"DROP TEMPORARY SECRET IF EXISTS {self.secret_name(alias)}")
            raise self._explain(exc) from None

    def probe(self, con, *, alias, root):
        self.attach(con, alias=alias, root=root)
        try:
            con.execute(f"SELECT * FROM {alias}.main.{self.dataset} LIMIT 0").fetchall()
        except duckdb.Error as exc:
            raise self._explain(exc) from None

    def _create_secret(self, con, alias: str) -> None:
        o = self.options
        parts = ["TYPE s3"]
        if o.key_id_secret and o.secret_secret:
            parts += [f"KEY_ID {_quote(resolve_secret(o.key_id_secret))}",
                      f"SECRET {_quote(resolve_secret(o.secret_secret))}"]
        parts += [f"REGION {_quote(o.region)}", f"URL_STYLE {_quote(o.url_style)}",
                  f"USE_SSL {'true' if o.use_ssl else 'false'}", f"SCOPE {_quote(self.folder_url)}"]
        if o.endpoint:
            parts.append(f"ENDPOINT {_quote(o.endpoint)}")
        try:
            con.execute(f"CREATE OR REPLACE TEMPORARY SECRET {self.secret_name(alias)} ({', '.join(parts)})")
        except duckdb.Error as exc:  # its text may quote the statement, credentials included
            raise ConnectorError(
                f"cannot configure S3 access for {self.where()}: {_first_line(exc)}",
                fix="check `region`, `endpoint` and `url_style` in the declaration",
                input=alias,
            ) from None

    def _explain(self, exc: duckdb.Error) -> ConnectorError:
        """A DuckDB/httpfs error as a message that names the source and the fix, without secrets."""
        o = self.options
        text = str(exc)
        detail = _first_line(exc)
        where = self.where()
        server = o.endpoint or "AWS S3"
        if "No files found that match the pattern" in text:
            return ConnectorError(
                f"no file in {self.folder_url} at {server} matches {o.glob!r}",
                fix="fix `options.prefix` or `options.glob`, or upload the files",
                input=self.files_url,
            )
        if any(k in text for k in ("SignatureDoesNotMatch", "InvalidAccessKeyId", "Authentication Failure",
                                   "AccessDenied", "HTTP 403")):
            codes = [c for c in ("SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied") if c in text]
            why = f" ({codes[0]})" if codes else ""
            named = (f"`{o.key_id_secret}` / `{o.secret_secret}`" if o.key_id_secret
                     else "none (anonymous access)")
            return ConnectorError(
                f"{server} refused the credentials for bucket {o.bucket!r}{why}",
                fix=f"check the values of the secrets {named} and that this key may list and read "
                    f"{self.folder_url}" if o.key_id_secret else
                    "set `key_id_secret` and `secret_secret` in the declaration",
                input=self.files_url,
            )
        if "NoSuchBucket" in text:
            return ConnectorError(
                f"bucket {o.bucket!r} does not exist at {server}",
                fix="fix `options.bucket` (and `options.endpoint` if the bucket lives on another server)",
                input=self.files_url,
            )
        if "HTTP 404" in text:
            return ConnectorError(
                f"{where}: not found ({detail})",
                fix="check `options.bucket`, `options.prefix` and `options.glob`",
                input=self.files_url,
            )
        if any(k in text for k in ("Could not connect", "Could not resolve hostname", "SSL connect error",
                                   "Connection refused", "timed out", "Timeout", "Failed to connect")):
            ssl_hint = ("; `use_ssl: true` needs an https endpoint, set `use_ssl: false` for plain http"
                        if o.use_ssl else "")
            return ConnectorError(
                f"cannot reach the S3 endpoint {o.endpoint or 'of AWS S3'} for bucket {o.bucket!r}: {detail}",
                fix="check that the server runs and that `options.endpoint` (host:port) is right" + ssl_hint,
                input=o.endpoint or self.files_url,
            )
        return ConnectorError(f"cannot read {where}: {detail}",
                              fix="check the declaration's options and that the files are valid "
                                  f"{o.format} files",
                              input=self.files_url)


def _first_line(exc: BaseException) -> str:
    """The first line of a DuckDB error (the rest repeats the SQL), with secret values removed."""
    return scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
