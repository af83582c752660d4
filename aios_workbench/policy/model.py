"""The schema of `governance/policy.yaml`: datasets, users, roles, grants, masks, row filters.

Validated whole on load; cross-references (a grant's role, a user's roles) are
checked too, so a typo is an error with its line instead of a silent deny.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from aios_workbench.core.errors import ConfigError
from aios_workbench.core.models import Strict
from aios_workbench.core.yamlfile import load_model

POLICY_FILE = "policy.yaml"
Name = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.@-]{0,127}$")


Tag = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$")]


def rule_description(example: str):
    """The optional `description:` of a grant, mask or row filter: the label every surface shows."""
    return Field("", max_length=200, description=f"the rule in words, shown wherever it applies (e.g. '{example}'); "
                                                 "without it a sentence is generated from the rule")


MAX_COLUMN_DESCRIPTION = 500


class DatasetInfo(Strict):
    """Owners, description, tags and column classifications of one dataset.

    `columns` confirms classifications (a human's word: kept whatever a scan finds);
    `rejected_classifications` rejects tags the automatic classifier gave a column;
    `column_descriptions` says what a column holds, in words (it wins over the source's own comment).
    """

    description: str = ""
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    columns: dict[str, tuple[str, ...]] = Field({}, description="column name -> classification tags")
    rejected_classifications: dict[str, tuple[Tag, ...]] = Field(
        {}, description="column name -> automatic classification tags that do not apply to it")
    # not `Field(max_length=...)` on the values: pydantic's message would not name the column
    column_descriptions: dict[str, str] = Field(
        {}, description="column name -> what it holds, in words (at most "
        f"{MAX_COLUMN_DESCRIPTION} characters); shown wherever the column is, instead of the source's comment")

    @model_validator(mode="before")
    @classmethod
    def _describe_in_words(cls, data):
        described = data.get("column_descriptions") if isinstance(data, dict) else None
        for column, text in (described or {}).items() if isinstance(described, dict) else ():
            if not isinstance(text, str):
                raise ValueError(f"the description of column {column!r} must be text, not {type(text).__name__} "
                                 f"({text!r}): quote it, e.g. {column}: \"days between order and delivery\"")
            if len(text) > MAX_COLUMN_DESCRIPTION:
                raise ValueError(f"the description of column {column!r} is {len(text)} characters long: keep it to "
                                 f"{MAX_COLUMN_DESCRIPTION} (say what the column holds; longer notes belong in "
                                 "the dataset's `description`)")
        return data

    @model_validator(mode="after")
    def _confirm_or_reject(self):
        confirmed = {c.lower(): set(tags) for c, tags in self.columns.items()}
        for column, tags in self.rejected_classifications.items():
            both = sorted(confirmed.get(column.lower(), set()) & set(tags))
            if both:
                raise ValueError(f"column {column!r} both confirms and rejects {', '.join(both)}: "
                                 "keep it under `columns` or under `rejected_classifications`, not both")
        return self


class User(Strict):
    roles: tuple[str, ...] = ()
    attributes: dict[str, str | int | float | bool] = {}
    may_impersonate: tuple[str, ...] = Field((), description="users this one may act as (`--as`); '*' for all")


class Role(Strict):
    description: str = ""
    audit: bool = Field(False, description="members may read every audit record (others see their own)")
    approves: tuple[str, ...] = Field((), description="kinds of proposed actions members may approve or reject "
                                                      "(e.g. email, webhook, job_run); '*' for every kind")


class Grant(Strict):
    role: str
    # not `on`: YAML 1.1 reads a bare `on` key as the boolean true
    scope: str = Field(description="a source, source.schema or source.schema.dataset; '*' for everything")
    privilege: Literal["read", "write", "manage"] = Field(
        "read", description="read: query it; write: create datasets of a `datasets` source in scope and replace or "
        "append to one's own (no read; a grant naming one dataset also lets its holder write that dataset); "
        "manage: a steward's: replace or append to any dataset in scope, remove classification tags")
    description: str = rule_description("analysts read the supplier master")


class ColumnMask(Strict):
    column: str | None = Field(None, description="source.schema.dataset.column")
    tag: str | None = Field(None, description="mask every column classified with this tag")
    method: Literal["hash", "redact", "partial", "null", "redact_spans"] = Field(
        description="redact_spans: free text keeps its words, the personal data inside it (e-mails, phones, "
                    "IBANs, cards, IPs, ID-like numbers) becomes ***")
    unmasked_for: tuple[str, ...] = Field((), description="roles that see raw values")
    only_for: tuple[str, ...] = Field((), description="roles this mask applies to (default: everyone not in "
                                                      "unmasked_for); `agent` is every AI agent's call through "
                                                      "the MCP gateway")
    description: str = rule_description("e-mails hashed for everyone but stewards")


class RowFilter(Strict):
    dataset: str
    predicate: str = Field(description="SQL predicate; may use {user.<attribute>}")
    exempt_roles: tuple[str, ...] = ()
    description: str = rule_description("analysts see only their region's suppliers")


ColumnName = Annotated[str, Field(pattern=r"^[^.\s]+(\.[^.\s]+){3,}$")]


class PolicyFile(Strict):
    datasets: dict[str, DatasetInfo] = {}
    users: dict[str, User] = {}
    roles: dict[str, Role] = {}
    grants: tuple[Grant, ...] = ()
    masks: tuple[ColumnMask, ...] = ()
    row_filters: tuple[RowFilter, ...] = ()
    join_domains: dict[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")], tuple[ColumnName, ...]] = Field(
        {}, description="domain name -> columns (source.schema.dataset.column) whose hash masks share one key, so "
        "masked values still join across them; every other column is hashed under a key of its own")

    def join_domain(self, column: str) -> str | None:
        """The join domain `column` (source.schema.dataset.column, any case) belongs to, or None."""
        wanted = column.lower()
        return next((name for name, members in self.join_domains.items()
                     if any(m.lower() == wanted for m in members)), None)

    def user_signed_in_as(self, login: str) -> str | None:
        """The policy user an identity provider's `login` stands for: the user of that name, else the one
        user whose `email` attribute it is (any case; two users sharing it: nobody), else None."""
        if login in self.users:
            return login
        wanted = login.strip().lower()
        if "@" not in wanted:
            return None
        found = [name for name, user in self.users.items()
                 if str(user.attributes.get("email", "")).strip().lower() == wanted]
        return found[0] if len(found) == 1 else None


def load_policy(folder: Path) -> PolicyFile:
    """The validated policy in `folder/policy.yaml` (an absent file means deny everything)."""
    path = folder / POLICY_FILE
    if not path.exists():
        return PolicyFile()
    policy, lines = load_model(path, PolicyFile)

    def fail(where: tuple, message: str, fix: str):
        line = lines.get(where, 1)
        raise ConfigError(f"{path} line {line}: {message}", fix=fix, input=str(path))

    known_roles = set(policy.roles)
    for user, info in policy.users.items():
        for i, role in enumerate(info.roles):
            if role not in known_roles:
                fail(("users", user, "roles", i), f"user {user!r} has unknown role {role!r}",
                     f"declare the role under `roles:` or use one of: {', '.join(sorted(known_roles)) or 'none'}")
    for i, grant in enumerate(policy.grants):
        if grant.role not in known_roles:
            fail(("grants", i, "role"), f"grant to unknown role {grant.role!r}",
                 f"declare the role under `roles:` or use one of: {', '.join(sorted(known_roles)) or 'none'}")
    for i, mask in enumerate(policy.masks):
        if (mask.column is None) == (mask.tag is None):
            fail(("masks", i), "a mask names exactly one of `column` or `tag`", "keep one of the two keys")
    member_of: dict[str, str] = {}
    for domain, members in policy.join_domains.items():
        for i, member in enumerate(members):
            other = member_of.setdefault(member.lower(), domain)
            if other != domain:
                fail(("join_domains", domain, i), f"column {member} is in two join domains, {other} and {domain}",
                     "keep each column in one join domain: its masked values are hashed under that domain's key")
    for i, row_filter in enumerate(policy.row_filters):
        problem = _predicate_problem(row_filter.predicate)
        if problem:
            fail(("row_filters", i, "predicate"), f"row filter predicate {row_filter.predicate!r} {problem[0]}",
                 problem[1])
    return policy


def _predicate_problem(predicate: str) -> tuple[str, str] | None:
    """What stops the query path from using `predicate` as a row filter, and its fix; None if nothing.

    Caught at load, not at the first query, where it would fail every query of the dataset. Each
    `{user.<attribute>}` becomes a string literal, as a string attribute does when a user queries."""
    import sqlglot
    from sqlglot import exp

    # lazy: policy.enforce imports the policy package, hence this module (a top-level import would be circular)
    from aios_workbench.policy.enforce import (
        PLACEHOLDER,  # the query path's own pattern
    )

    literal = exp.convert("attribute").sql("duckdb")
    try:
        parsed = sqlglot.parse_one(PLACEHOLDER.sub(lambda _: literal, predicate), read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        # sqlglot's "Line 1, Col: N" counts in the substituted text, so it would point at the wrong column
        reason = re.sub(r"\s*Line \d+, Col: \d+\.?$", "", str(exc).splitlines()[0])
        return (f"is not valid SQL: {reason}",
                "fix the SQL; write a placeholder unquoted (`region = {user.region}`): it becomes a quoted literal")
    if not isinstance(parsed, (exp.Condition, exp.Subquery)):
        return ("is a statement, not a condition on a row",
                "write one condition a kept row meets, such as `region = {user.region}`")
    # what the pattern does not match stays `{...}`, which DuckDB reads as a struct: without `key: value` pairs
    # it can only be a misspelt placeholder
    if any(not isinstance(member, exp.PropertyEQ) for struct in parsed.find_all(exp.Struct)
           for member in struct.expressions):
        return ("has a `{...}` that is not a `{user.<attribute>}` placeholder",
                "write placeholders as `{user.<attribute>}`: lowercase `user`, no spaces, and an attribute "
                "name of letters, digits and underscores")
    return None
