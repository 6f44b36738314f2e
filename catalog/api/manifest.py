"""Manifests with presigned URLs, file redirects, and the provider's versions and uploads.

- ``GET /api/v1/datasets/{slug}/manifest``: a page of a version's objects, each with a
  presigned GET URL (licensed team members and leads, scope ``data:read``);
- ``GET /api/v1/datasets/{slug}/files/{key}``: 302 to a fresh presigned URL of one file;
- ``/api/v1/datasets/{slug}/versions…``: drafts, uploads (presigned PUT or multipart
  parts), completion with server-side SHA-256 check, publishing (scope ``provider:write``).
"""

from __future__ import annotations

import json

from flask import current_app, redirect, request, url_for
from flask.views import MethodView

from catalog.api.auth import SECURITY, current_actor, policy_required
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.db import get_session
from catalog.objectstore import get_object_store
from catalog.services import access, previews, uploads, versions
from schemas.storage import (
    FileArgsSchema,
    ManifestArgsSchema,
    ManifestPageSchema,
    ObjectPatchSchema,
    ObjectSchema,
    UploadPlanSchema,
    UploadRequestSchema,
    VersionCreateSchema,
    VersionListSchema,
    VersionSchema,
)

blp = Blueprint(
    "manifest",
    __name__,
    url_prefix="/api/v1/datasets",
    description="Download URLs for licensed data; providers' versions and uploads.",
)

UPLOAD_TTL = 6 * 3600


def _absolute(url: str) -> str:
    # The local backend's URLs point at this server; scripts get them absolute.
    return request.host_url.rstrip("/") + url if url.startswith("/") else url


def _tickets() -> uploads.UploadTickets:
    return uploads.UploadTickets(current_app.config["SECRET_KEY"])


