"""The rights policy as a pure function: every action × role × relation, allowed and refused.

``EXPECTED`` is written out by hand, independently of ``catalog/policy.py``: each row is an
action (or several with the same answers), a situation — how the resource stands to the
actors, or ``-`` for the role alone — and the answer for each role: ``ok``, the 403 code,
or ``404:code`` where what you may not see does not exist for you.

The actors: user 1 is the admin, 2 a provider of institution 10, 3 the lead and 4 a member
of team 20, 5 an auditor; ``system`` has no user. Team 30 and institution 11 are others'.
"""

from __future__ import annotations

import pytest

from catalog import policy
from catalog.errors import Forbidden, NotFound
from catalog.models.datasets import Dataset, DatasetVersion
from catalog.models.licenses import License, LicenseRenewal, LicenseRenewalPart
from catalog.models.notifications import WebhookEndpoint
from catalog.models.offers import Offer, OfferMode
from catalog.models.purchases import ParticipantStatus, Purchase, PurchaseParticipant
from catalog.models.teams import Team, TeamStatus
from catalog.models.users import ApiToken, Role, User
from catalog.services.context import Actor

ROLES = ("admin", "provider", "team_lead", "team_member", "auditor", "system")
ACTORS = {
    "admin": Actor(1, "admin", Role.ADMIN),
    "provider": Actor(2, "provider", Role.PROVIDER, institution_id=10),
    "team_lead": Actor(3, "lead", Role.TEAM_LEAD, team_id=20),
    "team_member": Actor(4, "member", Role.TEAM_MEMBER, team_id=20),
    "auditor": Actor(5, "auditor", Role.AUDITOR),
    "system": Actor.system(),
}
OURS, THEIRS = 20, 30
OUR_INST, THEIR_INST = 10, 11
MEMBER, STRANGER = 4, 99
JOINED, LEFT = ParticipantStatus.JOINED, ParticipantStatus.LEFT


def _team(team_id: int, eliminated: bool = False) -> Team:
    return Team(
        id=team_id,
        code=f"t{team_id}",
        status=TeamStatus.ELIMINATED if eliminated else TeamStatus.ACTIVE,
    )


def _purchase(
    *,
    joint: bool,
    opener: int,
    opened_by: int = STRANGER,
    institution: int = THEIR_INST,
    parts: tuple[tuple[int, ParticipantStatus, int], ...],
    eliminated: tuple[int, ...] = (),
) -> Purchase:
    teams = {t: _team(t, t in eliminated) for t in {opener, *(p[0] for p in parts)}}
    return Purchase(
        id=1,
        mode=OfferMode.JOINT if joint else OfferMode.INDIVIDUAL,
        dataset=Dataset(id=1, institution_id=institution),
        opener_team_id=opener,
        opener_team=teams[opener],
        opened_by_id=opened_by,
        participants=[
            PurchaseParticipant(team_id=t, team=teams[t], status=status, joined_by_id=by)
            for t, status, by in parts
        ],
    )


def _licence(team: int, institution: int) -> License:
    return License(id=1, team_id=team, dataset=Dataset(id=1, institution_id=institution))


def _renewal(teams: tuple[int, ...], institution: int) -> LicenseRenewal:
    return LicenseRenewal(
        id=1,
        dataset=Dataset(id=1, institution_id=institution),
        parts=[LicenseRenewalPart(team_id=t) for t in teams],
    )


