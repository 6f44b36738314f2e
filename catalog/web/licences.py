"""Licence pages: the vocabulary, offers' licence texts and ODRL policies (public), renewals,
destruction attestations, and the provider's view of its licences (usage per team, quotas).

The team's own licence page lives in ``catalog.web.team``; the auditor's usage and
attestation reports in ``catalog.web.auditor``.
"""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalog import licence_terms, odrl, policy
from catalog.db import get_session, id_in_range
from catalog.errors import DomainError, NotFound
from catalog.services import (
    attestations,
    licence_detail,
    licence_texts,
    renewals,
    usage,
)
from catalog.web.forms import AttestForm, NoteForm, QuotaForm
from catalog.web.guards import field_errors, flash_error, policy_required, web_actor

bp = Blueprint("licences", __name__)
TEAM_ONLY = _l("This page is for members of a team.")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value is None:
        return None
    if not value.isdigit() or not id_in_range(int(value)):
        raise NotFound(f"No {name} {value!r}.")
    return int(value)


# --------------------------------------------------------------------------- public


@bp.route("/vocab")
@policy.public("the licence vocabulary is published for anyone to read")
def vocab():
    base = licence_detail.base_url(get_session()) or request.host_url.rstrip("/")
    return render_template(
        "licences/vocab.html",
        ns=odrl.vocab_iri(base),
        actions=licence_terms.ACTIONS,
        duties=licence_terms.DUTIES,
        kogl=licence_terms.KOGL.values(),
    )


@bp.route("/vocab.jsonld")
@policy.public("the licence vocabulary is published for anyone to read")
def vocab_jsonld():
    base = licence_detail.base_url(get_session()) or request.host_url.rstrip("/")
    return _jsonld(odrl.vocabulary(base))


def _jsonld(doc: dict):
    resp = current_app.response_class(
        json.dumps(doc, ensure_ascii=False, indent=2), mimetype=odrl.MEDIA_TYPE
    )
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.route("/datasets/<slug>/offers/<int:offer_id>/policy.jsonld")
@policy.public("an offer's terms are public, like the catalogue")
def offer_policy(slug: str, offer_id: int):
    return _jsonld(licence_detail.offer_policy(get_session(), slug, offer_id))


@bp.route("/datasets/<slug>/offers/<int:offer_id>/licence")
@policy.public("an offer's licence text is public, like the catalogue")
def offer_licence(slug: str, offer_id: int):
    session = get_session()
    offer = licence_detail.public_offer(session, slug, offer_id)
    doc = licence_texts.public_document(session, slug, offer_id, _int_arg("version"))
    return render_template(
        "licences/offer_licence.html",
        offer=offer,
        ds=offer.dataset,
        doc=doc,
        versions=offer.documents,
        attribution=licence_detail.offer_attribution(session, offer),
    )


@bp.route("/datasets/<slug>/offers/<int:offer_id>/licence.txt")
@policy.public("an offer's licence text is public, like the catalogue")
def offer_licence_txt(slug: str, offer_id: int):
    doc = licence_texts.public_document(get_session(), slug, offer_id, _int_arg("version"))
    resp = current_app.response_class(doc.text, mimetype="text/plain")
    resp.headers["Content-Type"] = "text/plain; charset=utf-8"
    resp.headers["X-Content-SHA256"] = doc.sha256
    return resp


# --------------------------------------------------------------------------- provider


@bp.route("/provider/offers/<int:offer_id>/licence-text", methods=["POST"])
@policy_required("dataset.manage")
def offer_text(offer_id: int):
    from catalog.models.offers import Offer
    from catalog.web.provider import licence_text_form

    session = get_session()
    offer = session.get(Offer, offer_id) if id_in_range(offer_id) else None
    if offer is None:
        raise NotFound(f"No offer {offer_id}.")
    form = licence_text_form(offer, formdata=request.form)
    back = url_for("provider.dataset", slug=offer.dataset.slug)
    if not form.validate_on_submit():
        flash(_("Write the Korean licence text (at most 100,000 characters)."), "error")
        return redirect(back)
    try:
        doc = licence_texts.publish_document(
            session, web_actor(), offer_id, form.licence_text_ko.data, form.licence_text_en.data
        )
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(
            _("Version %(v)d of the licence text is published.", v=doc.version),
            "success",
        )
    return redirect(back)


@bp.route("/provider/licences")
@policy_required(
    "licence.view",
    "dataset.manage",
    message=_l("The provider console is for the institutions' staff."),
)
def provider_licences():
    session = get_session()
    actor = web_actor()
    rows = usage.usage_report(session, actor)
    due = attestations.attestation_report(session, actor)
    pending = (
        renewals.pending_for_institution(session, actor)
        if policy.can(actor, "licence.decide_renewal")
        else []
    )
    return render_template(
        "licences/provider.html",
        rows=rows,
        attestations=due,
        renewals=pending,
        shares_of=renewals.shares_of,
        quota_form=QuotaForm,
    )


