"""``/api/v1/me``: who the caller is: the user, role, team or institution, and the token."""

from __future__ import annotations

from flask.views import MethodView

from catalog.api.auth import SECURITY, current_actor, policy_required
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.db import get_session
from catalog.services.me import whoami
from schemas.me import MeSchema

blp = Blueprint(
    "me", __name__, url_prefix="/api/v1/me", description="Who you are, as the server sees you."
)


@blp.route("")
class MeView(MethodView):
    @blp.doc(security=SECURITY, operationId="getMe")
    @blp.response(200, MeSchema)
    @blp.alt_response(401, schema=None, description="No valid token")
    @policy_required("account.read")
    def get(self):
        """You: user, role, team or institution, and this token (id, scopes, expiry)

        Any valid token may ask. A script that is about to revoke a token compares its
        id with `token.id` here to know whether it is its own.
        """
        return whoami(get_session(), current_actor())
