"""Pages of the web UI: login, catalogue search, dataset detail and purchase requests."""

from __future__ import annotations

from datetime import datetime, time
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from catalog import policy
from catalog.db import get_session
from catalog.errors import DomainError
from catalog.models.offers import OfferMode
from catalog.ratelimit import check_login_attempt
from catalog.services import catalog as catalog_service
from catalog.services import myteam, purchasing, users
from catalog.services.search import SearchFilters, search_datasets
from catalog.web import LOCALES, catalogue, clear_session, start_session
from catalog.web.formatting import KST
from catalog.web.forms import PurchaseRequestForm
from catalog.web.guards import flash_error, policy_required, web_actor
from schemas.catalog import DatasetSearchArgsSchema

bp = Blueprint("web", __name__)
bp.add_app_template_filter(catalogue.highlight, "highlight")
bp.add_app_template_global(catalogue.lowest_team_price, "lowest_team_price")
bp.add_app_template_global(catalogue.ordered_facet, "ordered_facet")
bp.add_app_template_global(catalogue.search_url, "search_url")


class LoginForm(FlaskForm):
    # No wtforms Email(): it needs the email_validator package, which also refuses the
    # demo accounts' reserved ".test" domain. An unknown address fails like a wrong password.
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


def _safe_next(target: str | None, default: str = "web.index") -> str:
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for(default)


# What the sign-in form sends. Anything else (JSON, say) is refused rather than read by
# one part of the page and not another.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@bp.route("/login", methods=["GET", "POST"])
@policy.public("signing in")
def login():
    if request.method == "POST" and request.mimetype not in FORM_TYPES:
        abort(415, description=_("Sign in with the form on the sign-in page."))
    form = LoginForm()
    if form.validate_on_submit():
        # Counted only now: the CSRF token and the form are valid, and the e-mail counted
        # is the one checked.
        check_login_attempt(form.email.data)
        user = users.sign_in(
            get_session(),
            form.email.data,
            form.password.data,
            client_addr=request.remote_addr or "",
        )
        if user is None:
            form.password.errors.append(_("Wrong e-mail or password."))
        else:
            start_session(user)
            flash(_("Signed in as %(email)s.", email=user.email), "success")
            # Everyone lands on what they have to do, unless they came for a page.
            return redirect(_safe_next(request.args.get("next"), "todo.index"))
    return render_template(
        "login.html", form=form
    ), 200 if request.method == "GET" else 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@policy.public("signing out needs a session, not a right")
@login_required
def logout():
    users.sign_out(get_session(), web_actor(), current_user.id)
    logout_user()
    clear_session()
    flash(_("Signed out."), "success")
    return redirect(url_for("web.index"))


@bp.route("/lang/<code>", methods=["POST"])
@policy.public("choosing the language")
def set_language(code: str):
    if code in LOCALES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/")
@policy.public("the catalogue is public")
def index():
    schema = DatasetSearchArgsSchema()
    raw = {k: v for k, v in request.args.lists() if v != [""]}
    raw = {k: (v if k in catalogue.FACETS else v[0]) for k, v in raw.items()}
    errors = {}
    try:
        args = schema.load(raw)
    except ValidationError as exc:
        errors = exc.messages
        # Ignore only the parameters that were not understood; keep the query and the rest.
        try:
            args = schema.load({k: v for k, v in raw.items() if k not in errors})
        except ValidationError:  # an error across fields: fall back to no filters
            args = schema.load({})
    page, limit = args.pop("page"), args.pop("limit")
    session_ = get_session()
    result = search_datasets(session_, SearchFilters(**args), page=page, limit=limit)
    held = {}
    if current_user.is_authenticated:
        held = myteam.dataset_states(session_, web_actor(), [d.id for d in result.items])
    chosen = catalogue.active_filters(args)
    # With nothing found, say whether the words alone would find something.
    without_filters = None
    if result.total == 0 and chosen and args.get("q"):
        without_filters = search_datasets(
            session_, SearchFilters(q=args["q"]), page=1, limit=1
        ).total
    return render_template(
        "catalog.html",
        result=result,
        args=args,
        errors=errors,
        held=held,
        chosen=chosen,
        without_filters=without_filters,
        institutions=catalog_service.list_institutions(session_),
    )


