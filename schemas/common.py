"""Schemas shared by every resource: problems and paging."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document (``application/problem+json``)."""

    type = ma.fields.String(metadata={"description": "URI naming the problem kind"})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    code = ma.fields.String(metadata={"description": "Stable machine-readable problem code"})
    errors = ma.fields.Dict(metadata={"description": "Per-parameter validation messages"})


class PageArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageMetaSchema(ma.Schema):
    page = ma.fields.Integer()
    limit = ma.fields.Integer()
    total = ma.fields.Integer()
    pages = ma.fields.Integer()
    next = ma.fields.String(allow_none=True)
    prev = ma.fields.String(allow_none=True)


class _ValueEnum(ma.fields.Enum):
    """Dumps a member, or a plain string that is one of its values, by value."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and not isinstance(value, self.enum):
            value = self.enum(value)
        return super()._serialize(value, attr, obj, **kwargs)


def enum_field(enum_cls, **kwargs) -> ma.fields.Enum:
    """An enum dumped by value, typed ``string`` and published once as a named component
    (``catalog.api.openapi`` turns ``x-enum`` into a ``$ref``, nullable or not)."""
    metadata = {**kwargs.pop("metadata", {}), "x-enum": enum_cls.__name__}
    return _ValueEnum(enum_cls, by_value=ma.fields.String, metadata=metadata, **kwargs)


def string_enum(name: str, values: list[str], **kwargs) -> ma.fields.String:
    """A string with a fixed vocabulary that has no Python enum, published like ``enum_field``."""
    metadata = {**kwargs.pop("metadata", {}), "x-enum": name, "enum": list(values)}
    return ma.fields.String(metadata=metadata, **kwargs)


def computed(field: ma.fields.Field, getter) -> ma.fields.Field:
    """``field`` (typed in the OpenAPI document as itself) whose value ``getter(obj)`` computes.

    Unlike ``fields.Function``, which the document can only call "anything", the value is
    serialised and documented by a real field: a nested schema, a list, a typed scalar.
    """

    def get_value(obj, attr, accessor=None, default=ma.missing):
        return getter(obj)

    field.get_value = get_value  # type: ignore[method-assign]
    return field


class StrictBoolean(ma.fields.Boolean):
    """A JSON ``true`` or ``false`` only: ``0``, ``1``, ``"yes"`` are refused, not coerced."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
