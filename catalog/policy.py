"""Who may do what: one table of role × action × relation, read by every entry point.

Services call ``require(actor, action, resource)`` (or ``can`` where a refusal is not an
error, e.g. to hide a figure); the web UI's ``policy_required`` guards, the API's
``policy_required`` decorators and the scopes an API token may carry all derive from
``POLICY`` and ``SCOPES`` below. Rules that depend on a purchase's *state* (open, closed,
decided, full …) stay with the purchase state machine (``purchasing._CHECKS``); this
module says only *who*.

Roles: ``admin`` (the programme office), ``provider`` (an institution's staff),
``team_lead``, ``team_member``, ``auditor``, and ``system`` (the CLI, ``tick``: no user).

Relations say how a resource stands to the actor:

=====================  ============================================================
``any``                whatever the resource
``own_team``           it is the actor's team, or belongs to it (a licence; a
                       purchase the team requested or opened; a renewal the team
                       takes part in)
``own_institution``    it is (or concerns) a dataset of the actor's institution
``joint``              a joint purchase: the public board every team reads
``participant``        the actor's team takes part (has joined) in the purchase
``own_participation``  the actor joined the purchase for the team
``opener_team``        the actor's team opened the purchase and is still in the programme
``opener``             the actor opened the purchase, and the team is still in it
``successor``          the team that opened the purchase was eliminated and the actor's
                       team takes part: its lead inherits closing and cancelling
``eliminated_team``    the actor's team was eliminated (only names a refusal)
``own_account``        the actor's own user account, or one of its API tokens
=====================  ============================================================

A refusal is a ``Forbidden`` (403) with a stable ``code``: a role the action does not
name gets the action's code for that role (``read_only`` for auditors where they would
change something, else the action's default such as ``admin_required``); a role that is
named but stands in none of the allowed relations gets the first ``why_not`` code whose
relation it does stand in, else ``otherwise`` (e.g. ``wrong_institution``). Actions
marked ``hidden`` answer a failed relation with 404: what you may not see does not exist
for you.

**What providers see of a team (decision).** Provider staff see the teams that take part
in purchases of their institution's datasets (codes, shares, whether each team's lead
confirmed), never a team's money: no balance, ledger or holdings in the provider console,
the API (``GET /api/v1/teams``) or a problem (a ``budget_exceeded`` answer keeps ``team``
and ``needed_krw`` and carries ``balance_krw`` only for those who may see that team's
money: its own members, admins and auditors). Money is ``team.view_money``.

**Token scopes.** ``SCOPES`` says which scope covers which actions. A role may give its
tokens a scope when the table lets the role do at least one of that scope's actions; the
programme office's tokens may carry every scope, so that an office script reaches every
endpoint and hears the rule's own refusal (``license_required`` rather than
``insufficient_scope``). Actions under ``None`` need a valid token with any scopes.

docs/purchasing.md ("Who may do what") prints this table; tests/unit/test_policy.py
checks every action × role × relation and that every route of the app is bound to an
action or declared public.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from catalog.errors import DomainError, Forbidden, NotFound
from catalog.models.datasets import Dataset, DatasetVersion
from catalog.models.licenses import License, LicenseRenewal
from catalog.models.notifications import NoticeKind, WebhookEndpoint
from catalog.models.offers import Offer, OfferMode
from catalog.models.purchases import ParticipantStatus, Purchase
from catalog.models.teams import Team, TeamStatus
from catalog.models.users import ApiToken, Role, User

# --------------------------------------------------------------------------- roles

ADMIN = "admin"
PROVIDER = "provider"
TEAM_LEAD = "team_lead"
TEAM_MEMBER = "team_member"
AUDITOR = "auditor"
SYSTEM = "system"
ROLES = (ADMIN, PROVIDER, TEAM_LEAD, TEAM_MEMBER, AUDITOR, SYSTEM)
USER_ROLES = (ADMIN, PROVIDER, TEAM_LEAD, TEAM_MEMBER, AUDITOR)
TEAM = (TEAM_LEAD, TEAM_MEMBER)

# --------------------------------------------------------------------------- relations

ANY = "any"
OWN_TEAM = "own_team"
OWN_INSTITUTION = "own_institution"
JOINT = "joint"
PARTICIPANT = "participant"
OWN_PARTICIPATION = "own_participation"
OPENER_TEAM = "opener_team"
OPENER = "opener"
SUCCESSOR = "successor"
ELIMINATED_TEAM = "eliminated_team"
OWN_ACCOUNT = "own_account"
RELATIONS = (
    ANY,
    OWN_TEAM,
    OWN_INSTITUTION,
    JOINT,
    PARTICIPANT,
    OWN_PARTICIPATION,
    OPENER_TEAM,
    OPENER,
    SUCCESSOR,
    ELIMINATED_TEAM,
    OWN_ACCOUNT,
)


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Rule:
    """Who may do one action.

    ``allow``: role → the relations under which it may (``(ANY,)``: on anything).
    ``refuse``: code for a role ``allow`` does not name (``default`` for the others).
    ``why_not``: for an allowed role outside its relations, (relation held, code) pairs
    tried in order; ``otherwise`` when none is held. ``hidden``: that refusal is a 404.
    """

    what: str  # "close a joint purchase": the English detail of a refusal uses it
    allow: dict[str, tuple[str, ...]]
    default: str = "forbidden"
    refuse: dict[str, str] = field(default_factory=dict)
    why_not: tuple[tuple[str, str], ...] = ()
    otherwise: str = "forbidden"
    hidden: bool = False


def _all(roles: Iterable[str], *relations: str) -> dict[str, tuple[str, ...]]:
    return {role: relations for role in roles}


_OFFICE = _all((ADMIN, SYSTEM), ANY)
_READERS = _all((ADMIN, AUDITOR, SYSTEM), ANY)
_WRITE = {AUDITOR: "read_only"}

POLICY: dict[str, Rule] = {
    # --- the catalogue ---------------------------------------------------------------------
    "catalog.read": Rule(
        "read the catalogue, its teams and versions with a token", _all(ROLES, ANY)
    ),
    "dataset.view_drafts": Rule(
        "see a dataset's draft versions",
        {**_READERS, PROVIDER: (OWN_INSTITUTION,)},
        otherwise="not_found",
        hidden=True,
    ),
    "dataset.view_holders": Rule("see which teams hold a licence for a dataset", _all(ROLES, ANY)),
    "dataset.manage": Rule(
        "manage datasets, offers, versions and uploads",
        {**_OFFICE, PROVIDER: (OWN_INSTITUTION,)},
        default="provider_required",
        refuse=_WRITE,
        otherwise="not_dataset_provider",
    ),
    "dataset.download": Rule(
        "download a licensed dataset",
        _all(TEAM, OWN_TEAM),
        default="license_required",
        otherwise="license_required",
    ),
    # --- purchases -------------------------------------------------------------------------
    "purchase.view": Rule(
        "see a purchase",
        {**_READERS, PROVIDER: (OWN_INSTITUTION,), **_all(TEAM, OWN_TEAM, JOINT)},
        otherwise="not_found",
        hidden=True,
    ),
    "purchase.take_part": Rule(
        "request, open or join purchases for their own team",
        _all(TEAM, OWN_TEAM),
        default="team_role_required",
        refuse=_WRITE,
        otherwise="wrong_team",
    ),
    "purchase.leave": Rule(
        "withdraw the team from a joint purchase",
        {TEAM_LEAD: (PARTICIPANT,), TEAM_MEMBER: (OWN_PARTICIPATION,)},
        default="team_role_required",
        refuse=_WRITE,
        why_not=((PARTICIPANT, "lead_required"),),
        otherwise="not_participant",
    ),
    "purchase.invite": Rule(
        "invite another team to a joint purchase their team takes part in",
        _all(TEAM, PARTICIPANT),
        default="team_role_required",
        refuse=_WRITE,
        otherwise="not_participant",
    ),
    "purchase.confirm": Rule(
        "confirm the team's participation (commit its money)",
        {TEAM_LEAD: (PARTICIPANT,)},
        default="team_role_required",
        refuse={**_WRITE, TEAM_MEMBER: "lead_required"},
        otherwise="not_participant",
    ),
    **{
        f"purchase.{verb}": Rule(
            f"{verb} a purchase",
            {**_OFFICE, TEAM_LEAD: (OPENER_TEAM, SUCCESSOR), TEAM_MEMBER: (OPENER,)},
            refuse=_WRITE,
            why_not=(
                (ELIMINATED_TEAM, "team_eliminated"),
                (OWN_TEAM, "lead_required"),
                (SUCCESSOR, "lead_required"),
            ),
            otherwise="not_opener",
        )
        for verb in ("close", "cancel")
    },
    "purchase.decide": Rule(
        "approve or reject purchases",
        {**_OFFICE, PROVIDER: (OWN_INSTITUTION,)},
        default="provider_required",
        refuse=_WRITE,
        otherwise="wrong_institution",
    ),
    # --- teams, money and licences ---------------------------------------------------------
    "team.view_money": Rule(
        "see a team's balance, ledger and holdings", {**_READERS, **_all(TEAM, OWN_TEAM)}
    ),
    "myteam.view": Rule(
        "use the My team pages", _all(TEAM, OWN_TEAM), default="team_role_required"
    ),
    "team.grant_budget": Rule("grant budgets", _OFFICE, default="admin_required"),
    "team.eliminate": Rule("eliminate teams", _OFFICE, default="admin_required"),
    "licence.view": Rule(
        "see a licence",
        {**_READERS, PROVIDER: (OWN_INSTITUTION,), **_all(TEAM, OWN_TEAM)},
        otherwise="not_found",
        hidden=True,
    ),
    "licence.accept_terms": Rule(
        "accept a licence's terms for the team",
        _all(TEAM, OWN_TEAM),
        default="team_role_required",
        otherwise="not_found",
        hidden=True,
    ),
    "licence.change_status": Rule(
        "suspend, reinstate or revoke licences", _OFFICE, default="admin_required"
    ),
    "licence.set_quota": Rule(
        "change a licence's download quotas",
        {**_OFFICE, PROVIDER: (OWN_INSTITUTION,)},
        default="provider_required",
        refuse=_WRITE,
        otherwise="not_dataset_provider",
    ),
    "licence.renew": Rule(
        "request, confirm or withdraw a licence's renewal for the team (commits its money)",
        {TEAM_LEAD: (OWN_TEAM,)},
        default="team_role_required",
        refuse={**_WRITE, TEAM_MEMBER: "lead_required"},
        otherwise="not_found",
        hidden=True,
    ),
    "licence.decide_renewal": Rule(
        "approve or reject licence renewals",
        {**_OFFICE, PROVIDER: (OWN_INSTITUTION,)},
        default="provider_required",
        refuse=_WRITE,
        otherwise="wrong_institution",
    ),
    "licence.attest": Rule(
        "attest with `kdc purge` that the team's copies were deleted",
        _all(TEAM, OWN_TEAM),
        default="team_role_required",
        refuse=_WRITE,
        otherwise="not_found",
        hidden=True,
    ),
    "licence.declare_destruction": Rule(
        "declare for the team that its copies were deleted",
        {TEAM_LEAD: (OWN_TEAM,)},
        default="team_role_required",
        refuse={**_WRITE, TEAM_MEMBER: "lead_required"},
        otherwise="not_found",
        hidden=True,
    ),
    "programme.manage": Rule(
        "manage institutions, teams, users and evaluation phases", _OFFICE, default="admin_required"
    ),
    # --- the audit trail -------------------------------------------------------------------
    "audit.read": Rule("read and verify the audit trail", _READERS, default="auditor_only"),
    # --- notices -----------------------------------------------------------------------------
    "notice.read": Rule(
        "read their own notices and choose how they are told", _all(USER_ROLES, OWN_ACCOUNT)
    ),
    **{
        action: Rule(
            what,
            {TEAM_LEAD: (OWN_TEAM,), PROVIDER: (OWN_INSTITUTION,)},
            default="webhook_owner_required",
            refuse={**_WRITE, TEAM_MEMBER: "lead_required"},
            otherwise="webhook_not_found",
            hidden=True,
        )
        for action, what in (
            (
                "webhook.view",
                "see the webhooks of their team (leads) or institution (provider staff)",
            ),
            (
                "webhook.manage",
                "register webhooks for their team (leads) or institution (provider staff)",
            ),
        )
    },
    # --- the to-do list ---------------------------------------------------------------------
    "todo.view": Rule("see what they have to do", _all(USER_ROLES, ANY)),
    # --- scripts: who am I, what happened ---------------------------------------------------
    "account.read": Rule(
        "see who they are: their account, role, team and the token in use",
        _all(USER_ROLES, OWN_ACCOUNT),
    ),
    "event.read": Rule(
        "follow the feed of the events they may see (their team's or institution's notices; "
        "everything for the programme office and auditors)",
        {
            ADMIN: (ANY,),
            AUDITOR: (ANY,),
            PROVIDER: (OWN_INSTITUTION,),
            **_all(TEAM, OWN_TEAM),
        },
    ),
    # --- API tokens ------------------------------------------------------------------------
    "token.list": Rule("list API tokens", _all(USER_ROLES, OWN_ACCOUNT)),
    "token.create": Rule(
        "create API tokens", {**_all(USER_ROLES, OWN_ACCOUNT), **_OFFICE}, otherwise="forbidden"
    ),
    "token.revoke": Rule(
        "revoke API tokens",
        {**_all(USER_ROLES, OWN_ACCOUNT), **_OFFICE},
        otherwise="token_not_found",
        hidden=True,
    ),
}

# Who is told what: the notice kinds each role hears (its inbox, e-mail and the choices on its
# preferences page). Another team's private business is never among them: notices are
# addressed to the team or institution concerned (catalog/services/notices.py).
NOTICE_KINDS: dict[str, tuple[NoticeKind, ...]] = {
    TEAM_LEAD: tuple(
        k
        for k in NoticeKind
        if k not in (NoticeKind.PURCHASE_AWAITING_APPROVAL, NoticeKind.RENEWAL_AWAITING_APPROVAL)
    ),
    TEAM_MEMBER: tuple(
        k
        for k in NoticeKind
        if k
        not in (
            NoticeKind.PURCHASE_AWAITING_APPROVAL,
            NoticeKind.PURCHASE_REQUESTED,
            NoticeKind.RENEWAL_AWAITING_APPROVAL,
            NoticeKind.RENEWAL_REQUESTED,
            NoticeKind.LICENSE_ATTESTATION_DUE,
        )
    ),
    PROVIDER: (
        NoticeKind.PURCHASE_AWAITING_APPROVAL,
        NoticeKind.PURCHASE_CANCELLED,
        NoticeKind.RENEWAL_AWAITING_APPROVAL,
    ),
    ADMIN: (),
    AUDITOR: (),
}


def notice_kinds(role: str | Role | None) -> tuple[NoticeKind, ...]:
    """The notice kinds a user of ``role`` hears."""
    return NOTICE_KINDS.get(Role(role).value, ()) if role is not None else ()


def roles_hearing(kind: NoticeKind, among: Iterable[str]) -> tuple[Role, ...]:
    """Which of the roles ``among`` hear notices of ``kind``."""
    return tuple(Role(r) for r in among if kind in NOTICE_KINDS.get(r, ()))


def webhook_owner(actor: Any) -> tuple[str, int]:
    """Whose webhooks the actor manages: ("team", id) for a lead, ("institution", id) for
    provider staff; any other role gets the refusal of ``webhook.manage``."""
    require(actor, "webhook.manage")
    if role_of(actor) == PROVIDER:
        return "institution", actor.institution_id
    return "team", actor.team_id


# Which scope of an API token covers which actions (None: any valid token).
SCOPES: dict[str | None, tuple[str, ...]] = {
    "catalog:read": (
        "catalog.read",
        "dataset.view_holders",
        "dataset.view_drafts",
        "purchase.view",
        "team.view_money",
        "myteam.view",
        "licence.view",
        "webhook.view",
        "event.read",
    ),
    "purchase:write": (
        "purchase.take_part",
        "purchase.leave",
        "purchase.confirm",
        "purchase.invite",
        "purchase.close",
        "purchase.cancel",
        "licence.renew",
    ),
    "data:read": (
        "dataset.download",
        "licence.accept_terms",
        "licence.attest",
        "licence.declare_destruction",
    ),
    "provider:write": (
        "purchase.decide",
        "dataset.manage",
        "licence.set_quota",
        "licence.decide_renewal",
    ),
    "audit:read": ("audit.read",),
    "webhook:manage": ("webhook.manage",),
    "admin:write": (
        "programme.manage",
        "team.grant_budget",
        "team.eliminate",
        "licence.change_status",
    ),
    None: (
        "token.list",
        "token.create",
        "token.revoke",
        "notice.read",
        "account.read",
        "todo.view",
    ),
}
ALL_SCOPES = tuple(s for s in SCOPES if s is not None)
_SCOPE_OF = {action: scope for scope, actions in SCOPES.items() for action in actions}

# The English sentence of each refusal code (the UI translates by code: catalog/messages.py).
DETAILS = {
    "read_only": "Auditors read; they change nothing.",
    "admin_required": "Only the programme office may {what}.",
    "auditor_only": "Only auditors and the programme office may {what}.",
    "provider_required": "Only provider staff and the programme office may {what}.",
    "team_role_required": "Only members of a team may {what}.",
    "lead_required": "Only a team lead, or the member who started it, may {what}.",
    "not_opener": "Only the team that opened the purchase (if it was eliminated, the leads "
    "of the remaining teams) or an admin may {what}.",
    "not_participant": "Your team does not take part in this purchase.",
    "wrong_institution": "This purchase is of another institution's dataset.",
    "not_dataset_provider": "This dataset belongs to another institution.",
    "wrong_team": "You act only for your own team.",
    "team_eliminated": "Your team has been eliminated from the programme; it may not {what}.",
    "license_required": "Only members of a team licensed for the dataset may {what}.",
    "forbidden": "Your role may not {what}.",
    "not_found": "Not found.",
    "token_not_found": "No such token of yours exists.",
    "webhook_owner_required": "Webhooks are registered by a team lead (for the team) or "
    "provider staff (for the institution).",
    "webhook_not_found": "No such webhook of your team or institution exists.",
}


# --------------------------------------------------------------------------- judging


def role_of(actor: Any) -> str:
    """The actor's role in the table: its user's role, or ``system`` for no user."""
    if actor.role is not None:
        return Role(actor.role).value
    if getattr(actor, "anonymous", False):
        return "nobody"
    return SYSTEM if actor.user_id is None else "nobody"


def rule_for(action: str) -> Rule:
    try:
        return POLICY[action]
    except KeyError:
        raise ValueError(f"no policy action {action!r}") from None


def relations(actor: Any, resource: Any) -> frozenset[str]:
    """How ``resource`` stands to ``actor`` (``any`` always holds)."""
    for kind, judge in _RELATION_JUDGES:
        if isinstance(resource, kind):
            return frozenset({ANY, *judge(actor, resource)})
    raise TypeError(f"the policy knows no relations to a {type(resource).__name__}")


def relations_for(actor: Any, action: str) -> frozenset[str]:
    """The relations under which the actor's role may do ``action`` (empty: none).

    For queries: ``any`` means everything; otherwise the caller filters on each relation.
    """
    return frozenset(rule_for(action).allow.get(role_of(actor), ()))


def unrestricted(actor: Any, action: str) -> bool:
    """The actor may do ``action`` on anything (admins, the system; auditors reading)."""
    return ANY in relations_for(actor, action)


def refusal(actor: Any, action: str, resource: Any = None) -> DomainError | None:
    """Why the actor may not do ``action`` (to ``resource``), or None if it may.

    Without a resource the question is whether the role may do it to anything at all.
    """
    rule = rule_for(action)
    role = role_of(actor)
    allowed = rule.allow.get(role)
    if not allowed:
        return _refuse(rule, rule.refuse.get(role, rule.default), hidden=False)
    if resource is None or ANY in allowed:
        return None
    held = relations(actor, resource)
    if held.intersection(allowed):
        return None
    code = next((code for rel, code in rule.why_not if rel in held), rule.otherwise)
    return _refuse(rule, code, hidden=rule.hidden)


def can(actor: Any, action: str, resource: Any = None) -> bool:
    return refusal(actor, action, resource) is None


def require(actor: Any, action: str, resource: Any = None) -> None:
    """Raise ``Forbidden`` (``NotFound`` for hidden actions) unless the actor may."""
    error = refusal(actor, action, resource)
    if error is not None:
        raise error


def _refuse(rule: Rule, code: str, *, hidden: bool) -> DomainError:
    detail = DETAILS.get(code, DETAILS["forbidden"]).format(what=rule.what)
    return NotFound(detail, code=code) if hidden else Forbidden(detail, code=code)


# --------------------------------------------------------------------------- token scopes


def scope_of(action: str) -> str | None:
    """The token scope that covers ``action`` (None: any valid token)."""
    rule_for(action)
    return _SCOPE_OF[action]


def scopes_for(role: str | Role) -> tuple[str, ...]:
    """The scopes a token of a user with ``role`` may carry, in ``ALL_SCOPES`` order."""
    role = Role(role).value
    if role == ADMIN:
        return ALL_SCOPES
    return tuple(
        scope
        for scope in ALL_SCOPES
        if any(POLICY[action].allow.get(role) for action in SCOPES[scope])
    )


def markdown_table() -> str:
    """The table as docs/rights.md prints it (a test keeps the two equal)."""
    head = ["action", "scope", *ROLES, "otherwise"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for action, rule in POLICY.items():
        cells = [f"`{action}`", f"`{_SCOPE_OF[action]}`" if _SCOPE_OF[action] else "any token"]
        for role in ROLES:
            allowed = rule.allow.get(role)
            if allowed:
                cells.append(", ".join(allowed))
            else:
                cells.append(f"✗ `{rule.refuse.get(role, rule.default)}`")
        if all(rels == (ANY,) for rels in rule.allow.values()):
            cells.append("—")  # no relation to fail
        else:
            why = [f"{rel}: `{code}`" for rel, code in rule.why_not]
            why.append(f"{'404' if rule.hidden else '403'} `{rule.otherwise}`")
            cells.append("; ".join(why))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- relations


def _team_of(actor: Any) -> int | None:
    return actor.team_id if role_of(actor) in TEAM else None


def _purchase_relations(actor: Any, p: Purchase) -> Iterable[str]:
    team_id = _team_of(actor)
    if actor.institution_id is not None and p.dataset.institution_id == actor.institution_id:
        yield OWN_INSTITUTION
    if p.mode == OfferMode.JOINT:
        yield JOINT
    if team_id is None:
        return
    part = next((x for x in p.participants if x.team_id == team_id), None)
    joined = part is not None and part.status == ParticipantStatus.JOINED
    opener_in = p.opener_team.status != TeamStatus.ELIMINATED
    if part is not None and joined:
        yield PARTICIPANT
        if part.joined_by_id == actor.user_id:
            yield OWN_PARTICIPATION
    if p.opener_team_id == team_id:
        yield OWN_TEAM
        if opener_in:
            yield OPENER_TEAM
            if p.opened_by_id == actor.user_id:
                yield OPENER
    elif joined and not opener_in:
        yield SUCCESSOR
    teams = [p.opener_team] + [x.team for x in p.participants]
    if any(t.id == team_id and t.status == TeamStatus.ELIMINATED for t in teams):
        yield ELIMINATED_TEAM


def _team_relations(actor: Any, team: Team) -> Iterable[str]:
    if _team_of(actor) is not None and team.id == actor.team_id:
        yield OWN_TEAM


def _institution_relation(actor: Any, institution_id: int | None) -> Iterable[str]:
    if actor.institution_id is not None and institution_id == actor.institution_id:
        yield OWN_INSTITUTION


def _license_relations(actor: Any, lic: License) -> Iterable[str]:
    if _team_of(actor) is not None and lic.team_id == actor.team_id:
        yield OWN_TEAM
    yield from _institution_relation(actor, lic.dataset.institution_id)


def _renewal_relations(actor: Any, renewal: LicenseRenewal) -> Iterable[str]:
    team_id = _team_of(actor)
    if team_id is not None and any(p.team_id == team_id for p in renewal.parts):
        yield OWN_TEAM
    yield from _institution_relation(actor, renewal.dataset.institution_id)


def _webhook_relations(actor: Any, hook: WebhookEndpoint) -> Iterable[str]:
    if _team_of(actor) is not None and hook.team_id == actor.team_id:
        yield OWN_TEAM
    yield from _institution_relation(actor, hook.institution_id)


def _account_relations(actor: Any, owner_id: int | None) -> Iterable[str]:
    if actor.user_id is not None and owner_id == actor.user_id:
        yield OWN_ACCOUNT


_RELATION_JUDGES: tuple[tuple[type, Callable[[Any, Any], Iterable[str]]], ...] = (
    (Purchase, _purchase_relations),
    (Team, _team_relations),
    (License, _license_relations),
    (LicenseRenewal, _renewal_relations),
    (Dataset, lambda a, d: _institution_relation(a, d.institution_id)),
    (Offer, lambda a, o: _institution_relation(a, o.dataset.institution_id)),
    (DatasetVersion, lambda a, v: _institution_relation(a, v.dataset.institution_id)),
    (User, lambda a, u: _account_relations(a, u.id)),
    (ApiToken, lambda a, t: _account_relations(a, t.user_id)),
    (WebhookEndpoint, lambda a, w: _webhook_relations(a, w)),
)


# --------------------------------------------------------------------------- routes

_View = TypeVar("_View", bound=Callable[..., Any])

POLICY_ATTR = "policy_actions"
PUBLIC_ATTR = "policy_public"


def bind(view: _View, actions: Iterable[str]) -> _View:
    """Record on a view which policy actions it performs (read by ``route_policies``)."""
    actions = tuple(actions)
    for action in actions:
        rule_for(action)
    setattr(view, POLICY_ATTR, actions)
    return view


def public(reason: str) -> Callable[[_View], _View]:
    """Declare a view open to anyone, saying why (e.g. "the catalogue is public")."""

    def mark(view: _View) -> _View:
        setattr(view, PUBLIC_ATTR, reason)
        return view

    return mark


def route_policies(app: Any) -> dict[tuple[str, str], tuple[str, ...] | str | None]:
    """(endpoint, method) → the actions its view is bound to, the reason it is public,
    or None when it declares neither. Duck-typed on a Flask app (no flask import)."""
    out: dict[tuple[str, str], tuple[str, ...] | str | None] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            handler = getattr(getattr(view, "view_class", None), method.lower(), None) or view
            out[(rule.endpoint, method)] = getattr(
                handler, POLICY_ATTR, getattr(handler, PUBLIC_ATTR, None)
            )
    return out
