"""WTForms for every page that changes something (CSRF-protected by Flask-WTF).

Labels are lazily translated; the services validate again and their per-field errors are
shown next to the fields (``guards.field_errors``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from catalog.models.datasets import Modality, Sensitivity
from catalog.models.institutions import InstitutionKind
from catalog.models.offers import Use
from catalog.models.users import Role
from catalog.services.publishing import COVERAGE_RE, SLUG_RE

# The per-field sentences of the publishing service, for the translation catalogue:
# ``guards.field_errors`` shows them in the page's language.
SERVICE_FIELD_MESSAGES = (
    _l("A title is required."),
    _l("A whole number from 0."),
    _l("A year, year-month or date (1392, 2020-06, 2024-12-31)."),
    _l("At least the minimum number of teams."),
    _l("At most 50 entries of 100 characters each."),
    _l("Choose an institution."),
    _l("Choose one of the listed modalities."),
    _l("Choose one of the listed sensitivities."),
    _l("Lower-case letters, digits and '-', e.g. joseon-annals-2025."),
    _l("Required."),
    _l("The end comes before the start."),
    _l("This slug is taken."),
)

MODALITY_LABELS = {
    "text": _l("Text"),
    "tabular": _l("Tabular"),
    "image": _l("Image"),
    "audio": _l("Audio"),
    "video": _l("Video"),
    "multimodal": _l("Multimodal"),
}
SENSITIVITY_LABELS = {
    "open": _l("Open"),
    "restricted": _l("Restricted"),
    "deidentified_personal": _l("De-identified personal data"),
}
USE_LABELS = {
    "ai_training": _l("AI training"),
    "commercial_model": _l("Commercial model"),
    "redistribution": _l("Redistribution"),
    "derivative_datasets": _l("Derivative datasets"),
    "publish_excerpts": _l("Publish excerpts"),
    "release_weights": _l("Release model weights"),
}
ROLE_LABELS = {
    "admin": _l("Programme office (admin)"),
    "provider": _l("Provider staff"),
    "team_member": _l("Team member"),
    "team_lead": _l("Team lead"),
    "auditor": _l("Auditor"),
}
KIND_LABELS = {
    "archive": _l("Archive"),
    "history": _l("History"),
    "statistics": _l("Statistics"),
    "patent": _l("Patent"),
    "broadcaster": _l("Broadcaster"),
}


def choices(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms ``SelectChoice`` objects."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class PurchaseRequestForm(FlaskForm):
    offer_id = HiddenField(validators=[DataRequired()])
    # Joint offers only: the last day (KST) teams may join; the end of the join window if empty.
    deadline = DateField(_l("Teams may join until"), validators=[Optional()])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])


class AcceptTermsForm(FlaskForm):
    accept = BooleanField(
        _l("I have read these terms and accept them for my team."),
        validators=[DataRequired(message=_l("Tick the box to accept."))],
    )
    # The SHA-256 of the text shown: if the licence's text is another, nothing is accepted.
    text_sha256 = HiddenField(validators=[Optional(), Length(min=64, max=64)])


class QuotaForm(FlaskForm):
    objects = IntegerField(
        _l("Objects per term"),
        validators=[Optional(), NumberRange(min=1, max=10**12)],
        description=_l("Empty: no cap. Not below what this term already used."),
    )
    bytes = IntegerField(
        _l("Bytes per term"),
        validators=[Optional(), NumberRange(min=1, max=2**53 - 1)],
        description=_l("Empty: no cap."),
    )
    reason = StringField(_l("Reason (shown to the team)"), validators=[Optional(), Length(max=500)])


class AttestForm(FlaskForm):
    complete = SelectField(
        _l("What was deleted"),
        choices=choices(
            [
                ("yes", _l("Every copy the team held")),
                ("no", _l("Only part of the copies (say why)")),
            ]
        ),
    )
    host = StringField(
        _l("Machines (optional)"),
        validators=[Optional(), Length(max=255)],
        description=_l("Where the copies were deleted, e.g. gpu-cluster-01."),
    )
    reason = TextAreaField(
        _l("Reason or remarks"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Required when only part of the copies was deleted."),
    )
    confirm = BooleanField(
        _l("I declare for my team that these copies were deleted."),
        validators=[DataRequired(message=_l("Tick the box to declare."))],
    )


class LicenceTextForm(FlaskForm):
    licence_text_ko = TextAreaField(
        _l("Licence text (Korean)"), validators=[DataRequired(), Length(max=100_000)]
    )
    licence_text_en = TextAreaField(
        _l("Licence text (English translation)"), validators=[Optional(), Length(max=100_000)]
    )


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[Optional(), Length(max=100)],
        description=_l("What the token is for, e.g. training-cluster fetch."),
    )
    days = IntegerField(
        _l("Valid for (days)"),
        default=90,
        validators=[InputRequired(), NumberRange(min=1, max=366)],
    )
    scopes = MultiCheckboxField(_l("Scopes"), choices=[], validate_choice=True)


COVERAGE_MESSAGE = _l("A year, year-month or date (1392, 2020-06, 2024-12-31).")


class DatasetForm(FlaskForm):
    """Checks everything the publishing service checks on one field, so that every error
    shows at once, in the page's language; the service checks again."""

    slug = StringField(
        _l("Web address name"),
        validators=[
            DataRequired(),
            Length(max=100),
            Regexp(
                SLUG_RE, message=_l("Lower-case letters, digits and '-', e.g. joseon-annals-2025.")
            ),
        ],
        description=_l(
            "The end of the dataset's web address (/datasets/…). Filled in from the English "
            "title; lower-case letters, digits and '-'. It cannot change once created."
        ),
        render_kw={"data-slug-from": "title_en", "autocomplete": "off", "spellcheck": "false"},
    )
    institution = SelectField(_l("Institution"), choices=[], validate_choice=False)
    title_ko = StringField(_l("Title (Korean)"), validators=[DataRequired(), Length(max=300)])
    title_en = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=300)])
    description_ko = TextAreaField(
        _l("Description (Korean)"), validators=[Optional(), Length(max=20000)]
    )
    description_en = TextAreaField(
        _l("Description (English)"), validators=[Optional(), Length(max=20000)]
    )
    modality = SelectField(
        _l("Modality"), choices=choices((m.value, MODALITY_LABELS[m.value]) for m in Modality)
    )
    sensitivity = SelectField(
        _l("Sensitivity"),
        choices=choices((s.value, SENSITIVITY_LABELS[s.value]) for s in Sensitivity),
    )
    languages = StringField(
        _l("Languages"),
        validators=[Optional(), Length(max=500)],
        description=_l("Comma-separated codes, e.g. ko, en."),
    )
    formats = StringField(
        _l("Formats"),
        validators=[Optional(), Length(max=500)],
        description=_l("Comma-separated, e.g. jsonl, csv."),
    )
    keywords = StringField(
        _l("Keywords"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Comma-separated; searched with the titles."),
    )
    record_count = IntegerField(
        _l("Records"), default=0, validators=[Optional(), NumberRange(min=0)]
    )
    coverage_start = StringField(
        _l("Coverage from"),
        validators=[Optional(), Length(max=10), Regexp(COVERAGE_RE, message=COVERAGE_MESSAGE)],
        description=_l("Year, year-month or date."),
    )
    coverage_end = StringField(
        _l("Coverage to"),
        validators=[Optional(), Length(max=10), Regexp(COVERAGE_RE, message=COVERAGE_MESSAGE)],
    )

    def validate_coverage_end(self, field) -> None:
        start, end = (self.coverage_start.data or "").strip(), (field.data or "").strip()
        if start and end and COVERAGE_RE.match(start) and COVERAGE_RE.match(end) and end < start:
            raise ValidationError(_l("The end comes before the start."))


class OfferForm(FlaskForm):
    """The joint fields count only for a joint offer (the page hides them otherwise)."""

    mode = SelectField(
        _l("Mode"),
        choices=choices(
            [("individual", _l("Individual purchase")), ("joint", _l("Joint purchase"))]
        ),
    )
    price_krw = IntegerField(
        _l("Price (KRW)"),
        validators=[InputRequired(), NumberRange(min=1, max=10**15)],
        description=_l("Whole won, e.g. 450000000 for 4억 5,000만 원."),
        render_kw={"data-krw-words": "", "inputmode": "numeric"},
    )
    term_months = IntegerField(
        _l("Term (months)"), default=12, validators=[InputRequired(), NumberRange(min=1, max=120)]
    )
    min_teams = IntegerField(
        _l("Minimum teams (joint)"), default=2, validators=[Optional(), NumberRange(min=2, max=100)]
    )
    max_teams = IntegerField(
        _l("Maximum teams (joint)"), default=5, validators=[Optional(), NumberRange(min=2, max=100)]
    )
    join_window_days = IntegerField(
        _l("Days open to join (joint)"),
        default=30,
        validators=[Optional(), NumberRange(min=1, max=365)],
    )
    uses = MultiCheckboxField(
        _l("Permitted uses"), choices=choices((u.value, USE_LABELS[u.value]) for u in Use)
    )
    attribution = StringField(_l("Attribution"), validators=[Optional(), Length(max=2000)])
    survives_elimination = BooleanField(_l("The licence survives the team's elimination"))
    download_quota = IntegerField(
        _l("Download quota: objects per term (optional)"),
        validators=[Optional(), NumberRange(min=1, max=10**9)],
    )
    download_quota_bytes = IntegerField(
        _l("Download quota: bytes per term (optional)"),
        validators=[Optional(), NumberRange(min=1, max=2**53 - 1)],
    )
    kogl_type = SelectField(
        _l("KOGL (공공누리) type"),
        default="",
        choices=choices(
            [
                ("", _l("None")),
                ("1", _l("Type 1: attribution")),
                ("2", _l("Type 2: attribution, no commercial use")),
                ("3", _l("Type 3: attribution, no modification")),
                ("4", _l("Type 4: attribution, no commercial use, no modification")),
            ]
        ),
        description=_l("The prescribed attribution sentence is generated from it."),
    )
    licence_text_ko = TextAreaField(
        _l("Licence text (Korean, optional)"),
        validators=[Optional(), Length(max=100_000)],
        description=_l("Empty: a standard text is generated from these terms."),
    )
    licence_text_en = TextAreaField(
        _l("Licence text (English translation, optional)"),
        validators=[Optional(), Length(max=100_000)],
    )

    JOINT_FIELDS = ("min_teams", "max_teams", "join_window_days")

    def validate(self, extra_validators=None) -> bool:
        if self.mode.data != "joint":
            # An individual offer has no team counts: what the hidden fields hold is dropped.
            for name in self.JOINT_FIELDS:
                getattr(self, name).data = None
                getattr(self, name).raw_data = []
        ok = super().validate(extra_validators)
        if self.mode.data == "joint":
            for name in self.JOINT_FIELDS:
                field = getattr(self, name)
                if field.data is None and not field.errors:
                    field.errors = [*field.errors, _l("Required.")]
                    ok = False
            low, high = self.min_teams.data, self.max_teams.data
            if low is not None and high is not None and high < low:
                self.max_teams.errors = [
                    *self.max_teams.errors,
                    _l("At least the minimum number of teams."),
                ]
                ok = False
        return ok


class VersionForm(FlaskForm):
    label = StringField(
        _l("Version label"),
        validators=[DataRequired(), Length(max=50)],
        description=_l("e.g. 2025.2"),
    )
    release_notes = TextAreaField(_l("Release notes"), validators=[Optional(), Length(max=5000)])


class DeleteObjectForm(FlaskForm):
    key = HiddenField(validators=[DataRequired()])


class InstitutionForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=16)], description=_l("e.g. NAK")
    )
    name_ko = StringField(_l("Name (Korean)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"), choices=choices((k.value, KIND_LABELS[k.value]) for k in InstitutionKind)
    )


