"""The app factory."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from shared import drawings, page_chrome
from shared.assets import init_assets
from shared.auth.throttle import init_throttle
from shared.config import (
    DEFAULT_SECRET_KEY,
    DEMO_EMAIL_DOMAINS,
    INSTANCE_PATH,
    PROJECT_ROOT,
    Config,
    ProductionSafetyError,
)
from shared.crypto import init_crypto
from shared.db_pool import check_pooled_connections, init_autocommit_engine
from shared.display import file_size
from shared.errors import DATABASE_RETRY_AFTER, register_error_handlers
from shared.extensions import csrf, db, login_manager, migrate
from shared.flask_app import App
from shared.links import path_of
from shared.logging_setup import init_logging
from shared.national_standards import quality_assurance_rows
from shared.navigation import fixed_url
from shared.security import init_security_headers


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    # No Flask static route: shared.assets serves /static/ before Flask runs (no session, no database).
    app = App(__name__, instance_path=str(INSTANCE_PATH), static_folder=None)
    app.config.from_mapping(Config().as_dict())
    if overrides:
        app.config.update(overrides)
    _check_production_settings(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and app.config.get("DB_CONNECT_TIMEOUT"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {
            "connect_timeout": app.config["DB_CONNECT_TIMEOUT"],
            **options.get("connect_args", {}),
        }
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        # SQLite will not create the folder its file lives in (instance/ on a fresh clone).
        Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if app.config["PROXY_FIX_X_FOR"]:
        # Behind a reverse proxy: take the client's address from X-Forwarded-For (for the per-IP ceiling).
        # Flask's documented way to add WSGI middleware, which mypy sees as replacing a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1
        )
    init_assets(app, PROJECT_ROOT / "shared" / "static")  # outermost: a static file needs nothing of the above

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "shared" / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    # The package's own templates by another name, for the few shared/templates overrides
                    # (govuk_frontend_jinja/components/table: the table in a box that scrolls on a phone).
                    "govuk_frontend_jinja_package": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.globals["quality_assurance_rows"] = quality_assurance_rows
    app.jinja_env.globals["fixed_url"] = fixed_url
    drawings.init_app(app)
    page_chrome.init_app(app)
    app.jinja_env.globals["task_list"] = drawings.task_list
    WTFormsHelpers(app)

    db.init_app(app)
    with app.app_context():
        check_pooled_connections(db.engine)
        init_autocommit_engine(app, db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.session_protection = None  # the server-side session record does this job
    csrf.init_app(app)
    init_throttle(app)
    init_logging(app)
    init_security_headers(app)
    from shared import kept_pages
    from shared.auth.sessions import release_autocommit_connection

    kept_pages.init_app(app)

    app.teardown_appcontext(release_autocommit_connection)
    init_crypto(app)
    register_error_handlers(app)

    from local_authority import bp as la_bp
    from portal import bp as portal_bp
    from school_admin import bp as school_bp
    from shared.auth.views import bp as auth_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(school_bp, url_prefix="/school")
    app.register_blueprint(portal_bp, url_prefix="/portal")
    app.register_blueprint(la_bp, url_prefix="/la")

    from api import register_api

    register_api(app)  # /api/v1: bearer tokens, no session or CSRF, JSON errors

    from shared.api_token_cli import register_api_token_cli
    from shared.cli import register_cli
    from shared.safeguarding_cli import register_safeguarding_cli
    from shared.uploads.cli import register_uploads_cli
    from shared.uploads.reconcile import register_reconcile_cli

    register_cli(app)
    register_uploads_cli(app)
    register_reconcile_cli(app)
    register_api_token_cli(app)
    register_safeguarding_cli(app)

    from shared.auth.access import PUBLIC, access

    @app.get("/healthz")
    @access(PUBLIC)
    def healthz() -> tuple[Response, int, dict[str, str]]:
        """200 when every service the app needs answers; else 503, naming what is down (and when to ask again)."""
        checks = {"database": "ok" if _database_answers() else "unavailable"}
        if _redis_urls(app):
            checks["redis"] = "ok" if all(_redis_answers(url) for url in _redis_urls(app)) else "unavailable"
        healthy = all(value == "ok" for value in checks.values())
        headers = {} if healthy else {"Retry-After": str(DATABASE_RETRY_AFTER)}
        return jsonify(status="ok" if healthy else "degraded", **checks), 200 if healthy else 503, headers

    app.context_processor(_branding)
    # Services return where to act as data (shared.links.Link); templates make it a path.
    app.add_template_global(path_of, "link_path")

    from shared.auth.access import register_access

    register_access(app)  # every route is registered by now: gather who may open each one

    if app.config["APP_ENV"] == "production":
        with app.app_context():
            _refuse_demo_accounts()
    return app


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        return False
    return True


def _redis_urls(app: Flask) -> list[str]:
    """The Redis servers the app is configured to use: the rate-limit store, and REDIS_URL (the task queue)."""
    urls = [app.config.get("RATELIMIT_STORAGE_URI") or "", app.config.get("REDIS_URL") or ""]
    return sorted({url for url in urls if url.startswith(("redis://", "rediss://"))})


def _redis_answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _branding() -> dict[str, Any]:
    return {"school_name": page_chrome.school_name()}


def _check_production_settings(app: Flask) -> None:
    if app.config["APP_ENV"] != "production":
        return
    problems = []
    if app.config["SECRET_KEY"] in (None, "", DEFAULT_SECRET_KEY) or len(app.config["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY is the default or shorter than 32 characters")
    if app.config["DEBUG"]:
        problems.append("debug mode is on")
    if app.config["MAIL_BACKEND"] == "console":
        problems.append("MAIL_BACKEND is console")
    if not (app.config.get("CLAMD_SOCKET") or app.config.get("CLAMD_HOST")):
        problems.append("no virus scanner: set CLAMD_SOCKET or CLAMD_HOST")
    if not app.config.get("SAFEGUARDING_KEYS"):
        problems.append("no SAFEGUARDING_KEYS: safeguarding content needs keys of its own")
    if problems:
        raise ProductionSafetyError("Refusing to start in production: " + "; ".join(problems))


def _refuse_demo_accounts() -> None:
    from shared.models import User

    conditions = [User.email.like(f"%@{domain}") for domain in DEMO_EMAIL_DOMAINS]
    try:
        count = db.session.scalar(select(func.count()).select_from(User).where(db.or_(*conditions)))
    except SQLAlchemyError:
        db.session.rollback()
        return  # no schema yet, so no demo accounts either
    if count:
        raise ProductionSafetyError("Refusing to start in production: the database holds demo accounts")