@bp.route("/favicon.ico")
@policy.public("the site's icon")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.route("/datasets/<slug>")
@policy.public("the catalogue is public")
def dataset(slug: str):
    session_ = get_session()
    ds = catalog_service.get_published_dataset(session_, slug)
    state, open_purchases, my_license = None, [], None
    if current_user.is_authenticated:
        actor = web_actor()
        state = myteam.dataset_states(session_, actor, [ds.id]).get(ds.id)
        team = current_user.team
        if state is None and team is not None and team.status.value == "eliminated":
            state = "eliminated"  # no buy buttons: the team can no longer buy
        open_purchases = myteam.dataset_purchases(session_, actor, ds)
        if policy.can(actor, "myteam.view"):
            my_license = next(
                (
                    lic
                    for lic, _s in myteam.team_overview(session_, actor).licenses
                    if lic.dataset_id == ds.id
                ),
                None,
            )
    from catalog import licence_terms
    from catalog.services.licence_detail import offer_attribution
    from catalog.web.previews import card_context

    return render_template(
        "dataset.html",
        **card_context(slug),
        attributions={
            o.id: offer_attribution(session_, o) for o in ds.offers if o.active and o.kogl_type
        },
        kogl_urls={t: k.url for t, k in licence_terms.KOGL.items()},
        ds=ds,
        state=state,
        open_purchases=open_purchases,
        my_license=my_license,
        form=PurchaseRequestForm(),
        OfferMode=OfferMode,
        deadline_days=_deadline_days,
    )


@bp.route("/datasets/<slug>/purchases", methods=["POST"])
@policy_required("purchase.take_part", message=_l("Only members of a team buy data."))
def request_purchase(slug: str):
    """Request an individual purchase, or open a joint one, under the chosen offer."""
    form = PurchaseRequestForm()
    back = url_for("web.dataset", slug=slug)
    if not form.validate_on_submit() or not form.offer_id.data.isdigit():
        if form.deadline.errors:
            flash(
                _("Choose a deadline between tomorrow and the end of the offer's join window."),
                "error",
            )
        else:
            flash(_("Choose an offer."), "error")
        return redirect(back)
    actor = web_actor()
    try:
        purchase = purchasing.request_purchase(
            get_session(),
            actor,
            dataset=slug,
            offer=int(form.offer_id.data),
            deadline=_end_of_day_kst(form.deadline.data) if form.deadline.data else None,
        )
    except DomainError as exc:
        flash_error(exc)
        return redirect(back)
    # One message saying where the purchase stands now (the timeline on its page says the rest).
    lead = policy.can(actor, "purchase.confirm", purchase)
    if purchase.mode == OfferMode.JOINT:
        message = (
            _("Joint purchase #%(id)d is open. Other teams can now join it.", id=purchase.id)
            if lead
            else _(
                "Joint purchase #%(id)d is open. It counts for your team once a lead of your "
                "team confirms it.",
                id=purchase.id,
            )
        )
    else:
        message = (
            _("Purchase request #%(id)d was sent to the provider.", id=purchase.id)
            if lead
            else _(
                "Purchase request #%(id)d waits for a lead of your team to confirm it; then "
                "it goes to the provider.",
                id=purchase.id,
            )
        )
    flash(message, "success")
    return redirect(url_for("joint.detail", purchase_id=purchase.id))


def _deadline_days(offer) -> tuple[str, str]:
    """The first and last day (KST) an opener may pick as a joint purchase's deadline."""
    earliest, latest = purchasing.deadline_window(offer, datetime.now(KST))
    return f"{earliest.astimezone(KST):%Y-%m-%d}", f"{latest.astimezone(KST):%Y-%m-%d}"


def _end_of_day_kst(day) -> datetime:
    """The last minute of ``day`` in Korea: the deadline a person means by a date (the
    service brings the window's last day back to the window's end)."""
    return datetime.combine(day, time(23, 59), tzinfo=KST)
