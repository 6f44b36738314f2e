"""Health, readiness and Prometheus metrics, for load balancers and operators.

* ``GET /healthz`` — the process answers (touches neither the database nor the store).
* ``GET /readyz`` — the database and the object store answer: 200, or a 503 problem
  (``not_ready``) with ``Retry-After`` naming what is down.
* ``GET /metrics`` — Prometheus text: requests by endpoint, method and status, latency
  histograms (counted in every worker; under gunicorn in multiprocess mode, see
  ``catalog/gunicorn_conf.py``), and the database's figures (purchases by state, URLs
  issued, outbox backlog, audit head). Open to loopback clients that did not come through a
  proxy, and to ``Authorization: Bearer $KDC_METRICS_TOKEN``.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator

from flask import Flask, current_app, g, request
from flask.typing import ResponseReturnValue
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from catalog import logs, policy
from catalog.db import get_session
from catalog.error_handlers import problem_response
from catalog.services import monitoring
from storage.base import StorageError

log = logging.getLogger(__name__)

# The metrics each worker counts. In multiprocess mode (PROMETHEUS_MULTIPROC_DIR set before
# this module is imported) their values live in files shared by all workers.
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "kdc_http_requests",
    "HTTP requests answered, by endpoint, method and status",
    ["endpoint", "method", "status"],
    registry=PROCESS_REGISTRY,
)
LATENCY = Histogram(
    "kdc_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint and method",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=PROCESS_REGISTRY,
)
NOT_READY_RETRY_AFTER = 5
_FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")

OPEN_TO_PROBES = "health checks for load balancers: they tell only whether the service answers"
METRICS_ACCESS = "restricted in the view: loopback clients, or the KDC_METRICS_TOKEN bearer token"


# --------------------------------------------------------------------------- endpoints


@policy.public(OPEN_TO_PROBES)
def healthz() -> ResponseReturnValue:
    return {"status": "ok"}


@policy.public(OPEN_TO_PROBES)
def readyz() -> ResponseReturnValue:
    checks: dict[str, str] = {}
    try:
        monitoring.ping_database(get_session())
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        log.warning("readiness: the database does not answer: %s", exc.__class__.__name__)
        checks["database"] = "unavailable"
    try:
        current_app.extensions["kdc_store"].check_available()
        checks["storage"] = "ok"
    except StorageError as exc:
        log.warning("readiness: the object store does not answer: %s", exc)
        checks["storage"] = "unavailable"
    down = sorted(name for name, state in checks.items() if state != "ok")
    if down:
        return problem_response(
            503,
            "Service unavailable",
            f"Not ready: the {' and the '.join(down)} cannot be reached.",
            code="not_ready",
            headers={"Retry-After": str(NOT_READY_RETRY_AFTER)},
            checks=checks,
        )
    return {"status": "ready", "checks": checks}


@policy.public(METRICS_ACCESS)
def metrics() -> ResponseReturnValue:
    refusal = _metrics_refusal()
    if refusal is not None:
        return refusal
    try:
        figures = monitoring.service_figures(get_session())
    except SQLAlchemyError:
        figures = None  # the request counters are still worth a scrape
    scrape = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(scrape)
        body = generate_latest(scrape)
    else:
        body = generate_latest(PROCESS_REGISTRY)
    db = CollectorRegistry()
    db.register(_DatabaseFigures(figures))
    body += generate_latest(db)
    return body, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}


def _metrics_refusal() -> ResponseReturnValue | None:
    token = current_app.config.get("METRICS_TOKEN") or ""
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer "):
        if hmac.compare_digest(sent[7:].strip().encode(), token.encode()):
            return None
        return problem_response(
            401,
            "Unauthorized",
            "This metrics token is not valid.",
            code="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if _direct_loopback_client():
        return None
    return problem_response(
        403,
        "Forbidden",
        "Metrics are served to loopback clients and to the bearer token of KDC_METRICS_TOKEN.",
        code="metrics_forbidden",
    )


def _direct_loopback_client() -> bool:
    """A client on this host that did not come through a reverse proxy."""
    if any(h in request.headers for h in _FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


class _DatabaseFigures(Collector):
    """The database's figures as Prometheus metric families (None: the database is down)."""

    def __init__(self, figures: monitoring.Figures | None) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("kdc_database_up", "Whether /metrics could read the database")
        up.add_metric([], 0 if self.figures is None else 1)
        yield up
        f = self.figures
        if f is None:
            return
        purchases = GaugeMetricFamily("kdc_purchases", "Purchases by state", labels=["state"])
        for state, n in sorted(f.purchases.items()):
            purchases.add_metric([state], n)
        yield purchases
        yield CounterMetricFamily(
            "kdc_download_urls_issued",
            "Presigned download URLs issued (all workers and hosts, from the access grants)",
            value=f.urls_issued,
        )
        yield CounterMetricFamily(
            "kdc_access_grants", "Issuances of download URLs (access grants)", value=f.access_grants
        )
        yield GaugeMetricFamily(
            "kdc_outbox_backlog",
            "Notifications waiting to be delivered or retried",
            value=f.outbox_backlog,
        )
        deliveries = GaugeMetricFamily(
            "kdc_outbox_deliveries", "Notification deliveries by status", labels=["status"]
        )
        for status, n in sorted(f.outbox.items()):
            deliveries.add_metric([status], n)
        yield deliveries
        yield GaugeMetricFamily(
            "kdc_audit_head_seq",
            "Sequence number of the newest audit event",
            value=f.audit_head_seq,
        )


# --------------------------------------------------------------------------- wiring


def _count_request(response):
    started = g.get("request_started")
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Register the endpoints, request ids, the request log and the request metrics.

    Called before the other parts so that its clock starts first and stops last.
    """
    logs.init_request_log(app)
    app.after_request(_count_request)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/readyz", "readyz", readyz)
    app.add_url_rule("/metrics", "metrics", metrics)
