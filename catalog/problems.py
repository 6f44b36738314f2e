"""The table of API problems: every ``code`` the service answers with, its HTTP status and
what it means.

It is written once, here: ``docs/api.md`` shows ``markdown_table()`` (a test compares them)
and ``/problems/{code}``, the URI in each problem's ``type``, renders the entry of a code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    status: str  # "409", or "412, 428" when codes share a row
    codes: tuple[str, ...]
    meaning: str


PROBLEMS: tuple[Problem, ...] = (
    Problem("400", ("bad_request",), "the request could not be parsed"),
    Problem("401", ("authentication_required",), "no `Authorization: Bearer` header"),
    Problem("401", ("invalid_token",), "unknown token"),
    Problem("401", ("token_expired",), "the token is past its expiry"),
    Problem("401", ("token_revoked",), "the token was revoked"),
    Problem("401", ("user_inactive",), "the token's user is deactivated"),
    Problem("401", ("unauthorized",), "any other authentication failure"),
    Problem("403", ("insufficient_scope",), "the token lacks a scope this operation needs"),
    Problem(
        "403",
        ("scope_not_allowed",),
        "a token may not be given a scope beyond its creator's or its role's",
    ),
    Problem("403", ("forbidden",), "your role may not do this"),
    Problem("403", ("read_only",), "auditors read; they change nothing"),
    Problem("403", ("team_role_required",), "only members of a team buy data"),
    Problem(
        "403", ("lead_required",), "only a team lead (or the member who acted first) may do this"
    ),
    Problem(
        "403",
        ("not_opener",),
        "only the team that opened a joint purchase may close or cancel it (once it is eliminated: the leads of the remaining teams)",
    ),
    Problem("403", ("wrong_team",), "the `team` given is not your team"),
    Problem(
        "403", ("provider_required",), "only the dataset's provider (or an admin) decides purchases"
    ),
    Problem("403", ("wrong_institution",), "the dataset belongs to another institution"),
    Problem("403", ("admin_required",), "programme office (admin) only"),
    Problem("403", ("auditor_only",), "auditors and admins only"),
    Problem(
        "403",
        ("webhook_owner_required",),
        "webhooks are registered by a team lead (for the team) or provider staff (for the institution)",
    ),
    Problem(
        "403",
        ("team_eliminated",),
        "the team was eliminated; it may not buy, download, or close or cancel a purchase it opened",
    ),
    Problem(
        "403", ("license_required",), "no active licence for this dataset (manifest, download URLs)"
    ),
    Problem(
        "403",
        ("license_expired", "license_suspended", "license_revoked"),
        "the team's licence is no longer usable, and why",
    ),
    Problem(
        "403",
        ("terms_not_accepted",),
        "the team has not accepted the licence's terms yet: accept them once in the web UI or with `POST /api/v1/licenses/{id}/accept-terms` (`kdc accept-terms ID`); `license_id` names the licence",
    ),
    Problem(
        "403",
        ("quota_exhausted",),
        "the request would take the licence past its download quota for the current term; nothing was issued (a page that would cross it is refused whole). `used_objects`, `allowed_objects`, `used_bytes`, `allowed_bytes`, `requested_objects`, `requested_bytes` give the figures (an `allowed_*` is absent when there is no cap) and `license_id` the licence; see [licences.md](licences.md#quotas)",
    ),
    Problem(
        "403",
        ("not_dataset_provider",),
        "only the staff of the dataset's institution manage its versions",
    ),
    Problem("403", ("url_expired",), "a download link has expired; ask for a fresh one"),
    Problem("403", ("url_bad_signature",), "a download link was altered"),
    Problem("403", ("url_malformed",), "a download link is malformed"),
    Problem("404", ("not_found",), "no such resource (or not visible to you)"),
    Problem("404", ("offer_not_found",), "the dataset has no such active offer"),
    Problem("404", ("token_not_found",), "no such token of yours"),
    Problem("404", ("webhook_not_found",), "no such webhook of your team or institution"),
    Problem(
        "404", ("version_not_found",), "the dataset has no such version (or it is not published)"
    ),
    Problem("404", ("object_not_found",), "the version has no such file"),
    Problem(
        "404",
        ("preview_not_found",),
        "the file is not a preview file of the dataset's latest published version (or the "
        "dataset is not visible to you): only preview files are served before purchase "
        "([exports.md](exports.md))",
    ),
    Problem(
        "404", ("upload_not_found",), "no such upload (completed, aborted, or not this version's)"
    ),
    Problem(
        "405", ("method_not_allowed",), "the path exists, the method does not (`Allow` lists them)"
    ),
    Problem("409", ("conflict",), "the request conflicts with the resource's state"),
    Problem(
        "409",
        ("purchase_closed",),
        "the purchase no longer takes this action (closed, past deadline)",
    ),
    Problem("409", ("purchase_open",), "a joint purchase must be closed before it is decided"),
    Problem(
        "409", ("purchase_pending",), "your team already has an undecided purchase of this dataset"
    ),
    Problem("409", ("purchase_full",), "the joint purchase has its maximum of teams"),
    Problem("409", ("already_participant",), "your team already takes part"),
    Problem("409", ("not_participant",), "your team does not take part"),
    Problem("409", ("opener_cannot_leave",), "the opening team cancels instead of leaving"),
    Problem("409", ("already_confirmed",), "your team's participation is already confirmed"),
    Problem(
        "409",
        ("confirmation_pending",),
        "a team lead must confirm before the purchase can be decided",
    ),
    Problem(
        "409", ("already_decided",), "the purchase was already approved, rejected or cancelled"
    ),
    Problem("409", ("not_joint",), "the action exists only for joint purchases"),
    Problem("409", ("no_participants",), "no team takes part any more"),
    Problem("409", ("offer_changed",), "the offer's price changed since the request"),
    Problem(
        "409",
        ("offer_withdrawn",),
        "the provider withdrew the offer: no team can join, nothing can be approved under it (reject instead)",
    ),
    Problem(
        "409",
        ("dataset_withdrawn",),
        "the dataset is no longer for sale: no team can join, nothing can be approved (reject instead)",
    ),
    Problem("409", ("already_licensed",), "the team already holds a live licence for the dataset"),
    Problem(
        "409",
        ("budget_exceeded",),
        "a team's budget cannot pay its share; nothing was charged (`team` names it, `needed_krw` its share; `balance_krw` only for the team, admins and auditors)",
    ),
    Problem("409", ("already_eliminated",), "the team is already eliminated"),
    Problem(
        "409",
        ("license_not_active", "license_not_suspended", "license_not_live"),
        "the licence is not in a state that allows this",
    ),
    Problem(
        "409",
        ("licence_text_mismatch",),
        "the `text_sha256` sent to accept-terms is not the SHA-256 of the licence's text (`sha256` gives the right one): read the text again",
    ),
    Problem(
        "409",
        ("license_not_renewable",),
        "only an active licence can be renewed, before it ends (not a revoked, suspended or expired one)",
    ),
    Problem(
        "409",
        ("already_renewed",),
        "the licence is already renewed; ask again once the new term has begun",
    ),
    Problem(
        "409",
        ("renewal_pending",),
        "a renewal of this licence already waits for a decision (`renewal` names it)",
    ),
    Problem(
        "409",
        ("renewal_decided",),
        "the renewal was already approved, rejected, withdrawn or lapsed",
    ),
    Problem(
        "409",
        ("renewal_lapsed",),
        "a licence of the renewal has ended; a renewal must be approved before the end",
    ),
    Problem(
        "409",
        ("license_not_ended",),
        "a destruction attestation is for a licence that has ended (expired or revoked)",
    ),
    Problem("409", ("version_exists",), "the dataset already has a version with this label"),
    Problem("409", ("version_published",), "the version is published; its manifest is frozen"),
    Problem("409", ("version_empty",), "a version without files cannot be published"),
    Problem(
        "409", ("version_not_uploadable",), "the version lives in another store than this server's"
    ),
    Problem(
        "409",
        ("object_exists",),
        "the draft already has a file with this key (delete it to replace it)",
    ),
    Problem("409", ("upload_incomplete",), "parts are still missing (`missing_parts` lists them)"),
    Problem("409", ("upload_missing",), "nothing has been uploaded for this upload yet"),
    Problem("409", ("upload_finished",), "the upload was already completed or aborted"),
    Problem("409", ("upload_expired",), "the upload is more than 7 days old; start again"),
    Problem("409", ("user_exists",), "an account with this e-mail exists"),
    Problem(
        "409",
        ("slug_taken", "code_taken", "phase_exists"),
        "a dataset slug, institution or team code, or evaluation phase is taken (provider console, admin)",
    ),
    Problem("409", ("no_change",), "the dataset or offer is already in the requested state"),
    Problem(
        "409", ("offer_required",), "a dataset needs an active offer before it can be published"
    ),
    Problem("409", ("self_demotion",), "admins cannot demote or deactivate themselves"),
    Problem(
        "409",
        ("webhook_limit",),
        "your team or institution already has 10 webhooks; delete one first",
    ),
    Problem(
        "409",
        ("idempotency_in_progress",),
        "the first request with this `Idempotency-Key` is still running",
    ),
    Problem(
        "409",
        ("chain_broken", "audit_key_missing", "audit_key_unreadable"),
        "the audit chain or its signing key needs an operator",
    ),
    Problem("411", ("length_required",), "an upload PUT without `Content-Length`"),
    Problem(
        "412, 428",
        ("precondition_failed", "precondition_required"),
        "reserved for conditional writes (no operation needs them today)",
    ),
    Problem(
        "413",
        ("payload_too_large",),
        "the body exceeds the limit (16 MiB by default; upload PUTs: a part's or file's maximum)",
    ),
    Problem(
        "414",
        ("uri_too_long",),
        "the request line is longer than 8,190 bytes (long filters belong in fewer, shorter parameters)",
    ),
    Problem("415", ("unsupported_media_type",), "the body is not `application/json`"),
    Problem(
        "422", ("invalid_input",), "a parameter or body field is invalid (`errors` says which)"
    ),
    Problem(
        "422",
        (
            "invalid_scope",
            "invalid_days",
            "invalid_status",
            "invalid_mode",
            "invalid_amount",
            "invalid_phase",
            "unknown_phase",
            "mode_mismatch",
            "note_too_long",
            "invalid_email",
            "weak_password",
            "team_required",
            "institution_required",
        ),
        "a specific field is invalid",
    ),
    Problem(
        "422",
        ("invalid_webhook_url",),
        "a webhook URL must be `http://` or `https://`, at most 2,000 characters, without credentials",
    ),
    Problem(
        "422",
        ("invalid_deadline",),
        "a joint purchase's deadline must lie between a day from now and the end of the offer's "
        "join window (`earliest`, `latest`); an individual purchase has none",
    ),
    Problem("422", ("invalid_team",), "no active team with that code to invite"),
    Problem(
        "422",
        ("invalid_kind",),
        "a notice (event) kind that does not exist, or that your team's or institution's webhooks (or your e-mail preferences) cannot receive",
    ),
    Problem(
        "422",
        ("invalid_cursor",),
        "a `cursor` that did not come from a `next` link of the same list (and `sort`), or an event feed `after` out of range",
    ),
    Problem(
        "422",
        ("invalid_quota",),
        "a quota must be a whole number of at least 1 (or `null`: no cap)",
    ),
    Problem(
        "422",
        ("quota_below_usage",),
        "a quota cannot go below what the licence's current term already used (`used_objects`, `used_bytes`)",
    ),
    Problem(
        "422",
        ("invalid_attestation",),
        "an attestation lacks its objects (key, size, SHA-256), its host, or a reason for a partial destruction",
    ),
    Problem(
        "422",
        ("attestation_mismatch",),
        "a listed object is not an object of the licence's dataset with that size and SHA-256 (a changed state file?); nothing was recorded (`keys` lists them)",
    ),
    Problem(
        "422",
        ("invalid_licence_text", "invalid_kogl_type", "kogl_conflict"),
        "an offer's licence text is missing its Korean text or too long; a KOGL type is not 1–4; a KOGL type forbids a use the offer permits (types 2 and 4: commercial models; 3 and 4: derivative datasets)",
    ),
    Problem(
        "422",
        (
            "invalid_label",
            "invalid_key",
            "invalid_size",
            "invalid_part_size",
            "invalid_prefix",
            "prefix_empty",
            "multipart_required",
        ),
        "a version or upload declaration is invalid",
    ),
    Problem(
        "422",
        ("size_mismatch", "checksum_mismatch", "parts_invalid"),
        "the uploaded bytes differ from the declared size or SHA-256; the upload was discarded",
    ),
    Problem(
        "422", ("invalid_idempotency_key",), "`Idempotency-Key` must be 1–255 printable characters"
    ),
    Problem("422", ("idempotency_key_reused",), "the key was used before for a different request"),
    Problem(
        "429",
        ("rate_limited",),
        "too many requests (token creation, API and web page together); wait `Retry-After` seconds",
    ),
    Problem("500", ("internal_error",), "a bug; it has been logged"),
    Problem(
        "503",
        ("database_unavailable", "storage_unavailable", "unavailable"),
        "a part the service depends on is down; retry after `Retry-After`",
    ),
    Problem(
        "503",
        ("storage_error", "storage_access_denied", "storage_not_configured"),
        "the object store failed, refused the service's credentials, or is not the one this version lives in",
    ),
    Problem(
        "403",
        ("metrics_forbidden",),
        "`/metrics` from a client that is neither on the loopback interface (and not behind a proxy) nor sends `Authorization: Bearer $KDC_METRICS_TOKEN`",
    ),
    Problem(
        "503",
        ("not_ready",),
        "`/readyz`: the database or the object store cannot be reached (`checks` says which)",
    ),
)


def find(code: str) -> Problem | None:
    for problem in PROBLEMS:
        if code in problem.codes:
            return problem
    return None


def markdown_table() -> str:
    lines = ["| status | `code` | meaning |", "|---|---|---|"]
    for p in PROBLEMS:
        codes = ", ".join(f"`{c}`" for c in p.codes)
        lines.append(f"| {p.status} | {codes} | {p.meaning} |")
    return "\n".join(lines)
