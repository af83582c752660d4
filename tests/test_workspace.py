"""Workspaces: creation, discovery, and precise errors for every broken file."""

from __future__ import annotations

import pytest

from aios_workbench.checks.suites import workspace_suites
from aios_workbench.core.errors import ConfigError, UsageError, WorkspaceNotFound
from aios_workbench.workspace import Workspace, locate_workspace
from aios_workbench.workspace.scaffold import init_workspace
from tests.conftest import run_aios


def test_init_creates_config_governance_notebooks_and_migrated_store(tmp_path):
    root = init_workspace(tmp_path / "team")

    ws = Workspace.load(root)
    assert ws.name == "team"
    for part in ("aios.yaml", "governance/policy.yaml", "connectors", "notebooks", ".aios/metadata.db"):
        assert (root / part).exists(), part
    assert "admin" in ws.policy.roles
    assert (root / ".gitignore").read_text().strip() == ".aios/"


def test_init_refuses_an_existing_workspace(workspace):
    with pytest.raises(UsageError, match="already a workspace"):
        init_workspace(workspace.root)


def test_failed_init_removes_what_it_created_and_keeps_what_was_there(tmp_path):
    target = tmp_path / "project"
    (target / "governance").mkdir(parents=True)
    broken = target / "governance" / "policy.yaml"
    broken.write_text("roles: [not, a, mapping]\n")

    with pytest.raises(ConfigError, match="policy.yaml line 1"):
        init_workspace(target, force=True)   # a non-empty folder: only with force

    assert sorted(p.name for p in target.iterdir()) == ["governance"]
    assert broken.read_text() == "roles: [not, a, mapping]\n"


def test_locate_prefers_flag_then_environment_then_upward_search(tmp_path, workspace):
    nested = workspace.root / "notebooks" / "deep"
    nested.mkdir()
    other = init_workspace(tmp_path / "other")

    assert locate_workspace(cwd=nested, environ={}) == workspace.root
    assert locate_workspace(cwd=nested, environ={"AIOS_WORKSPACE": str(other)}) == other
    assert locate_workspace(workspace.root, cwd=other, environ={"AIOS_WORKSPACE": str(other)}) == workspace.root


def test_locate_explains_how_to_fix_a_missing_workspace(tmp_path):
    with pytest.raises(WorkspaceNotFound) as info:
        locate_workspace(cwd=tmp_path, environ={})
    assert "aios init" in info.value.fix

    with pytest.raises(WorkspaceNotFound, match="--workspace points at"):
        locate_workspace(tmp_path, environ={})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: demo\nservice:\n  port: [1\n", r"aios.yaml line 4, column 1: not valid YAML"),
        ("name: demo\nservice:\n  port: lots\n", r"aios.yaml line 3: key `service.port`: .*integer.*'lots'"),
        ("name: demo\nsrvice:\n  port: 1\n", r"aios.yaml line 2: key `srvice`: unknown key"),
        ("name: 9lives\n", r"aios.yaml line 1: key `name`"),
        ("- just\n- a list\n", r"aios.yaml line 1: expected a mapping"),
        ("metadata_store:\n  url: postgresql://u:hunter2@db/x\n", r"line 2: key `metadata_store.url`: .*password"),
    ],
)
def test_broken_config_names_file_line_key_and_fix(workspace, text, expected):
    config = workspace.root / "aios.yaml"
    config.write_text(text)

    with pytest.raises(ConfigError, match=expected) as info:
        Workspace.load(workspace.root)
    assert info.value.fix
    assert "hunter2" not in str(info.value)
    assert config.read_text() == text  # loading never rewrites a file


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("roles: {a: {}}\nusers:\n  ann:\n    roles: [a, b]\n", r"policy.yaml line 4: user 'ann' has unknown role 'b'"),
        ("roles: {a: {}}\ngrants:\n  - role: z\n    scope: '*'\n", r"policy.yaml line 3: grant to unknown role 'z'"),
        ("masks:\n  - column: s.t.c\n    method: scramble\n", r"policy.yaml line 3: key `masks.0.method`"),
        ("grants:\n  - role: a\n", r"policy.yaml line 2: key `grants.0.scope`: required key is missing"),
        ("masks:\n  - method: hash\n", r"policy.yaml line 2: a mask names exactly one of"),
    ],
)
def test_broken_policy_names_file_line_and_what_was_expected(workspace, text, expected):
    (workspace.root / "governance" / "policy.yaml").write_text(text)

    with pytest.raises(ConfigError, match=expected):
        Workspace.load(workspace.root)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"a.yaml": "name: a\ntype: oracle\n"}, r"a.yaml line 2: key `type`: unknown connector type 'oracle'.*"),
        ({"a.yaml": "name: a\ntype: sqlite\noptions:\n  file: x.db\n"}, 
         r"a.yaml line 3: key `options.path`: required key is missing .*line 4: key `options.file`: unknown key"),
        ({"a.yaml": "name: a\ntype: postgres\noptions:\n  database: d\n  user: u\n  port: x\n"},
         r"a.yaml line 6: key `options.port`"),
        ({"a.yaml": "name: Bad-Name\ntype: duckdb\n"}, r"a.yaml line 1: key `name`"),
        ({"a.yaml": "name: s\ntype: duckdb\noptions: {path: a.duckdb}\n",
          "b.yaml": "name: s\ntype: duckdb\noptions: {path: b.duckdb}\n"}, r"b.yaml line 1: connector name 's' is already"),
    ],
)
def test_broken_connector_declaration_names_file_line_and_fix(workspace, files, expected):
    for name, text in files.items():
        (workspace.root / "connectors" / name).write_text(text)

    with pytest.raises(ConfigError, match=expected) as info:
        Workspace.load(workspace.root)
    assert info.value.fix