@bp.route("/provider/licences/<int:license_id>/quota", methods=["POST"])
@policy_required("licence.set_quota")
def set_quota(license_id: int):
    form = QuotaForm()
    back = url_for("licences.provider_licences") + f"#licence-{license_id}"
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            for error in errors:
                flash(f"{getattr(form, name).label.text}: {error}", "error")
        return redirect(back)
    try:
        usage.set_quota(
            get_session(),
            web_actor(),
            license_id,
            objects=form.objects.data,
            byte_count=form.bytes.data,
            reason=form.reason.data or "",
        )
    except DomainError as exc:
        messages = [str(m) for ms in (exc.extra.get("errors") or {}).values() for m in ms]
        flash(" ".join([_message(exc), *messages]), "error")
    else:
        flash(_("The quota of licence %(id)d is changed.", id=license_id), "success")
    return redirect(back)


def _message(exc: DomainError) -> str:
    from catalog.web.guards import message_for

    return message_for(exc)


# --------------------------------------------------------------------------- renewals


@bp.route("/team/licenses/<int:license_id>/renew", methods=["POST"])
@policy_required("licence.renew", message=TEAM_ONLY)
def renew(license_id: int):
    try:
        renewal = renewals.request_renewal(get_session(), web_actor(), license_id)
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for("team.license_page", license_id=license_id))
    flash(
        _(
            "Renewal #%(id)d is requested; the other teams' leads confirm, then the provider "
            "decides.",
            id=renewal.id,
        )
        if len(renewal.parts) > 1
        else _("Renewal #%(id)d is requested; the provider decides.", id=renewal.id),
        "success",
    )
    return redirect(url_for("licences.renewal", renewal_id=renewal.id))


@bp.route("/renewals/<int:renewal_id>")
@policy_required("licence.view")
def renewal(renewal_id: int):
    view = renewals.renewal_view(get_session(), web_actor(), renewal_id)
    return render_template("licences/renewal.html", view=view, note_form=NoteForm())


def _renewal_action(renewal_id: int, service, done) -> object:
    form = NoteForm()
    form.validate_on_submit()
    try:
        service(get_session(), web_actor(), renewal_id, note=form.note.data or "")
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(str(done), "success")
    nxt = request.form.get("next") or ""
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt)
    return redirect(url_for("licences.renewal", renewal_id=renewal_id))


@bp.route("/renewals/<int:renewal_id>/confirm", methods=["POST"])
@policy_required("licence.renew", message=TEAM_ONLY)
def renewal_confirm(renewal_id: int):
    return _renewal_action(
        renewal_id, lambda s, a, rid, note: renewals.confirm_renewal(s, a, rid), _l("Confirmed.")
    )


@bp.route("/renewals/<int:renewal_id>/cancel", methods=["POST"])
@policy_required("licence.renew", gate=False)
def renewal_cancel(renewal_id: int):
    return _renewal_action(renewal_id, renewals.cancel_renewal, _l("The renewal is withdrawn."))


@bp.route("/renewals/<int:renewal_id>/approve", methods=["POST"])
@policy_required("licence.decide_renewal")
def renewal_approve(renewal_id: int):
    return _renewal_action(
        renewal_id,
        renewals.approve_renewal,
        _l("The renewal is approved: each team was charged its share."),
    )


@bp.route("/renewals/<int:renewal_id>/reject", methods=["POST"])
@policy_required("licence.decide_renewal")
def renewal_reject(renewal_id: int):
    return _renewal_action(
        renewal_id, renewals.reject_renewal, _l("The renewal is rejected; nobody was charged.")
    )


# --------------------------------------------------------------------------- attestations


@bp.route("/team/licenses/<int:license_id>/attest", methods=["POST"])
@policy_required("licence.declare_destruction", message=TEAM_ONLY)
def attest(license_id: int):
    from catalog.web.team import render_license_page

    form = AttestForm()
    if not form.validate_on_submit():
        return render_license_page(license_id, attest_form=form, status=400)
    try:
        attestations.attest(
            get_session(),
            web_actor(),
            license_id,
            method="declaration",
            host=form.host.data or "",
            complete=form.complete.data == "yes",
            reason=form.reason.data or "",
        )
    except DomainError as exc:
        if field_errors(exc, form):
            return render_license_page(license_id, attest_form=form, status=exc.status)
        flash_error(exc)
    else:
        flash(_("Your declaration is recorded; the licence's attestation is settled."), "success")
    return redirect(url_for("team.license_page", license_id=license_id))
