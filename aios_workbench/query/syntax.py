"""A SQL syntax error in words: where it is (line, column, the text near it) and what is wrong.

sqlglot reports a parse error as its own internals (`Required keyword: 'expression' missing for
<class 'sqlglot.expressions.core.Mul'>`); a person needs "`*` has nothing on its right" and the
place. `syntax_error` turns sqlglot's ParseError or TokenError into the product's UsageError.
"""

from __future__ import annotations

import re

import sqlglot

from aios_workbench.core.errors import UsageError

NEAR_CHARS = 24   # how much of the query before the error is quoted

# sqlglot's operator nodes, as the query spells them
_OPERATORS = {
    "Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "IntDiv": "//", "Mod": "%", "Pow": "^", "DPipe": "||",
    "EQ": "=", "NEQ": "<>", "GT": ">", "GTE": ">=", "LT": "<", "LTE": "<=", "NullSafeEQ": "<=>",
    "And": "AND", "Or": "OR", "Xor": "XOR", "Like": "LIKE", "ILike": "ILIKE", "Is": "IS", "In": "IN",
    "Between": "BETWEEN", "Glob": "GLOB", "SimilarTo": "SIMILAR TO", "BitwiseAnd": "&", "BitwiseOr": "|",
    "BitwiseXor": "xor", "BitwiseLeftShift": "<<", "BitwiseRightShift": ">>", "Not": "NOT", "Neg": "-",
}
# clauses and what they need, for "Required keyword ... missing for <class ...Where>"
_CLAUSES = {
    "Where": "WHERE needs a condition after it", "Having": "HAVING needs a condition after it",
    "Group": "GROUP BY needs at least one column or expression", "Order": "ORDER BY needs at least one column",
    "Limit": "LIMIT needs a number", "Offset": "OFFSET needs a number", "Join": "the JOIN is incomplete",
    "Alias": "AS needs a name after it", "Cast": "CAST needs a value and a type: CAST(x AS INTEGER)",
    "Case": "the CASE expression is incomplete", "If": "the WHEN ... THEN ... is incomplete",
    "Qualify": "QUALIFY needs a condition after it", "Window": "the OVER (...) clause is incomplete",
}
_MISSING = re.compile(r"Required keyword: '(\w+)' missing for <class '[\w.]*?(\w+)'>")
_CLASS = re.compile(r"<class '[\w.]*?(\w+)'>")


def syntax_error(sql: str, exc: Exception) -> UsageError:
    """The UsageError a person reads for sqlglot's ParseError or TokenError `exc` on `sql`."""
    if isinstance(exc, sqlglot.errors.TokenError):
        return _unclosed(sql)
    first = (getattr(exc, "errors", None) or [{}])[0]
    line, col = first.get("line"), first.get("col")
    highlight = first.get("highlight") or ""
    what, fix = _in_words(first.get("description") or str(exc), highlight)
    near = _near(first.get("start_context") or "", highlight)
    where = f" at line {line}, column {col}" if line and col else ""
    where += f", near `{near}`" if near else ""
    return UsageError(f"the query is not valid SQL{where}: {what}", fix=fix, input=sql)


def _in_words(description: str, token: str) -> tuple[str, str]:
    """sqlglot's description of a parse error as a sentence and a fix."""
    missing = _MISSING.search(description)
    if missing:
        node = missing.group(2)
        if node in _OPERATORS:
            op = _OPERATORS[node]
            return (f"`{op}` has nothing on its right" if missing.group(1) == "expression"
                    else f"`{op}` has nothing on its left"), f"put a value on both sides of `{op}`, or remove it"
        if node in _CLAUSES:
            return _CLAUSES[node], "complete the clause, or remove it"
        return f"the {_spaced(node)} is incomplete", "complete it, or remove it"
    if description.startswith("Invalid expression / Unexpected token"):
        shown = f"`{token}`" if token else "the end of the query"
        return (f"{shown} is not expected here",
                "check for a missing comma or operator before it, a misspelt keyword, or a name that needs "
                "double quotes")
    expecting = re.match(r"Expect(?:ing|ed) (.+)", description)
    if expecting:
        wanted = expecting.group(1)
        if wanted.strip() == ")":
            return ("a `)` is missing: a parenthesis opened before this point is not closed",
                    "close the parenthesis")
        return f"expected {wanted}", "add what is expected there"
    return _CLASS.sub(lambda m: _spaced(m.group(1)), description), "fix the SQL syntax there"


def _spaced(name: str) -> str:
    """A sqlglot class name as words: `DateTrunc` -> `date trunc`."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


def _near(before: str, highlight: str) -> str:
    """The few words before the error and the token it stopped at, on one line."""
    text = " ".join((before + highlight).split())
    if len(text) > NEAR_CHARS + len(highlight):
        text = text[-(NEAR_CHARS + len(highlight)):]
        text = "…" + (text.split(" ", 1)[1] if " " in text[:-len(highlight) or None] else text)   # whole words
    return text


def _unclosed(sql: str) -> UsageError:
    """A tokenizer error: in practice a quote (or a block comment) opened and never closed."""
    opened = _open_quote(sql)
    if opened is None:
        return UsageError("the query is not valid SQL: it cannot be read as SQL tokens",
                          fix="check the quotes and comments in the query", input=sql)
    index, quote = opened
    line = sql.count("\n", 0, index) + 1
    col = index - (sql.rfind("\n", 0, index) + 1) + 1
    near = " ".join(sql[index:].split())
    if len(near) > NEAR_CHARS:   # whole words, then an ellipsis
        near = near[:NEAR_CHARS].rsplit(" ", 1)[0] + "…"
    kind = {"'": "a text in single quotes", '"': "a name in double quotes", "/*": "a /* comment"}[quote]
    closing = "*/" if quote == "/*" else quote
    return UsageError(f"the query is not valid SQL at line {line}, column {col}, near `{near}`: {kind} starts "
                      f"here and is never closed", fix=f"close it with {closing}", input=sql)


def _open_quote(sql: str) -> tuple[int, str] | None:
    """Where a quote or block comment opens that the query never closes (doubled quotes escape)."""
    i = 0
    while i < len(sql):
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end + 1
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                return i, "/*"
            i = end + 2
            continue
        quote = sql[i]
        if quote in "'\"":
            j = i + 1
            while True:
                j = sql.find(quote, j)
                if j < 0:
                    return i, quote
                if sql.startswith(quote * 2, j):
                    j += 2
                    continue
                break
            i = j + 1
            continue
        i += 1
    return None