def _iso(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@blp.route("/<slug>/manifest")
class Manifest(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(ManifestArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ManifestPageSchema)
    @blp.alt_response(
        403,
        schema=None,
        description="No usable licence: `license_required`, "
        "`license_expired`, `license_revoked`, `license_suspended`, "
        "`team_eliminated`",
    )
    @blp.alt_response(404, schema=None, description="No such dataset or version")
    @policy_required("dataset.download")
    def get(self, slug, version, cursor, limit, ttl):
        """A page of a version's manifest with presigned download URLs

        Objects come in key order, `limit` (default 1,000, at most 5,000) per page; follow `next` until it
        is null. Each page's URLs are minted for that page and expire at `expires_at`.
        Every page is recorded as an access grant.
        """
        page = access.issue_download_urls(
            get_session(),
            current_actor(),
            get_object_store(),
            slug,
            version=version,
            cursor=cursor,
            limit=limit,
            ttl=ttl,
            default_ttl=current_app.config["URL_TTL"],
        )
        expires = _iso(page.expires_at)
        nxt = None
        if page.next_cursor:
            args = {"version": page.version, "cursor": page.next_cursor, "limit": limit}
            if ttl:
                args["ttl"] = ttl
            nxt = url_for("manifest.Manifest", slug=slug, **args)
        base = request.host_url.rstrip("/")
        head = {
            "dataset": page.dataset,
            "version": page.version,
            "object_count": page.object_count,
            "total_bytes": page.total_bytes,
            "ttl": page.ttl,
            "expires_at": expires,
        }

        def body():
            # Serialised by hand and streamed a signing chunk at a time: marshmallow would
            # cost more than signing the URLs, and a whole page of 5,000 objects would sit
            # in memory twice (URLs, then JSON).
            yield json.dumps(head, ensure_ascii=False)[:-1] + ', "objects": ['
            sep = ""
            for chunk in page.objects.chunks():
                text = json.dumps(
                    [
                        {
                            "key": k,
                            "size": s,
                            "sha256": h,
                            "url": base + u if u.startswith("/") else u,
                            "expires_at": expires,
                        }
                        for k, s, h, u in chunk
                    ],
                    ensure_ascii=False,
                )
                yield sep + text[1:-1]
                sep = ", "
            yield "], " + json.dumps({"next": nxt})[1:]

        resp = current_app.response_class(body(), mimetype="application/json")
        resp.headers["Cache-Control"] = "no-store"
        return resp


@blp.route("/<slug>/files/<path:key>")
class File(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(FileArgsSchema, location="query", as_kwargs=True)
    @blp.response(302, description="Redirect to a fresh presigned URL of the file")
    @blp.alt_response(403, schema=None, description="No usable licence (see the manifest)")
    @policy_required("dataset.download")
    def get(self, slug, key, version, ttl):
        """Download one file: 302 to a fresh presigned URL (for browsers and `curl -L`)"""
        issued = access.issue_file_url(
            get_session(),
            current_actor(),
            get_object_store(),
            slug,
            key,
            version=version,
            ttl=ttl,
            default_ttl=current_app.config["URL_TTL"],
        )
        resp = redirect(_absolute(issued.url), 302)
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Expires-At"] = _iso(issued.expires_at)
        return resp


@blp.route("/<slug>/versions")
class Versions(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, VersionListSchema)
    @policy_required("catalog.read")
    def get(self, slug):
        """A dataset's versions (drafts too, for its providers, admins and auditors)"""
        return {"items": versions.list_versions(get_session(), current_actor(), slug)}

    @blp.doc(security=SECURITY)
    @blp.arguments(VersionCreateSchema)
    @blp.response(201, VersionSchema)
    @blp.alt_response(409, schema=None, description="The label exists (`version_exists`)")
    @policy_required("dataset.manage")
    def post(self, args, slug):
        """Create an empty draft version (providers of the dataset's institution)"""
        return versions.create_version(
            get_session(),
            current_actor(),
            get_object_store(),
            slug,
            args["label"],
            args["release_notes"],
        )


@blp.route("/<slug>/versions/<label>")
class Version(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, VersionSchema)
    @policy_required("catalog.read")
    def get(self, slug, label):
        """One version"""
        return versions.show_version(get_session(), current_actor(), slug, label)


@blp.route("/<slug>/versions/<label>/publish")
class VersionPublish(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, VersionSchema)
    @blp.alt_response(
        409,
        schema=None,
        description="Already published (`version_published`) or empty (`version_empty`)",
    )
    @policy_required("dataset.manage")
    def post(self, slug, label):
        """Publish a draft version: its manifest is frozen from now on"""
        return versions.publish_version(get_session(), current_actor(), slug, label)


@blp.route("/<slug>/versions/<label>/objects/<path:key>")
class VersionObject(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(204)
    @blp.alt_response(409, schema=None, description="The version is published")
    @policy_required("dataset.manage")
    def delete(self, slug, label, key):
        """Remove a file from a draft version (and its bytes from the store)"""
        versions.delete_object(get_session(), current_actor(), get_object_store(), slug, label, key)

    @blp.doc(security=SECURITY)
    @blp.arguments(ObjectPatchSchema)
    @blp.response(200, ObjectSchema)
    @policy_required("dataset.manage")
    def patch(self, args, slug, label, key):
        """Mark a file as a preview file (readable before purchase), or unmark it"""
        return previews.set_preview(
            get_session(), current_actor(), slug, label, key, args["preview"]
        )


def _plan(plan: uploads.UploadPlan) -> dict:
    return {
        "upload_id": plan.upload_id,
        "key": plan.key,
        "size": plan.size,
        "sha256": plan.sha256,
        "content_type": plan.content_type,
        "multipart": plan.multipart,
        "part_size": plan.part_size,
        "url": _absolute(plan.url) if plan.url else None,
        "parts": [{**p, "url": _absolute(p["url"])} for p in plan.parts],
        "received": plan.received,
        "expires_at": plan.expires_at,
    }


@blp.route("/<slug>/versions/<label>/uploads")
class Uploads(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(UploadRequestSchema)
    @blp.response(201, UploadPlanSchema)
    @blp.alt_response(409, schema=None, description="Version published, or key exists")
    @policy_required("dataset.manage")
    def post(self, args, slug, label):
        """Start uploading one file: presigned PUT URL, or part URLs for a multipart upload

        PUT the bytes (each part's exact `size` bytes to its URL), then call `complete`.
        Files above 64 MiB use multipart unless `multipart` says otherwise.
        """
        plan = uploads.request_upload(
            get_session(),
            current_actor(),
            get_object_store(),
            _tickets(),
            slug,
            label,
            ttl=UPLOAD_TTL,
            **args,
        )
        return _plan(plan)


@blp.route("/<slug>/versions/<label>/uploads/<upload_id>")
class Upload(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, UploadPlanSchema)
    @policy_required("dataset.manage")
    def get(self, slug, label, upload_id):
        """Where an upload stands: parts received, fresh URLs for the missing ones"""
        plan = uploads.upload_status(
            get_session(),
            current_actor(),
            get_object_store(),
            _tickets(),
            slug,
            label,
            upload_id,
            ttl=UPLOAD_TTL,
        )
        return _plan(plan)

    @blp.doc(security=SECURITY)
    @blp.response(204)
    @policy_required("dataset.manage")
    def delete(self, slug, label, upload_id):
        """Abort an upload and discard its bytes"""
        uploads.abort_upload(
            get_session(), current_actor(), get_object_store(), _tickets(), slug, label, upload_id
        )


@blp.route("/<slug>/versions/<label>/uploads/<upload_id>/complete")
class UploadComplete(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(201, ObjectSchema)
    @blp.alt_response(
        409,
        schema=None,
        description="Nothing uploaded yet (`upload_missing`), "
        "parts missing (`upload_incomplete`), or the key exists",
    )
    @blp.alt_response(
        422,
        schema=None,
        description="Bytes differ from the declaration "
        "(`size_mismatch`, `checksum_mismatch`); the upload is discarded",
    )
    @policy_required("dataset.manage")
    def post(self, slug, label, upload_id):
        """Finish an upload: the server reads the bytes back, checks size and SHA-256, and
        adds the file to the draft's manifest"""
        return uploads.complete_upload(
            get_session(), current_actor(), get_object_store(), _tickets(), slug, label, upload_id
        )
