"""Who opened what, and when: the school DSL's view of every opening of a concern, a notice or a pupil's
chronology (and every download of their files or exports), by anyone on either side. From the audit log, which
is tamper-evident (shared.audit)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from shared import audit
from shared.extensions import db
from shared.models import AuditEvent, Concern, Notice, Organisation, Pupil, RiskAssessment, User, utcnow

ACCESS_ACTIONS = {
    "concern.opened": "Opened a concern",
    "concern.attachment_downloaded": "Downloaded a concern's attachment",
    "notice.opened": "Opened a notice",
    "notice.attachment_downloaded": "Downloaded a notice's document",
    "chronology.opened": "Opened the safeguarding chronology",
    "chronology.exported": "Exported the safeguarding chronology",
    "risk_assessment.opened": "Opened a risk assessment",
}


# One person opening the same record again within this long (a reload, back and forth between its pages) is the
# same opening: the log keeps the first, so it shows who looked and when, not how often a page was refreshed.
OPENING_WINDOW = timedelta(minutes=5)


def record_opening(action: str, obj: Any, *, organisation: Organisation | None, by: User) -> bool:
    """Audit an opening (`concern.opened`, `notice.opened`, `chronology.opened`) once per person and record per
    OPENING_WINDOW; True when a row was added. Commits."""
    recent = db.session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.action == action,
            AuditEvent.object_type == type(obj).__name__,
            AuditEvent.object_id == str(obj.id),
            AuditEvent.actor_user_id == by.id,
            AuditEvent.created_at > utcnow() - OPENING_WINDOW,
        )
        .limit(1)
    )
    if recent is None:
        audit.record(action, organisation=organisation, obj=obj, actor=by)
    db.session.commit()
    return recent is None


@dataclass(frozen=True)
class Access:
    when: datetime
    person: str
    organisation: str
    what: str
    pupil: str
    link: str | None


def access_log(school_id: uuid.UUID, limit: int = 300) -> list[Access]:
    """The newest `limit` openings of this school's safeguarding records, newest first. Six queries."""
    concerns = dict(
        db.session.execute(select(Concern.id, Concern.pupil_id).where(Concern.school_id == school_id)).tuples().all()
    )
    notices = dict(
        db.session.execute(select(Notice.id, Notice.pupil_id).where(Notice.school_id == school_id)).tuples().all()
    )
    assessments = {
        row.id: (row.pupil_id, row.placement_id)
        for row in db.session.execute(
            select(RiskAssessment.id, RiskAssessment.pupil_id, RiskAssessment.placement_id).where(
                RiskAssessment.school_id == school_id
            )
        )
    }
    pupils = {
        row.id: f"{row.preferred_name or row.first_name} {row.last_name}"
        for row in db.session.execute(
            select(Pupil.id, Pupil.first_name, Pupil.last_name, Pupil.preferred_name).where(
                Pupil.school_id == school_id
            )
        )
    }
    pupil_of = {str(k): v for k, v in concerns.items()} | {str(k): v for k, v in notices.items()}
    pupil_of |= {str(k): pupil for k, (pupil, _) in assessments.items()}
    pupil_of |= {str(k): k for k in pupils}
    ids = list(pupil_of)
    if not ids:
        return []
    rows = db.session.execute(
        select(AuditEvent, User.name, Organisation.name)
        .join(User, User.id == AuditEvent.actor_user_id, isouter=True)
        .join(Organisation, Organisation.id == AuditEvent.organisation_id, isouter=True)
        .where(AuditEvent.action.in_(list(ACCESS_ACTIONS)), AuditEvent.object_id.in_(ids))
        .order_by(AuditEvent.created_at.desc())
        .limit(limit)
    ).all()
    out = []
    for event, person, organisation in rows:
        what = ACCESS_ACTIONS[event.action]
        if event.action == "chronology.exported":
            what += f" ({str(event.details.get('format', '')).upper()})"
        link = None
        if event.object_type == "Concern":
            link = f"/school/concerns/{event.object_id}"
        elif event.object_type == "Notice":
            link = f"/school/notices/{event.object_id}"
        elif event.object_type == "RiskAssessment":
            placement_id = assessments[uuid.UUID(event.object_id)][1]
            link = f"/school/placements/{placement_id}/joint-risk-assessment"
        elif event.object_type == "Pupil":
            link = f"/school/pupils/{event.object_id}/chronology"
        out.append(
            Access(
                event.created_at,
                person or "Someone no longer on AP Portal",
                organisation or "",
                what,
                pupils.get(pupil_of.get(event.object_id), ""),
                link,
            )
        )
    return out
