"""``/api/v1/purchases``: request, join, close, decide and cancel purchases.

Every POST that creates a purchase or moves money honours ``Idempotency-Key``.
Approve and reject are for the dataset's provider (scope ``provider:write``) or an admin;
the other POSTs need ``purchase:write``.
"""

from __future__ import annotations

from flask.views import MethodView

from catalog.api import paging
from catalog.api.auth import SECURITY, current_actor, policy_required
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.api.idempotency import DOC as IDEMPOTENCY_DOC
from catalog.api.idempotency import idempotent
from catalog.db import get_session
from catalog.services import purchasing
from schemas.purchases import (
    DecisionSchema,
    EmptySchema,
    JoinSchema,
    PurchaseCreateSchema,
    PurchaseListArgsSchema,
    PurchasePageSchema,
    PurchaseSchema,
)

blp = Blueprint(
    "purchases",
    __name__,
    url_prefix="/api/v1/purchases",
    description="Individual and joint purchases of datasets.",
)

ERRORS = {
    401: "No valid token",
    403: "Not allowed for this role, team or institution (`code` says why)",
    404: "No such purchase (or not visible to you)",
    409: "Illegal in the purchase's state (`code`: purchase_closed, already_decided, ...)",
    422: "Invalid input or reused Idempotency-Key",
}


def _document(view):
    for status, text in ERRORS.items():
        view = blp.alt_response(status, schema=None, description=text)(view)
    return view


def _for_viewer(purchase):
    purchase.actions_for_viewer = purchasing.available_actions(current_actor(), purchase)
    return purchase


@blp.route("")
class PurchaseList(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(PurchaseListArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, PurchasePageSchema)
    @_document
    @policy_required("purchase.view")
    def get(self, page, limit, cursor, **filters):
        """Purchases visible to you, newest first

        Teams see their own purchases and every joint purchase (the board); providers
        those of their institution's datasets; admins and auditors all. Follow `next`
        (a keyset cursor, stable under inserts) to read on.
        """
        result = purchasing.list_purchases(
            get_session(),
            current_actor(),
            page=page,
            limit=limit,
            before=paging.decode_id("purchases", cursor),
            **filters,
        )
        nxt, prev = paging.links(
            "purchases.PurchaseList",
            "purchases",
            result.page,
            result.pages,
            [result.next_before] if result.next_before else None,
        )
        return {
            "items": [_for_viewer(p) for p in result.items],
            "page": result.page,
            "limit": result.limit,
            "total": result.total,
            "pages": result.pages,
            "next": nxt,
            "prev": prev,
        }

    @blp.doc(security=SECURITY, **IDEMPOTENCY_DOC)
    @blp.arguments(PurchaseCreateSchema)
    @blp.response(201, PurchaseSchema)
    @_document
    @policy_required("purchase.take_part")
    @idempotent(PurchaseSchema, 201)
    def post(self, args):
        """Request an individual purchase or open a joint one for your team

        A lead's request is confirmed at once; a member's waits for a lead's `confirm`.
        """
        purchase = purchasing.request_purchase(get_session(), current_actor(), **args)
        return _for_viewer(purchase)


@blp.route("/<int:purchase_id>")
class PurchaseDetail(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, PurchaseSchema)
    @_document
    @policy_required("purchase.view")
    def get(self, purchase_id):
        """A purchase, with participants and their (preview) shares"""
        return _for_viewer(purchasing.get_purchase(get_session(), current_actor(), purchase_id))


def _action(name: str, service, schema, doc: str, *, action: str, gate: bool = True):
    def post(self, args, purchase_id):
        purchase = service(get_session(), current_actor(), purchase_id, **args)
        return _for_viewer(purchase)

    post.__doc__ = doc
    post.__name__ = "post"
    view = idempotent(PurchaseSchema, 200)(post)
    view = policy_required(action, gate=gate)(view)
    view = _document(view)
    view = blp.response(200, PurchaseSchema)(view)
    view = blp.arguments(schema)(view)
    view = blp.doc(security=SECURITY, **IDEMPOTENCY_DOC)(view)
    cls = type(f"Purchase{name.title()}", (MethodView,), {"post": view})
    blp.route(f"/<int:purchase_id>/{name}")(cls)


_action(
    "join",
    purchasing.join_purchase,
    JoinSchema,
    "Join an open joint purchase with your team\n\nShares are re-split at once.",
    action="purchase.take_part",
)
_action(
    "leave",
    lambda s, a, pid: purchasing.leave_purchase(s, a, pid),
    EmptySchema,
    "Withdraw your team from an open joint purchase\n\nThe opener team cancels instead.",
    action="purchase.leave",
)
_action(
    "confirm",
    lambda s, a, pid: purchasing.confirm_participation(s, a, pid),
    EmptySchema,
    "A team lead commits the team's money to this purchase",
    action="purchase.confirm",
    gate=False,  # a member of a team that does not take part hears not_participant first
)
_action(
    "close",
    lambda s, a, pid: purchasing.close_purchase(s, a, pid),
    EmptySchema,
    "Close a joint purchase to further teams\n\nWith at least `min_teams` confirmed teams "
    "it waits for the provider (`pending_approval`); with fewer it `failed`.\n\n"
    "If the team that opened it was eliminated, the leads of the remaining teams may "
    "close or cancel it.",
    action="purchase.close",
)
_action(
    "approve",
    purchasing.approve_purchase,
    DecisionSchema,
    "Approve: charge every participant its share (all or nothing) and issue licences\n\n"
    "409 `budget_exceeded` names the team that cannot pay (`team`, `needed_krw`); nothing "
    "is charged. Providers are not told a team's balance.",
    action="purchase.decide",
)
_action(
    "reject",
    purchasing.reject_purchase,
    DecisionSchema,
    "Reject a purchase of your institution's dataset",
    action="purchase.decide",
)
_action(
    "cancel",
    purchasing.cancel_purchase,
    DecisionSchema,
    "Cancel an undecided purchase your team requested or opened (admins: any)",
    action="purchase.cancel",
)
