"""My team: licences (active, expiring, revoked), budget and ledger, purchases, the
click-through acceptance of a licence's terms, browser downloads, and API tokens.

Downloads: ``/datasets/<slug>/download/<key>`` asks the access broker for a fresh,
short-lived URL of one file (after the terms were accepted) and redirects to it; a team
without a usable licence gets a page that says why, never a broken link.
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

from catalog import licence_terms
from catalog.db import get_session, id_in_range, utcnow
from catalog.errors import DomainError
from catalog.objectstore import get_object_store
from catalog.ratelimit import check_token_creation
from catalog.services import licence_detail, myteam, terms, tokens
from catalog.web.forms import AcceptTermsForm, ActionForm, AttestForm, TokenForm, choices
from catalog.web.guards import (
    field_errors,
    flash_error,
    message_for,
    policy_required,
    web_actor,
)

bp = Blueprint("team", __name__)


TEAM_ONLY = _l("This page is for members of a team.")


@bp.route("/team")
@policy_required("myteam.view", message=TEAM_ONLY)
def overview():
    data = myteam.team_overview(get_session(), web_actor())
    return render_template("team/overview.html", data=data)


def render_license_page(
    license_id: int,
    *,
    form: AcceptTermsForm | None = None,
    attest_form: AttestForm | None = None,
    status: int = 200,
):
    """The team's licence page: terms and full text, usage, renewals, attestation, files."""
    session = get_session()
    actor = web_actor()
    data = myteam.license_files(session, actor, license_id)
    detail = licence_detail.licence_detail(session, actor, license_id)
    if form is None:
        form = AcceptTermsForm(formdata=None, data={"text_sha256": detail.text.sha256})
    return make_response(
        render_template(
            "team/license.html",
            data=data,
            detail=detail,
            form=form,
            attest_form=attest_form or AttestForm(formdata=None),
            server_url=request.host_url.rstrip("/"),
            actions=licence_terms.ACTION_BY_NAME,
            already_renewed=detail.license.next_term_starts_at is not None
            and detail.license.next_term_starts_at > utcnow(),
        ),
        status,
    )


@bp.route("/team/licenses/<int:license_id>")
@policy_required("myteam.view", message=TEAM_ONLY)
def license_page(license_id: int):
    return render_license_page(license_id)


@bp.route("/team/licenses/<int:license_id>/accept", methods=["POST"])
@policy_required("licence.accept_terms", message=TEAM_ONLY)
def accept(license_id: int):
    form = AcceptTermsForm()
    session = get_session()
    if not form.validate_on_submit():
        return render_license_page(license_id, form=form, status=400)
    try:
        terms.accept_terms(
            session, web_actor(), license_id, text_sha256=form.text_sha256.data or None
        )
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(_("You accepted the licence's terms for your team. Downloads are open."), "success")
    return redirect(url_for("team.license_page", license_id=license_id))


@bp.route("/datasets/<slug>/download/<path:key>")
@policy_required("dataset.download", gate=False)
def download(slug: str, key: str):
    """One file through the access broker: 302 to a fresh presigned URL, or a refusal."""
    version = request.args.get("version") or None
    try:
        issued = terms.issue_browser_download(
            get_session(),
            web_actor(),
            get_object_store(),
            slug,
            key,
            version=version,
            default_ttl=current_app.config["URL_TTL"],
        )
    except terms.TermsNotAccepted as exc:
        flash(message_for(exc), "error")
        return redirect(url_for("team.license_page", license_id=exc.license_id))
    except DomainError as exc:
        status = exc.status if exc.status in (403, 404, 503) else 400
        resp = make_response(
            render_template(
                "team/refused.html",
                status=status,
                code=exc.code,
                message=message_for(exc),
                slug=slug,
                key=key,
            ),
            status,
        )
        resp.headers.update(exc.headers)
        return resp
    resp = redirect(issued.url, 302)
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --- API tokens (any signed-in user: scripts act as their user) ---------------------------------


def _token_form() -> TokenForm:
    form = TokenForm()
    allowed = tokens.ROLE_SCOPES[current_user.role]
    form.scopes.choices = choices((s, s) for s in allowed)
    if not form.is_submitted():
        form.scopes.data = list(allowed)
    return form


def _tokens_page(form, raw=None, created=None, status=200):
    actor = web_actor()
    items = tokens.list_tokens(get_session(), actor)
    resp = make_response(
        render_template(
            "team/tokens.html",
            form=form,
            items=items,
            raw=raw,
            created=created,
            status_of=tokens.token_status,
            revoke_form=ActionForm(),
            server_url=request.host_url.rstrip("/"),
        ),
        status,
    )
    # A new token is shown exactly once: never from a cache, never in a Referer.
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/tokens", methods=["GET", "POST"])
@policy_required("token.list", "token.create")
def token_list():
    form = _token_form()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _tokens_page(form, status=400)
        try:
            # One allowance with the API (the same counter): a page is no way around it.
            check_token_creation(current_user.id)
            token, raw = tokens.create_token(
                get_session(),
                web_actor(),
                current_user,
                scopes=form.scopes.data or None,
                days=form.days.data,
                name=form.name.data or "",
            )
        except DomainError as exc:
            if not field_errors(exc, form):
                form.scopes.errors = list(form.scopes.errors) + [message_for(exc)]
            resp = _tokens_page(form, status=exc.status)
            resp.headers.update(exc.headers)
            return resp
        return _tokens_page(_token_form(), raw=raw, created=token, status=201)
    return _tokens_page(form)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@policy_required("token.revoke")
def token_revoke(token_id: int):
    ActionForm().validate_on_submit()
    try:
        if not id_in_range(token_id):
            raise tokens.NotFound(f"No token {token_id} of yours exists.", code="token_not_found")
        token = tokens.revoke_token(get_session(), web_actor(), token_id)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(
            _(
                "Token %(prefix)s… is revoked; scripts using it are refused from now on.",
                prefix=token.prefix,
            ),
            "success",
        )
    return redirect(url_for("team.token_list"))
