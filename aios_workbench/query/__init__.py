"""The one governed query path: parse, authorize, rewrite, execute, audit."""

from aios_workbench.query.rewrite import QueryDenied, RewrittenQuery, rewrite
from aios_workbench.query.service import QueryResult, QueryService

__all__ = ["QueryDenied", "QueryResult", "QueryService", "RewrittenQuery", "rewrite"]
