"""The JSON body of every refusal: a code, what went wrong (naming the input) and what to do next."""

from __future__ import annotations

from pydantic import Field

from aios_workbench.schemas.base import Reply


class ErrorBody(Reply):
    """What `WorkbenchError.to_dict` answers; some errors add the rule or the unmet gates."""

    error: str = Field(description="The error's code, e.g. invalid_config, not_found, query_denied.")
    message: str = Field(description="What went wrong, naming the input.")
    fix: str | None = Field(description="What to do next.")
    input: str | None = Field(None, description="The offending input, when there is one.")
    rule: str | None = Field(None, description="A denied query: the policy rule that denied it.")
    unmet: list[str] | None = Field(None, description="A refused model promotion: every gate not met.")
