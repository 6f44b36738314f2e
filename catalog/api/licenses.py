"""``/api/v1/licenses``: the licences you may see; admins suspend, reinstate and revoke."""

from __future__ import annotations

from flask.views import MethodView

from catalog.api.auth import SECURITY, current_actor, policy_required
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.api.datasets import page_links
from catalog.db import get_session
from catalog.services import licensing
from schemas.licenses import (
    LicenseActionSchema,
    LicenseListArgsSchema,
    LicensePageSchema,
    LicenseSchema,
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
    def get(self, page, limit, **filters):
        """Licences: your team's; a provider's institution's; all for admins and auditors

        `status` filters on the status as of now (a licence past `valid_until` is expired).
        """
        result = licensing.list_licenses(
            get_session(), current_actor(), page=page, limit=limit, **filters
        )
        nxt, prev = page_links("licenses.LicenseList", result.page, result.pages)
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


@blp.route("/<int:license_id>/accept-terms")
class LicenseAcceptTerms(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, LicenseSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(403, schema=None, description="Not a member of a team (`team_role_required`)")
    @blp.alt_response(404, schema=None, description="No such licence of your team")
    @blp.alt_response(
        409, schema=None, description="The licence is not active (`license_not_active`)"
    )
    @policy_required("licence.accept_terms")
    def post(self, license_id):
        """Accept a licence's terms for your team (needed once before the first download)

        Idempotent: accepting again changes nothing. The acceptance (who, when) is stored on
        the licence and written to the audit chain as `license:accept_terms`.
        """
        from catalog.services import terms

        lic = terms.accept_terms(get_session(), current_actor(), license_id)
        _ = lic.team, lic.dataset
        return lic
