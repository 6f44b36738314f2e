"""Previews, the dataset card's exports: preview bytes, Croissant and the DCAT-AP catalogue.

The dataset page itself stays in ``views.dataset``; it includes ``_dataset_card.html`` with
what ``card_context`` gathers here.
"""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog import policy
from catalog.db import get_session
from catalog.errors import DomainError
from catalog.exports import card as card_text
from catalog.exports import croissant, dcat
from catalog.models.datasets import Dataset, DatasetObject, DatasetStatus
from catalog.objectstore import get_object_store
from catalog.services import previews
from catalog.services.context import Actor
from catalog.services.licence_detail import base_url
from catalog.web.guards import flash_error, policy_required, web_actor

bp = Blueprint("previews", __name__)


def viewer() -> Actor:
    """The signed-in user, or an anonymous visitor (who may see what is published)."""
    if current_user.is_authenticated:
        return web_actor()
    return Actor.visitor(request.remote_addr or "")


def _base() -> str:
    return base_url(get_session()) or request.host_url.rstrip("/")


def _cap() -> int:
    return int(current_app.config.get("PREVIEW_BYTES", 256 * 1024))


def card_context(slug: str) -> dict:
    """What the dataset page's card and previews show."""
    session = get_session()
    actor = viewer()
    card = previews.dataset_card(session, actor, slug)
    found = previews.dataset_previews(session, actor, get_object_store(), slug, _cap())
    locale = str(get_locale() or "ko")
    base = _base()
    return {
        "card": card,
        "previews": found,
        "readme_html": {
            p.obj.id: card_text.render_markdown(p.text) for p in found if p.kind == "readme"
        },
        "language_names": [card_text.language_name(c, locale) for c in card.dataset.languages],
        "citation_ko": card_text.citation_ko(card.dataset, card.version, base),
        "bibtex": card_text.bibtex(card.dataset, card.version, base),
    }


@bp.route("/datasets/<slug>/preview/<int:object_id>")
@policy.public("preview files of a visible dataset are public, within the preview cap")
def preview_file(slug: str, object_id: int):
    got = previews.read_preview(
        get_session(), viewer(), get_object_store(), slug, object_id, _cap()
    )
    resp = Response(got.data, content_type=got.content_type)
    resp.headers["Content-Disposition"] = "inline"
    resp.headers["X-Preview-Truncated"] = "1" if got.truncated else "0"
    # Private: a draft's previews are for its provider, and a provider may unmark a file.
    resp.headers["Cache-Control"] = "private, max-age=60"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.route("/datasets/<slug>/croissant.json")
@policy.public("a dataset's Croissant description is public, like the catalogue")
def dataset_croissant(slug: str):
    session = get_session()
    actor = viewer()
    card = previews.dataset_card(session, actor, slug)
    found = previews.dataset_previews(session, actor, get_object_store(), slug, _cap())
    base = _base()
    offers = [o for o in card.dataset.offers if o.active]
    doc = croissant.document(
        card.dataset,
        card.version,
        card.objects,
        found,
        base=base,
        licence_url=dcat.licence_iri(offers, f"{base}/datasets/{slug}"),
        cite_as=card_text.bibtex(card.dataset, card.version, base),
    )
    return _json(doc, "application/ld+json")


def _catalogue_nodes() -> list[dcat.Node]:
    datasets = list(
        get_session().scalars(
            select(Dataset)
            .where(Dataset.status == DatasetStatus.PUBLISHED)
            .options(
                selectinload(Dataset.institution),
                selectinload(Dataset.offers),
                selectinload(Dataset.versions),
            )
            .order_by(Dataset.slug)
        )
    )
    return dcat.catalogue_nodes(
        datasets,
        _base(),
        "K-Data Catalog",
        "Public datasets of Korean institutions licensed to the national AI "
        "foundation-model programme.",
    )


@bp.route("/catalog.jsonld")
@policy.public("the catalogue is public")
def catalogue_jsonld():
    return _json(dcat.to_jsonld(_catalogue_nodes()), "application/ld+json")


@bp.route("/catalog.ttl")
@policy.public("the catalogue is public")
def catalogue_turtle():
    resp = Response(dcat.to_turtle(_catalogue_nodes()), content_type="text/turtle; charset=utf-8")
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _json(doc: dict, mimetype: str) -> Response:
    resp = Response(json.dumps(doc, ensure_ascii=False, indent=2), mimetype=mimetype)
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


# --------------------------------------------------------------------------- provider


@bp.route("/provider/datasets/<slug>/card", methods=["GET", "POST"])
@policy_required("dataset.manage")
def edit_card(slug: str):
    """The card's free fields and the choice of preview files, for the dataset's provider."""
    session = get_session()
    actor = web_actor()
    ds, version = previews.edit_view(session, actor, slug)
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in previews.CARD_FIELDS}
        # One (file, column, description) triple per row of the column table, in order.
        columns: dict[str, dict[str, str]] = {}
        for key, col, desc in zip(
            request.form.getlist("colkey"),
            request.form.getlist("colname"),
            request.form.getlist("coldesc"),
            strict=False,
        ):
            columns.setdefault(key, {})[col] = desc
        try:
            previews.save_card(
                session,
                actor,
                slug,
                values,
                version.label if version is not None else None,
                set(request.form.getlist("preview")),
                columns,
            )
        except DomainError as exc:
            flash_error(exc)
        else:
            flash(_("Dataset card saved."), "success")
            return redirect(url_for("previews.edit_card", slug=slug))
    files = (
        list(
            session.scalars(
                select(DatasetObject)
                .where(DatasetObject.version_id == version.id)
                .order_by(DatasetObject.key)
                .limit(previews.MANIFEST_LIMIT)
            )
        )
        if version is not None
        else []
    )
    tables = []
    if ds.status == DatasetStatus.PUBLISHED or policy.can(actor, "dataset.view_drafts", ds):
        tables = [
            p
            for p in previews.dataset_previews(session, actor, get_object_store(), slug, _cap())
            if p.kind == "table" and p.columns
        ]
    return render_template(
        "provider/card.html",
        ds=ds,
        ver=version,
        files=files,
        tables=tables,
        fields=previews.CARD_FIELDS,
        kind_of=previews.kind_of,
    )
