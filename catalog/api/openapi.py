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
- names every operation (``OPERATION_IDS``: one stable camelCase id each), marks public
  operations ``security: []``, declares the response headers a script reads
  (``Location``, ``Retry-After``, ``Idempotent-Replayed``, ``RateLimit``…) and the
  ``links`` of the purchase flow;
- publishes each enum once, as a named component referenced wherever it is used
  (``x-enum`` from ``schemas.common.enum_field``), nullable or not;
- installs the ETag hook (``catalog.api.etag``) and the rate limits (``catalog.ratelimit``).
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask, request

from catalog import ratelimit
from catalog.api import etag, locations
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

# The one place operations are named: generated clients call these functions.
OPERATION_IDS = {
    ("get", "/api/v1/datasets"): "listDatasets",
    ("get", "/api/v1/datasets/{slug}"): "getDataset",
    ("patch", "/api/v1/datasets/{slug}/versions/{label}/objects/{key}"): "markPreviewFile",
    ("get", "/api/v1/institutions"): "listInstitutions",
    ("get", "/api/v1/teams"): "listTeams",
    ("get", "/api/v1/teams/{code}"): "getTeam",
    ("post", "/api/v1/teams/{code}/grants"): "grantBudget",
    ("post", "/api/v1/teams/{code}/eliminate"): "eliminateTeam",
    ("get", "/api/v1/purchases"): "listPurchases",
    ("post", "/api/v1/purchases"): "createPurchase",
    ("get", "/api/v1/purchases/{purchase_id}"): "getPurchase",
    ("post", "/api/v1/purchases/{purchase_id}/join"): "joinPurchase",
    ("post", "/api/v1/purchases/{purchase_id}/leave"): "leavePurchase",
    ("post", "/api/v1/purchases/{purchase_id}/confirm"): "confirmPurchase",
    ("post", "/api/v1/purchases/{purchase_id}/close"): "closePurchase",
    ("post", "/api/v1/purchases/{purchase_id}/approve"): "approvePurchase",
    ("post", "/api/v1/purchases/{purchase_id}/reject"): "rejectPurchase",
    ("post", "/api/v1/purchases/{purchase_id}/cancel"): "cancelPurchase",
    ("get", "/api/v1/licenses"): "listLicenses",
    ("get", "/api/v1/licenses/{license_id}"): "getLicense",
    ("post", "/api/v1/licenses/{license_id}/suspend"): "suspendLicense",
    ("post", "/api/v1/licenses/{license_id}/reinstate"): "reinstateLicense",
    ("post", "/api/v1/licenses/{license_id}/revoke"): "revokeLicense",
    ("get", "/api/v1/licenses/{license_id}/policy"): "getLicensePolicy",
    ("get", "/api/v1/licenses/{license_id}/text"): "getLicenseText",
    ("put", "/api/v1/licenses/{license_id}/quota"): "setLicenseQuota",
    ("post", "/api/v1/licenses/{license_id}/renewals"): "requestRenewal",
    ("get", "/api/v1/licenses/{license_id}/attestations"): "listAttestations",
    ("post", "/api/v1/licenses/{license_id}/attestations"): "createAttestation",
    ("post", "/api/v1/licenses/{license_id}/accept-terms"): "acceptLicenseTerms",
    ("get", "/api/v1/renewals/{renewal_id}"): "getRenewal",
    ("post", "/api/v1/renewals/{renewal_id}/confirm"): "confirmRenewal",
    ("post", "/api/v1/renewals/{renewal_id}/cancel"): "cancelRenewal",
    ("post", "/api/v1/renewals/{renewal_id}/approve"): "approveRenewal",
    ("post", "/api/v1/renewals/{renewal_id}/reject"): "rejectRenewal",
    ("get", "/api/v1/tokens"): "listTokens",
    ("post", "/api/v1/tokens"): "createToken",
    ("delete", "/api/v1/tokens/{token_id}"): "revokeToken",
    ("get", "/api/v1/webhooks"): "listWebhooks",
    ("post", "/api/v1/webhooks"): "createWebhook",
    ("delete", "/api/v1/webhooks/{webhook_id}"): "deleteWebhook",
    ("get", "/api/v1/webhooks/{webhook_id}/deliveries"): "listWebhookDeliveries",
    ("get", "/api/v1/audit/events"): "listAuditEvents",
    ("get", "/api/v1/audit/verify"): "verifyAuditChain",
    ("get", "/api/v1/audit/checkpoints"): "listAuditCheckpoints",
    ("get", "/api/v1/audit/export"): "exportAuditChain",
    ("get", "/api/v1/audit/public-key"): "getAuditPublicKey",
    ("get", "/api/v1/datasets/{slug}/manifest"): "getManifest",
    ("get", "/api/v1/datasets/{slug}/files/{key}"): "downloadFile",
    ("get", "/api/v1/datasets/{slug}/versions"): "listVersions",
    ("post", "/api/v1/datasets/{slug}/versions"): "createVersion",
    ("get", "/api/v1/datasets/{slug}/versions/{label}"): "getVersion",
    ("post", "/api/v1/datasets/{slug}/versions/{label}/publish"): "publishVersion",
    ("delete", "/api/v1/datasets/{slug}/versions/{label}/objects/{key}"): "deleteVersionObject",
    ("post", "/api/v1/datasets/{slug}/versions/{label}/uploads"): "startUpload",
    ("get", "/api/v1/datasets/{slug}/versions/{label}/uploads/{upload_id}"): "getUpload",
    ("delete", "/api/v1/datasets/{slug}/versions/{label}/uploads/{upload_id}"): "abortUpload",
    (
        "post",
        "/api/v1/datasets/{slug}/versions/{label}/uploads/{upload_id}/complete",
    ): "completeUpload",
}


