"""The test database, built by the migrations once per session: SQLite in a file under pytest's temporary folder by
default, PostgreSQL when APP_TEST_DATABASE=postgresql and TEST_DATABASE_URL are set. Each test starts with empty
tables (`empty_tables`)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from shared.extensions import db


def database_url(tmp_path_factory) -> str:
    if os.environ.get("APP_TEST_DATABASE") == "postgresql":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.exit("APP_TEST_DATABASE=postgresql needs TEST_DATABASE_URL", returncode=2)
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def prepare(url: str) -> None:
    """PostgreSQL: empty the schema for the migrations."""
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def empty_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in tables:
                db.session.execute(text(f"DELETE FROM {name}"))
        db.session.commit()
