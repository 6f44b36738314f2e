"""``/api/v1/licenses``: the licences you may see, one with its usage and acceptance, its
ODRL policy and full text; admins suspend, reinstate and revoke; providers change quotas;
team leads ask for renewals; teams attest the destruction of their copies."""

from __future__ import annotations

import json

from flask import current_app
from flask.views import MethodView

from catalog.api import paging
from catalog.api.auth import SECURITY, current_actor, policy_required
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.api.idempotency import DOC as IDEMPOTENCY_DOC
from catalog.api.idempotency import idempotent
from catalog.db import get_session
from catalog.odrl import MEDIA_TYPE
from catalog.services import attestations, licence_detail, licensing, renewals, usage
from schemas.licenses import (
    AcceptTermsSchema,
    AttestationCheckSchema,
    AttestationCreateSchema,
    AttestationListSchema,
    AttestationSchema,
    LicenseActionSchema,
    LicenseDetailSchema,
    LicenseListArgsSchema,
    LicensePageSchema,
    LicenseSchema,
    QuotaSchema,
    RenewalSchema,
)

blp = Blueprint(
    "licenses",
    __name__,
    url_prefix="/api/v1/licenses",
    description="Licences: a team's right to a dataset, with frozen terms.",
)


@blp.route("")
class LicenseList(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(LicenseListArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, LicensePageSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @policy_required("licence.view")
    def get(self, page, limit, cursor, **filters):
        """Licences: your team's; a provider's institution's; all for admins and auditors

        `status` filters on the status as of now (a licence past `valid_until` is expired).
        Newest first; follow `next` (a keyset cursor, stable under inserts) to read on.
        """
        result = licensing.list_licenses(
            get_session(),
            current_actor(),
            page=page,
            limit=limit,
            before=paging.decode_id("licenses", cursor),
            **filters,
        )
        nxt, prev = paging.links(
            "licenses.LicenseList",
            "licenses",
            result.page,
            result.pages,
            [result.next_before] if result.next_before else None,
        )
        return {
            "items": result.items,
            "page": result.page,
            "limit": result.limit,
            "total": result.total,
            "pages": result.pages,
            "next": nxt,
            "prev": prev,
        }


def _admin_action(name: str, service, doc: str):
    def post(self, args, license_id):
        lic = service(get_session(), current_actor(), license_id, args["reason"])
        _ = lic.team, lic.dataset
        return lic

    post.__doc__ = doc
    view = policy_required("licence.change_status")(post)
    view = blp.alt_response(409, schema=None, description="Not in a state that allows this")(view)
    view = blp.alt_response(404, schema=None, description="No such licence")(view)
    view = blp.alt_response(403, schema=None, description="Admins only")(view)
    view = blp.response(200, LicenseSchema)(view)
    view = blp.arguments(LicenseActionSchema)(view)
    view = blp.doc(security=SECURITY)(view)
    cls = type(f"License{name.title()}", (MethodView,), {"post": view})
    blp.route(f"/<int:license_id>/{name}")(cls)


_admin_action(
    "suspend",
    licensing.suspend_license,
    "Suspend an active licence (no new download URLs until reinstated)",
)
_admin_action("reinstate", licensing.reinstate_license, "Reinstate a suspended licence")
_admin_action("revoke", licensing.revoke_license, "Revoke a live licence for good")


class _DetailView:
    """A licence with its detail (``licence_detail.LicenceDetail``) for the schema."""

    def __init__(self, d: licence_detail.LicenceDetail):
        self._d = d
        lic = d.license
        self.acceptance = {
            "accepted_at": lic.terms_accepted_at,
            "accepted_by": d.accepted_by,
            "text_sha256": lic.terms_accepted_sha256,
            "document_version": (
                d.text.document.version
                if d.text.document and lic.terms_accepted_document_id == d.text.document.id
                else None
            ),
        }
        self.usage_by_user = [u.__dict__ for u in d.by_user]
        self.permissions = {
            a: {"permitted": x.permitted, "code": x.code} for a, x in d.permissions.items()
        }
        self.licence_text = {
            "sha256": d.text.sha256,
            "version": d.text.document.version if d.text.document else None,
            "url": d.text_path,
        }
        self.attribution_text = d.attribution
        self.kogl_type = d.terms.kogl_type
        self.policy = d.policy_path
        self.renewals = d.renewals
        self.attestations = d.attestations
        self.days_overdue = d.days_overdue

    def __getattr__(self, name):
        return getattr(self._d.license, name)


@blp.route("/<int:license_id>")
class LicenseOne(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, LicenseDetailSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(404, schema=None, description="No such licence you may see")
    @policy_required("licence.view")
    def get(self, license_id):
        """One licence: terms, status, acceptance, usage and quotas, renewals, attestations

        `usage` is the current term's: objects and bytes of the download URLs issued (a URL
        issued is a download permitted), against the quotas (`null`: no cap);
        `usage_by_user` splits it by user and token. `permissions` says what each action of
        the licence vocabulary is allowed now, as the access broker decides it.
        """
        detail = licence_detail.licence_detail(get_session(), current_actor(), license_id)
        return _DetailView(detail)


@blp.route("/<int:license_id>/policy")
class LicensePolicy(MethodView):
    @blp.doc(
        security=SECURITY,
        responses={
            "200": {
                "description": "The ODRL 2.2 policy",
                "content": {MEDIA_TYPE: {"schema": {"type": "object"}}},
            }
        },
    )
    @blp.alt_response(404, schema=None, description="No such licence you may see")
    @policy_required("licence.view")
    def get(self, license_id):
        """The licence as an ODRL 2.2 policy (JSON-LD `Agreement`)

        Written from the same frozen terms the access broker enforces: a permission per
        permitted action (valid in the licence's term; `download` within the quotas), a
        prohibition per other action, and the duties (attribution, deletion at the end,
        usage report). The vocabulary is documented at `/vocab`.
        """
        doc = licence_detail.licence_policy(get_session(), current_actor(), license_id)
        return current_app.response_class(
            json.dumps(doc, ensure_ascii=False, indent=2), mimetype=MEDIA_TYPE
        )


@blp.route("/<int:license_id>/text")
class LicenseText(MethodView):
    @blp.doc(
        security=SECURITY,
        responses={
            "200": {
                "description": "The exact licence text (UTF-8); accept-terms takes its SHA-256",
                "content": {"text/plain": {"schema": {"type": "string"}}},
                "headers": {
                    "X-Content-SHA256": {
                        "description": "SHA-256 of the text, as accept-terms takes it",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    }
                },
            }
        },
    )
    @blp.alt_response(404, schema=None, description="No such licence you may see")
    @policy_required("licence.view")
    def get(self, license_id):
        """The full licence text the team accepts (Korean, then the English translation)"""
        from catalog.services.licence_texts import text_of

        session = get_session()
        lic = licence_detail.get_license(session, current_actor(), license_id)
        text = text_of(session, lic)
        resp = current_app.response_class(text.text, mimetype="text/plain")
        resp.headers["Content-Type"] = "text/plain; charset=utf-8"
        resp.headers["X-Content-SHA256"] = text.sha256
        return resp


@blp.route("/<int:license_id>/quota")
class LicenseQuota(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(QuotaSchema)
    @blp.response(200, LicenseSchema)
    @blp.alt_response(
        403, schema=None, description="Not provider staff of the dataset (`not_dataset_provider`)"
    )
    @blp.alt_response(404, schema=None, description="No such licence you may see")
    @blp.alt_response(
        422,
        schema=None,
        description="Not a positive whole number (`invalid_quota`), or below what the "
        "current term already used (`quota_below_usage`)",
    )
    @policy_required("licence.set_quota")
    def put(self, args, license_id):
        """Change a licence's download quotas (objects and bytes per term; null: no cap)"""
        lic = usage.set_quota(
            get_session(),
            current_actor(),
            license_id,
            objects=args["objects"],
            byte_count=args["bytes"],
            reason=args["reason"],
        )
        _ = lic.team, lic.dataset
        return lic


@blp.route("/<int:license_id>/renewals")
class LicenseRenewals(MethodView):
    @blp.doc(security=SECURITY, **IDEMPOTENCY_DOC)
    @blp.response(201, RenewalSchema)
    @blp.alt_response(403, schema=None, description="Not a team lead (`lead_required`)")
    @blp.alt_response(404, schema=None, description="No such licence of your team")
    @blp.alt_response(
        409,
        schema=None,
        description="Not active (`license_not_renewable`), already renewed "
        "(`already_renewed`), a renewal waiting (`renewal_pending`), `team_eliminated`",
    )
    @policy_required("licence.renew")
    @idempotent(RenewalSchema, 201)
    def post(self, license_id):
        """Ask to renew a licence for another term at its terms (a team lead)

        For a joint purchase, every remaining team's licence is renewed together: each
        team's lead confirms (yours is confirmed at once), then the provider approves and
        each team is charged its share.
        """
        return renewals.request_renewal(get_session(), current_actor(), license_id)


@blp.route("/<int:license_id>/attestations")
class LicenseAttestations(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, AttestationListSchema)
    @blp.alt_response(404, schema=None, description="No such licence you may see")
    @policy_required("licence.view")
    def get(self, license_id):
        """The destruction attestations submitted for a licence, newest first"""
        session = get_session()
        lic = licence_detail.get_license(session, current_actor(), license_id)
        return {"items": attestations.attestations_of(session, current_actor(), lic)}

    @blp.doc(security=SECURITY)
    @blp.arguments(AttestationCreateSchema)
    @blp.response(201, AttestationSchema)
    @blp.alt_response(200, schema=AttestationCheckSchema, description="A dry run: acceptable")
    @blp.alt_response(404, schema=None, description="No such licence of your team")
    @blp.alt_response(
        409, schema=None, description="The licence has not ended (`license_not_ended`)"
    )
    @blp.alt_response(
        422,
        schema=None,
        description="A listed object is not the dataset's (`attestation_mismatch`), or the "
        "attestation is incomplete (`invalid_attestation`)",
    )
    @policy_required("licence.attest", gate=False)
    def post(self, args, license_id):
        """Attest that your team's copies of an ended licence's dataset were deleted

        `kdc purge` sends the objects it deleted (key, size, SHA-256: each must be an
        object of the dataset) and the host; `dry_run` checks without recording.
        `method: declaration` (a team lead) needs no list; `complete: false` needs a
        `reason`. The first attestation settles the licence's duty.
        """
        result = attestations.attest(
            get_session(),
            current_actor(),
            license_id,
            method=args["method"],
            objects=args["objects"],
            host=args["host"],
            dest=args["dest"],
            complete=args["complete"],
            reason=args["reason"],
            dry_run=args["dry_run"],
        )
        if isinstance(result, attestations.AttestationCheck):
            return AttestationCheckSchema().dump(result), 200
        return result


@blp.route("/<int:license_id>/accept-terms")
class LicenseAcceptTerms(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(AcceptTermsSchema, required=False)
    @blp.response(200, LicenseSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(403, schema=None, description="Not a member of a team (`team_role_required`)")
    @blp.alt_response(404, schema=None, description="No such licence of your team")
    @blp.alt_response(
        409,
        schema=None,
        description="The licence is not active (`license_not_active`), or the text you read "
        "is not its text (`licence_text_mismatch`)",
    )
    @policy_required("licence.accept_terms")
    def post(self, args, license_id):
        """Accept a licence's terms and full text for your team (once, before the first download)

        Send `text_sha256`, the SHA-256 of the text you read (`GET …/text`), to accept that
        exact text. Idempotent: accepting again changes nothing. The acceptance (who, when,
        the text's SHA-256) is stored on the licence and written to the audit chain as
        `license:accept_terms`.
        """
        from catalog.services import terms

        lic = terms.accept_terms(
            get_session(),
            current_actor(),
            license_id,
            text_sha256=(args or {}).get("text_sha256"),
        )
        _ = lic.team, lic.dataset
        return lic
