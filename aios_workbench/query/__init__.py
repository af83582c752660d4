"""The one governed query path: parse, authorize, rewrite, execute, audit."""

from .rewrite import QueryDenied, RewrittenQuery, rewrite
from .service import QueryResult, QueryService

__all__ = ["QueryDenied", "QueryResult", "QueryService", "RewrittenQuery", "rewrite"]
