"""Catalogue schemas: institutions, datasets, versions, offers, and the search arguments."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from catalog.models.datasets import DatasetStatus, Modality, Sensitivity, VersionStatus
from catalog.models.institutions import InstitutionKind
from catalog.models.offers import OfferMode, Use
from catalog.services.search import PRICE_BUCKETS, SORTS
from schemas.common import PageMetaSchema, computed, enum_field, string_enum
from schemas.paging import cursor_field


class InstitutionSchema(ma.Schema):
    code = ma.fields.String()
    name_ko = ma.fields.String()
    name_en = ma.fields.String()
    kind = enum_field(InstitutionKind)


class InstitutionListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(InstitutionSchema))


class OfferSchema(ma.Schema):
    """An active offer of a dataset: what a purchase's `offer` names."""

    id = ma.fields.Integer()
    mode = enum_field(OfferMode)
    price_krw = ma.fields.Integer(metadata={"description": "Whole won (KRW)"})
    term_months = ma.fields.Integer()
    min_teams = ma.fields.Integer(allow_none=True)
    max_teams = ma.fields.Integer(allow_none=True)
    join_window_days = ma.fields.Integer(allow_none=True)
    uses = ma.fields.List(enum_field(Use))
    attribution = ma.fields.String()
    survives_elimination = ma.fields.Boolean()
    download_quota = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()


class VersionSummarySchema(ma.Schema):
    """A published version as the catalogue shows it."""

    label = ma.fields.String()
    status = enum_field(VersionStatus)
    object_count = ma.fields.Integer()
    total_bytes = ma.fields.Integer()
    release_notes = ma.fields.String()
    published_at = ma.fields.DateTime(allow_none=True)


class DatasetSummarySchema(ma.Schema):
    slug = ma.fields.String()
    institution = ma.fields.String(
        attribute="institution.code", metadata={"description": "The institution's code"}
    )
    title_ko = ma.fields.String()
    title_en = ma.fields.String()
    modality = enum_field(Modality)
    sensitivity = enum_field(Sensitivity)
    status = enum_field(DatasetStatus)
    keywords = ma.fields.List(ma.fields.String())
    record_count = ma.fields.Integer()
    total_bytes = ma.fields.Integer()
    is_demo = ma.fields.Boolean()
    offers = computed(
        ma.fields.List(ma.fields.Nested(OfferSchema), metadata={"description": "Active offers"}),
        lambda d: [o for o in d.offers if o.active],
    )
    versions = computed(
        ma.fields.List(
            ma.fields.Nested(VersionSummarySchema), metadata={"description": "Published versions"}
        ),
        lambda d: [v for v in d.versions if v.status == VersionStatus.PUBLISHED],
    )


class DatasetSchema(DatasetSummarySchema):
    description_ko = ma.fields.String()
    description_en = ma.fields.String()
    languages = ma.fields.List(ma.fields.String())
    formats = ma.fields.List(ma.fields.String())
    coverage_start = ma.fields.String(allow_none=True)
    coverage_end = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    licensed_by = ma.fields.List(
        ma.fields.String(),
        dump_default=list,
        metadata={"description": "Codes of the teams holding an active licence"},
    )


def _named(enum_cls) -> ma.fields.String:
    values = [m.value for m in enum_cls]
    return string_enum(enum_cls.__name__, values, validate=validate.OneOf(values))


class DatasetSearchArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    q = ma.fields.String(load_default="", validate=validate.Length(max=200))
    institution = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=16)), load_default=list
    )
    modality = ma.fields.List(_named(Modality), load_default=list)
    use = ma.fields.List(_named(Use), load_default=list)
    sensitivity = ma.fields.List(_named(Sensitivity), load_default=list)
    price = ma.fields.List(
        ma.fields.String(validate=validate.OneOf([b[0] for b in PRICE_BUCKETS])), load_default=list
    )
    min_price = ma.fields.Integer(load_default=None, validate=validate.Range(min=0, max=10**15))
    max_price = ma.fields.Integer(load_default=None, validate=validate.Range(min=0, max=10**15))
    joint = ma.fields.Boolean(
        load_default=False, metadata={"description": "Only datasets with an active joint offer"}
    )
    sort = ma.fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class DatasetListArgsSchema(DatasetSearchArgsSchema):
    """The API's search: the web page's parameters and a keyset ``cursor``."""

    cursor = cursor_field()


class DatasetPageSchema(PageMetaSchema):
    items = ma.fields.List(ma.fields.Nested(DatasetSummarySchema))
    facets = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer()),
    )
