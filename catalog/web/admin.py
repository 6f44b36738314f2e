"""The programme office's pages: institutions, teams and budget grants, users and roles,
evaluation phases, and team elimination with a preview of what it revokes."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from catalog.db import get_session, id_in_range
from catalog.errors import DomainError
from catalog.models.users import Role, User
from catalog.services import administration, elimination, holdings, ledger, myteam
from catalog.services import catalog as catalog_service
from catalog.web import renew_session
from catalog.web.forms import (
    EliminateForm,
    GrantForm,
    InstitutionForm,
    PhaseForm,
    TeamForm,
    UserEditForm,
    UserForm,
    choices,
)
from catalog.web.guards import field_errors, flash_error, policy_required, web_actor

bp = Blueprint("admin", __name__, url_prefix="/admin")
OFFICE_ONLY = _l("These pages are for the programme office.")
guard = policy_required("programme.manage", message=OFFICE_ONLY)


@bp.route("/")
@guard
def index():
    session = get_session()
    actor = web_actor()
    return render_template(
        "admin/index.html",
        teams=administration.list_teams(session, actor),
        institutions=administration.list_institutions(session, actor),
        phases=administration.list_phases(session, actor),
        users=administration.list_users(session, actor),
    )


@bp.route("/institutions", methods=["GET", "POST"])
@guard
def institutions():
    session = get_session()
    form = InstitutionForm()
    status = 200
    if form.validate_on_submit():
        try:
            inst = administration.create_institution(
                session,
                web_actor(),
                code=form.code.data,
                name_ko=form.name_ko.data,
                name_en=form.name_en.data,
                kind=form.kind.data,
            )
        except DomainError as exc:
            if not field_errors(exc, form):
                flash_error(exc)
            status = exc.status
        else:
            flash(_("Institution %(code)s created.", code=inst.code), "success")
            return redirect(url_for("admin.institutions"))
    elif form.is_submitted():
        status = 400
    return render_template(
        "admin/institutions.html",
        form=form,
        rows=administration.list_institutions(session, web_actor()),
    ), status


def _teams_page(form, status=200):
    session = get_session()
    return render_template(
        "admin/teams.html",
        form=form,
        grant_form=GrantForm(),
        teams=administration.list_teams(session, web_actor()),
    ), status


@bp.route("/teams", methods=["GET", "POST"])
@guard
def teams():
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = administration.create_team(
                get_session(),
                web_actor(),
                code=form.code.data,
                name_ko=form.name_ko.data,
                name_en=form.name_en.data,
                organisations=form.organisations.data or "",
                budget_krw=form.budget_krw.data or 0,
            )
        except DomainError as exc:
            if not field_errors(exc, form):
                flash_error(exc)
            return _teams_page(form, exc.status)
        flash(_("Team %(code)s created.", code=team.code), "success")
        return redirect(url_for("admin.teams"))
    return _teams_page(form, 400 if form.is_submitted() else 200)


@bp.route("/teams/grant", methods=["POST"])
@policy_required("team.grant_budget", message=OFFICE_ONLY)
def grant():
    form = GrantForm()
    if not form.validate_on_submit():
        for error in form.amount_krw.errors:
            flash(f"{form.amount_krw.label.text}: {error}", "error")
        return redirect(url_for("admin.teams"))
    try:
        ledger.grant_budget(
            get_session(), web_actor(), form.team.data, form.amount_krw.data, form.memo.data or ""
        )
    except DomainError as exc:
        flash_error(exc)
    else:
        if form.amount_krw.data > 0:
            flash(
                _(
                    "Granted ₩%(amount)s to %(team)s.",
                    amount=f"{form.amount_krw.data:,}",
                    team=form.team.data,
                ),
                "success",
            )
        else:
            flash(
                _(
                    "Clawed back ₩%(amount)s from %(team)s.",
                    amount=f"{-form.amount_krw.data:,}",
                    team=form.team.data,
                ),
                "success",
            )
    return redirect(url_for("admin.team", code=form.team.data))


@bp.route("/teams/<code>")
@policy_required("programme.manage", "team.view_money", message=OFFICE_ONLY)
def team(code: str):
    session = get_session()
    team = catalog_service.get_team(session, code)
    held = holdings.team_holdings(session, team)
    return render_template(
        "admin/team.html",
        team=team,
        holdings=held,
        money=ledger.team_money(session, team),
        statement=ledger.team_statement(session, team, limit=50),
        grant_form=GrantForm(team=team.code),
        state_of=myteam.license_state,
    )


@bp.route("/teams/<code>/eliminate", methods=["GET", "POST"])
@policy_required("team.eliminate", message=OFFICE_ONLY)
def eliminate(code: str):
    session = get_session()
    actor = web_actor()
    form = EliminateForm()
    phases = administration.list_phases(session, actor)
    form.phase.choices = choices((ph.number, f"{ph.number} · {ph.name}") for ph in phases)
    preview = administration.elimination_preview(session, actor, code)
    if form.validate_on_submit():
        if form.confirm.data.strip() != code:
            form.confirm.errors = [_("Type %(code)s exactly to confirm.", code=code)]
        else:
            try:
                result = elimination.eliminate_team(session, actor, code, form.phase.data)
            except DomainError as exc:
                flash_error(exc)
            else:
                flash(
                    _(
                        "Team %(code)s is eliminated at phase %(phase)d: %(revoked)d licence(s) "
                        "revoked, %(kept)d kept.",
                        code=code,
                        phase=result.phase,
                        revoked=len(result.revoked),
                        kept=len(result.kept),
                    ),
                    "success",
                )
                return redirect(url_for("admin.team", code=code))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/eliminate.html", form=form, preview=preview), status


def _affiliation_choices(form) -> None:
    session = get_session()
    form.team.choices = choices(
        [("", "—")] + [(t.code, t.code) for t in administration.list_teams(session, web_actor())]
    )
    form.institution.choices = choices(
        [("", "—")]
        + [(i.code, f"{i.code} · {i.name_ko}") for i in catalog_service.list_institutions(session)]
    )


@bp.route("/users", methods=["GET", "POST"])
@guard
def users():
    session = get_session()
    form = UserForm()
    _affiliation_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            user = administration.create_account(
                session,
                web_actor(),
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=form.role.data,
                team_code=form.team.data or None,
                institution_code=form.institution.data or None,
            )
        except DomainError as exc:
            if not field_errors(exc, form):
                flash_error(exc)
            status = exc.status
        else:
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 400
    role = request.args.get("role") or None
    if role not in {r.value for r in Role}:
        role = None
    return render_template(
        "admin/users.html",
        form=form,
        role=role,
        users=administration.list_users(session, web_actor(), role=role),
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@guard
def user(user_id: int):
    session = get_session()
    target = session.get(User, user_id) if id_in_range(user_id) else None
    if target is None:
        from flask import abort

        abort(404)
    form = UserEditForm(obj=None if request.method == "POST" else target)
    _affiliation_choices(form)
    if request.method == "GET":
        form.role.data = target.role.value
        form.team.data = target.team.code if target.team else ""
        form.institution.data = target.institution.code if target.institution else ""
        form.active.data = target.active
    status = 200
    if form.validate_on_submit():
        try:
            administration.update_account(
                session,
                web_actor(),
                user_id,
                role=form.role.data,
                team_code=form.team.data or None,
                institution_code=form.institution.data or None,
                active=form.active.data,
                password=form.password.data or None,
                revoke_tokens=bool(form.revoke_tokens.data),
            )
        except DomainError as exc:
            if not field_errors(exc, form):
                flash_error(exc)
            status = exc.status
        else:
            if target.id == current_user.id:
                renew_session(target)  # a new password of one's own keeps this session
            flash(_("Account %(email)s updated.", email=target.email), "success")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 400
    return render_template("admin/user.html", form=form, target=target), status


@bp.route("/phases", methods=["GET", "POST"])
@guard
def phases():
    session = get_session()
    form = PhaseForm()
    status = 200
    if form.validate_on_submit():
        try:
            phase = administration.create_phase(
                session,
                web_actor(),
                number=form.number.data,
                name=form.name.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            )
        except DomainError as exc:
            if not field_errors(exc, form):
                flash_error(exc)
            status = exc.status
        else:
            flash(_("Evaluation phase %(number)d created.", number=phase.number), "success")
            return redirect(url_for("admin.phases"))
    elif form.is_submitted():
        status = 400
    return render_template(
        "admin/phases.html",
        form=form,
        phases=administration.list_phases(session, web_actor()),
        teams=administration.list_teams(session, web_actor()),
    ), status
