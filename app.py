"""Entry point: ``create_app`` builds the K-Data Catalog Flask application.

``flask --app app …`` runs the CLI, ``python app.py`` and ``flask --app app run`` serve,
gunicorn serves ``app:create_app()`` in production.
"""

from __future__ import annotations

import os
import sys

from flask import Flask

from catalog.config import ConfigError, load_config


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        "catalog",
        instance_path=os.environ.get("KDC_INSTANCE_PATH") or os.path.join(os.getcwd(), "instance"),
        instance_relative_config=True,
        template_folder="web/templates",
        static_folder="web/static",
    )
    try:
        app.config.update(load_config(app.instance_path, config))
    except ConfigError as exc:
        if config is not None:
            raise
        _die(exc)

    from catalog import db, error_handlers, monitoring, objectstore, proxies, responsecache
    from catalog.api import init_api
    from catalog.cli import init_cli
    from catalog.web import init_web

    proxies.init_app(app)
    db.init_app(app)
    objectstore.init_app(app)
    monitoring.init_app(app)
    error_handlers.init_app(app)
    init_api(app)
    init_web(app)
    init_cli(app)
    responsecache.init_app(app)
    if app.config.get("CHECK_DB_AT_START"):
        try:
            db.check_database(app)
        except ConfigError as exc:
            if config is not None:
                raise
            _die(exc)
    return app


def _die(exc: ConfigError) -> None:
    print(f"kdc: {exc.format_message()}", file=sys.stderr)
    raise SystemExit(exc.exit_code)


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=int(os.environ.get("KDC_PORT", "5000")))
