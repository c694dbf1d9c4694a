"""The app as the tests run it: the real create_app with a test configuration (CSRF on, real SMTP, local storage)."""

from __future__ import annotations

from sqlalchemy import event

from shared.app import create_app
from shared.extensions import db


def make_app(database_url: str, smtp_port: int, tmp_path, **overrides):
    config = {
        "APP_ENV": "test",
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "BASE_URL": "http://localhost",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOG_LEVEL": "WARNING",
        # E-mails wait in the outbox until a test sends them (deliver_outbox); tests/test_alert_delivery.py turns
        # the hand-over on commit on, with huey running its tasks in the test's own process.
        "OUTBOX_SEND_AT_ONCE": False,
        # The cheapest argon2id parameters argon2 allows (production's cost about 0.1 s a hash): tests/test_rules.py
        # checks production's, tests/test_sign_in.py that a hash made with others is replaced at sign-in.
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 8,
        "PASSWORD_HASH_PARALLELISM": 1,
    }
    config.update(overrides)
    app = create_app(config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            engine = db.engine
        event.listen(engine, "connect", _no_waiting_for_the_disk)
        engine.dispose()  # any connection made before the listener
    return app


def _no_waiting_for_the_disk(dbapi_connection, _record) -> None:
    """SQLite: a commit does not wait for the disk (a test database survives no crash anyway): about 0.6 ms a commit
    instead of 6. Locking is unchanged."""
    dbapi_connection.execute("PRAGMA synchronous = OFF")
