"""Attendance at providers: one mark per placement per AM/PM session, its amendments, the alerts it raised, and
the providers' API tokens. Marks and amendments are kept for six years (the register's retention)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.extensions import Model
from shared.models.base import UTCDateTime, created_at, uuid_pk


class AttendanceMark(Model):
    """What the provider reported for one session, and the statutory code it maps to (shared.attendance_codes).

    The unique (placement, day, session) makes "one mark per session" a database fact: twenty concurrent
    submissions leave one row."""

    __tablename__ = "attendance_marks"
    __table_args__ = (
        UniqueConstraint("placement_id", "day", "session", name="uq_attendance_marks_session"),
        Index("ix_attendance_marks_school_day", "school_id", "day"),
        Index("ix_attendance_marks_provider_day", "provider_id", "day"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    placement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placements.id"), nullable=False)
    # Copied from the placement so the daily screens and exports need no joins to filter.
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False)
    pupil_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pupils.id"), nullable=False, index=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    session: Mapped[str] = mapped_column(String(2), nullable=False)  # AM | PM
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # shared.attendance_codes.MarkKind
    late_minutes: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(30))  # shared.attendance_codes.AbsenceReason
    reason_text: Mapped[str | None] = mapped_column(String(500))  # the provider's words for "other"
    code: Mapped[str] = mapped_column(String(2), nullable=False)  # the statutory code for the school's register
    submitted_late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # after the deadline
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="web")  # web | grid | csv | api
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = created_at()
    amended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    amendments: Mapped[list[AttendanceAmendment]] = relationship(
        back_populates="mark", order_by="AttendanceAmendment.amended_at"
    )


class AttendanceAmendment(Model):
    """A change to a submitted mark: the value before and after, why, who and when. Never deleted or edited."""

    __tablename__ = "attendance_amendments"

    id: Mapped[uuid.UUID] = uuid_pk()
    mark_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("attendance_marks.id"), nullable=False, index=True)
    # kind, late_minutes, reason, reason_text, code
    old_value: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    new_value: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    why: Mapped[str] = mapped_column(String(500), nullable=False)
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="web")
    amended_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    amended_at: Mapped[datetime] = created_at()

    mark: Mapped[AttendanceMark] = relationship(back_populates="amendments")


class AttendanceAlert(Model):
    """The school was told that a placed pupil was absent (not authorised) or not marked after the deadline.

    One per placement, session and kind, so the chaser never tells anyone twice. The e-mails it sent are the
    outbox rows linked to it by AttendanceAlertEmail, which say whether and when each was delivered."""

    __tablename__ = "attendance_alerts"
    __table_args__ = (
        UniqueConstraint("placement_id", "day", "session", "kind", name="uq_attendance_alerts_session_kind"),
        Index("ix_attendance_alerts_school_day", "school_id", "day"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # absence | unmarked
    placement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placements.id"), nullable=False)
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    pupil_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pupils.id"), nullable=False, index=True)
    mark_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("attendance_marks.id"))
    day: Mapped[date] = mapped_column(Date, nullable=False)
    session: Mapped[str] = mapped_column(String(2), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(30))  # the reason given, for an absence
    raised_at: Mapped[datetime] = created_at()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # an unmarked session that was then marked
    # An absence whose mark the provider then amended: the alert stays on the record, marked corrected.
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AttendanceAlertEmail(Model):
    """An e-mail that told someone of an alert. One e-mail may tell of several (the chaser writes one e-mail per
    person listing every session still unmarked), and an alert has an e-mail per person told."""

    __tablename__ = "attendance_alert_emails"

    alert_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("attendance_alerts.id"), primary_key=True)
    email_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("outbox_emails.id"), primary_key=True, index=True)


class ApiToken(Model):
    """A provider's token for the attendance API. Only the SHA-256 of the token is stored; it is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)  # what it is for, e.g. "Our MIS"
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)  # shown in lists so people can tell tokens apart
    created_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = created_at()
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))


class Incident(Model):
    """A behaviour incident reported by the provider. Safeguarding concerns never come this way."""

    __tablename__ = "incidents"

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("provider_sites.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False)
    incident_type: Mapped[str] = mapped_column(String(40), nullable=False)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)  # low | medium | high | serious
    description: Mapped[str] = mapped_column(Text, nullable=False)
    actions_taken: Mapped[str] = mapped_column(Text, nullable=False)
    physical_intervention: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    physical_intervention_details: Mapped[str | None] = mapped_column(Text)
    injury: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    injury_details: Mapped[str | None] = mapped_column(Text)
    parents_informed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    suspension: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    school_agreement: Mapped[str | None] = mapped_column(Text)  # who at the school agreed a suspension, and when
    reported_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    reported_at: Mapped[datetime] = created_at()
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    course_of_action: Mapped[str | None] = mapped_column(Text)  # decided with SLT / the headteacher
    course_decided_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    course_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IncidentPupil(Model):
    __tablename__ = "incident_pupils"

    incident_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("incidents.id"), primary_key=True)
    placement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placements.id"), primary_key=True)


class PlacementReview(Model):
    """A review of a placement, due every 6-8 weeks from the start (the placement's interval)."""

    __tablename__ = "placement_reviews"

    id: Mapped[uuid.UUID] = uuid_pk()
    placement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placements.id"), nullable=False, index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    # school, provider, parents, pupil: names
    attendees: Mapped[dict[str, str | None]] = mapped_column(JSON, nullable=False)
    attendance_percent: Mapped[float | None] = mapped_column()  # filled in from the marks at the time
    incident_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    attendance_notes: Mapped[str | None] = mapped_column(Text)
    behaviour: Mapped[str | None] = mapped_column(Text)
    academic_progress: Mapped[str | None] = mapped_column(Text)
    wellbeing: Mapped[str | None] = mapped_column(Text)
    pupil_voice: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(10), nullable=False)  # continue | adjust | cease
    changes: Mapped[str | None] = mapped_column(Text)  # what changes, for "adjust"
    end_date: Mapped[date | None] = mapped_column(Date)  # for "cease"
    destination: Mapped[str | None] = mapped_column(String(40))  # for "cease"
    next_review_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    recorded_at: Mapped[datetime] = created_at()
    # For "cease": when the AP lead checks the pupil's destination (six weeks after the end), and what they found.
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followed_up_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    follow_up_notes: Mapped[str | None] = mapped_column(Text)


class SiteVisit(Model):
    """A visit to a provider's site: a school AP lead's, or a local authority officer's quality-assurance visit."""

    __tablename__ = "site_visits"

    id: Mapped[uuid.UUID] = uuid_pk()
    # The recording organisation: a school, or a local authority (whose visits its schools may rely on).
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("provider_sites.id"))
    visited_on: Mapped[date] = mapped_column(Date, nullable=False)
    pupils_seen: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # placement ids
    findings: Mapped[str] = mapped_column(Text, nullable=False)
    actions: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    recorded_at: Mapped[datetime] = created_at()
    # Shared with the other schools using the provider and the local authority (date, site, findings and actions;
    # never the pupils seen). A local authority's own visits are always shared with its schools.
    shared: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    # A quality-assurance record against the national standards (shared.national_standards), or None: {"version",
    # "judgements": [{"code", "title", "judgement"}], "strengths", "actions": [{"action", "due"}]} (issue 15).
    quality_assurance: Mapped[dict[str, Any] | None] = mapped_column(JSON)