SITUATIONS = {
    # purchases
    "others_request": lambda a: _purchase(
        joint=False, opener=THEIRS, parts=((THEIRS, JOINED, STRANGER),)
    ),
    "colleagues_request": lambda a: _purchase(
        joint=False, opener=OURS, parts=((OURS, JOINED, STRANGER),)
    ),
    "members_request": lambda a: _purchase(
        joint=False, opener=OURS, opened_by=MEMBER, parts=((OURS, JOINED, MEMBER),)
    ),
    "our_institutions": lambda a: _purchase(
        joint=False, opener=THEIRS, institution=OUR_INST, parts=((THEIRS, JOINED, STRANGER),)
    ),
    "joint_apart": lambda a: _purchase(
        joint=True, opener=THEIRS, parts=((THEIRS, JOINED, STRANGER),)
    ),
    "joint_joined_by_colleague": lambda a: _purchase(
        joint=True, opener=THEIRS, parts=((THEIRS, JOINED, STRANGER), (OURS, JOINED, STRANGER))
    ),
    "joint_joined_by_member": lambda a: _purchase(
        joint=True, opener=THEIRS, parts=((THEIRS, JOINED, STRANGER), (OURS, JOINED, MEMBER))
    ),
    "joint_opened_by_member": lambda a: _purchase(
        joint=True,
        opener=OURS,
        opened_by=MEMBER,
        parts=((OURS, JOINED, MEMBER), (THEIRS, JOINED, STRANGER)),
    ),
    "joint_opener_eliminated": lambda a: _purchase(
        joint=True,
        opener=THEIRS,
        parts=((THEIRS, LEFT, STRANGER), (OURS, JOINED, STRANGER)),
        eliminated=(THEIRS,),
    ),
    "joint_we_opened_then_eliminated": lambda a: _purchase(
        joint=True,
        opener=OURS,
        opened_by=MEMBER,
        parts=((OURS, LEFT, MEMBER), (THEIRS, JOINED, STRANGER)),
        eliminated=(OURS,),
    ),
    # teams, licences, datasets, accounts
    "our_team": lambda a: _team(OURS),
    "their_team": lambda a: _team(THEIRS),
    "our_licence": lambda a: _licence(OURS, THEIR_INST),
    "licence_of_our_dataset": lambda a: _licence(THEIRS, OUR_INST),
    "their_licence": lambda a: _licence(THEIRS, THEIR_INST),
    "our_renewal": lambda a: _renewal((THEIRS, OURS), THEIR_INST),
    "renewal_of_our_dataset": lambda a: _renewal((THEIRS,), OUR_INST),
    "their_renewal": lambda a: _renewal((THEIRS,), THEIR_INST),
    "our_dataset": lambda a: Dataset(id=1, institution_id=OUR_INST),
    "their_dataset": lambda a: Dataset(id=1, institution_id=THEIR_INST),
    "our_offer": lambda a: Offer(id=1, dataset=Dataset(id=1, institution_id=OUR_INST)),
    "their_offer": lambda a: Offer(id=1, dataset=Dataset(id=1, institution_id=THEIR_INST)),
    "our_version": lambda a: DatasetVersion(id=1, dataset=Dataset(id=1, institution_id=OUR_INST)),
    "their_version": lambda a: DatasetVersion(
        id=1, dataset=Dataset(id=1, institution_id=THEIR_INST)
    ),
    "own_account": lambda a: User(id=a.user_id),
    "other_account": lambda a: User(id=STRANGER),
    "own_token": lambda a: ApiToken(id=1, user_id=a.user_id),
    "other_token": lambda a: ApiToken(id=1, user_id=STRANGER),
    # webhooks
    "our_webhook": lambda a: WebhookEndpoint(id=1, team_id=OURS),
    "their_webhook": lambda a: WebhookEndpoint(id=1, team_id=THEIRS),
    "our_institutions_webhook": lambda a: WebhookEndpoint(id=1, institution_id=OUR_INST),
    "their_institutions_webhook": lambda a: WebhookEndpoint(id=1, institution_id=THEIR_INST),
}