class TeamForm(FlaskForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=32)], description=_l("e.g. naver")
    )
    name_ko = StringField(_l("Name (Korean)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    organisations = StringField(
        _l("Member organisations"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Comma-separated."),
    )
    budget_krw = IntegerField(
        _l("Initial budget (KRW)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=10**15)],
    )


class GrantForm(FlaskForm):
    team = HiddenField(validators=[DataRequired()])
    amount_krw = IntegerField(
        _l("Amount (KRW)"),
        validators=[InputRequired()],
        description=_l("Negative to claw back unspent budget."),
    )
    memo = StringField(_l("Memo"), validators=[Optional(), Length(max=500)])


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8)])
    role = SelectField(_l("Role"), choices=choices((r.value, ROLE_LABELS[r.value]) for r in Role))
    team = SelectField(_l("Team"), choices=[], validate_choice=False)
    institution = SelectField(_l("Institution"), choices=[], validate_choice=False)


class UserEditForm(FlaskForm):
    role = SelectField(_l("Role"), choices=choices((r.value, ROLE_LABELS[r.value]) for r in Role))
    team = SelectField(_l("Team"), choices=[], validate_choice=False)
    institution = SelectField(_l("Institution"), choices=[], validate_choice=False)
    active = BooleanField(_l("Active (may sign in)"))
    password = PasswordField(_l("New password (optional)"), validators=[Optional(), Length(min=8)])
    revoke_tokens = BooleanField(
        _l("With the new password, also revoke all of this user's API tokens"),
        description=_l(
            "A new password, a new role or deactivation always ends the user's web sessions; "
            "a new role and deactivation also revoke every API token."
        ),
    )


class PhaseForm(FlaskForm):
    number = IntegerField(_l("Number"), validators=[InputRequired(), NumberRange(min=1)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])


class EliminateForm(FlaskForm):
    phase = SelectField(_l("Evaluation phase"), coerce=int, choices=[])
    confirm = StringField(_l("Type the team's code to confirm"), validators=[DataRequired()])


class EmailPreferencesForm(FlaskForm):
    email = MultiCheckboxField(_l("Send me an e-mail for"), choices=[], validate_choice=True)


class WebhookForm(FlaskForm):
    url = StringField(
        _l("URL"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("An http:// or https:// address that accepts POST requests."),
    )
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    kinds = MultiCheckboxField(
        _l("Notices to send"),
        choices=[],
        validate_choice=True,
        description=_l("None ticked: every notice of your team or institution."),
    )
