"""The provider console: the institution's datasets (create, edit, publish, withdraw),
offers, versions with browser uploads, and the approval queue.

Uploads go straight from the browser to the object store: the page asks this server for
a presigned PUT (``uploads.request_upload``), the vendored ``upload.js`` sends the bytes
with a progress bar, then asks the server to verify size and SHA-256
(``uploads.complete_upload``). Those two calls are JSON, CSRF-protected by header.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalog import policy
from catalog.db import get_session
from catalog.errors import DomainError, InvalidInput
from catalog.models.teams import Team
from catalog.objectstore import get_object_store
from catalog.services import catalog as catalog_service
from catalog.services import publishing, purchasing, uploads, versions
from catalog.services.dataset_figures import dataset_figures
from catalog.services.shares import split_price
from catalog.web.forms import (
    ActionForm,
    DatasetForm,
    DeleteObjectForm,
    LicenceTextForm,
    NoteForm,
    OfferForm,
    VersionForm,
    choices,
)
from catalog.web.guards import field_errors, flash_error, message_for, policy_required, web_actor

bp = Blueprint("provider", __name__, url_prefix="/provider")
guard = policy_required(
    "dataset.manage", message=_l("The provider console is for the institutions' staff.")
)
UPLOAD_TTL = 6 * 3600


def licence_text_form(offer, formdata=None) -> LicenceTextForm:
    """The form for a new version of an offer's licence text (one per offer on the page)."""
    doc = offer.current_document
    return LicenceTextForm(
        formdata=formdata,
        data={
            "licence_text_ko": doc.text_ko if doc else "",
            "licence_text_en": doc.text_en if doc else "",
        },
    )


def _dataset_fields(form: DatasetForm) -> dict:
    return {name: getattr(form, name).data for name in publishing.EDITABLE}


def _institution_choices(form: DatasetForm) -> None:
    form.institution.choices = choices(
        (i.code, f"{i.code} · {i.name_ko}")
        for i in catalog_service.list_institutions(get_session())
    )


@bp.route("/")
@guard
def index():
    session = get_session()
    actor = web_actor()
    datasets = publishing.managed_datasets(session, actor)
    queue = []
    for status in ("pending_approval", "requested"):
        for p in purchasing.list_purchases(session, actor, status=status, limit=100).items:
            parts = purchasing.joined(p)
            shares = split_price(p.price_krw, len(parts)) if parts else []
            rows = []
            for part, share in zip(parts, shares, strict=True):
                team = session.get(Team, part.team_id)
                # A team's money only for those the policy lets see it (not providers).
                money = policy.can(actor, "team.view_money", team)
                rows.append(
                    {
                        "part": part,
                        "team": team,
                        "share": share,
                        "balance": team.balance_krw if money else None,
                    }
                )
            queue.append(
                {
                    "p": p,
                    "rows": rows,
                    "money": all(row["balance"] is not None for row in rows),
                    "actions": purchasing.available_actions(actor, p),
                }
            )
    return render_template(
        "provider/index.html",
        datasets=datasets,
        figures=dataset_figures(session, actor, datasets),
        queue=queue,
        note_form=NoteForm(),
    )