EXPECTED = """
# action(s)                         situation                        admin  provider  team_lead  team_member  auditor  system
catalog.read                        -                                ok     ok        ok         ok           ok       ok
catalog.read                        their_dataset                    ok     ok        ok         ok           ok       ok

dataset.view_holders                -                                ok     ok        ok         ok           ok       ok
dataset.view_holders                their_dataset                    ok     ok        ok         ok           ok       ok

dataset.view_drafts                 -                                ok     ok        forbidden  forbidden    ok       ok
dataset.view_drafts                 our_dataset                      ok     ok        forbidden  forbidden    ok       ok
dataset.view_drafts                 their_dataset                    ok     404:not_found forbidden forbidden ok       ok

dataset.manage                      -                                ok     ok        provider_required provider_required read_only ok
dataset.manage                      our_dataset,our_offer,our_version ok    ok        provider_required provider_required read_only ok
dataset.manage                      their_dataset,their_offer,their_version ok not_dataset_provider provider_required provider_required read_only ok

dataset.download                    -                                license_required license_required ok ok license_required license_required
dataset.download                    our_licence                      license_required license_required ok ok license_required license_required
dataset.download                    their_licence                    license_required license_required license_required license_required license_required license_required

purchase.view                       -                                ok     ok        ok         ok           ok       ok
purchase.view                       others_request                   ok     404:not_found 404:not_found 404:not_found ok ok
purchase.view                       colleagues_request,members_request ok  404:not_found ok      ok           ok       ok
purchase.view                       our_institutions                 ok     ok        404:not_found 404:not_found ok ok
purchase.view                       joint_apart,joint_joined_by_colleague,joint_joined_by_member,joint_opened_by_member,joint_opener_eliminated,joint_we_opened_then_eliminated ok 404:not_found ok ok ok ok

purchase.take_part                  -                                team_role_required team_role_required ok ok read_only team_role_required
purchase.take_part                  our_team                         team_role_required team_role_required ok ok read_only team_role_required
purchase.take_part                  their_team                       team_role_required team_role_required wrong_team wrong_team read_only team_role_required

purchase.leave                      -                                team_role_required team_role_required ok ok read_only team_role_required
purchase.leave                      others_request,our_institutions,joint_apart,joint_we_opened_then_eliminated team_role_required team_role_required not_participant not_participant read_only team_role_required
purchase.leave                      colleagues_request,joint_joined_by_colleague,joint_opener_eliminated team_role_required team_role_required ok lead_required read_only team_role_required
purchase.leave                      members_request,joint_joined_by_member,joint_opened_by_member team_role_required team_role_required ok ok read_only team_role_required

purchase.confirm                    -                                team_role_required team_role_required ok lead_required read_only team_role_required
purchase.confirm                    others_request,our_institutions,joint_apart,joint_we_opened_then_eliminated team_role_required team_role_required not_participant lead_required read_only team_role_required
purchase.confirm                    colleagues_request,members_request,joint_joined_by_colleague,joint_joined_by_member,joint_opened_by_member,joint_opener_eliminated team_role_required team_role_required ok lead_required read_only team_role_required

purchase.invite                     -                                team_role_required team_role_required ok ok read_only team_role_required
purchase.invite                     others_request,our_institutions,joint_apart,joint_we_opened_then_eliminated team_role_required team_role_required not_participant not_participant read_only team_role_required
purchase.invite                     colleagues_request,members_request,joint_joined_by_colleague,joint_joined_by_member,joint_opened_by_member,joint_opener_eliminated team_role_required team_role_required ok ok read_only team_role_required

purchase.close,purchase.cancel      -                                ok     forbidden ok         ok           read_only ok
purchase.close,purchase.cancel      others_request,our_institutions,joint_apart,joint_joined_by_colleague,joint_joined_by_member ok forbidden not_opener not_opener read_only ok
purchase.close,purchase.cancel      colleagues_request               ok     forbidden ok         lead_required read_only ok
purchase.close,purchase.cancel      members_request,joint_opened_by_member ok forbidden ok      ok           read_only ok
purchase.close,purchase.cancel      joint_opener_eliminated          ok     forbidden ok         lead_required read_only ok
purchase.close,purchase.cancel      joint_we_opened_then_eliminated  ok     forbidden team_eliminated team_eliminated read_only ok

purchase.decide                     -                                ok     ok        provider_required provider_required read_only ok
purchase.decide                     our_institutions                 ok     ok        provider_required provider_required read_only ok
purchase.decide                     others_request,colleagues_request,members_request,joint_apart,joint_joined_by_colleague,joint_joined_by_member,joint_opened_by_member,joint_opener_eliminated,joint_we_opened_then_eliminated ok wrong_institution provider_required provider_required read_only ok

team.view_money                     -                                ok     forbidden ok         ok           ok       ok
team.view_money                     our_team                         ok     forbidden ok         ok           ok       ok
team.view_money                     their_team                       ok     forbidden forbidden  forbidden    ok       ok

myteam.view                         -                                team_role_required team_role_required ok ok team_role_required team_role_required
myteam.view                         our_team                         team_role_required team_role_required ok ok team_role_required team_role_required
myteam.view                         their_team                       team_role_required team_role_required forbidden forbidden team_role_required team_role_required

team.grant_budget,team.eliminate,programme.manage,licence.change_status - ok admin_required admin_required admin_required admin_required ok
team.grant_budget,team.eliminate,programme.manage our_team,their_team             ok     admin_required admin_required admin_required admin_required ok
licence.change_status               our_licence,their_licence        ok     admin_required admin_required admin_required admin_required ok

licence.view                        -                                ok     ok        ok         ok           ok       ok
licence.view                        our_licence                      ok     404:not_found ok     ok           ok       ok
licence.view                        licence_of_our_dataset           ok     ok        404:not_found 404:not_found ok ok
licence.view                        their_licence                    ok     404:not_found 404:not_found 404:not_found ok ok
licence.view                        our_renewal                      ok     404:not_found ok     ok           ok       ok
licence.view                        renewal_of_our_dataset           ok     ok        404:not_found 404:not_found ok ok
licence.view                        their_renewal                    ok     404:not_found 404:not_found 404:not_found ok ok

licence.set_quota                   -,licence_of_our_dataset         ok     ok        provider_required provider_required read_only ok
licence.set_quota                   our_licence,their_licence        ok     not_dataset_provider provider_required provider_required read_only ok

licence.renew                       -,our_licence,our_renewal        team_role_required team_role_required ok lead_required read_only team_role_required
licence.renew                       licence_of_our_dataset,their_licence,renewal_of_our_dataset,their_renewal team_role_required team_role_required 404:not_found lead_required read_only team_role_required

licence.decide_renewal              -,renewal_of_our_dataset,licence_of_our_dataset ok ok provider_required provider_required read_only ok
licence.decide_renewal              our_renewal,their_renewal,our_licence,their_licence ok wrong_institution provider_required provider_required read_only ok

licence.attest                      -,our_licence                    team_role_required team_role_required ok ok read_only team_role_required
licence.attest                      licence_of_our_dataset,their_licence team_role_required team_role_required 404:not_found 404:not_found read_only team_role_required

licence.declare_destruction         -,our_licence                    team_role_required team_role_required ok lead_required read_only team_role_required
licence.declare_destruction         licence_of_our_dataset,their_licence team_role_required team_role_required 404:not_found lead_required read_only team_role_required

licence.accept_terms                -                                team_role_required team_role_required ok ok team_role_required team_role_required
licence.accept_terms                our_licence                      team_role_required team_role_required ok ok team_role_required team_role_required
licence.accept_terms                licence_of_our_dataset,their_licence team_role_required team_role_required 404:not_found 404:not_found team_role_required team_role_required

audit.read                          -,their_team                     ok     auditor_only auditor_only auditor_only ok ok

token.list                          -                                ok     ok        ok         ok           ok       forbidden
token.list                          own_account                      ok     ok        ok         ok           ok       forbidden
token.list                          other_account                    forbidden forbidden forbidden forbidden forbidden forbidden
token.create                        -,own_account                    ok     ok        ok         ok           ok       ok
token.create                        other_account                    ok     forbidden forbidden  forbidden    forbidden ok
token.revoke                        -,own_token                      ok     ok        ok         ok           ok       ok
token.revoke                        other_token                      ok     404:token_not_found 404:token_not_found 404:token_not_found 404:token_not_found ok

todo.view                           -,their_team                     ok     ok        ok         ok           ok       forbidden
notice.read                         -,own_account                    ok     ok        ok         ok           ok       forbidden
notice.read                         other_account                    forbidden forbidden forbidden forbidden forbidden forbidden
account.read                        -,own_account                    ok     ok        ok         ok           ok       forbidden
account.read                        other_account                    forbidden forbidden forbidden forbidden forbidden forbidden
event.read                          -                                ok     ok        ok         ok           ok       forbidden
event.read                          our_licence                      ok     forbidden ok         ok           ok       forbidden
event.read                          licence_of_our_dataset           ok     ok        forbidden  forbidden    ok       forbidden
event.read                          their_licence                    ok     forbidden forbidden  forbidden    ok       forbidden

webhook.view,webhook.manage         -                                webhook_owner_required ok ok lead_required read_only webhook_owner_required
webhook.view,webhook.manage         our_webhook                      webhook_owner_required 404:webhook_not_found ok lead_required read_only webhook_owner_required
webhook.view,webhook.manage         our_institutions_webhook         webhook_owner_required ok 404:webhook_not_found lead_required read_only webhook_owner_required
webhook.view,webhook.manage         their_webhook,their_institutions_webhook webhook_owner_required 404:webhook_not_found 404:webhook_not_found lead_required read_only webhook_owner_required
"""


