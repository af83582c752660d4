"""Decision apps: publishing a job as an app, its form, running it as the viewer."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from aios_workbench.schemas.base import Body, Moment, NonEmpty, Query, Reply


class AppSummary(Reply):
    name: str
    title: str
    description: str
    job: str
    version: int = Field(description="The job version a run executes (its current one).")
    published_by: str
    published_at: Moment | None


class AppList(Reply):
    apps: list[AppSummary]


class AppField(Reply):
    """One input of an app's form, from the notebook's parameters cell."""

    name: str
    label: str
    type: Literal["integer", "number", "text", "boolean", "date", "choice", "list", "json"]
    value_type: str = Field(description="The parameter's type in the notebook: int, float, str, bool, list, dict, any.")
    default: Any
    nullable: bool
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: list[Any] | None = Field(None, description="For a choice: the values offered to this caller (a "
                                                         "`choices:` query runs as the caller; none when they may "
                                                         "not read its data).")


class AppDetail(AppSummary):
    fields: list[AppField]


class AppNameQuery(Query):
    name: str


class PublishAppRequest(Body):
    example: ClassVar[str] = '{"job": "supplier_board", "title": "Supplier board"}'

    job: NonEmpty = Field(description="The promoted job to publish (its current version runs).")
    title: str | None = Field(None, max_length=256, description="Default: the notebook's first heading.")
    description: str = Field("", max_length=2000)


class AppNameRequest(Body):
    example: ClassVar[str] = '{"name": "supplier_board"}'

    name: NonEmpty


class RunAppRequest(Body):
    example: ClassVar[str] = '{"name": "supplier_board", "parameters": {"region": "Northern Europe"}}'

    name: NonEmpty
    parameters: dict[str, Any] = Field({}, description="Values of the form's fields; the others keep their defaults.")


class AppRunResult(Reply):
    """A run as the caller: its page (HTML for a sandboxed frame: no scripts), whether it came from the cache."""

    name: str
    title: str
    version: int
    parameters: dict[str, Any]
    ok: bool
    error: str | None
    seconds: float
    datasets_read: list[str]
    html: str
    cached: bool


class AppUnpublished(Reply):
    name: str
    published: bool
