"""openapi.yaml, generated from the route classes and the models they declare (`aios_workbench.schemas`).

    python -m aios_workbench.surfaces.rest.openapi            # write openapi.yaml
    python -m aios_workbench.surfaces.rest.openapi --check    # exit 1 when the checked-in file is stale

Paths, verbs, parameters (`{name}` path segments, query models), request bodies and answers come from the
routes; summaries and descriptions from their docstrings; component schemas from the models. The prose
that is not in the code (what each refusal means for an operation) is `REFUSALS` below.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from typing import Any, get_args

import yaml
from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from aios_workbench._version import __version__
from aios_workbench.schemas.base import Raw
from aios_workbench.schemas.dashboard import VIEWS, views
from aios_workbench.schemas.errors import ErrorBody
from aios_workbench.service.tokens import ACT_AS
from aios_workbench.surfaces.rest.contract import is_model, verbs
from aios_workbench.surfaces.rest.routes import OPENAPI_FILE, RouteMixin, all_routes

INFO = {
    "title": "aios-workbench REST API",
    "version": __version__,
    "description": "The workbench service's API, served under `<base_url>/aios/api/` by the Jupyter\n"
                   "server extension (Jupyter's authentication) and by `aios serve` (bearer token).\n"
                   "Every operation requires authentication. Errors are JSON objects with\n"
                   "`error` (a code), `message` (what went wrong, naming the input) and `fix`\n"
                   "(what to do next).\n\n"
                   "Generated from the route classes and their pydantic models "
                   "(`python -m aios_workbench.surfaces.rest.openapi`); do not edit by hand.\n",
}
SECURITY_SCHEMES = {
    "jupyter": {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Jupyter server authentication (`Authorization: token <token>` or the session cookie "
                               "with XSRF)."},
    "bearer": {"type": "http", "scheme": "bearer", "description": "The token `aios serve` was started with."},
}
UNAUTHENTICATED = {"$ref": "#/components/responses/Unauthenticated"}
BAD_INPUT = "Bad input (the message names it)."
NOT_CONTROLLER = "Not the job's creator, its identity or an auditor (or unauthenticated)."

# What a refusal means, per operation, where it says more than "bad input" or "unauthenticated".
REFUSALS: dict[str, dict[int, str]] = {
    "GET status": {404: "The server runs but no workspace could be loaded (the body says which and how to fix it).",
                   422: "A workspace config or governance file is invalid (file, line, key and fix in the body)."},
    "POST sql": {400: "Malformed SQL, body or parameter (message names the input).",
                 403: "The query was denied; `rule` names the rule that denied it."},
    "GET catalog/dataset": {404: "Unknown dataset."},
    "GET catalog/show": {403: "Not readable by the caller, or unauthenticated.", 404: "Unknown dataset."},
    "GET catalog/preview": {400: "Bad parameter or tampered cursor.", 403: "Not readable by the caller, or unauthenticated."},
    "GET catalog/profile": {403: "Not readable by the caller, or unauthenticated."},
    "POST checks/run": {400: "Bad parameters (the message names them), a `notebook` outside the workspace's "
                             "notebooks folder, or an `mlflow_run_id` that is no MLflow run of this workspace.",
                        403: "A dataset the check reads is not readable by the caller, or `mlflow_run_id` names "
                             "another user's run."},
    "GET checks/history": {403: "A `dataset` filter the caller may not read."},
    "GET checks/overview": {403: "A `dataset` filter the caller may not read."},
    "GET checks/report": {404: "No run with this id among those the caller may see."},
    "GET checks/suites": {422: "governance/checks.yaml is malformed (the message names the line)."},
    "POST checks/evidently": {400: "A relation is neither a dataset name nor a parenthesised SELECT, or sample_rows "
                                   "is out of range."},
    "GET models/version": {404: "Unknown model or version."},
    "POST models/register": {403: "The run's values are withheld from the caller.",
                             404: "No such run among those the caller may see."},
    "POST models/approval": {403: "Not allowed.", 404: "Unknown model or version."},
    "POST models/promote": {403: "Not allowed (a refused promotion lists every unmet gate in `unmet`).",
                            404: "Unknown model or version."},
    "GET lineage": {403: "The caller may not read the dataset, or is unauthenticated.", 404: "Unknown dataset."},
    "POST datasets/write": {400: "Bad target, name, mode, body or inputs; an append whose columns differ.",
                            403: "No write grant, or an input the caller may not read."},
    "GET runs": {400: "Bad limit, filter or order_by (message names the input)."},
    "GET runs/compare": {400: "Fewer than 2 or more than 10 ids, or too many metrics.",
                         404: "A run id does not exist or is not among the runs the caller may see (one answer "
                              "for both)."},
    "POST jobs/promote": {400: "Bad fields, a bad schedule, or a notebook path outside the workspace (named in the "
                                "message).",
                          403: "The caller may not run a job as the named identity.",
                          404: "The notebook does not exist."},
    "GET notebooks/parameters": {400: "Not a notebook, malformed, no kernelspec language, no parameters cell, or "
                                      "outside the workspace.", 404: "The notebook does not exist."},
    "GET schedule/preview": {400: "A bad cron expression, time zone or time (the message names it and the fix)."},
    "GET jobs/versions": {404: "The job has no versions."},
    "POST jobs/rollback": {400: "Missing fields, or the version is not active.", 404: "Unknown job or version."},
    "POST jobs/approval": {400: "Missing or bad fields, or the version is not waiting for approval.",
                           403: "The caller is the promoter, not the named approver, or lacks an approver role.",
                           404: "Unknown job or version."},
    "GET jobs/job": {404: "Unknown job."},
    "DELETE jobs/job": {403: NOT_CONTROLLER, 404: "Unknown job."},
    "POST jobs/run": {400: "Unknown parameter, wrong type or missing name (each named).",
                      403: "Not allowed to control the job, the job's version awaits approval, or unauthenticated.",
                      404: "Unknown job.", 422: "The job's stored spec or version is invalid."},
    "POST jobs/pause": {403: NOT_CONTROLLER, 404: "Unknown job."},
    "POST jobs/resume": {403: NOT_CONTROLLER, 404: "Unknown job."},
    "GET jobs/history": {404: "Unknown job."},
    "GET jobs/runs/run": {404: "Unknown run."},
    "GET jobs/runs/log": {403: NOT_CONTROLLER, 404: "Unknown run."},
    "GET jobs/runs/output": {403: NOT_CONTROLLER,
                             404: "Unknown run, or its output is not written yet or was pruned by retention."},
    "POST jobs/runs/cancel": {400: "Missing id, or the run already finished.", 403: NOT_CONTROLLER,
                              404: "Unknown run."},
    "POST jobs/runs/rerun": {403: NOT_CONTROLLER, 404: "Unknown run."},
    "POST alerts/ack": {404: "Unknown alert."},
    "POST actions": {400: "Unknown kind, or a payload field, source or expiry that is not valid (named).",
                     403: "The caller is not in the policy.", 404: "A declared source column does not exist.",
                     422: "The kind needs a setting aios.yaml lacks (e.g. notifications.smtp)."},
    "GET actions/action": {404: "Unknown action, or one the caller may not see."},
    "POST apps": {403: "The caller does not control the job.", 404: "Unknown job."},
    "GET apps/app": {400: "No name.", 404: "Unknown app."},
    "POST apps/unpublish": {403: "The caller does not control the job.", 404: "Unknown app."},
    "POST apps/run": {400: "A parameter of the wrong type, out of range or not among the caller's choices "
                           "(each named), or the job has no active version.", 403: "The caller is not in the policy.",
                      404: "Unknown app."},
    "POST actions/approve": {400: "The edited payload is not valid.",
                             403: "No role of the caller approves this kind, a value is withheld from them, or "
                                  "self-approval is off.", 404: "Unknown action, or one the caller may not see.",
                             409: "The action is no longer pending (approved, rejected or expired)."},
    "POST actions/reject": {400: "No reason given.", 403: "No role of the caller approves this kind.",
                            404: "Unknown action, or one the caller may not see.",
                            409: "The action is no longer pending."},
    "GET dashboard/{view}": {403: "Not authenticated, or not allowed (e.g. a dataset without a grant, another job's "
                                  "output).", 404: "Unknown view, dataset, run or alert."},
    "POST dashboard/{view}": {404: "Unknown view or alert."},
}
ACT_AS_DESCRIPTION = (
    "With a delegate token of `aios serve` (`aios tokens add NAME --delegate`; the team-mode dashboard with OAuth "
    "logins): the policy user the call acts for, percent-encoded. Delegate tokens reach these views only and are "
    "nobody without this header; `aios serve` refuses it from any other token (403). A Jupyter server ignores it "
    "(its users are Jupyter's).")


class _Schema(GenerateJsonSchema):
    """JSON Schema 2020-12 (what OpenAPI 3.1 embeds) without a title on every property."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


