"""``/api/v1/renewals``: a licence's renewal — leads confirm, providers approve or reject."""

from __future__ import annotations

from flask.views import MethodView

from catalog.api.auth import SECURITY, current_actor, policy_required
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.api.idempotency import DOC as IDEMPOTENCY_DOC
from catalog.api.idempotency import idempotent
from catalog.db import get_session
from catalog.services import renewals
from schemas.licenses import RenewalActionSchema, RenewalSchema

blp = Blueprint(
    "renewals",
    __name__,
    url_prefix="/api/v1/renewals",
    description="Renewals of licences: another term at the same terms.",
)


@blp.route("/<int:renewal_id>")
class RenewalOne(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, RenewalSchema)
    @blp.alt_response(404, schema=None, description="No such renewal you may see")
    @policy_required("licence.view")
    def get(self, renewal_id):
        """A renewal: its teams, their confirmations and shares, its status"""
        return renewals.get_renewal(get_session(), current_actor(), renewal_id)


def _action(name: str, action: str, service, doc: str, with_note: bool) -> None:
    def post(self, args, renewal_id):
        kwargs = {"note": args["note"]} if with_note else {}
        return service(get_session(), current_actor(), renewal_id, **kwargs)

    post.__doc__ = doc
    post.__name__ = "post"
    view = idempotent(RenewalSchema, 200)(post)
    view = policy_required(action, gate=name != "cancel")(view)
    view = blp.alt_response(
        409,
        schema=None,
        description="Already decided (`renewal_decided`), `confirmation_pending`, "
        "`renewal_lapsed`, `budget_exceeded`, `already_confirmed`",
    )(view)
    view = blp.alt_response(404, schema=None, description="No such renewal")(view)
    view = blp.alt_response(403, schema=None, description="Not your role")(view)
    view = blp.response(200, RenewalSchema)(view)
    view = blp.arguments(RenewalActionSchema)(view)
    view = blp.doc(security=SECURITY, **IDEMPOTENCY_DOC)(view)
    cls = type(f"Renewal{name.title()}", (MethodView,), {"post": view})
    blp.route(f"/<int:renewal_id>/{name}")(cls)


_action(
    "confirm",
    "licence.renew",
    lambda s, a, rid, **kw: renewals.confirm_renewal(s, a, rid),
    "Confirm your team's share of a renewal (a team lead)",
    False,
)
_action(
    "cancel",
    "licence.renew",
    renewals.cancel_renewal,
    "Withdraw a renewal (a lead of a team in it, or the programme office)",
    True,
)
_action(
    "approve",
    "licence.decide_renewal",
    renewals.approve_renewal,
    "Approve a renewal: each team is charged its share, the licences' end moves one term on",
    True,
)
_action(
    "reject",
    "licence.decide_renewal",
    renewals.reject_renewal,
    "Reject a renewal; nobody is charged",
    True,
)