def _cases() -> list[tuple[str, str, str, str]]:
    cases = []
    for line in EXPECTED.strip().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        actions, situations, *answers = line.split()
        assert len(answers) == len(ROLES), line
        for action in actions.split(","):
            for situation in situations.split(","):
                for role, answer in zip(ROLES, answers, strict=True):
                    cases.append((action, situation, role, answer))
    return cases


CASES = _cases()


@pytest.mark.parametrize(("action", "situation", "role", "answer"), CASES)
def test_policy_answers(action, situation, role, answer):
    actor = ACTORS[role]
    resource = None if situation == "-" else SITUATIONS[situation](actor)
    assert policy.can(actor, action, resource) is (answer == "ok")
    if answer == "ok":
        policy.require(actor, action, resource)
        return
    hidden = answer.startswith("404:")
    with pytest.raises(NotFound if hidden else Forbidden) as exc:
        policy.require(actor, action, resource)
    assert exc.value.code == answer.removeprefix("404:")
    assert exc.value.status == (404 if hidden else 403)


def test_the_expectations_cover_every_action_role_and_relation():
    actions = {c[0] for c in CASES}
    assert actions == set(policy.POLICY), set(policy.POLICY) ^ actions
    assert set(ROLES) == set(policy.ROLES)
    # Every action is asked with and without a resource, for every role.
    for action in policy.POLICY:
        asked = {(c[1] == "-", c[2]) for c in CASES if c[0] == action}
        assert asked == {(alone, r) for alone in (True, False) for r in ROLES}, action
    # Every relation a rule names is held by some actor in some situation of that action.
    for action, rule in policy.POLICY.items():
        named = {rel for rels in rule.allow.values() for rel in rels} | {
            rel for rel, _code in rule.why_not
        }
        held = set()
        for _a, situation, role, _ans in (c for c in CASES if c[0] == action):
            if situation != "-":
                actor = ACTORS[role]
                held |= policy.relations(actor, SITUATIONS[situation](actor))
        assert named <= held, (action, named - held)
    # And every relation of the vocabulary is used by some rule.
    used = {
        rel
        for rule in policy.POLICY.values()
        for rel in [
            *(r for rels in rule.allow.values() for r in rels),
            *(r for r, _ in rule.why_not),
        ]
    }
    assert used == set(policy.RELATIONS)