def test_unknown_connector_type_lists_the_known_ones(workspace):
    (workspace.root / "connectors" / "a.yaml").write_text("name: a\ntype: oracle\n")

    with pytest.raises(ConfigError) as info:
        Workspace.load(workspace.root)
    for known in ("duckdb", "files", "mysql", "postgres", "sqlite"):
        assert known in info.value.fix


def test_metadata_url_from_environment_variable_never_written_in_the_workspace(workspace, monkeypatch):
    config = workspace.root / "aios.yaml"
    config.write_text("metadata_store:\n  url_env: TEAM_METADATA_URL\n")
    ws = Workspace.load(workspace.root)

    with pytest.raises(ConfigError, match="TEAM_METADATA_URL"):
        _ = ws.metadata_url
    monkeypatch.setenv("TEAM_METADATA_URL", "postgresql+psycopg://u:pw@db/meta")
    assert ws.metadata_url == "postgresql+psycopg://u:pw@db/meta"


DUPLICATE_ALICE = """\
roles:
  analyst: {}
  steward: {}
users:
  alice:
    roles: [analyst]
  alice:
    roles: [steward]
"""


def test_a_second_entry_for_a_user_is_refused_instead_of_replacing_the_first(workspace):
    (workspace.root / "governance" / "policy.yaml").write_text(DUPLICATE_ALICE)

    with pytest.raises(ConfigError, match=r"policy.yaml line 7: duplicate key `alice` under `users`") as info:
        Workspace.load(workspace.root)
    assert "remove one of the two `alice:` entries (first at line 5)" in info.value.fix


def test_policy_check_exits_78_on_a_duplicate_user_instead_of_calling_the_policy_valid(workspace):
    (workspace.root / "governance" / "policy.yaml").write_text(DUPLICATE_ALICE)

    result = run_aios("--workspace", str(workspace.root), "policy", "check")

    assert result.returncode == 78, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "policy.yaml line 7: duplicate key `alice`" in output and "policy is valid" not in output


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        ("aios.yaml", "name: demo\nservice:\n  port: 8000\nname: other\n",
         r"aios.yaml line 4: duplicate key `name` at the top level"),
        ("connectors/a.yaml", "name: a\ntype: duckdb\noptions:\n  path: a.duckdb\n  path: b.duckdb\n",
         r"a.yaml line 5: duplicate key `path` under `options`"),
        ("governance/checks.yaml", "suites:\n  s:\n    dataset: a.b.c\n    rules: [{not_null: x}]\n  s:\n"
         "    dataset: a.b.d\n    rules: [{not_null: y}]\n", r"checks.yaml line 5: duplicate key `s` under `suites`"),
        ("governance/policy.yaml", "grants:\n  - role: a\n    scope: '*'\n    scope: hr\n",
         r"policy.yaml line 4: duplicate key `scope` under `grants.0`"),
        # YAML reads `true` and `True` as the same boolean key
        ("governance/policy.yaml", "users:\n  ann:\n    attributes: {true: x, True: y}\n",
         r"line 3: duplicate key `True` \(read as the same key as `true`\) under `users.ann.attributes`"),
    ],
)
def test_every_workspace_file_refuses_a_duplicate_key_naming_both_lines(workspace, file, text, expected):
    (workspace.root / file).write_text(text)

    with pytest.raises(ConfigError, match=expected) as info:
        workspace_suites(Workspace.load(workspace.root))
    assert "(first at line " in info.value.fix


