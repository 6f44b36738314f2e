"""The joint-purchase board and purchase pages: open, join, leave, confirm, close,
cancel, and (provider staff) approve or reject.

Each POST parses its form, calls one purchasing service and redirects back with a
flash message saying what happened (or, translated, why not).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalog import policy
from catalog.db import get_session
from catalog.errors import DomainError
from catalog.models.purchases import PurchaseStatus
from catalog.services import purchasing
from catalog.services.shares import split_price
from catalog.web.forms import ActionForm, NoteForm
from catalog.web.guards import flash_error, policy_required, web_actor

bp = Blueprint("joint", __name__, url_prefix="/purchases")

ACTIONS = {
    "join": purchasing.join_purchase,
    "leave": purchasing.leave_purchase,
    "confirm": purchasing.confirm_participation,
    "close": purchasing.close_purchase,
    "cancel": purchasing.cancel_purchase,
    "approve": purchasing.approve_purchase,
    "reject": purchasing.reject_purchase,
}


# Each action's rule in the policy; the services apply it to the purchase (gate=False
# below: a refusal is a flash message on the page the user came from).
POLICY_ACTIONS = {
    "join": "purchase.take_part",
    "leave": "purchase.leave",
    "confirm": "purchase.confirm",
    "close": "purchase.close",
    "cancel": "purchase.cancel",
    "approve": "purchase.decide",
    "reject": "purchase.decide",
}


def done_message(action: str, purchase) -> str:
    return {
        "join": _("Your team joined purchase #%(id)d.", id=purchase.id),
        "leave": _("Your team left purchase #%(id)d.", id=purchase.id),
        "confirm": _(
            "You confirmed your team's participation in purchase #%(id)d.", id=purchase.id
        ),
        "close": _(
            "Purchase #%(id)d is closed: %(status)s.",
            id=purchase.id,
            status=status_label(purchase.status.value),
        ),
        "cancel": _("Purchase #%(id)d was cancelled.", id=purchase.id),
        "approve": _(
            "Purchase #%(id)d is approved; licences are active and the teams were charged.",
            id=purchase.id,
        ),
        "reject": _("Purchase #%(id)d was rejected; nobody was charged.", id=purchase.id),
    }[action]


def status_label(status: str) -> str:
    return {
        "requested": _("requested"),
        "open": _("open"),
        "pending_approval": _("waiting for the provider"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "cancelled": _("cancelled"),
        "failed": _("failed"),
    }.get(status, status)


def _card(actor, purchase) -> dict:
    """What a purchase card shows: shares now, the share if the viewer's team joined."""
    shares = purchasing.shares_of(purchase)
    parts = purchasing.joined(purchase)
    preview = None
    actions = purchasing.available_actions(actor, purchase)
    if "join" in actions:
        preview = split_price(purchase.price_krw, len(parts) + 1)[-1]
    return {"p": purchase, "parts": parts, "shares": shares, "actions": actions, "preview": preview}


@bp.route("/")
@policy_required("purchase.view")
def board():
    session = get_session()
    actor = web_actor()
    open_joint = purchasing.list_purchases(
        session, actor, mode="joint", status="open", limit=100
    ).items
    mine = []
    if policy.can(actor, "purchase.take_part"):
        mine = [
            p
            for p in purchasing.list_purchases(
                session, actor, team=current_user.team.code, limit=100
            ).items
            if p.status != PurchaseStatus.OPEN or p.mode.value != "joint"
        ]
    waiting = purchasing.list_purchases(
        session, actor, mode="joint", status="pending_approval", limit=100
    ).items
    return render_template(
        "purchases/board.html",
        cards=[_card(actor, p) for p in open_joint],
        waiting=[_card(actor, p) for p in waiting],
        mine=[_card(actor, p) for p in mine],
        form=ActionForm(),
    )


@bp.route("/<int:purchase_id>")
@policy_required("purchase.view")
def detail(purchase_id: int):
    actor = web_actor()
    purchase = purchasing.get_purchase(get_session(), actor, purchase_id)
    return render_template(
        "purchases/detail.html",
        card=_card(actor, purchase),
        form=ActionForm(),
        note_form=NoteForm(),
    )


@bp.route("/<int:purchase_id>/<action>", methods=["POST"])
@policy_required(*dict.fromkeys(POLICY_ACTIONS.values()), gate=False)
def act(purchase_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    back = request.form.get("next") or ""
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = url_for("joint.detail", purchase_id=purchase_id)
    kwargs = {}
    if action in ("approve", "reject", "cancel"):
        form = NoteForm()
        if not form.validate_on_submit():
            for error in form.note.errors:
                flash(error, "error")
            return redirect(back)
        kwargs["note"] = form.note.data or ""
    else:
        form = ActionForm()
        if not form.validate_on_submit():
            abort(400)
    try:
        purchase = ACTIONS[action](get_session(), web_actor(), purchase_id, **kwargs)
    except DomainError as exc:
        flash_error(exc)
        return redirect(back)
    flash(done_message(action, purchase), "success")
    return redirect(back)
