"""Every route of the app, web or API, is bound to policy actions or declared public.

The decorators (``catalog.web.guards.policy_required``, ``catalog.api.auth.policy_required``,
``catalog.policy.public``) record this on the view; a new route without one fails here.
"""

from __future__ import annotations

from catalog import policy

# Served by Flask or flask-smorest, or health checks for load balancers: open by nature.
EXEMPT_ENDPOINTS = {"static"}
EXEMPT_PREFIXES = ("api-docs.",)
EXEMPT_RULES = {"/healthz", "/readyz", "/metrics"}


def _exempt(app, endpoint: str) -> bool:
    rules = {r.rule for r in app.url_map.iter_rules(endpoint)}
    return (
        endpoint in EXEMPT_ENDPOINTS
        or endpoint.startswith(EXEMPT_PREFIXES)
        or rules <= EXEMPT_RULES
    )


def test_every_route_is_bound_to_the_policy_or_public(sqlite_demo_app):
    app = sqlite_demo_app
    routes = policy.route_policies(app)
    assert len(routes) > 90
    missing = sorted(
        f"{method} {endpoint}"
        for (endpoint, method), bound in routes.items()
        if bound is None and not _exempt(app, endpoint)
    )
    assert missing == [], "bind these to a policy action or declare them public: " + ", ".join(
        missing
    )
    for (endpoint, method), bound in routes.items():
        if isinstance(bound, tuple):
            assert bound, (endpoint, method)
            for action in bound:
                assert action in policy.POLICY, (endpoint, method, action)
        elif bound is not None:
            assert isinstance(bound, str) and len(bound) > 5, (endpoint, method, bound)


def test_the_api_asks_for_the_scope_the_policy_names(sqlite_demo_app):
    """An API operation bound to an action refuses a token without that action's scope."""
    client = sqlite_demo_app.test_client()
    from tests.conftest import make_token

    # An admin token holds every scope; one with only catalog:read holds just that.
    narrow = {
        "Authorization": f"Bearer {make_token(sqlite_demo_app, 'admin@kdc.test', ['catalog:read'])}"
    }
    checked = 0
    for rule in sqlite_demo_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.arguments:
            continue
        # GETs: a body is validated before the token is looked at.
        for method in sorted((rule.methods or set()) & {"GET"}):
            bound = policy.route_policies(sqlite_demo_app)[(rule.endpoint, method)]
            if not isinstance(bound, tuple):
                continue
            scope = policy.scope_of(bound[0])
            resp = client.open(rule.rule, method=method, headers=narrow)
            if scope in (None, "catalog:read"):
                assert resp.status_code != 403 or resp.json["code"] != "insufficient_scope"
            else:
                assert resp.status_code == 403, (rule.rule, method)
                assert resp.json["code"] == "insufficient_scope", (rule.rule, method)
            checked += 1
    assert checked >= 7