def test_a_key_yaml_reads_as_a_boolean_is_refused_naming_the_word(workspace):
    (workspace.root / "governance" / "policy.yaml").write_text(
        "roles: {analyst: {}}\ngrants:\n  - role: analyst\n    on: hr\n")   # `on` is YAML 1.1's true

    with pytest.raises(ConfigError, match="policy.yaml line 4: the key `on` is read by YAML as the boolean True"):
        Workspace.load(workspace.root)


def test_merge_keys_and_aliases_are_not_duplicate_keys(workspace):
    (workspace.root / "governance" / "policy.yaml").write_text(
        "roles: {analyst: {}, steward: {}}\n"
        "users:\n"
        "  alice: &analyst {roles: [analyst], attributes: {region: EU}}\n"
        "  bob: *analyst\n"
        "  carol:\n"
        "    <<: *analyst\n"
        "    roles: [steward]\n")

    policy = Workspace.load(workspace.root).policy

    assert policy.users["bob"].roles == ("analyst",)
    assert policy.users["carol"].roles == ("steward",) and policy.users["carol"].attributes == {"region": "EU"}


def policy_with_row_filter(predicate: str) -> str:
    quoted = predicate.replace("'", "''")
    return ("roles: {steward: {}}\n"
            "row_filters:\n"
            "  - dataset: hr.main.people\n"
            "    exempt_roles: [steward]\n"
            f"    predicate: '{quoted}'\n")


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        ("region = = '{user.region}'", "is not valid SQL"),
        ("region = '{user.region}'", "is not valid SQL"),  # quoted: the substituted literal is quoted already
        ("region = 'EU", "is not valid SQL"),
        ("", "is not valid SQL"),
        ("region = 'EU'; DROP TABLE hr.main.people", "is a statement, not a condition"),
        ("SELECT 1", "is a statement, not a condition"),
        ("region = {User.region}", r"has a `\{\.\.\.\}` that is not a `\{user.<attribute>\}` placeholder"),
        ("region = {user.home-region}", r"has a `\{\.\.\.\}` that is not a `\{user.<attribute>\}` placeholder"),
        ("region = { user.region }", r"has a `\{\.\.\.\}` that is not a `\{user.<attribute>\}` placeholder"),
    ],
)
def test_row_filter_predicate_the_query_path_cannot_use_is_refused_at_load(workspace, predicate, expected):
    (workspace.root / "governance" / "policy.yaml").write_text(policy_with_row_filter(predicate))

    with pytest.raises(ConfigError, match=r"policy.yaml line 5: row filter predicate .*" + expected) as info:
        Workspace.load(workspace.root)
    assert predicate in str(info.value) and info.value.fix


@pytest.mark.parametrize(
    "predicate",
    [
        "region = {user.region}",
        "amount <= {user.limit} OR {user.region} = 'ALL'",
        "note <> '{draft}' AND meta = {'k': 1}",  # braces in a string, a real struct literal
        "region IN (SELECT region FROM hr.main.regions WHERE owner = {user.name})",
    ],
)
def test_valid_row_filter_predicates_load_without_any_catalog(workspace, predicate):
    (workspace.root / "governance" / "policy.yaml").write_text(policy_with_row_filter(predicate))

    policy = Workspace.load(workspace.root).policy

    assert [rf.predicate for rf in policy.row_filters] == [predicate]
