"""``/api/v1/teams``: teams, with balance, ledger and holdings for those entitled to see them.

Admins grant (or claw back) budget and eliminate teams here as well as from the CLI.
"""

from __future__ import annotations

from flask.views import MethodView

from catalog import policy
from catalog.api.auth import SECURITY, current_actor, policy_required
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.api.idempotency import DOC as IDEMPOTENCY_DOC
from catalog.api.idempotency import idempotent
from catalog.db import get_session
from catalog.models.teams import Team
from catalog.services import elimination, holdings, ledger
from catalog.services.catalog import get_team
from schemas.teams import (
    EliminateSchema,
    EliminationResultSchema,
    GrantResultSchema,
    GrantSchema,
    TeamListSchema,
    TeamSchema,
)

blp = Blueprint(
    "teams",
    __name__,
    url_prefix="/api/v1/teams",
    description="Teams of the foundation-model programme.",
)


def _with_money(session, team: Team, actor, ledger_limit: int = 100) -> Team:
    """Plain attributes for the response schema: money only for the entitled, else None."""
    if policy.can(actor, "team.view_money", team):
        team.visible_balance = team.balance_krw
        team.money = ledger.team_money(session, team)
        team.ledger = ledger.team_statement(session, team, limit=ledger_limit)
        team.holdings = holdings.team_holdings(session, team)
    else:
        team.visible_balance = team.money = team.ledger = team.holdings = None
    return team


@blp.route("")
class TeamList(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, TeamListSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @policy_required("catalog.read")
    def get(self):
        """All teams; balances only for your own team (admins and auditors: all)"""
        from sqlalchemy import select

        session, actor = get_session(), current_actor()
        teams = session.scalars(select(Team).order_by(Team.code)).all()
        for team in teams:
            money = policy.can(actor, "team.view_money", team)
            team.visible_balance = team.balance_krw if money else None
        return {"items": teams}


@blp.route("/<code>")
class TeamDetail(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, TeamSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(404, schema=None, description="No such team")
    @policy_required("catalog.read")
    def get(self, code):
        """A team; balance, ledger and holdings are shown to its members, admins and auditors

        `ledger` lists the newest 100 entries of the team's account, newest first, each with
        the balance after it; `holdings` the team's licences, joint or individual, and what
        the team paid for each.
        """
        session = get_session()
        return _with_money(session, get_team(session, code), current_actor())


@blp.route("/<code>/grants")
class TeamGrants(MethodView):
    @blp.doc(security=SECURITY, **IDEMPOTENCY_DOC)
    @blp.arguments(GrantSchema)
    @blp.response(201, GrantResultSchema)
    @blp.alt_response(403, schema=None, description="Admins only")
    @blp.alt_response(404, schema=None, description="No such team")
    @blp.alt_response(
        409,
        schema=None,
        description="Claw-back beyond the unspent balance "
        "(`budget_exceeded`) or eliminated team (`team_eliminated`)",
    )
    @policy_required("team.grant_budget")
    @idempotent(GrantResultSchema, 201)
    def post(self, args, code):
        """Grant budget to a team (a negative amount claws back unspent budget)"""
        session = get_session()
        txn = ledger.grant_budget(session, current_actor(), code, args["amount_krw"], args["memo"])
        team = get_team(session, code)
        return {
            "transaction_id": txn.id,
            "kind": txn.kind.value,
            "team": team.code,
            "amount_krw": args["amount_krw"],
            "balance_krw": team.balance_krw,
            "memo": txn.memo,
        }


@blp.route("/<code>/eliminate")
class TeamEliminate(MethodView):
    @blp.doc(security=SECURITY, **IDEMPOTENCY_DOC)
    @blp.arguments(EliminateSchema)
    @blp.response(200, EliminationResultSchema)
    @blp.alt_response(403, schema=None, description="Admins only")
    @blp.alt_response(404, schema=None, description="No such team")
    @blp.alt_response(409, schema=None, description="Already eliminated")
    @policy_required("team.eliminate")
    @idempotent(EliminationResultSchema, 200)
    def post(self, args, code):
        """Eliminate a team at an evaluation phase

        Licences whose terms do not survive elimination are revoked; undecided purchases
        are withdrawn; the ledger and history stay.
        """
        result = elimination.eliminate_team(get_session(), current_actor(), code, args["phase"])
        return {
            "team": result.team.code,
            "phase": result.phase,
            "revoked": [{"license": lic.id, "dataset": lic.dataset.slug} for lic in result.revoked],
            "kept": [{"license": lic.id, "dataset": lic.dataset.slug} for lic in result.kept],
            "withdrawn": [{"purchase": pid, "outcome": o} for pid, o in result.withdrawn],
        }
