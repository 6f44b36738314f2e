"""``Location`` on every ``201 Created``: where the new thing can be read (or removed).

One table, by endpoint, from the response body and the request's path parameters, so that
a replayed idempotent answer carries the same ``Location`` as the first one.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request, url_for

LOCATIONS: dict[str, Callable[[dict, dict], str]] = {
    "purchases.PurchaseList": lambda body, args: url_for(
        "purchases.PurchaseDetail", purchase_id=body["id"]
    ),
    "tokens.TokenList": lambda body, args: url_for("tokens.TokenDetail", token_id=body["id"]),
    "webhooks.WebhookList": lambda body, args: url_for(
        "webhooks.WebhookDetail", webhook_id=body["id"]
    ),
    "licenses.LicenseRenewals": lambda body, args: url_for(
        "renewals.RenewalOne", renewal_id=body["id"]
    ),
    "licenses.LicenseAttestations": lambda body, args: url_for(
        "licenses.LicenseAttestations", license_id=args["license_id"]
    ),
    "teams.TeamGrants": lambda body, args: url_for("teams.TeamDetail", code=args["code"]),
    "manifest.Versions": lambda body, args: url_for(
        "manifest.Version", slug=args["slug"], label=body["label"]
    ),
    "manifest.Uploads": lambda body, args: url_for(
        "manifest.Upload", slug=args["slug"], label=args["label"], upload_id=body["upload_id"]
    ),
    "manifest.UploadComplete": lambda body, args: url_for(
        "manifest.VersionObject", slug=args["slug"], label=args["label"], key=body["key"]
    ),
}


def add_location(resp):
    if resp.status_code != 201 or "Location" in resp.headers:
        return resp
    where = LOCATIONS.get(request.endpoint or "")
    body = resp.get_json(silent=True)
    if where is not None and isinstance(body, dict):
        resp.headers["Location"] = where(body, request.view_args or {})
    return resp


def init_app(app: Flask) -> None:
    app.after_request(add_location)
