"""The JSON body of every refusal: a code, what went wrong (naming the input) and what to do next; an
internal error says only its error id (the service log has the rest under it)."""

from __future__ import annotations

from pydantic import Field

from aios_workbench.schemas.base import Reply


class ErrorBody(Reply):
    """What `WorkbenchError.to_dict` answers; some errors add the rule or the unmet gates."""

    error: str = Field(description="The error's code, e.g. invalid_config, not_found, query_denied; "
                                   "internal_error for an unexpected failure of the service.")
    message: str = Field(description="What went wrong, naming the input.")
    fix: str | None = Field(description="What to do next.")
    input: str | None = Field(None, description="The offending input, when there is one.")
    rule: str | None = Field(None, description="A denied query: the policy rule that denied it.")
    unmet: list[str] | None = Field(None, description="A refused model promotion: every gate not met.")
    error_id: str | None = Field(None, description="An internal error: the id an administrator finds its "
                                                   "details under in the service log.")