def test_each_relation_means_what_the_docstring_says():
    lead, member = ACTORS["team_lead"], ACTORS["team_member"]
    rel = policy.relations
    assert policy.OPENER in rel(member, SITUATIONS["joint_opened_by_member"](member))
    assert policy.OPENER not in rel(lead, SITUATIONS["joint_opened_by_member"](lead))
    gone = SITUATIONS["joint_opener_eliminated"](lead)
    assert {policy.SUCCESSOR, policy.PARTICIPANT} <= rel(lead, gone)
    assert policy.OPENER_TEAM not in rel(lead, gone)
    ours_gone = SITUATIONS["joint_we_opened_then_eliminated"](lead)
    assert {policy.ELIMINATED_TEAM, policy.OWN_TEAM} <= rel(lead, ours_gone)
    assert not {policy.OPENER_TEAM, policy.PARTICIPANT, policy.SUCCESSOR} & rel(lead, ours_gone)
    # A provider is never related to a team, whatever the ids say.
    stranger = Actor(6, "p2", Role.PROVIDER, team_id=None, institution_id=OURS)
    assert rel(stranger, SITUATIONS["our_team"](stranger)) == {policy.ANY}
    with pytest.raises(TypeError):
        rel(lead, object())
    with pytest.raises(ValueError, match="no policy action"):
        policy.can(lead, "purchase.steal")


def test_token_scopes_derive_from_the_table():
    # One place says which scope covers which action: each action in exactly one.
    listed = [a for actions in policy.SCOPES.values() for a in actions]
    assert sorted(listed) == sorted(policy.POLICY)
    assert policy.scopes_for(Role.TEAM_MEMBER) == ("catalog:read", "purchase:write", "data:read")
    assert policy.scopes_for(Role.TEAM_LEAD) == (
        "catalog:read",
        "purchase:write",
        "data:read",
        "webhook:manage",
    )
    assert policy.scopes_for(Role.PROVIDER) == ("catalog:read", "provider:write", "webhook:manage")
    assert policy.scopes_for(Role.AUDITOR) == ("catalog:read", "audit:read")
    assert policy.scopes_for(Role.ADMIN) == policy.ALL_SCOPES
    # A role gets a scope exactly when it may do one of the scope's actions (admins: all).
    for role in policy.USER_ROLES:
        for scope in policy.ALL_SCOPES:
            usable = any(
                policy.can(Actor(9, "x", Role(role), team_id=1, institution_id=1), a)
                for a in policy.SCOPES[scope]
            )
            assert (scope in policy.scopes_for(role)) is (usable or role == "admin"), (role, scope)


def test_every_refusal_code_is_documented_and_explained():
    from pathlib import Path

    from catalog.messages import MESSAGES

    doc = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    codes = {
        code
        for rule in policy.POLICY.values()
        for code in [rule.default, rule.otherwise, *rule.refuse.values()]
        + [c for _r, c in rule.why_not]
    }
    assert {c for c in codes if f"`{c}`" not in doc} == set()
    assert codes <= set(policy.DETAILS)
    untranslated = codes - set(MESSAGES) - {"forbidden", "not_found", "token_not_found"}
    assert untranslated == set()
