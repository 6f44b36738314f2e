"""``GET /api/v1/me``: who the caller is, with which role, team or institution and token."""

from __future__ import annotations

import marshmallow as ma

from catalog.models.users import Role

ROLES = [r.value for r in Role]


class MeTeamSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name_ko = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    status = ma.fields.Function(
        lambda t: t.status.value,
        metadata={"type": "string", "enum": ["active", "eliminated"]},
    )


class MeInstitutionSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name_ko = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)


class MeUserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    locale = ma.fields.String(allow_none=True)


class MeTokenSchema(ma.Schema):
    id = ma.fields.Integer(
        required=True,
        metadata={"description": "The id `DELETE /api/v1/tokens/{id}` revokes"},
    )
    name = ma.fields.String(required=True)
    prefix = ma.fields.String(required=True)
    scopes = ma.fields.List(ma.fields.String(), required=True)
    created_at = ma.fields.DateTime(required=True)
    expires_at = ma.fields.DateTime(allow_none=True, required=True)


class MeSchema(ma.Schema):
    user = ma.fields.Nested(MeUserSchema, required=True)
    role = ma.fields.Function(
        lambda m: m.user.role.value,
        required=True,
        metadata={"type": "string", "enum": ROLES},
    )
    team = ma.fields.Nested(
        MeTeamSchema,
        allow_none=True,
        metadata={"description": "Team leads and members: their team (null otherwise)"},
    )
    institution = ma.fields.Nested(
        MeInstitutionSchema,
        allow_none=True,
        metadata={"description": "Provider staff: their institution (null otherwise)"},
    )
    token = ma.fields.Nested(
        MeTokenSchema, required=True, metadata={"description": "The token of this request"}
    )
