"""S3-compatible sources, read through DuckDB's httpfs from a local S3 server (moto, in-process).

The server checks request signatures (moto's IAM auth is switched on once the fixture has
created the bucket), so wrong credentials are really refused.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from aios_workbench.connectors import check_connector, load_declarations
from aios_workbench.connectors.builtin import DuckDBFileConnector, FilesConnector, SQLiteConnector
from aios_workbench.connectors.engine import connect
from aios_workbench.connectors.s3 import S3Connector
from aios_workbench.core.errors import ConfigError, ConnectorError
from tests.conftest import free_port

BUCKET = "aios-lake"


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # host:port
    key_id: str
    secret: str


def _moto_api(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """moto's S3 on 127.0.0.1, a bucket with three small Parquet files, signatures enforced."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        setup = {"endpoint_url": url, "region_name": "us-east-1",
                 "aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
        iam = boto3.client("iam", **setup)
        iam.create_user(UserName="reader")
        iam.put_user_policy(UserName="reader", PolicyName="s3", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="reader")["AccessKey"]

        s3 = boto3.client("s3", **{**setup, "aws_access_key_id": key["AccessKeyId"],
                                   "aws_secret_access_key": key["SecretAccessKey"]})
        s3.create_bucket(Bucket=BUCKET)
        s3.create_bucket(Bucket="aios-other")
        local = tmp_path_factory.mktemp("s3-upload")
        con = duckdb.connect()
        for i in range(3):
            file = local / f"part-{i}.parquet"
            con.execute(f"COPY (SELECT range AS id, 'region-{i}' AS region FROM range({i * 10}, {i * 10 + 5})) "
                        f"TO '{file}' (FORMAT parquet)")
            s3.upload_file(str(file), BUCKET, f"sales/part-{i}.parquet")
        s3.upload_file(str(local / "part-0.parquet"), BUCKET, "private/payroll.parquet")
        s3.upload_file(str(local / "part-0.parquet"), "aios-other", "x.parquet")
        con.close()

        _moto_api(f"{url}/moto-api/reset-auth", b"0")  # from now on every request must be signed correctly
        yield S3Server(f"127.0.0.1:{port}", key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        try:
            _moto_api(f"{url}/moto-api/reset-auth", b"inf")  # moto's settings are process-wide
            _moto_api(f"{url}/moto-api/reset", b"")
        finally:
            server.stop()


@pytest.fixture
def credentials(s3_server, monkeypatch):
    monkeypatch.setenv("LAKE_KEY_ID", s3_server.key_id)
    monkeypatch.setenv("LAKE_SECRET", s3_server.secret)


def lake_yaml(endpoint: str, **extra) -> str:
    options = {"endpoint": endpoint, "bucket": BUCKET, "prefix": "sales", "use_ssl": False,
               "key_id_secret": "LAKE_KEY_ID", "secret_secret": "LAKE_SECRET", **extra}
    return yaml.safe_dump({"name": "lake", "type": "s3", "options": options}, sort_keys=False)


def declare(workspace, name: str, text: str):
    (workspace.root / "connectors" / f"{name}.yaml").write_text(text)
    (decl,) = [d for d in load_declarations(workspace.connectors_dir) if d.name == name]
    return decl


def health_of(workspace, decl):
    return check_connector(decl, workspace_root=workspace.root, extension_dir=workspace.extension_dir)


def test_s3_source_declared_in_yaml_answers(workspace, s3_server, credentials):
    decl = declare(workspace, "lake", lake_yaml(s3_server.endpoint))

    assert (health_of(workspace, decl).ok, health_of(workspace, decl).error) == (True, None)
    con = connect(workspace.extension_dir)
    decl.connector().attach(con, alias="lake", root=workspace.root)
    assert con.execute("SELECT count(*), sum(id), count(DISTINCT region) FROM lake.main.sales").fetchone() == (
        15, 180, 3)
    con.close()


def test_wrong_secret_is_reported_without_the_secret_value(workspace, s3_server, credentials, monkeypatch):
    monkeypatch.setenv("LAKE_SECRET", "wrong-Zq8Xv2Lm4Pw7Rt1")

    health = health_of(workspace, declare(workspace, "lake", lake_yaml(s3_server.endpoint)))

    assert not health.ok
    assert f"{s3_server.endpoint} refused the credentials for bucket '{BUCKET}'" in health.error
    assert "`LAKE_KEY_ID` / `LAKE_SECRET`" in health.error  # names the secrets to fix, not their values
    assert "wrong-Zq8Xv2Lm4Pw7Rt1" not in health.error and s3_server.secret not in health.error


def test_wrong_key_id_is_reported_as_refused_credentials(workspace, s3_server, credentials, monkeypatch):
    monkeypatch.setenv("LAKE_KEY_ID", "AKIANOSUCHKEY0000001")

    health = health_of(workspace, declare(workspace, "lake", lake_yaml(s3_server.endpoint)))

    assert not health.ok and "refused the credentials" in health.error and "InvalidAccessKeyId" in health.error
    assert s3_server.secret not in health.error and "AKIANOSUCHKEY0000001" not in health.error


def test_unreachable_endpoint_names_endpoint_and_fix(workspace, credentials):
    health = health_of(workspace, declare(workspace, "lake", lake_yaml(f"127.0.0.1:{free_port()}")))

    assert not health.ok
    assert "cannot reach the S3 endpoint 127.0.0.1:" in health.error and f"bucket '{BUCKET}'" in health.error
    assert "fix: check that the server runs" in health.error


def test_https_against_a_plain_http_server_says_so(workspace, s3_server, credentials):
    health = health_of(workspace, declare(workspace, "lake", lake_yaml(s3_server.endpoint, use_ssl=True)))

    assert not health.ok and "use_ssl: false" in health.error


def test_no_matching_files_names_bucket_prefix_and_glob(workspace, s3_server, credentials):
    health = health_of(workspace, declare(workspace, "lake", lake_yaml(s3_server.endpoint, glob="*.csv",
                                                                        format="csv")))

    assert not health.ok
    assert f"no file in s3://{BUCKET}/sales/ at {s3_server.endpoint} matches '*.csv'" in health.error
    assert "fix: fix `options.prefix` or `options.glob`" in health.error


def test_missing_bucket_is_named(workspace, s3_server, credentials):
    health = health_of(workspace, declare(workspace, "lake", lake_yaml(s3_server.endpoint, bucket="no-such-bucket")))

    assert not health.ok
    assert f"bucket 'no-such-bucket' does not exist at {s3_server.endpoint}" in health.error


def test_missing_secret_names_the_secret(workspace, s3_server, monkeypatch):
    monkeypatch.delenv("LAKE_KEY_ID", raising=False)
    monkeypatch.delenv("AIOS_SECRETS_FILE", raising=False)
    monkeypatch.setenv("LAKE_SECRET", "s3cr3t-value-not-shown")

    health = health_of(workspace, declare(workspace, "lake", lake_yaml(s3_server.endpoint)))

    assert not health.ok and "secret 'LAKE_KEY_ID' is not set" in health.error


@pytest.mark.parametrize(("options", "message"), [
    ({"endpoint": "http://minio:9000"}, "without a scheme"),
    ({"key_id_secret": "ONLY_ONE"}, "set both `key_id_secret` and `secret_secret`"),
    ({"prefix": "sales/../payroll"}, "no empty, `.` or `..` segments"),
    ({"bucket": "Bad_Bucket"}, "options.bucket"),
    ({"region": "us-east-1", "secret": "oops"}, "options.secret"),
])
def test_declaration_options_are_validated(workspace, options, message):
    base = {"bucket": BUCKET}
    text = "name: lake\ntype: s3\noptions:\n" + "".join(f"  {k}: {v}\n" for k, v in {**base, **options}.items())

    with pytest.raises(ConfigError, match=r"lake\.yaml line \d+") as info:
        declare(workspace, "lake", text)
    assert message in str(info.value)


def test_s3_view_answers_after_engine_lockdown(workspace, s3_server, credentials, tmp_path):
    """The governed engine's lock-down order, with an S3, a files, a SQLite and a DuckDB-file source."""
    folder = tmp_path / "exports"
    folder.mkdir()
    duckdb.connect().execute(f"COPY (SELECT 1 AS shipment) TO '{folder / 'a.parquet'}' (FORMAT parquet)")
    with sqlite3.connect(tmp_path / "master.sqlite") as db:
        db.execute("CREATE TABLE suppliers (id int)")
        db.execute("INSERT INTO suppliers VALUES (7)")
    db.close()
    warehouse = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    warehouse.execute("CREATE TABLE orders AS SELECT 9 AS id")
    warehouse.close()

    lake = S3Connector({"endpoint": s3_server.endpoint, "bucket": BUCKET, "prefix": "sales", "use_ssl": False,
                        "key_id_secret": "LAKE_KEY_ID", "secret_secret": "LAKE_SECRET"})
    files = FilesConnector({"path": str(folder), "glob": "*.parquet"})

    con = connect(workspace.extension_dir)
    # 1. before anything else: no Python-variable replacement scans
    con.execute("SET python_enable_replacements=false")
    # 2. attach every governed source (loads httpfs/sqlite, creates the scoped S3 secret)
    lake.attach(con, alias="lake", root=workspace.root)
    files.attach(con, alias="shipments", root=workspace.root)
    SQLiteConnector({"path": str(tmp_path / "master.sqlite")}).attach(con, alias="master", root=workspace.root)
    DuckDBFileConnector({"path": str(tmp_path / "warehouse.duckdb")}).attach(con, alias="wh", root=workspace.root)
    # 3. what views read lazily must stay readable: S3 prefixes as directories, local files as exact paths
    allowed_dirs = lake.allowed_directories()
    assert allowed_dirs == [f"s3://{BUCKET}/sales/"]
    con.execute("SET allowed_directories=" + duckdb_list(allowed_dirs))
    con.execute("SET allowed_paths=" + duckdb_list([str(f) for f in files.files(workspace.root)]))
    # 4. then close the outside world, 5. then freeze the configuration
    con.execute("SET enable_external_access=false")
    con.execute("SET lock_configuration=true")

    assert con.execute("SELECT count(*), sum(id) FROM lake.main.sales").fetchone() == (15, 180)
    assert con.execute("SELECT * FROM shipments.main.exports").fetchall() == [(1,)]
    assert con.execute("SELECT * FROM master.suppliers").fetchall() == [(7,)]
    assert con.execute("SELECT * FROM wh.orders").fetchall() == [(9,)]
    # the scoped secret survived the lock; DuckDB itself redacts its value
    (secret,) = con.execute("SELECT secret_string FROM duckdb_secrets() WHERE name = 'aios_s3_lake'").fetchone()
    assert "secret=redacted" in secret and s3_server.secret not in secret

    for escape in [f"SELECT * FROM read_parquet('s3://{BUCKET}/private/payroll.parquet')",  # same bucket
                   "SELECT * FROM read_parquet('s3://aios-other/x.parquet')",  # other bucket
                   f"SELECT * FROM read_parquet('http://{s3_server.endpoint}/aios-other/x.parquet')",
                   "SELECT * FROM read_text('/etc/passwd')",
                   f"SELECT * FROM glob('{tmp_path}/*')",
                   f"ATTACH '{tmp_path / 'elsewhere.duckdb'}' AS elsewhere"]:
        with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
            con.execute(escape)
    with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
        con.execute("SET enable_external_access=true")
    con.close()


def duckdb_list(items: list[str]) -> str:
    return "[" + ", ".join("'" + i.replace("'", "''") + "'" for i in items) + "]"


def test_s3_secret_is_scoped_to_the_source_and_named_after_it(workspace, s3_server, credentials):
    con = connect(workspace.extension_dir)
    S3Connector({"endpoint": s3_server.endpoint, "bucket": BUCKET, "prefix": "/sales/", "use_ssl": False,
                 "key_id_secret": "LAKE_KEY_ID", "secret_secret": "LAKE_SECRET",
                 "dataset": "orders"}).attach(con, alias="lake", root=Path("."))

    assert con.execute("SELECT name, scope FROM duckdb_secrets()").fetchall() == [
        ("aios_s3_lake", [f"s3://{BUCKET}/sales/"])]
    assert con.execute("SELECT count(*) FROM lake.main.orders").fetchone() == (15,)
    con.close()



def test_a_source_that_does_not_answer_leaves_no_catalog_and_no_secret(workspace, credentials):
    con = connect(workspace.extension_dir)
    lake = S3Connector({"endpoint": f"127.0.0.1:{free_port()}", "bucket": BUCKET, "use_ssl": False,
                        "key_id_secret": "LAKE_KEY_ID", "secret_secret": "LAKE_SECRET"})

    with pytest.raises(ConnectorError, match="cannot reach the S3 endpoint"):
        lake.attach(con, alias="lake", root=workspace.root)
    assert con.execute("SELECT count(*) FROM duckdb_secrets()").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'lake'").fetchone() == (0,)
    con.close()
