"""The auditor's console (read-only): purchase ledger, joint vs individual by team with
charts, access log, licence usage against quotas, outstanding destruction attestations with
days overdue, budget ledger, event log, chain status with one-click verification, and CSV /
JSON Lines export of every filtered view and of the chain itself.

Auditors and admins only; everyone else gets 403. Charts are SVG drawn on the server with
attributes and CSS classes (the CSP forbids inline styles and scripts).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from catalog.db import end_read, get_session
from catalog.services import audit_review, reports
from catalog.services.context import Actor
from catalog.web.formatting import krw_short
from catalog.web.guards import policy_required, web_actor
from schemas.audit import (
    AccessLogFilterSchema,
    AttestationFilterSchema,
    EventLogFilterSchema,
    LedgerFilterSchema,
    PurchaseLedgerFilterSchema,
    UsageFilterSchema,
)

bp = Blueprint("auditor", __name__, url_prefix="/auditor")
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


guard = policy_required(
    "audit.read", message=_l("The audit console is for auditors and the programme office.")
)


def _actor() -> Actor:
    return web_actor()


def _filters(schema_cls) -> tuple[dict, dict]:
    """(filters, errors) from the query string; invalid input leaves filters empty."""
    raw = {k: v for k, v in request.args.items()}
    try:
        return schema_cls().load(raw), {}
    except ValidationError as exc:
        return {}, exc.messages


def _export(name: str, fmt: str, rows, columns: list[str], to_row=None):
    if fmt not in FORMATS:
        abort(404)
    # The rows are loaded; end the read before a slow client drains the stream (on SQLite an
    # open transaction holds the write lock).
    end_read(get_session())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if fmt == "csv":
        body = reports.csv_lines((to_row(r) if to_row else r for r in rows), columns)
    else:
        body = reports.jsonl_lines(rows)
    return Response(
        stream_with_context(body),
        mimetype=FORMATS[fmt].split(";")[0],
        headers={
            "Content-Disposition": f'attachment; filename="kdc-{name}-{stamp}.{fmt}"',
            "Content-Type": FORMATS[fmt],
        },
    )


def _bad_filters(errors: dict):
    detail = "; ".join(
        f"{k}: {' '.join(v) if isinstance(v, list) else v}" for k, v in sorted(errors.items())
    )
    return render_template("error.html", status=400, title=_("Invalid filter"), detail=detail), 400


def _export_args() -> dict:
    """The current query without ``page``, for export links."""
    return {k: v for k, v in request.args.items() if k != "page" and v}


def short_krw(value: int) -> str:
    """Won for chart labels, where space is short: the one short form of the UI."""
    return krw_short(value)


def bar_chart(
    groups: list[tuple[str, list[tuple[str, int]]]],
    *,
    width: int = 640,
    label_width: int = 110,
    bar: int = 16,
    gap: int = 14,
) -> dict:
    """Geometry of a horizontal grouped bar chart: ``groups`` is ``[(label, [(series,
    value), …]), …]``; series names become CSS classes (``bar-<series>``)."""
    top = max([v for _label, series in groups for _s, v in series] + [1])
    plot = width - label_width - 90
    y = 10
    out = []
    for label, series in groups:
        bars = []
        for name, value in series:
            w = max(0, round(plot * max(value, 0) / top))
            bars.append(
                {
                    "series": name,
                    "value": value,
                    "x": label_width,
                    "y": y,
                    "w": w,
                    "h": bar,
                    "text_x": label_width + w + 6,
                    "text_y": y + bar - 4,
                    "label": short_krw(value),
                }
            )
            y += bar + 2
        out.append({"label": label, "label_y": y - (len(series) * (bar + 2)) / 2 + 3, "bars": bars})
        y += gap
    return {"width": width, "height": y + 4, "groups": out, "label_width": label_width}


# --------------------------------------------------------------------------- pages


@bp.route("/")
@guard
def index():
    return redirect(url_for("auditor.purchases"))


@bp.route("/purchases", defaults={"fmt": None})
@bp.route("/purchases.<fmt>")
@guard
def purchases(fmt: str | None):
    filters, errors = _filters(PurchaseLedgerFilterSchema)
    session = get_session()
    if fmt:
        if errors:
            return _bad_filters(errors)
        page = reports.purchase_ledger(session, _actor(), filters, page=None)
        return _export("purchases", fmt, page.items, reports.PURCHASE_CSV, reports.purchase_csv_row)
    page_no = filters.pop("page", 1) if filters else 1
    result = (
        reports.Page([], 0, 1, reports.PER_PAGE)
        if errors
        else reports.purchase_ledger(session, _actor(), filters, page=page_no)
    )
    return render_template(
        "auditor/purchases.html",
        result=result,
        errors=errors,
        args=request.args,
        export_args=_export_args(),
        **_choices(session),
    ), 400 if errors else 200


@bp.route("/teams", defaults={"fmt": None})
@bp.route("/teams.<fmt>")
@guard
def teams(fmt: str | None):
    if request.args:
        return _bad_filters({k: [_("Unknown parameter.")] for k in request.args})
    summary = reports.team_summary(get_session(), _actor())
    if fmt:
        return _export("teams", fmt, summary["teams"], reports.TEAM_CSV, reports.team_csv_row)
    team_chart = bar_chart(
        [
            (
                t["team"],
                [
                    ("joint", t["paid_joint_krw"]),
                    ("individual", t["paid_individual_krw"]),
                    ("remaining", t["remaining_krw"]),
                ],
            )
            for t in summary["teams"]
        ]
    )
    inst_chart = bar_chart(
        [(i["institution"], [("revenue", i["revenue_krw"])]) for i in summary["institutions"]],
        bar=18,
        gap=8,
    )
    return render_template(
        "auditor/teams.html", summary=summary, team_chart=team_chart, inst_chart=inst_chart
    )


@bp.route("/institutions.<fmt>")
@guard
def institutions(fmt: str):
    summary = reports.team_summary(get_session(), _actor())
    return _export("institutions", fmt, summary["institutions"], reports.INSTITUTION_CSV)


@bp.route("/access", defaults={"fmt": None})
@bp.route("/access.<fmt>")
@guard
def access(fmt: str | None):
    filters, errors = _filters(AccessLogFilterSchema)
    session = get_session()
    if fmt:
        if errors:
            return _bad_filters(errors)
        page = reports.access_log(session, _actor(), filters, page=None)
        return _export("access-log", fmt, page.items, reports.ACCESS_CSV)
    page_no = filters.pop("page", 1) if filters else 1
    result = (
        reports.Page([], 0, 1, reports.PER_PAGE)
        if errors
        else reports.access_log(session, _actor(), filters, page=page_no)
    )
    return render_template(
        "auditor/access.html",
        result=result,
        errors=errors,
        args=request.args,
        export_args=_export_args(),
        **_choices(session),
    ), 400 if errors else 200


@bp.route("/usage", defaults={"fmt": None})
@bp.route("/usage.<fmt>")
@guard
def usage(fmt: str | None):
    from catalog.services import usage as usage_service

    filters, errors = _filters(UsageFilterSchema)
    if errors:
        return _bad_filters(errors)
    session = get_session()
    rows = usage_service.usage_report(
        session,
        _actor(),
        team=filters.get("team"),
        institution=filters.get("institution"),
        dataset=filters.get("dataset"),
        over_quota_only=filters.get("over_quota", False),
    )
    if fmt:
        return _export("licence-usage", fmt, [r.as_dict() for r in rows], usage_service.USAGE_CSV)
    return render_template(
        "auditor/usage.html",
        rows=rows,
        args=request.args,
        export_args=_export_args(),
        **_choices(session),
    )


@bp.route("/attestations", defaults={"fmt": None})
@bp.route("/attestations.<fmt>")
@guard
def attestations(fmt: str | None):
    from catalog.services import attestations as attestation_service

    filters, errors = _filters(AttestationFilterSchema)
    if errors:
        return _bad_filters(errors)
    session = get_session()
    rows = attestation_service.attestation_report(
        session,
        _actor(),
        state=filters.get("state"),
        team=filters.get("team"),
        dataset=filters.get("dataset"),
    )
    if filters.get("institution"):
        rows = [
            r for r in rows if r.license.dataset.institution.code == filters["institution"].upper()
        ]
    if fmt:
        return _export(
            "attestations",
            fmt,
            [r.as_dict() for r in rows],
            attestation_service.ATTESTATION_CSV,
        )
    return render_template(
        "auditor/attestations.html",
        rows=rows,
        args=request.args,
        export_args=_export_args(),
        **_choices(session),
    )


@bp.route("/ledger", defaults={"fmt": None})
@bp.route("/ledger.<fmt>")
@guard
def ledger(fmt: str | None):
    filters, errors = _filters(LedgerFilterSchema)
    session = get_session()
    if fmt:
        if errors:
            return _bad_filters(errors)
        page = reports.ledger_log(session, _actor(), filters, page=None)
        return _export("ledger", fmt, page.items, reports.LEDGER_CSV, reports.ledger_csv_row)
    page_no = filters.pop("page", 1) if filters else 1
    result = (
        reports.Page([], 0, 1, reports.PER_PAGE)
        if errors
        else reports.ledger_log(session, _actor(), filters, page=page_no)
    )
    return render_template(
        "auditor/ledger.html",
        result=result,
        errors=errors,
        args=request.args,
        export_args=_export_args(),
    ), 400 if errors else 200


@bp.route("/events", defaults={"fmt": None})
@bp.route("/events.<fmt>")
@guard
def events(fmt: str | None):
    filters, errors = _filters(EventLogFilterSchema)
    session = get_session()
    if fmt:
        if errors:
            return _bad_filters(errors)
        page = reports.event_log(session, _actor(), filters, page=None)
        return _export("audit-events", fmt, page.items, reports.EVENT_CSV, reports.event_csv_row)
    page_no = filters.pop("page", 1) if filters else 1
    result = (
        reports.Page([], 0, 1, reports.PER_PAGE)
        if errors
        else reports.event_log(session, _actor(), filters, page=page_no)
    )
    return render_template(
        "auditor/events.html",
        result=result,
        errors=errors,
        args=request.args,
        export_args=_export_args(),
    ), 400 if errors else 200


def _key():
    return audit_review.try_load_key(current_app.config["AUDIT_KEY"])


@bp.route("/chain")
@guard
def chain():
    status = audit_review.chain_status(get_session(), _actor(), _key())
    return render_template("auditor/chain.html", status=status)


@bp.route("/chain/verify", methods=["POST"])
@guard
def verify():
    result = audit_review.verify_and_record(get_session(), _actor(), key=_key(), via="web")
    if result.ok:
        flash(
            _(
                "The chain verifies: %(valid)d/%(total)d events valid, %(cps)d checkpoint(s) "
                "valid.",
                valid=result.valid_events,
                total=result.total_events,
                cps=result.checkpoints_valid,
            ),
            "success",
        )
    else:
        p = result.problem
        flash(
            _(
                "The chain does NOT verify: first problem at event %(seq)s (%(kind)s). "
                "%(valid)d/%(total)d events valid.",
                seq=p.seq,
                kind=p.kind,
                valid=result.valid_events,
                total=result.total_events,
            ),
            "error",
        )
    return redirect(url_for("auditor.chain"))


@bp.route("/chain/public-key.pem")
@guard
def public_key():
    """The checkpoints' Ed25519 public key as a PEM file, for ``kdc audit verify --public-key``."""
    key = _key()
    if key is None:
        abort(404, description=_("No signing key exists yet: no checkpoint has been made."))
    return Response(
        key.public_pem,
        mimetype="application/x-pem-file",
        headers={
            "Content-Disposition": f'attachment; filename="kdc-audit-{key.key_id}.pem"',
            "Cache-Control": "no-cache",
        },
    )


@bp.route("/chain/export.jsonl")
@guard
def export_chain():
    try:
        after = int(request.args.get("after", 0))
    except ValueError:
        return _bad_filters({"after": [_("Not a whole number.")]})
    if after < 0:
        return _bad_filters({"after": [_("Must be 0 or more.")]})
    session = get_session()
    end_read(session)  # export_lines reads in short batches of its own
    lines = audit_review.export_lines(session, after=after, key=_key())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        stream_with_context(lines),
        mimetype="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="kdc-audit-chain-{stamp}.jsonl"'},
    )


def _choices(session) -> dict:
    """Options of the filter forms."""
    from sqlalchemy import select

    from catalog.models.datasets import Dataset
    from catalog.models.institutions import Institution
    from catalog.models.teams import Team

    return {
        "team_codes": list(session.scalars(select(Team.code).order_by(Team.code))),
        "institution_codes": list(
            session.scalars(select(Institution.code).order_by(Institution.code))
        ),
        "dataset_slugs": list(session.scalars(select(Dataset.slug).order_by(Dataset.slug))),
    }
