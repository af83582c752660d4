"""The one base of every declared model: unknown keys are refused (a misspelt key in a workspace file
or a request is an error, not silently ignored) and a loaded declaration does not change."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A pydantic model that refuses unknown keys and is immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)
