"""``/api/v1/teams/{code}``: a team, with its balance for those entitled to see it."""

from __future__ import annotations

from flask.views import MethodView

from catalog.api.auth import SECURITY, current_actor, require_token
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.db import get_session
from catalog.services.catalog import get_team
from schemas.teams import TeamSchema

blp = Blueprint("teams", __name__, url_prefix="/api/v1/teams",
                description="Teams of the foundation-model programme.")


def may_see_money(actor, team) -> bool:
    return actor.is_admin or actor.is_auditor or actor.team_id == team.id


@blp.route("/<code>")
class TeamDetail(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, TeamSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @blp.alt_response(404, schema=None, description="No such team")
    @require_token("catalog:read")
    def get(self, code):
        """A team; `balance_krw` is shown to its members, admins and auditors only"""
        team = get_team(get_session(), code)
        # A plain attribute for the response schema: the balance, or None for outsiders.
        team.visible_balance = team.balance_krw if may_see_money(current_actor(), team) else None
        return team
