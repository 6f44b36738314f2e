"""What a reader of the web UI is told for each stable problem ``code``, in their language.

Services raise ``DomainError`` with an English detail and a stable ``code``; the UI shows a
translated sentence chosen by that code (falling back to the detail).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Stable codes → what the reader is told (in their language).
MESSAGES = {
    "license_required": _l(
        "Your team holds no licence for this dataset. Request a purchase "
        "from the dataset page to get access."
    ),
    "license_expired": _l("Your team's licence for this dataset has expired."),
    "license_revoked": _l("Your team's licence for this dataset has been revoked."),
    "license_suspended": _l("Your team's licence for this dataset is suspended."),
    "team_eliminated": _l(
        "Your team has been eliminated from the programme; it can no longer "
        "buy data, and only licences that survive elimination give access."
    ),
    "terms_not_accepted": _l("Accept the licence's terms before the first download."),
    "quota_exhausted": _l(
        "This download would exceed your licence's download quota for its term; nothing was "
        "issued. The licence page shows what was used."
    ),
    "licence_text_mismatch": _l(
        "The licence text changed since you opened the page; read it again before accepting."
    ),
    "license_not_renewable": _l("Only an active licence can be renewed, before it ends."),
    "already_renewed": _l("This licence is already renewed; its next term has not begun yet."),
    "renewal_pending": _l("A renewal of this licence already waits for a decision."),
    "renewal_decided": _l("This renewal has already been decided."),
    "renewal_lapsed": _l("A licence of this renewal has ended; it can no longer be approved."),
    "license_not_ended": _l("Destruction is attested once the licence has ended."),
    "quota_below_usage": _l("A quota cannot go below what the current term already used."),
    "invalid_quota": _l("A quota is a whole number of at least 1, or empty for no cap."),
    "invalid_attestation": _l(
        "The attestation is incomplete: say why when only part of the copies was deleted."
    ),
    "attestation_mismatch": _l(
        "The listed files are not this dataset's files; nothing was recorded."
    ),
    "kogl_conflict": _l("The chosen KOGL type forbids a use the offer permits."),
    "budget_exceeded": _l(
        "Not enough budget: a team's balance does not cover its share. Nobody was charged."
    ),
    "purchase_closed": _l(
        "This purchase no longer accepts changes: it is closed or past its deadline."
    ),
    "purchase_full": _l("This joint purchase already has the maximum number of teams."),
    "already_participant": _l("Your team already takes part in this purchase."),
    "invalid_deadline": _l(
        "Choose a deadline between tomorrow and the end of the offer's join window."
    ),
    "invalid_team": _l("There is no active team with that code to invite."),
    "already_licensed": _l("The team already holds an active licence for this dataset."),
    "purchase_pending": _l(
        "Your team already takes part in an undecided purchase of this dataset."
    ),
    "not_participant": _l("Your team does not take part in this purchase."),
    "opener_cannot_leave": _l(
        "The team that opened a joint purchase cannot leave it; cancel it instead."
    ),
    "lead_required": _l("Only a team lead (or the member who acted) may do this."),
    "confirmation_pending": _l("A team lead has not yet confirmed the team's participation."),
    "already_confirmed": _l("Your team's participation is already confirmed."),
    "purchase_open": _l("The joint purchase is still open; its opener must close it first."),
    "already_decided": _l("This purchase has already been decided."),
    "not_opener": _l(
        "Only the team that opened the purchase may do this (if it was eliminated, the leads "
        "of the remaining teams)."
    ),
    "wrong_team": _l("You act only for your own team."),
    "auditor_only": _l("Only auditors and the programme office may do this."),
    "read_only": _l("Auditors read; they change nothing."),
    "team_role_required": _l("Only members of a team can do this."),
    "provider_required": _l("Only the institution's provider staff may do this."),
    "wrong_institution": _l("This belongs to another institution."),
    "not_dataset_provider": _l("This dataset belongs to another institution."),
    "admin_required": _l("Only the programme office may do this."),
    "offer_changed": _l(
        "The offer's price changed since the request; reject it and let the team request again."
    ),
    "rate_limited": _l(
        "Too many API tokens were created lately (on this page and through the API together). "
        "Wait a while and try again."
    ),
    "offer_withdrawn": _l(
        "The provider withdrew this offer: no team can join and nothing can be approved under "
        "it any more."
    ),
    "dataset_withdrawn": _l(
        "This dataset is no longer for sale: no team can join and nothing can be approved."
    ),
    "offer_required": _l("Add an offer before publishing: a published dataset must be buyable."),
    "version_empty": _l("This version has no files yet; upload files first."),
    "version_published": _l("This version is published; its files are frozen."),
    "version_exists": _l("A version with this label exists."),
    "already_eliminated": _l("This team has already been eliminated."),
    "self_demotion": _l("You cannot demote or deactivate yourself."),
    "storage_unavailable": _l("The object store is unavailable; retry shortly."),
    "not_found": _l("Nothing here: it does not exist or is not visible to you."),
    "offer_not_found": _l("This offer is not (or no longer) available."),
    "license_not_active": _l("This licence is not active."),
    "object_not_found": _l("This file is not part of the dataset's published version."),
    "version_not_found": _l("The dataset has no such published version."),
    "webhook_owner_required": _l(
        "Webhooks are registered by team leads (for the team) and provider staff "
        "(for the institution)."
    ),
    "webhook_not_found": _l("No such webhook of your team or institution exists."),
}
