"""The inbox (the bell in the header, ``/notifications``), e-mail preferences, and the
webhooks a team lead or provider registers (``/webhooks``).

Every change is a POST with a CSRF token: mark one notice read (and go where it leads),
mark all read, save preferences, create or delete a webhook.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from catalog.db import get_session
from catalog.errors import DomainError
from catalog.outbox.text import KIND_LABELS, render
from catalog.services import notices, webhooks
from catalog.web.forms import ActionForm, EmailPreferencesForm, WebhookForm, choices
from catalog.web.guards import field_errors, flash_error, message_for, policy_required, web_actor

bp = Blueprint("notices", __name__)
PAGE = 50


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/notifications")
@policy_required("notice.read")
def inbox():
    before = request.args.get("before", type=int)
    page = notices.inbox(get_session(), web_actor(), before=before, limit=PAGE)
    items = [(n, render(n.notice.kind, n.notice.data)) for n in page.items]
    return render_template(
        "notifications/inbox.html", page=page, items=items, kind_labels=KIND_LABELS
    )


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@policy_required("notice.read")
def mark_read(notification_id: int):
    ActionForm().validate_on_submit()
    try:
        notices.mark_read(get_session(), web_actor(), notification_id)
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for("notices.inbox"))
    return redirect(_safe_next(request.form.get("next")) or url_for("notices.inbox"))


@bp.route("/notifications/read-all", methods=["POST"])
@policy_required("notice.read")
def mark_all_read():
    ActionForm().validate_on_submit()
    count = notices.mark_all_read(get_session(), web_actor())
    flash(_("%(count)s notices marked read.", count=count), "success")
    return redirect(url_for("notices.inbox"))


def _kind_choices(kinds) -> list:
    return choices((k.value, KIND_LABELS[k]) for k in kinds)


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@policy_required("notice.read")
def preferences():
    session = get_session()
    actor = web_actor()
    form = EmailPreferencesForm()
    form.email.choices = _kind_choices(notices.kinds_for(actor.role))
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                notices.set_email_preferences(session, actor, form.email.data or [])
            except DomainError as exc:
                flash_error(exc)
                status = exc.status
            else:
                flash(_("Your e-mail preferences are saved."), "success")
                return redirect(url_for("notices.preferences"))
        else:
            status = 400
    if request.method == "GET" or status != 400:
        current = notices.email_preferences(session, actor)
        form.email.data = [k for k, on in current.items() if on]
    return render_template(
        "notifications/preferences.html",
        form=form,
        email_configured=bool(current_app.config.get("SMTP_URL")),
        address=current_user.email,
    ), status


# --- webhooks (team leads for the team, provider staff for the institution) -------------------


def _webhook_form() -> WebhookForm:
    form = WebhookForm()
    form.kinds.choices = _kind_choices(webhooks.audience_kinds(web_actor()))
    return form


def _webhooks_page(form, *, created=None, secret=None, status=200):
    resp = make_response(
        render_template(
            "notifications/webhooks.html",
            form=form,
            items=webhooks.list_webhooks(get_session(), web_actor()),
            created=created,
            secret=secret,
            kind_labels=KIND_LABELS,
            owner=current_user.team.code if current_user.team else current_user.institution.code,
        ),
        status,
    )
    # A new secret is shown exactly once: never from a cache.
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/webhooks", methods=["GET", "POST"])
@policy_required(
    "webhook.manage", message=_l("Webhooks are registered by team leads and provider staff.")
)
def webhook_list():
    form = _webhook_form()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _webhooks_page(form, status=400)
        try:
            endpoint, secret = webhooks.create_webhook(
                get_session(),
                web_actor(),
                url=form.url.data,
                kinds=form.kinds.data or [],
                description=form.description.data or "",
            )
        except DomainError as exc:
            if not field_errors(exc, form):
                form.url.errors = list(form.url.errors) + [message_for(exc)]
            return _webhooks_page(form, status=exc.status)
        return _webhooks_page(_webhook_form(), created=endpoint, secret=secret, status=201)
    return _webhooks_page(form)


@bp.route("/webhooks/<int:webhook_id>")
@policy_required(
    "webhook.view", message=_l("Webhooks are registered by team leads and provider staff.")
)
def webhook_detail(webhook_id: int):
    session = get_session()
    actor = web_actor()
    endpoint = webhooks.get_webhook(session, actor, webhook_id)
    return render_template(
        "notifications/webhook.html",
        endpoint=endpoint,
        deliveries=webhooks.webhook_deliveries(session, actor, webhook_id),
        kind_labels=KIND_LABELS,
    )


@bp.route("/webhooks/<int:webhook_id>/delete", methods=["POST"])
@policy_required(
    "webhook.manage", message=_l("Webhooks are registered by team leads and provider staff.")
)
def webhook_delete(webhook_id: int):
    ActionForm().validate_on_submit()
    try:
        endpoint = webhooks.delete_webhook(get_session(), web_actor(), webhook_id)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(_("The webhook to %(url)s is deleted.", url=endpoint.url), "success")
    return redirect(url_for("notices.webhook_list"))
