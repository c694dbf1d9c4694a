"""Extension objects, created once and bound to the app in create_app."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so migrations are the same on SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The models' base class. At runtime it is db.Model, the class Flask-SQLAlchemy builds from Base with its own mixins
# (table names, Model.query). Flask-SQLAlchemy types db.Model as a variable, which mypy cannot take as a base class,
# so mypy is shown the same thing as a class: Base with Flask-SQLAlchemy's Model mixin.
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskSQLAlchemyModel

    class Model(_FlaskSQLAlchemyModel, Base):
        __abstract__ = True

else:
    Model = db.Model
migrate = Migrate()


class _LoginManager(LoginManager):  # type: ignore[misc]  # Flask-Login is untyped
    """Flask-Login's manager, without its session-protection work when session protection is off (shared.app turns it
    off: the server-side session record does that job). Flask-Login hashes the client's address and user agent
    (SHA-512) on every request before it looks at the setting; this looks first."""

    def _session_protection_failed(self) -> bool:
        from flask import current_app

        if not current_app.config.get("SESSION_PROTECTION", self.session_protection):
            return False
        return bool(super()._session_protection_failed())


class _CSRFProtect(CSRFProtect):  # type: ignore[misc]  # Flask-WTF is untyped
    """Flask-WTF's CSRF protection, which looks up whether the view is exempt (its module and name, its blueprint)
    on every request before it looks at the method: a GET, HEAD or OPTIONS has nothing to check, so this looks at
    the method first. The same checks on every POST, PUT, PATCH and DELETE."""

    def protect(self, apply_exemptions: bool = False) -> None:
        from flask import current_app, request

        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        super().protect(apply_exemptions=apply_exemptions)


login_manager = _LoginManager()
csrf = _CSRFProtect()


def begin_transaction_now() -> None:
    """Make sure the database transaction is open. SQLite's Python driver only opens one at the first write, so a
    SAVEPOINT issued before any write would open (and its RELEASE commit) a transaction of its own, and a batch
    that fails later would keep what came before. On SQLite the transaction takes the write lock at once
    (BEGIN IMMEDIATE): two writers that both read first and then wrote would otherwise deadlock, and SQLite answers
    that at once with "database is locked" rather than waiting its busy timeout. PostgreSQL's transaction is already
    open: nothing to do."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        driver_connection = connection.connection.driver_connection
        assert driver_connection is not None  # None only once the connection is closed; this one was just checked out
        if not driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def savepoint() -> Iterator[None]:
    """A SAVEPOINT inside the current transaction (never a transaction of its own), for an insert that may meet a
    concurrent duplicate: the caller catches IntegrityError and carries on with the rest of the transaction."""
    begin_transaction_now()
    with db.session.begin_nested():
        yield
