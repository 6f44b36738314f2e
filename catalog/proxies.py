"""The client's real address and scheme behind reverse proxies (``KDC_TRUSTED_PROXIES``).

With ``KDC_TRUSTED_PROXIES=N`` (N ≥ 1 proxies in front of the app, each appending to
``X-Forwarded-For``), werkzeug's ``ProxyFix`` takes the client address and scheme from the
N-th value counted from the right, the part no client can forge. ``request.remote_addr`` —
what the sign-in limits count and what the audit log records as ``client_addr`` — is then
the client, not the proxy. With the default 0 the headers are ignored: a client talking to
the app directly could otherwise claim any address.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
