"""``/api/v1/institutions``: the public bodies that publish datasets."""

from __future__ import annotations

from flask.views import MethodView

from catalog import policy
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.db import get_session
from catalog.services.catalog import list_institutions
from schemas.catalog import InstitutionListSchema

blp = Blueprint(
    "institutions",
    __name__,
    url_prefix="/api/v1/institutions",
    description="Institutions (providers) of the catalogue.",
)


@blp.route("")
class InstitutionList(MethodView):
    @blp.response(200, InstitutionListSchema)
    @policy.public("the catalogue is public")
    def get(self):
        """All institutions"""
        return {"items": list_institutions(get_session())}
