"""What a user may see of a dataset: access, column masks, row filter.

Deny by default: no grant, no access; an unknown user has no grants. Every
decision names the rule that made it, in words (`policy/wording.py`: the rule's
`description:`, else a generated sentence), so denials, `aios policy explain` and
every screen say why the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from aios_workbench.core.agents import AGENT_ROLE
from aios_workbench.core.errors import ConfigError, PermissionDenied, UnknownPolicyUser
from aios_workbench.policy.model import PolicyFile
from aios_workbench.policy.wording import grant_label, mask_label, row_filter_label

PLACEHOLDER = re.compile(r"\{user\.([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[str]
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetView:
    """How one principal sees one dataset."""

    allowed: bool
    rule: str
    masks: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (method, rule)
    row_filter: exp.Expr | None = None
    row_filter_rule: str | None = None
    # column -> the id of the key its hash mask uses (`hash_key`); only hash-masked columns
    hash_keys: dict[str, str] = field(default_factory=dict)


def hash_key_id(column: str, domain: str | None) -> str:
    """The id of the key a hash mask of `column` (source.schema.dataset.column) uses: its join domain's,
    else one of its own. Not secret: the engine derives the key from it with the workspace's secret."""
    return f"domain:{domain.lower()}" if domain else f"column:{column.lower()}"


