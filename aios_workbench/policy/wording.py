"""Rules and masks in words: the one place where a policy rule gets the label every surface shows.

A grant, mask or row filter may carry a `description:` in governance/policy.yaml; that is its
label. Without one, a sentence is generated from the rule itself ("e-mail addresses hashed
(pii.email) for everyone but stewards"), never an index such as `masks[2]`.
"""

from __future__ import annotations

import re

from aios_workbench.core.agents import AGENT_ROLE

# what a classification tag says a column holds (tags not listed read as "columns tagged X")
TAG_NOUNS = {
    "pii.email": "e-mail addresses", "pii.phone": "phone numbers", "pii.person_name": "person names",
    "pii.address": "postal addresses", "pii.iban": "bank account numbers (IBAN)",
    "pii.payment_card": "payment card numbers", "pii.ip_address": "IP addresses",
    "pii.national_id": "national ID numbers", "pii.date_of_birth": "dates of birth",
    "pii.embedded": "free text with personal data inside", "text.free": "free text",
    "key.unique": "a unique key", "key.primary": "the primary key",
}

# a mask method as a past participle ("hashed") and as what the reader sees instead of the value
METHOD_VERBS = {"hash": "hashed", "redact": "redacted", "partial": "partly hidden", "null": "hidden",
                "redact_spans": "with personal data cut out"}
METHOD_EFFECTS = {
    "hash": "you see a keyed hash: equal values stay equal, so grouping and joins still work",
    "redact": "you see *** (empty for numbers and dates)",
    "partial": "you see only the last few characters",
    "null": "you see no value (empty)",
    "redact_spans": "you see the text with e-mails, phone numbers and other personal data replaced by ***",
}
PLACEHOLDER = re.compile(r"\{user\.([A-Za-z_][A-Za-z0-9_]*)\}")


def tag_noun(tag: str) -> str:
    """What a column with `tag` holds, in words."""
    return TAG_NOUNS.get(tag, f"columns tagged {tag}")


def role_plural(role: str) -> str:
    """`procurement_officer` -> `procurement officers`; `agent` -> `AI agents`."""
    if role == AGENT_ROLE:
        return "AI agents"
    words = role.replace("_", " ").replace("-", " ").strip()
    return words if words.endswith("s") else words + "s"


def join_words(items: list[str]) -> str:
    """a, b and c."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _who(unmasked_for: tuple[str, ...], only_for: tuple[str, ...]) -> str:
    if only_for:
        who = f"for {join_words([role_plural(r) for r in only_for])} only"
        if unmasked_for:
            who += f" (not {join_words([role_plural(r) for r in unmasked_for])})"
        return who
    if unmasked_for:
        return f"for everyone but {join_words([role_plural(r) for r in unmasked_for])}"
    return "for everyone"


def mask_label(mask) -> str:
    """The words for a `ColumnMask`: its description, else e.g.
    "e-mail addresses hashed (pii.email) for everyone but stewards"."""
    if getattr(mask, "description", ""):
        return mask.description
    verb = METHOD_VERBS.get(mask.method, mask.method)
    what = f"{tag_noun(mask.tag)} {verb} ({mask.tag})" if mask.tag else f"column {mask.column} {verb}"
    return f"{what} {_who(mask.unmasked_for, mask.only_for)}"


def grant_label(grant) -> str:
    """The words for a `Grant`: its description, else e.g. "analysts may read supplier_master"."""
    if getattr(grant, "description", ""):
        return grant.description
    scope = "every dataset" if grant.scope == "*" else grant.scope
    verb = {"read": "may read", "write": "may write datasets of", "manage": "manage"}.get(grant.privilege,
                                                                                          grant.privilege)
    return f"{role_plural(grant.role)} {verb} {scope}"


def predicate_words(predicate: str) -> str:
    """A row filter's predicate with `{user.region}` read as "the reader's region"."""
    return PLACEHOLDER.sub(lambda m: f"the reader's {m.group(1).replace('_', ' ')}", predicate)


def row_filter_label(row_filter) -> str:
    """The words for a `RowFilter`: its description, else e.g.
    "only rows where region = the reader's region, for everyone but stewards"."""
    if getattr(row_filter, "description", ""):
        return row_filter.description
    exempt = row_filter.exempt_roles
    who = f", for everyone but {join_words([role_plural(r) for r in exempt])}" if exempt else ""
    return f"only rows where {predicate_words(row_filter.predicate)}{who}"


def quoted(label: str) -> str:
    """A rule's label as a sentence names it: the rule ‘...’."""
    return f"the rule ‘{label}’"


def mask_words(method: str) -> str:
    """What a reader sees of a column masked with `method`."""
    return METHOD_EFFECTS.get(method, f"masked ({method})")


def access_summary(masked: list[str], row_filter: str | None) -> str:
    """One sentence of what applied to the reader: masks and row filter, or that nothing did."""
    parts = []
    if masked:
        parts.append(f"{len(masked)} column{'' if len(masked) == 1 else 's'} masked for you "
                     f"({join_words(masked)})")
    if row_filter:
        parts.append(f"you see only rows where {row_filter}")
    if not parts:
        return "Nothing is masked or filtered for you: you see every row and raw values."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def rows_phrase(count: int | None, row_filter: str | None) -> str:
    """`73 rows you can see (row filter: region = 'EU')`, or `1,200 rows` without a filter."""
    if count is None:
        return ("rows not counted yet (a row filter applies to you: " + row_filter + ")") if row_filter \
            else "rows not counted yet"
    rows = f"{count:,} row{'' if count == 1 else 's'}"
    return f"{rows} you can see (row filter: {row_filter})" if row_filter else rows