# Response schemas whose every member is always present (null where nullable), so that a
# generated client types them as required. Schemas dumped from plain dicts whose members
# may be absent (older frozen terms, verification results …) are not listed.
ALWAYS_COMPLETE = (
    "Institution",
    "InstitutionList",
    "Offer",
    "VersionSummary",
    "DatasetSummary",
    "Dataset",
    "DatasetPage",
    "Participant",
    "Purchase",
    "PurchasePage",
    "License",
    "LicensePage",
    "LicenseDetail",
    "Renewal",
    "RenewalPart",
    "Attestation",
    "Token",
    "TokenCreated",
    "TokenList",
    "Webhook",
    "WebhookCreated",
    "WebhookList",
    "ManifestPage",
    "ManifestObject",
    "Version",
    "VersionList",
    "TeamSummary",
    "TeamList",
)


def _header(description: str, required: bool = False, **schema) -> dict:
    return {
        "description": description,
        "required": required,
        "schema": {"type": "string", **schema},
    }


RETRY_AFTER = _header("Seconds to wait before retrying", pattern="^[0-9]+$")
LOCATION = _header("URL of what was created (or where to go)", required=True)
REPLAYED = _header(
    "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`",
    enum=["true"],
)
RATELIMIT_HEADERS = {
    "RateLimit-Policy": _header("The limit: its name, quota `q` and window `w` in seconds"),
    "RateLimit": _header("What is left: remaining requests `r`, seconds `t` until the reset"),
}
# Where a created thing can be read or removed, per operation: the 201's Location.
PURCHASE_ID = "$response.body#/id"


def _purchase_links() -> dict:
    links = {
        name: {
            "operationId": f"{name}Purchase",
            "parameters": {"purchase_id": PURCHASE_ID},
        }
        for name in ("get", "join", "leave", "confirm", "close", "approve", "reject", "cancel")
    }
    return links


