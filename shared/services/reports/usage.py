"""Every opening of a report and every download of one is on the record: which report and how big (rows, or a
PDF's pages), never its content. Each of these records the audit event and commits."""

from __future__ import annotations

from shared import audit
from shared.extensions import db
from shared.models import Organisation, User


def record_viewed(school: Organisation, report: str, *, by: User) -> None:
    audit.record("report.viewed", organisation=school, report=report, actor=by)
    db.session.commit()


def record_exported(school: Organisation, report: str, *, rows: int, by: User) -> None:
    audit.record("report.exported", organisation=school, report=report, rows=rows, actor=by)
    db.session.commit()