class _Schemas:
    """Every type the routes name, turned into JSON Schema in one pass (so each model is one component)."""

    def __init__(self, types: list[Any]):
        self.types = list(dict.fromkeys(types, None))
        every: Any = tuple.__class_getitem__(tuple(self.types))   # tuple[A, B, ...]: one schema, shared $defs
        generated = TypeAdapter(every).json_schema(ref_template="#/components/schemas/{model}",
                                                   schema_generator=_Schema)
        self.components = dict(sorted(generated.get("$defs", {}).items()))
        self.by_type = dict(zip(self.types, generated["prefixItems"], strict=True))

    def of(self, kind: Any) -> dict:
        return self.by_type[kind]


def _doc(obj: Any) -> tuple[str, str]:
    """(summary, description) of a docstring: its first paragraph on one line, and the rest."""
    text = inspect.cleandoc(obj.__doc__ or "")   # its own docstring: a model without one inherits none
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return (paragraphs[0] if paragraphs else ""), "\n\n".join(paragraphs[1:])


def _alternatives(declared: Any) -> list[Any]:
    return list(declared) if isinstance(declared, tuple) else [declared]


def _content(declared: Any, schemas: _Schemas) -> dict:
    content: dict = {}
    for kind in _alternatives(declared):
        if isinstance(kind, Raw):
            content.update({media: {} for media in kind.media_types})
        else:
            content["application/json"] = {"schema": schemas.of(kind)}
    return content


