"""Webhooks signed as the Standard Webhooks specification says (standardwebhooks.com).

Each request is a POST of the notice as JSON (``type``, ``timestamp``, ``data``) with
``webhook-id`` (the notice's id: the same for every retry, so receivers deduplicate on it),
``webhook-timestamp`` (seconds since the epoch, at sending) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` under the endpoint's secret). Any
2xx answer is success; anything else, a timeout or a refused connection is retried.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from catalog.services.delivery import Job, SendError

TIMEOUT = 10.0
USER_AGENT = "K-Data-Catalog-Webhooks/1"


def message_id(notice_id: int) -> str:
    return f"msg_kdc_{notice_id}"


def signed_request(secret: str, msg_id: str, body: str, when: datetime | None = None) -> dict:
    """The headers of one signed request for ``body``."""
    when = when or datetime.now(UTC)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, when, body),
    }


class WebhookPoster:
    """Posts jobs of the webhook channel; one HTTP client (connection pool) per delivery run."""

    def __init__(self, *, timeout: float = TIMEOUT):
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, job: Job) -> int:
        body = json.dumps(job.payload, ensure_ascii=False, separators=(",", ":"))
        headers = signed_request(job.secret, message_id(job.notice_id), body)
        try:
            resp = self.client.post(job.target, content=body.encode("utf-8"), headers=headers)
        except httpx.HTTPError as exc:
            raise SendError(f"{exc.__class__.__name__}: {exc}") from exc
        if not 200 <= resp.status_code < 300:
            raise SendError(
                f"HTTP {resp.status_code} {resp.reason_phrase}", response_status=resp.status_code
            )
        return resp.status_code

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> WebhookPoster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
