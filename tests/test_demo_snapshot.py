"""tests.support.demo puts back the demo that `flask seed-demo` made earlier in the process at the same frozen moment:
every row of every table as it was stored and every stored file, the audit chain intact, and the database goes on
taking writes (PostgreSQL's sequences moved past the ids put back)."""

from __future__ import annotations

from pathlib import Path

from freezegun import freeze_time
from sqlalchemy import func, select

from shared import audit
from shared.extensions import db
from shared.models import AuditEvent, Organisation
from tests.support import database
from tests.support.demo import DEMO_MOMENT, seed_demo


def _everything(app) -> tuple[dict[str, list[tuple]], dict[str, bytes]]:
    with app.app_context():
        rows = {
            table.name: sorted((tuple(map(repr, row)) for row in db.session.execute(table.select())), key=str)
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    folder = Path(app.config["UPLOAD_FOLDER"])
    return rows, {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _clean(app) -> None:
    import shutil

    shutil.rmtree(app.config["UPLOAD_FOLDER"], ignore_errors=True)
    database.empty_tables(app)


@freeze_time(DEMO_MOMENT)
def test_the_demo_put_back_is_the_demo_seeded(app):
    seed_demo(app)  # seeded by the command, or put back if a test before this one in the process seeded it
    seeded = _everything(app)
    _clean(app)
    seed_demo(app)  # put back
    restored = _everything(app)
    assert restored[0] == seeded[0]
    assert restored[1] == seeded[1] and restored[1]  # the demo's evidence, policy and photo
    assert sum(len(rows) for rows in restored[0].values()) > 1000
    with app.app_context():
        assert audit.verify().ok
        school = db.session.scalar(select(Organisation).where(Organisation.name == "Demo Academy"))
        before = db.session.scalar(select(func.max(AuditEvent.seq)))
        audit.record("school.created", organisation=school, obj=school)  # a new row after the ones put back
        db.session.commit()
        after = db.session.scalar(select(func.max(AuditEvent.seq)))
        assert after == before + 1 and audit.verify().ok
    # Seeding again adds nothing, as on a demo the command made.
    assert app.test_cli_runner().invoke(None, ["seed-demo"], catch_exceptions=False).exit_code == 0
    with app.app_context():
        assert db.session.query(Organisation).count() == len(restored[0]["organisations"])