def _description(declared: Any, fallback: str) -> str:
    """What an answer holds: its model's docstring, the raw content's description, or `fallback`."""
    parts = []
    for kind in _alternatives(declared):
        if isinstance(kind, Raw):
            parts.append(kind.description)
        elif is_model(kind) and kind.__doc__:
            parts.append(_doc(kind)[0])
        elif not is_model(kind):
            parts.append("One of the schemas listed (each view's `...Result`).")
    return " ".join(parts) or fallback


def _body_required(request: Any) -> bool:
    """Whether a request must carry a body: a raw one does; a JSON one when every form of it has a required key."""
    if isinstance(request, Raw):
        return True
    forms = [request] if is_model(request) else list(get_args(request))
    return all(any(field.is_required() for field in form.model_fields.values()) for form in forms)


def _view_parameter(verb: str) -> dict:
    described = []
    for view in views(verb):
        arguments = ", ".join(view.arguments.model_fields)
        described.append(f"{view.name} ({arguments})" if arguments else view.name)
    return {"name": "view", "in": "path", "required": True, "schema": {"enum": [v.name for v in views(verb)]},
            "description": f"{verb.upper()}: " + "; ".join(described) + ". Arguments are query parameters (GET) "
                           "or the JSON body (POST); unknown ones are refused."}


def _optional(schema: dict) -> dict:
    """A query parameter's schema: an optional one is simply not sent, so `X | null` reads as X."""
    schema = {k: v for k, v in schema.items() if k != "description"}
    others = [s for s in schema.get("anyOf", []) if s != {"type": "null"}]
    if len(others) == 1 and len(schema["anyOf"]) == 2:
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **others[0]}
    if schema.get("default", 0) is None:
        del schema["default"]
    return schema