LINKS = {
    ("get", "/api/v1/datasets", "200"): {
        "getDataset": {
            "operationId": "getDataset",
            "parameters": {"slug": "$response.body#/items/0/slug"},
        }
    },
    ("get", "/api/v1/datasets/{slug}", "200"): {
        "createPurchase": {
            "operationId": "createPurchase",
            "requestBody": {
                "dataset": "$response.body#/slug",
                "offer": "$response.body#/offers/0/id",
            },
        },
        "getManifest": {
            "operationId": "getManifest",
            "parameters": {"slug": "$response.body#/slug"},
        },
    },
    ("post", "/api/v1/purchases", "201"): _purchase_links(),
    ("get", "/api/v1/purchases/{purchase_id}", "200"): _purchase_links(),
    ("post", "/api/v1/purchases/{purchase_id}/confirm", "200"): _purchase_links(),
    ("post", "/api/v1/purchases/{purchase_id}/close", "200"): _purchase_links(),
    ("post", "/api/v1/purchases/{purchase_id}/approve", "200"): {
        "listLicenses": {
            "operationId": "listLicenses",
            "parameters": {"dataset": "$response.body#/dataset"},
        },
        "getPurchase": {"operationId": "getPurchase", "parameters": {"purchase_id": PURCHASE_ID}},
    },
    ("get", "/api/v1/licenses", "200"): {
        "getLicense": {
            "operationId": "getLicense",
            "parameters": {"license_id": "$response.body#/items/0/id"},
        },
        "getLicenseText": {
            "operationId": "getLicenseText",
            "parameters": {"license_id": "$response.body#/items/0/id"},
        },
        "acceptLicenseTerms": {
            "operationId": "acceptLicenseTerms",
            "parameters": {"license_id": "$response.body#/items/0/id"},
        },
    },
    ("post", "/api/v1/licenses/{license_id}/accept-terms", "200"): {
        "getManifest": {
            "operationId": "getManifest",
            "parameters": {"slug": "$response.body#/dataset"},
        },
    },
    ("post", "/api/v1/tokens", "201"): {
        "revokeToken": {
            "operationId": "revokeToken",
            "parameters": {"token_id": "$response.body#/id"},
        }
    },
}


def _problem(description: str) -> dict:
    return {"description": description, "content": PROBLEM_CONTENT}


def _int_path_params(item: dict, op: dict) -> list[dict]:
    params = list(item.get("parameters", [])) + list(op.get("parameters", []))
    return [
        p for p in params if p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
    ]


def complete_operation(path: str, method: str, item: dict, op: dict) -> None:
    op["operationId"] = OPERATION_IDS.get((method, path), op.get("operationId"))
    if not op.get("security"):
        op["security"] = []  # public: no token needed
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
    _declare_headers(path, method, op)


def _declare_headers(path: str, method: str, op: dict) -> None:
    responses = op["responses"]
    idempotent = any(p.get("name") == "Idempotency-Key" for p in op.get("parameters", []))
    for status, resp in responses.items():
        headers = resp.setdefault("headers", {})
        if status == "201" or status == "302":
            headers["Location"] = LOCATION
        if status == "302":
            headers["X-Expires-At"] = _header(
                "When the presigned URL stops working (UTC)", required=True, format="date-time"
            )
        if status in ("429", "503") or (status == "409" and idempotent):
            headers["Retry-After"] = dict(RETRY_AFTER, required=status == "429")
        if idempotent and status.startswith("2"):
            headers["Idempotent-Replayed"] = REPLAYED
        if (path, method) in RATE_LIMITED and status in ("201", "429"):
            headers.update(RATELIMIT_HEADERS)
        links = LINKS.get((method, path, status))
        if links:
            resp["links"] = links
        if not headers:
            del resp["headers"]


def _not_nullable(schema: dict) -> None:
    """A query parameter is absent or has a value: ``null`` is no value it can take."""
    schema.pop("nullable", None)
    if "default" in schema and schema["default"] is None:
        del schema["default"]  # absent means "any"
    if "enum" in schema:
        schema["enum"] = [v for v in schema["enum"] if v is not None]
    if isinstance(schema.get("items"), dict):
        _not_nullable(schema["items"])