@bp.route("/datasets/new", methods=["GET", "POST"])
@guard
def dataset_new():
    form = DatasetForm()
    _institution_choices(form)
    if form.validate_on_submit():
        try:
            ds = publishing.create_dataset(
                get_session(),
                web_actor(),
                slug=form.slug.data,
                institution_code=form.institution.data,
                **_dataset_fields(form),
            )
        except DomainError as exc:
            if not field_errors(exc, form):
                flash_error(exc)
        else:
            flash(
                _(
                    "Draft dataset %(slug)s created. Add an offer and a version, then publish.",
                    slug=ds.slug,
                ),
                "success",
            )
            return redirect(url_for("provider.dataset", slug=ds.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("provider/dataset_form.html", form=form, ds=None), status


@bp.route("/datasets/<slug>", methods=["GET", "POST"])
@guard
def dataset(slug: str):
    session = get_session()
    actor = web_actor()
    ds = publishing.get_managed_dataset(session, actor, slug)
    form = DatasetForm(obj=None if request.method == "POST" else ds)
    if request.method == "GET":
        for name in ("languages", "formats", "keywords"):
            getattr(form, name).data = ", ".join(getattr(ds, name) or [])
        form.modality.data = ds.modality.value
        form.sensitivity.data = ds.sensitivity.value
    form.slug.data = ds.slug
    _institution_choices(form)
    form.institution.data = ds.institution.code
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                publishing.update_dataset(session, actor, slug, **_dataset_fields(form))
            except DomainError as exc:
                if not field_errors(exc, form):
                    flash_error(exc)
                status = 400
            else:
                flash(_("Changes saved."), "success")
                return redirect(url_for("provider.dataset", slug=slug))
        else:
            status = 400
    return render_template(
        "provider/dataset.html",
        ds=ds,
        form=form,
        offer_form=OfferForm(),
        version_form=VersionForm(),
        action_form=ActionForm(),
        text_form_for=licence_text_form,
    ), status


@bp.route("/datasets/<slug>/status/<status>", methods=["POST"])
@guard
def dataset_status(slug: str, status: str):
    ActionForm().validate_on_submit()
    try:
        publishing.set_dataset_status(get_session(), web_actor(), slug, status)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(
            _("The dataset is published.")
            if status == "published"
            else _("The dataset is withdrawn from sale; existing licences stay valid."),
            "success",
        )
    return redirect(url_for("provider.dataset", slug=slug))


@bp.route("/datasets/<slug>/offers", methods=["POST"])
@guard
def offer_create(slug: str):
    session = get_session()
    actor = web_actor()
    form = OfferForm()
    if form.validate_on_submit():
        try:
            publishing.create_offer(
                session,
                actor,
                slug,
                **{
                    k: getattr(form, k).data
                    for k in (
                        "mode",
                        "price_krw",
                        "term_months",
                        "min_teams",
                        "max_teams",
                        "join_window_days",
                        "uses",
                        "attribution",
                        "survives_elimination",
                        "download_quota",
                        "download_quota_bytes",
                        "kogl_type",
                        "licence_text_ko",
                        "licence_text_en",
                    )
                },
            )
        except DomainError as exc:
            if not field_errors(exc, form):
                flash_error(exc)
        else:
            flash(_("Offer added."), "success")
            return redirect(url_for("provider.dataset", slug=slug))
    ds = publishing.get_managed_dataset(session, actor, slug)
    ds_form = DatasetForm(obj=ds)
    _institution_choices(ds_form)
    return render_template(
        "provider/dataset.html",
        ds=ds,
        form=ds_form,
        offer_form=form,
        version_form=VersionForm(),
        action_form=ActionForm(),
        open_offer_form=True,
        text_form_for=licence_text_form,
    ), 400


@bp.route("/offers/<int:offer_id>/deactivate", methods=["POST"])
@guard
def offer_deactivate(offer_id: int):
    ActionForm().validate_on_submit()
    try:
        offer = publishing.deactivate_offer(get_session(), web_actor(), offer_id)
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for("provider.index"))
    flash(_("The offer is withdrawn; licences sold under it keep their terms."), "success")
    return redirect(url_for("provider.dataset", slug=offer.dataset.slug))


@bp.route("/datasets/<slug>/versions", methods=["POST"])
@guard
def version_create(slug: str):
    form = VersionForm()
    if not form.validate_on_submit():
        for field in (form.label, form.release_notes):
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "error")
        return redirect(url_for("provider.dataset", slug=slug))
    try:
        version = versions.create_version(
            get_session(),
            web_actor(),
            get_object_store(),
            slug,
            form.label.data.strip(),
            form.release_notes.data or "",
        )
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for("provider.dataset", slug=slug))
    flash(
        _(
            "Draft version %(label)s created: upload its files, then publish it.",
            label=version.label,
        ),
        "success",
    )
    return redirect(url_for("provider.version", slug=slug, label=version.label))


