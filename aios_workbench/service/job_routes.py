"""Jobs, job runs and the alert feed over REST."""

from __future__ import annotations

ROUTES: list = []
