"""The purchase pages ("구매", one menu for both modes): the board of the team's purchases
and of open joint purchases, each purchase's page with its timeline, and the actions:
join, leave, confirm, close, cancel, invite a team, and (provider staff) approve or reject.

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
from catalog.services.timeline import purchase_timeline
from catalog.web.formatting import status_label as _status_label
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
    return _status_label(status)


STEP_LABELS = {
    "request": lambda: _("Request"),
    "join": lambda: _("Teams join"),
    "confirm": lambda: _("Lead confirms"),
    "close": lambda: _("Closed to new teams"),
    "approve": lambda: _("Provider approves"),
    "terms": lambda: _("Terms accepted"),
    "download": lambda: _("Download"),
}


def timeline(purchase) -> list[dict]:
    steps = purchase_timeline(get_session(), purchase, current_user.team_id)
    return [
        {"key": s.key, "state": s.state, "when": s.when, "label": STEP_LABELS[s.key]()}
        for s in steps
    ]


def share_table(purchase, parts: list) -> list[dict]:
    """What each team pays for 2 … max teams (the largest share, to the won)."""
    offer = purchase.offer
    if purchase.mode.value != "joint" or not offer.max_teams:
        return []
    mine = any(p.team_id == current_user.team_id for p in parts)
    return [
        {
            "teams": n,
            "share": split_price(purchase.price_krw, n)[0],
            "now": n == len(parts),
            "with_us": not mine and n == len(parts) + 1,
            "enough": n >= (offer.min_teams or 2),
        }
        for n in range(max(2, offer.min_teams or 2), offer.max_teams + 1)
    ]


def _card(actor, purchase) -> dict:
    """What a purchase card shows: shares now, the share if the viewer's team joined."""
    shares = purchasing.shares_of(purchase)
    parts = purchasing.joined(purchase)
    preview = None
    actions = purchasing.available_actions(actor, purchase)
    team = current_user.team
    if team is not None and team.status.value == "eliminated":
        # An eliminated team buys nothing: no join button, no share preview.
        actions = [a for a in actions if a != "join"]
    if "join" in actions:
        preview = split_price(purchase.price_krw, len(parts) + 1)[-1]
    return {"p": purchase, "parts": parts, "shares": shares, "actions": actions, "preview": preview}


@bp.route("/")
@policy_required("purchase.view")
def board():
    """One menu for both modes: the team's purchases (joined joint purchases first), the
    joint purchases open for joining, and those waiting for the provider."""
    session = get_session()
    actor = web_actor()
    open_joint = purchasing.list_purchases(
        session, actor, mode="joint", status="open", limit=100
    ).items
    ours = []
    if policy.can(actor, "purchase.take_part"):
        ours = purchasing.list_purchases(
            session, actor, team=current_user.team.code, limit=100
        ).items
    ours_ids = {p.id for p in ours}
    joined = [p for p in open_joint if p.id in ours_ids]
    open_to_join = [p for p in open_joint if p.id not in ours_ids]
    mine = [p for p in ours if not (p.status == PurchaseStatus.OPEN and p.mode.value == "joint")]
    waiting = purchasing.list_purchases(
        session, actor, mode="joint", status="pending_approval", limit=100
    ).items
    waiting = [p for p in waiting if p.id not in ours_ids]
    return render_template(
        "purchases/board.html",
        cards=[_card(actor, p) for p in open_to_join],
        joined=[_card(actor, p) for p in joined],
        waiting=[_card(actor, p) for p in waiting],
        mine=[_card(actor, p) for p in mine],
        form=ActionForm(),
    )


@bp.route("/<int:purchase_id>")
@policy_required("purchase.view")
def detail(purchase_id: int):
    actor = web_actor()
    purchase = purchasing.get_purchase(get_session(), actor, purchase_id)
    card = _card(actor, purchase)
    return render_template(
        "purchases/detail.html",
        card=card,
        steps=timeline(purchase),
        share_rows=share_table(purchase, card["parts"]),
        invitable=purchasing.invitable_teams(get_session(), actor, purchase),
        form=ActionForm(),
        note_form=NoteForm(),
    )


@bp.route("/<int:purchase_id>/invite", methods=["POST"])
@policy_required("purchase.invite", gate=False)
def invite(purchase_id: int):
    back = url_for("joint.detail", purchase_id=purchase_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    code = (request.form.get("team") or "").strip()
    try:
        purchasing.invite_team(get_session(), web_actor(), purchase_id, team=code)
    except DomainError as exc:
        flash_error(exc)
        return redirect(back)
    flash(_("Team %(team)s was invited; its people got a notice.", team=code), "success")
    return redirect(back)


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
