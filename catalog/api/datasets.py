"""``/api/v1/datasets``: catalogue search and dataset detail (readable without a token)."""

from __future__ import annotations

from flask import request, url_for
from flask.views import MethodView

from catalog import policy
from catalog.api import paging
from catalog.api.blueprint import ApiBlueprint as Blueprint
from catalog.db import get_session
from catalog.services import catalog as catalog_service
from catalog.services.search import SearchFilters, search_datasets
from schemas.catalog import DatasetListArgsSchema, DatasetPageSchema, DatasetSchema

blp = Blueprint(
    "datasets",
    __name__,
    url_prefix="/api/v1/datasets",
    description="Search the catalogue and read datasets, versions and offers.",
)


def page_links(endpoint: str, page: int, pages: int, **params) -> tuple[str | None, str | None]:
    args = {k: v for k, v in request.args.lists()}
    args.pop("page", None)
    nxt = url_for(endpoint, page=page + 1, **args, **params) if page < pages else None
    prev = url_for(endpoint, page=page - 1, **args, **params) if page > 1 else None
    return nxt, prev


@blp.route("")
class DatasetList(MethodView):
    @blp.arguments(DatasetListArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, DatasetPageSchema)
    @policy.public("the catalogue is public")
    def get(self, page, limit, cursor, **filters):
        """Search published datasets

        `q` matches Korean and English titles, descriptions and keywords by substring
        (every term must occur). Repeat a filter to accept several values. `facets` give,
        for each filter, the count of datasets per value with the other filters applied.
        `next` keeps the filters and carries a keyset cursor (stable under inserts for
        every `sort`).
        """
        kind = f"datasets:{filters.get('sort', 'relevance')}"
        result = search_datasets(
            get_session(),
            SearchFilters(**filters),
            page=page,
            limit=limit,
            after=paging.decode(kind, cursor),
        )
        nxt, prev = paging.links(
            "datasets.DatasetList", kind, result.page, result.pages, result.next_key
        )
        return {
            "items": result.items,
            "page": result.page,
            "limit": result.limit,
            "total": result.total,
            "pages": result.pages,
            "next": nxt,
            "prev": prev,
            "facets": result.facets,
        }


@blp.route("/<slug>")
class DatasetDetail(MethodView):
    @blp.response(200, DatasetSchema)
    @blp.alt_response(404, schema=None, description="No published dataset with this slug")
    @policy.public("the catalogue is public")
    def get(self, slug):
        """A dataset with its published versions, active offers and licensed teams"""
        session = get_session()
        dataset = catalog_service.get_published_dataset(session, slug)
        # A plain attribute for the response schema, not a mapped column.
        dataset.licensed_by = catalog_service.licensed_team_codes(session, dataset)
        return dataset