@bp.route("/datasets/<slug>/versions/<label>")
@guard
def version(slug: str, label: str):
    session = get_session()
    actor = web_actor()
    ds = publishing.get_managed_dataset(session, actor, slug)
    ver = versions.show_version(session, actor, slug, label)
    from catalog.web.filters import version_sample

    files = version_sample(ver, limit=500)
    resp = make_response(
        render_template(
            "provider/version.html",
            ds=ds,
            ver=ver,
            files=files,
            action_form=ActionForm(),
            delete_form=DeleteObjectForm(),
        )
    )
    origin = _upload_origin()
    if origin:
        # upload.js PUTs straight to the object store: let this page connect to it, only it.
        resp.headers["Content-Security-Policy"] = UPLOAD_CSP.format(origin=origin)
    return resp


UPLOAD_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self' {origin}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def _upload_origin() -> str | None:
    """The scheme://host of presigned upload URLs when they leave this server (S3)."""
    store = get_object_store()
    if store.scheme != "s3":
        return None
    try:
        url = store.presign_put(".kdc-uploads/csp-probe", 60)
    except Exception:  # noqa: BLE001 - the page must render even if signing fails
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else None


@bp.route("/datasets/<slug>/versions/<label>/publish", methods=["POST"])
@guard
def version_publish(slug: str, label: str):
    ActionForm().validate_on_submit()
    try:
        versions.publish_version(get_session(), web_actor(), slug, label)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(_("Version %(label)s is published; its files are frozen.", label=label), "success")
    return redirect(url_for("provider.version", slug=slug, label=label))


@bp.route("/datasets/<slug>/versions/<label>/delete", methods=["POST"])
@guard
def object_delete(slug: str, label: str):
    form = DeleteObjectForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        versions.delete_object(
            get_session(), web_actor(), get_object_store(), slug, label, form.key.data
        )
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(_("File %(key)s removed from the draft.", key=form.key.data), "success")
    return redirect(url_for("provider.version", slug=slug, label=label))


# --- JSON for upload.js -----------------------------------------------------------------------


def _json_error(exc: DomainError):
    resp = jsonify({"code": exc.code, "detail": message_for(exc)})
    return resp, exc.status


def _tickets() -> uploads.UploadTickets:
    return uploads.UploadTickets(current_app.config["SECRET_KEY"])


@bp.route("/datasets/<slug>/versions/<label>/uploads", methods=["POST"])
@guard
def upload_start(slug: str, label: str):
    body = request.get_json(silent=True)
    try:
        if not isinstance(body, dict):
            raise InvalidInput("Send JSON: key, size, sha256.")
        size = body.get("size")
        plan = uploads.request_upload(
            get_session(),
            web_actor(),
            get_object_store(),
            _tickets(),
            slug,
            label,
            key=str(body.get("key") or ""),
            size=size,
            sha256=str(body.get("sha256") or ""),
            content_type=(str(body["content_type"]) if body.get("content_type") else None),
            ttl=UPLOAD_TTL,
        )
    except DomainError as exc:
        return _json_error(exc)
    return jsonify(
        {
            "upload_id": plan.upload_id,
            "key": plan.key,
            "size": plan.size,
            "multipart": plan.multipart,
            "part_size": plan.part_size,
            "url": plan.url,
            "parts": plan.parts,
            "content_type": plan.content_type,
        }
    ), 201


@bp.route("/datasets/<slug>/versions/<label>/uploads/complete", methods=["POST"])
@guard
def upload_complete(slug: str, label: str):
    body = request.get_json(silent=True)
    try:
        if not isinstance(body, dict) or not isinstance(body.get("upload_id"), str):
            raise InvalidInput("Send JSON: upload_id.")
        obj = uploads.complete_upload(
            get_session(),
            web_actor(),
            get_object_store(),
            _tickets(),
            slug,
            label,
            body["upload_id"],
        )
    except DomainError as exc:
        return _json_error(exc)
    return jsonify({"key": obj.key, "size": obj.size, "sha256": obj.sha256}), 201
