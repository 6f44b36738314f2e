"""``GET /api/v1/events``: the event feed's query and its pages.

An event is a notice as a webhook of the same audience receives it (``type``,
``timestamp``, ``data``), with its ``id``: the cursor for ``after``.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from catalog.models.notifications import NoticeKind
from catalog.services.events import MAX_LIMIT, MAX_WAIT

KINDS = [k.value for k in NoticeKind]


class EventArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    after = ma.fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=2**31 - 1),
        metadata={"description": "Events with a larger id (the last `id` you saw; 0: all)"},
    )
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))
    kind = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(KINDS)),
        load_default=list,
        metadata={"description": "Only these kinds (repeatable); the webhook `type`s"},
    )
    wait = ma.fields.Float(
        load_default=0.0,
        validate=validate.Range(min=0, max=MAX_WAIT),
        metadata={
            "description": "Long poll: with nothing new, wait up to this many seconds "
            f"(at most {MAX_WAIT:g}) for an event before answering"
        },
    )


class EventSubjectSchema(ma.Schema):
    type = ma.fields.String(required=True, metadata={"description": "purchase, license, …"})
    id = ma.fields.String(required=True)


class EventSchema(ma.Schema):
    id = ma.fields.Integer(required=True, metadata={"description": "The cursor for `after`"})
    type = ma.fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={"description": "What happened; the webhook `type`"},
    )
    timestamp = ma.fields.String(required=True, metadata={"format": "date-time"})
    subject = ma.fields.Nested(EventSubjectSchema, required=True)
    audience = ma.fields.String(
        required=True,
        metadata={"description": "Whom it was addressed to: `team:CODE` or `institution:CODE`"},
    )
    data = ma.fields.Dict(
        keys=ma.fields.String(),
        required=True,
        metadata={
            "description": "The webhook's `data`: ids, codes, amounts, both titles of the "
            "dataset, and `url` on the service"
        },
    )


class EventPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(EventSchema), required=True)
    after = ma.fields.Integer(required=True)
    last_id = ma.fields.Integer(
        required=True,
        metadata={"description": "Pass as `after` next time (the last id, or `after` if none)"},
    )
    more = ma.fields.Boolean(
        required=True, metadata={"description": "More events already wait after this page"}
    )
    next = ma.fields.String(
        required=True, metadata={"description": "The next read's URL (same filters)"}
    )
    waited = ma.fields.Float(required=True, metadata={"description": "Seconds spent waiting"})
