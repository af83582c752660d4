"""Why a search hit matched: the fields, their text and the character ranges to highlight.

Worked out only for the hits a search returns (20 by default), from the terms the query
matched (`SearchHit.marks`), with the index's own word splitting, so what is highlighted is
exactly what was found: `cust` highlights the first four letters of `customer_email`,
`orders` the whole of `order`. A long description is cut to a snippet around its first match.
A column found by its description is told with it: `lead_time_days: "…days between order and delivery…"`.
"""

from __future__ import annotations

from functools import lru_cache

from aios_workbench.catalog.search import CAMEL, STOPWORDS, WORD, SearchHit, singular

SNIPPET = 160          # characters of a description shown around its first match
COLUMN_SNIPPET = 80    # the same for a column's description, shown beside the column's name
MAX_COLUMNS = 5        # column reasons per hit
FIELD_ORDER = ("name", "column", "tag", "description", "owner", "source")


@lru_cache(maxsize=100_000)
def word_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, indexed term) of each word of `text`, split like the index splits it."""
    spans = []
    for match in WORD.finditer(text):
        token, start = match.group(), match.start()
        pieces = [token] if token.islower() else CAMEL.split(token)
        for piece in pieces:
            if piece:
                spans.append((start, start + len(piece), singular(piece.lower())))
                start += len(piece)
    return tuple(spans)


def highlights(text: str, marks: dict[str, int | None]) -> list[list[int]]:
    """[start, end) ranges of the words of `text` the query matched (a prefix match: only the prefix)."""
    found = []
    for start, end, term in word_spans(text):
        if term in marks and term not in STOPWORDS:
            length = marks[term]
            found.append([start, end if length is None else min(end, start + length)])
    return found


def _name_ranges(hit: SearchHit) -> list[list[int]]:
    e = hit.entry
    ranges = highlights(e.name, hit.marks)
    if not ranges and hit.query:   # found by the name bonus: the query is the name or its beginning
        for key in (hit.query, hit.query.replace(" ", "_")):
            if e.name.lower().startswith(key):
                return [[0, len(key)]]
            if e.full_name.lower().endswith(key) or key.endswith(e.name.lower()):
                return [[0, len(e.name)]]
    return ranges


def _snippet(text: str, ranges: list[list[int]], size: int = SNIPPET) -> tuple[str, list[list[int]]]:
    """A description cut to `size` characters around its first match, the ranges moved with it."""
    if len(text) <= size:
        return text, ranges
    first = ranges[0][0]
    start = max(0, first - size // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > ranges[0][1] else end
    lead = "…" if start else ""
    shift = len(lead) - start
    cut = lead + text[start:end] + ("…" if end < len(text) else "")
    return cut, [[a + shift, b + shift] for a, b in ranges if a >= start and b <= end]


def reasons(hit: SearchHit) -> list[dict]:
    """Where `hit` matched, strongest field first: [{field, text, highlights}]."""
    e, marks = hit.entry, hit.marks
    out: list[dict] = []

    def add(field: str, text: str, ranges: list[list[int]]) -> None:
        if ranges:
            out.append({"field": field, "text": text, "highlights": ranges})

    add("name", e.name, _name_ranges(hit))
    shown = 0
    for column in e.columns:
        if shown >= MAX_COLUMNS or column.name not in hit.matched_columns:
            continue
        text, ranges = column.name, highlights(column.name, marks)
        for tag in column.classifications:   # a classification that matched is shown beside the name
            tag_ranges = highlights(tag, marks)
            if tag_ranges:
                offset = len(text) + 2
                text = f"{text} ({tag})"
                ranges += [[a + offset, b + offset] for a, b in tag_ranges]
                break
        said_ranges = highlights(column.description, marks) if not ranges and column.description else []
        if said_ranges:   # found by what its description says
            said, said_ranges = _snippet(column.description, said_ranges, COLUMN_SNIPPET)
            if said_ranges:
                offset = len(text) + 3
                text = f'{text}: "{said}"'
                ranges = [[a + offset, b + offset] for a, b in said_ranges]
        if ranges:
            add("column", text, ranges)
            shown += 1
    for tag in e.tags:
        add("tag", tag, highlights(tag, marks))
    if e.description:
        ranges = highlights(e.description, marks)
        if ranges:
            add("description", *_snippet(e.description, ranges))
    for owner in e.owners:
        add("owner", owner, highlights(owner, marks))
    add("source", f"{e.source}.{e.schema}", highlights(f"{e.source}.{e.schema}", marks))
    return out


def why(found: list[dict]) -> str:
    """The reasons in words: "Matched: name, 2 columns (contact_email, contact_phone) and description"."""
    parts = []
    for field in FIELD_ORDER:
        texts = [r["text"] for r in found if r["field"] == field]
        if not texts:
            continue
        if field in ("column", "tag", "owner") and len(texts) > 1:
            shown = ", ".join(texts[:3]) + (", …" if len(texts) > 3 else "")
            parts.append(f"{len(texts)} {field}s ({shown})")
        elif field in ("column", "tag", "owner"):
            parts.append(f"{field} {texts[0]}")
        else:
            parts.append(field)
    if not parts:
        return "Matched"
    return "Matched: " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0])


def answer(hit: SearchHit) -> dict:
    """The hit as the REST answer and every surface get it: its fields, the reasons and their words."""
    found = reasons(hit)
    return {**hit.to_dict(), "reasons": found, "why": why(found)}