class PolicyEngine:
    """Answers access, mask and row-filter questions for one loaded policy."""

    def __init__(self, policy: PolicyFile):
        self.policy = policy
        self._domains = {member.lower(): name for name, members in policy.join_domains.items() for member in members}

    def principal(self, user: str, *, agent: bool = False) -> Principal:
        """`user` as the policy knows them; `agent`: acting through the MCP gateway (gains AGENT_ROLE)."""
        info = self.policy.users.get(user)
        if info is None:
            raise UnknownPolicyUser(
                f"user {user!r} is not in the policy, so it may read nothing (deny by default)",
                fix=f"add `{user}:` with its roles under `users:` in governance/policy.yaml", input=user)
        roles = frozenset(info.roles) | ({AGENT_ROLE} if agent else set())
        return Principal(user, roles, dict(info.attributes))

    def is_auditor(self, user: str) -> bool:
        info = self.policy.users.get(user)
        return info is not None and any(self.policy.roles[r].audit for r in info.roles if r in self.policy.roles)

    def approves(self, user: str, kind: str) -> bool:
        """Whether one of `user`'s roles may approve proposed actions of `kind`."""
        info = self.policy.users.get(user)
        return info is not None and any(kind in self.policy.roles[r].approves or "*" in self.policy.roles[r].approves
                                        for r in info.roles if r in self.policy.roles)

    def tag_mask(self, principal: Principal, tags: set[str]) -> str | None:
        """The rule of the first tag mask that hides a value with `tags` from `principal`; None: none does."""
        for mask in self.policy.masks:
            if mask.tag and mask.tag in tags and _applies(mask, principal):
                return mask_label(mask)
        return None

    def may_impersonate(self, user: str, target: str) -> bool:
        info = self.policy.users.get(user)
        return info is not None and ("*" in info.may_impersonate or target in info.may_impersonate)

    def grant_for(self, principal: Principal, entry, privilege: str = "read") -> str | None:
        """The first grant that gives `principal` `privilege` on `entry`, as a rule name."""
        return self.grant_on(principal, entry.source, entry.schema, entry.name, privilege)

    def grant_on(self, principal: Principal, source: str, schema: str, name: str,
                 privilege: str = "read") -> str | None:
        """The same for a dataset named by its parts (one about to be written need not exist yet)."""
        names = {"*", source.lower(), f"{source}.{schema}".lower(), f"{source}.{schema}.{name}".lower()}
        for grant in self.policy.grants:
            if grant.privilege == privilege and grant.role in principal.roles and grant.scope.lower() in names:
                return grant_label(grant)
        return None

    def grant_naming(self, principal: Principal, source: str, schema: str, name: str,
                     privilege: str = "write") -> str | None:
        """The first grant of `privilege` whose scope is exactly this dataset (not its source or `*`)."""
        full = f"{source}.{schema}.{name}".lower()
        for grant in self.policy.grants:
            if grant.privilege == privilege and grant.role in principal.roles and grant.scope.lower() == full:
                return grant_label(grant)
        return None

    def hash_key(self, entry, column: str) -> str:
        """The key id of `column` of `entry` when a hash mask applies (see `hash_key_id`)."""
        full = f"{entry.full_name}.{column}"
        return hash_key_id(full, self._domains.get(full.lower()))

    def view(self, principal: Principal, entry) -> DatasetView:
        rule = self.grant_for(principal, entry)
        if rule is None:
            return DatasetView(False, f"deny by default: no grant gives roles {sorted(principal.roles) or '[]'} "
                                      f"read on {entry.full_name}")
        masks = self._masks(principal, entry)
        keys = {column: self.hash_key(entry, column) for column, (method, _) in masks.items() if method == "hash"}
        return DatasetView(True, rule, masks, *self._row_filter(principal, entry), hash_keys=keys)

    def filters_rows(self, principal: Principal, entry) -> bool:
        """Whether a row filter applies to `principal` on `entry` (cheap: no predicate is parsed)."""
        name = entry.full_name.lower()
        return any(rf.dataset.lower() == name and not principal.roles & set(rf.exempt_roles)
                   for rf in self.policy.row_filters)

    def _masks(self, principal: Principal, entry) -> dict[str, tuple[str, str]]:
        masks: dict[str, tuple[str, str]] = {}
        for mask in self.policy.masks:
            if not _applies(mask, principal):
                continue
            for column in entry.columns:
                if mask.column:
                    hit = mask.column.lower() == f"{entry.full_name}.{column.name}".lower()
                else:
                    hit = mask.tag in column.classifications
                if hit and column.name not in masks:  # the first matching mask wins
                    masks[column.name] = (mask.method, mask_label(mask))
        return masks

    def _row_filter(self, principal: Principal, entry) -> tuple[exp.Expr | None, str | None]:
        predicates, rules = [], []
        for i, rf in enumerate(self.policy.row_filters):
            if rf.dataset.lower() != entry.full_name.lower() or principal.roles & set(rf.exempt_roles):
                continue
            predicates.append(self._predicate(rf.predicate, principal, i))
            rules.append(row_filter_label(rf))
        if not predicates:
            return None, None
        combined = predicates[0]
        for p in predicates[1:]:
            combined = exp.and_(combined, p)
        return combined, "; ".join(rules)

    def _predicate(self, text: str, principal: Principal, index: int) -> exp.Expr:
        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name not in principal.attributes:
                raise PermissionDenied(
                    f"the row filter ‘{row_filter_label(self.policy.row_filters[index])}’ needs attribute {name!r}, "
                    f"which user "
                    f"{principal.name!r} does not have, so nothing is shown (deny by default)",
                    fix=f"add `attributes: {{{name}: ...}}` to {principal.name} in governance/policy.yaml",
                    input=principal.name)
            return exp.convert(principal.attributes[name]).sql("duckdb")

        try:
            return sqlglot.parse_one(PLACEHOLDER.sub(substitute, text), read="duckdb")
        except sqlglot.errors.ParseError as exc:
            raise ConfigError(f"governance/policy.yaml row_filters[{index}]: predicate {text!r} is not valid "
                              f"SQL: {str(exc).splitlines()[0]}", fix="fix the predicate", input=text) from None


def _applies(mask, principal: Principal) -> bool:
    """A mask hides values from `principal`: not one of its `unmasked_for`, and one of its `only_for` if any."""
    return not principal.roles & set(mask.unmasked_for) and (not mask.only_for
                                                             or bool(principal.roles & set(mask.only_for)))
