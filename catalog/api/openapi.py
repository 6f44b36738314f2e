"""API-wide finishing: the OpenAPI document's error responses, and the limits every route shares.

``finish_api(app, api)`` runs once after every blueprint is registered. It

- documents, for every operation, the problems it can answer with, as
  ``application/problem+json`` (the content type the API really sends): 401/403 for
  operations behind a token, 404 for those with path parameters, 413/415/422 for those
  with a body, 429 where rate limited, 503 (database or object store down) everywhere,
  and a ``default`` problem for the rest;
- documents ``ETag``/``If-None-Match``/304 on the conditional catalogue reads;
- bounds integer path parameters (ids) to 1 … 2³¹−1 in the document and on the server,
  where an id outside that range is a 404 rather than a database overflow;
- installs the ETag hook (``catalog.api.etag``) and the rate limits (``catalog.ratelimit``).
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask, request

from catalog import ratelimit
from catalog.api import etag
from catalog.db import MAX_ID, id_in_range

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
STANDARD_PROBLEMS = {
    "401": "No valid token (`authentication_required`, `invalid_token`, `token_expired`, "
    "`token_revoked`, `user_inactive`)",
    "403": "The token lacks a scope (`insufficient_scope`) or the user may not do this",
    "404": "Not found (`not_found`)",
    "413": "Request body larger than the limit (`payload_too_large`)",
    "415": "Body is not JSON (`unsupported_media_type`)",
    "422": "Invalid parameters or body (`invalid_input`; `errors` names each parameter)",
    "429": "Rate limited (`rate_limited`; wait for `Retry-After` seconds)",
    "503": "Database or object store unavailable (`database_unavailable`, "
    "`storage_unavailable`; retry after `Retry-After` seconds)",
}
RATE_LIMITED = {("/api/v1/tokens", "post")}


def _problem(description: str) -> dict:
    return {"description": description, "content": PROBLEM_CONTENT}


def _int_path_params(item: dict, op: dict) -> list[dict]:
    params = list(item.get("parameters", [])) + list(op.get("parameters", []))
    return [
        p for p in params if p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
    ]


def complete_operation(path: str, method: str, item: dict, op: dict) -> None:
    responses = op.setdefault("responses", {})
    wanted = ["503"]
    if op.get("security"):
        wanted += ["401", "403"]
    if any(p.get("in") == "path" for p in item.get("parameters", []) + op.get("parameters", [])):
        wanted.append("404")
    has_query = any(p.get("in") == "query" for p in op.get("parameters", []))
    if "requestBody" in op:
        wanted += ["413", "415", "422"]
    elif has_query:
        wanted.append("422")
    if (path, method) in RATE_LIMITED:
        wanted.append("429")
    for status in wanted:
        responses.setdefault(status, {"description": STANDARD_PROBLEMS[status]})
    for status, resp in list(responses.items()):
        if status.startswith(("2", "3")) or status == "default":
            continue
        if "$ref" in resp:
            # flask-smorest's shared error responses claim application/json.
            responses[status] = resp = {
                "description": STANDARD_PROBLEMS.get(status, HTTPStatus(int(status)).phrase)
            }
        # alt_response(schema=None) leaves errors without a body: they are problems.
        resp.setdefault("content", PROBLEM_CONTENT)
        resp["content"] = {"application/problem+json": next(iter(resp["content"].values()))}
    responses["default"] = _problem("Any other problem (RFC 9457), with a stable `code`")


def complete_conditional(path: str, op: dict) -> None:
    op.setdefault("parameters", []).append(dict(etag.IF_NONE_MATCH_DOC))
    ok = op["responses"].get("200")
    if ok is not None:
        ok.setdefault("headers", {})["ETag"] = {
            "description": "Tag of this representation, for `If-None-Match`",
            "schema": {"type": "string"},
        }
    op["responses"]["304"] = {"description": "Not modified since the `If-None-Match` tag"}


def complete_spec(app: Flask, api) -> None:
    spec = api.spec
    conditional_paths = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in etag.CONDITIONAL_ENDPOINTS:
            conditional_paths.add(_openapi_path(rule.rule))
    for path, item in spec._paths.items():  # noqa: SLF001 - apispec keeps paths here
        for param in item.get("parameters", []):
            if param.get("in") == "path" and param.get("schema", {}).get("type") == "integer":
                param["schema"].update({"minimum": 1, "maximum": MAX_ID})
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            complete_operation(path, method, item, op)
            if method == "get" and path in conditional_paths:
                complete_conditional(path, op)
    problem = spec.components.schemas.get("Problem")
    if problem is not None:
        # RFC 9457 lets a problem carry extension members (e.g. `team` on budget_exceeded).
        problem["additionalProperties"] = True
        problem["required"] = ["type", "title", "status", "detail", "code"]


def _openapi_path(rule: str) -> str:
    import re

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _refuse_impossible_ids():
    """An integer id beyond any database's range cannot exist: 404, not an overflow."""
    from catalog.error_handlers import is_api_request
    from catalog.errors import NotFound

    if not request.view_args or not is_api_request():
        return
    for name, value in request.view_args.items():
        if isinstance(value, int) and not id_in_range(value):
            raise NotFound(f"No such resource: {name} {value} is out of range.")


def finish_api(app: Flask, api) -> None:
    complete_spec(app, api)
    etag.init_app(app)
    ratelimit.init_app(app)
    app.before_request(_refuse_impossible_ids)
