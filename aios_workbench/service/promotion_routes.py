"""Promotion REST routes: promote a notebook, its parameter schema, schedule previews, versions, approval."""

from __future__ import annotations

ROUTES: list = []
