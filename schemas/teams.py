"""Team schemas: the public view, and the view with money for the team, admins and auditors."""

from __future__ import annotations

import marshmallow as ma

from catalog.models.teams import TeamStatus


class TeamPublicSchema(ma.Schema):
    code = ma.fields.String()
    name_ko = ma.fields.String()
    name_en = ma.fields.String()
    organisations = ma.fields.List(ma.fields.String())
    status = ma.fields.Enum(TeamStatus, by_value=True)
    eliminated_phase = ma.fields.Integer(allow_none=True)


class TeamSchema(TeamPublicSchema):
    balance_krw = ma.fields.Integer(attribute="visible_balance", allow_none=True, metadata={
        "description": "Remaining data budget in won; only for the team, admins and auditors"})
