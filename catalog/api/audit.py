"""``/api/v1/audit``: the tamper-evident audit chain for auditors, and its public key.

Events, checkpoints, verification and export need a token with ``audit:read`` (auditors
and admins); the public key is public, so anyone can check checkpoint signatures.
"""

from __future__ import annotations

from flask import Response, current_app, stream_with_context, url_for
from flask.views import MethodView

from catalog import policy
from catalog.api.auth import SECURITY, current_actor, policy_required
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.db import end_read, get_session
from catalog.services import audit_review
from schemas.audit import (
    AuditEventArgsSchema,
    AuditEventPageSchema,
    CheckpointArgsSchema,
    CheckpointPageSchema,
    ExportArgsSchema,
    PublicKeySchema,
    VerifyResultSchema,
)

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="The tamper-evident audit log (docs/audit.md).",
)


def _key():
    return audit_review.try_load_key(current_app.config["AUDIT_KEY"])


@blp.route("/events")
class AuditEvents(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(AuditEventArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, AuditEventPageSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(403, schema=None, description="Not an auditor or admin")
    @policy_required("audit.read")
    def get(self, after, limit):
        """Audit events with seq greater than `after`, oldest first

        Each event is exactly what was hashed (see docs/audit.md), so a script can verify
        the chain itself; follow `next` until it is null.
        """
        session = get_session()
        items = audit_review.list_events(session, current_actor(), after=after, limit=limit)
        head_seq, _ = audit_review.chain_head(session)
        last = items[-1]["seq"] if items else after
        nxt = (
            url_for("audit.AuditEvents", after=last, limit=limit)
            if items and last < head_seq
            else None
        )
        return {"items": items, "after": after, "limit": limit, "head_seq": head_seq, "next": nxt}


@blp.route("/verify")
class AuditVerify(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, VerifyResultSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(403, schema=None, description="Not an auditor or admin")
    @policy_required("audit.read")
    def get(self):
        """Verify the whole chain now against its signed checkpoints

        `ok` is false when anything is wrong; `problem` names the first problem's `seq`
        and `kind` (edited, deleted, inserted, reordered, truncated,
        bad_checkpoint_signature). The verification itself is recorded as an
        `audit:verify` event.
        """
        session = get_session()
        result = audit_review.verify_and_record(session, current_actor(), key=_key(), via="api")
        out = result.as_dict()
        out["recorded_seq"] = audit_review.chain_head(session)[0]
        return out


@blp.route("/checkpoints")
class AuditCheckpoints(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(CheckpointArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, CheckpointPageSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(403, schema=None, description="Not an auditor or admin")
    @policy_required("audit.read")
    def get(self, after, limit):
        """Signed checkpoints of the chain head, oldest first"""
        cps = audit_review.list_checkpoints(get_session(), after=after, limit=limit + 1)
        more = len(cps) > limit
        cps = cps[:limit]
        nxt = url_for("audit.AuditCheckpoints", after=cps[-1].seq, limit=limit) if more else None
        items = [audit_review.checkpoint_as_dict(cp) for cp in cps]
        return {"items": items, "after": after, "limit": limit, "next": nxt}


@blp.route("/export")
class AuditExport(MethodView):
    @blp.doc(
        security=SECURITY,
        responses={
            "200": {
                "description": "JSON Lines: a header, the checkpoints, then the events",
                "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            }
        },
    )
    @blp.arguments(ExportArgsSchema, location="query", as_kwargs=True)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(403, schema=None, description="Not an auditor or admin")
    @policy_required("audit.read")
    def get(self, after):
        """Export the chain with its checkpoints (verify offline with `kdc audit verify`)"""
        session = get_session()
        # End this request's transaction now: a stream may be read slowly, and on SQLite an
        # open transaction holds the write lock. The export reads in short batches.
        end_read(session)
        lines = audit_review.export_lines(session, after=after, key=_key())
        return Response(
            stream_with_context(lines),
            mimetype="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="kdc-audit-export.jsonl"'},
        )


@blp.route("/public-key")
class AuditPublicKey(MethodView):
    @blp.response(200, PublicKeySchema)
    @blp.alt_response(
        409, schema=None, description="No checkpoint key created yet (`audit_key_missing`)"
    )
    @policy.public("anyone may check checkpoint signatures")
    def get(self):
        """The Ed25519 public key that signs checkpoints (no authentication)

        Keep a copy: `kdc audit verify --public-key` trusts the key you give it, not one
        inside an export.
        """
        return audit_review.load_key(current_app.config["AUDIT_KEY"]).info()
