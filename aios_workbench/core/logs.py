"""Logging setup shared by the CLI, the standalone service and the scheduler."""

from __future__ import annotations

import logging
import os
import re

# Anything that looks like a credential in a log line is replaced before it is
# written: connection strings with passwords, tokens in URLs, key=value secrets.
_SECRET_PATTERNS = [
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1***@"),
    (re.compile(r"(?i)\b(token|password|passwd|secret|api[_-]?key)=([^&\s]+)"), r"\1=***"),
]


def redact(text: str) -> str:
    """Text with credential-looking parts replaced by ``***``."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(level: str | int | None = None) -> None:
    """Configure the ``aios_workbench`` logger once; `AIOS_LOG_LEVEL` overrides."""
    level = level or os.environ.get("AIOS_LOG_LEVEL", "WARNING")
    logger = logging.getLogger("aios_workbench")
    logger.setLevel(level if isinstance(level, int) else level.upper())
    if not any(isinstance(h.formatter, RedactingFormatter) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False