def _parameters(route: type[RouteMixin], verb: str, schemas: _Schemas) -> list[dict]:
    parameters = []
    for name in re.findall(r"\{([a-z_]+)\}", route.path):
        parameters.append(_view_parameter(verb) if name == "view" and route.path.startswith("dashboard/")
                          else {"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    if getattr(route, "delegable", False):
        parameters.append({"name": ACT_AS, "in": "header", "required": False, "description": ACT_AS_DESCRIPTION,
                           "schema": {"type": "string", "maxLength": 64}})
    query = route.query_model.get(verb)
    if query is not None:
        properties = query.model_json_schema(schema_generator=_Schema)["properties"]   # scalars: no components
        for name, field in query.model_fields.items():
            key = field.alias or name
            schema = _optional(properties[key])
            parameter = {"name": key, "in": "query", "required": field.is_required(), "schema": schema}
            if field.description:
                parameter["description"] = field.description
            parameters.append(parameter)
    return parameters


def _responses(route: type[RouteMixin], verb: str, operation: str, has_input: bool, schemas: _Schemas) -> dict:
    declared = route.response_model[verb]
    answers = declared if isinstance(declared, dict) else {200: declared}
    responses: dict = {}
    for status, kind in answers.items():
        fallback = "The answer." if status < 400 else "Refused; the body says why."
        responses[str(status)] = {"description": _description(kind, fallback), "content": _content(kind, schemas)}
    refusals = REFUSALS.get(operation, {})
    defaults = {400: BAD_INPUT} if has_input else {}
    for status, text in sorted({**defaults, **refusals}.items()):
        responses.setdefault(str(status), {"description": text, "content": _content(ErrorBody, schemas)})
    for status in ("401", "403"):
        responses.setdefault(status, UNAUTHENTICATED)
    return dict(sorted(responses.items()))


def _operation_id(verb: str, path: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", path.replace("{", "by_").replace(".yaml", ""))
    return verb + "".join(word[:1].upper() + word[1:] for word in words)


def _operation(route: type[RouteMixin], verb: str, schemas: _Schemas) -> dict:
    summary, description = _doc(route)
    operation: dict[str, Any] = {"operationId": _operation_id(verb, route.path), "summary": summary}
    if description:
        operation["description"] = description
    parameters = _parameters(route, verb, schemas)
    if parameters:
        operation["parameters"] = parameters
    request = route.request_model.get(verb)
    if request is not None:
        operation["requestBody"] = {"required": _body_required(request), "content": _content(request, schemas)}
    has_input = request is not None or any(p["in"] in ("query", "path") for p in parameters)
    operation["responses"] = _responses(route, verb, f"{verb.upper()} {route.path}", has_input, schemas)
    return operation


def _types(routes: list[type[RouteMixin]]) -> list[Any]:
    """Every JSON type the document names: bodies, answers, query models, per-view answers, errors."""
    found: list[Any] = [ErrorBody]
    for route in routes:
        for table in (route.request_model, route.response_model):
            for declared in table.values():
                for kind in (declared.values() if isinstance(declared, dict) else _alternatives(declared)):
                    if not isinstance(kind, Raw):
                        found.append(kind)
    found += [view.reply for view in VIEWS.values() if not view.raw]
    return found


def document() -> dict:
    """The OpenAPI 3.1 document of every route, as data."""
    routes = all_routes()
    schemas = _Schemas(_types(routes))
    paths: dict = {}
    for route in routes:
        paths[f"/{route.path}"] = {verb: _operation(route, verb, schemas) for verb in verbs(route)}
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": "/aios/api"}],
        "security": [{"jupyter": []}, {"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "responses": {"Unauthenticated": {"description": "No valid credentials were sent.",
                                              "content": _content(ErrorBody, schemas)}},
            "schemas": schemas.components,
        },
    }


class _Dumper(yaml.SafeDumper):
    """Plain YAML for people and generators: no anchors for repeated parts, prose as literal blocks."""

    def ignore_aliases(self, data) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


def render() -> str:
    """The document as the YAML checked in at surfaces/rest/openapi.yaml."""
    header = "# Generated by `python -m aios_workbench.surfaces.rest.openapi` from the route classes and\n" \
             "# aios_workbench/schemas. Do not edit: change the models or the routes and regenerate.\n"
    return header + yaml.dump(document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110,
                              default_flow_style=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aios_workbench.surfaces.rest.openapi",
                                     description="Write openapi.yaml from the routes and their models.")
    parser.add_argument("--check", action="store_true", help="only report whether the checked-in file is current")
    args = parser.parse_args(argv)
    text = render()
    current = OPENAPI_FILE.read_text(encoding="utf-8") if OPENAPI_FILE.exists() else ""
    if args.check:
        if current != text:
            print(f"{OPENAPI_FILE} is stale: run python -m aios_workbench.surfaces.rest.openapi", file=sys.stderr)
            return 1
        return 0
    if current != text:
        OPENAPI_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {OPENAPI_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