def _simplify_nullable_refs(node) -> None:
    """apispec writes a nullable nested schema as ``anyOf: [{object, nullable}, {$ref}]``,
    which generators turn into extra classes; ``allOf: [{$ref}], nullable`` says the same."""
    if isinstance(node, list):
        for value in node:
            _simplify_nullable_refs(value)
        return
    if not isinstance(node, dict):
        return
    any_of = node.get("anyOf")
    if (
        isinstance(any_of, list)
        and len(any_of) == 2
        and {"type": "object", "nullable": True} in any_of
    ):
        ref = next(x for x in any_of if x != {"type": "object", "nullable": True})
        if set(ref) == {"$ref"}:
            del node["anyOf"]
            node["allOf"] = [ref]
            node["nullable"] = True
    for value in node.values():
        _simplify_nullable_refs(value)


def _name_enums(node, found: dict) -> None:
    """Replace each ``x-enum`` property by a reference to one named component."""
    if isinstance(node, list):
        for value in node:
            _name_enums(value, found)
        return
    if not isinstance(node, dict):
        return
    name = node.pop("x-enum", None)
    if name is None:
        for value in node.values():
            _name_enums(value, found)
        return
    values = [v for v in node.pop("enum", []) if v is not None]
    component = {"type": "string", "enum": values}
    if found.setdefault(name, component) != component:
        raise ValueError(f"enum {name} is published with two different sets of values")
    nullable = node.pop("nullable", False)
    node.pop("type", None)
    ref = {"$ref": f"#/components/schemas/{name}"}
    if nullable or node:
        # OpenAPI 3.0 ignores siblings of $ref: wrap it to keep a description or null.
        node["allOf"] = [ref]
        if nullable:
            node["nullable"] = True
    else:
        node.update(ref)


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
    for item in spec._paths.values():  # noqa: SLF001
        for op in item.values():
            for param in op.get("parameters", []) if isinstance(op, dict) else []:
                if param.get("in") == "query":
                    _not_nullable(param.get("schema", {}))
    _simplify_nullable_refs(spec._paths)  # noqa: SLF001
    _simplify_nullable_refs(spec.components.schemas)
    enums: dict = {}
    _name_enums(spec._paths, enums)  # noqa: SLF001
    _name_enums(spec.components.schemas, enums)
    for name, component in sorted(enums.items()):
        spec.components.schemas.setdefault(name, component)
    for name in ALWAYS_COMPLETE:
        schema = spec.components.schemas.get(name)
        if schema is not None and schema.get("properties"):
            schema["required"] = list(schema["properties"])
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


MAX_REQUEST_LINE = 8190  # gunicorn's largest limit; gunicorn_conf lets the app answer instead


def _refuse_unreadable_requests():
    """A request line beyond the limit (414) and a body that is not JSON (415), as problems."""
    from werkzeug.exceptions import RequestURITooLarge, UnsupportedMediaType

    from catalog.error_handlers import is_api_request

    if not is_api_request():
        return
    uri = request.environ.get("RAW_URI") or request.full_path
    if len(request.method) + len(uri) + 10 > MAX_REQUEST_LINE:
        raise RequestURITooLarge(f"The request line is longer than {MAX_REQUEST_LINE} bytes.")
    if (
        request.method in ("POST", "PUT", "PATCH")
        and request.content_length
        and not request.is_json
    ):
        raise UnsupportedMediaType("Send the body as application/json.")


def finish_api(app: Flask, api) -> None:
    complete_spec(app, api)
    app.before_request(_refuse_unreadable_requests)
    etag.init_app(app)
    locations.init_app(app)
    ratelimit.init_app(app)
    app.before_request(_refuse_impossible_ids)
