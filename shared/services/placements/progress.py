"""Progress the school can see (issue 15).

- The baseline: where the pupil starts (English, maths, engagement, attendance and what the pupil says), recorded
  by the provider within the first week of the placement (BASELINE_DAYS); the school reads it on the placement page.
- Targets: the placement's intended outcomes, one a line, until the school's AP lead or SENDCO sets the list.
- A progress report every half-term of the school's calendar (shared.services.school_calendar.half_terms): each
  target's progress in words with a rating, attendance from the marks for the half-term (computed when the report
  is written, never typed), accreditation units achieved, the pupil's own words and up to MAX_PHOTOS photos of
  their work. A photo is checked by the upload pipeline, then re-saved from its pixels alone (so no EXIF, XMP, GPS
  location or camera details are kept), then the clean copy goes through the whole pipeline (virus scan, storage,
  encrypted like every file about a pupil). A half-term's report is due
  from REPORT_DUE_BEFORE_DAYS days before it ends and late REPORT_LATE_AFTER_DAYS days after it ended.
"""

from __future__ import annotations

import enum
import io
import uuid
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import IO

from flask import current_app
from PIL import Image, ImageOps
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from shared import audit
from shared.clock import school_midnight
from shared.crypto import file_purpose, keyring
from shared.extensions import db
from shared.models import (
    AttendanceMark,
    Organisation,
    Placement,
    PlacementBaseline,
    PlacementStatus,
    PlacementTarget,
    ProgressPhoto,
    ProgressReport,
    SchoolTerm,
    User,
)
from shared.models.base import utcnow
from shared.services.attendance.marks import attendance_percent
from shared.services.errors import Problems, RuleBroken
from shared.services.school_calendar.half_terms import Period, half_terms, halves
from shared.text import checked
from shared.uploads.checks import check_upload
from shared.uploads.pipeline import store_upload
from shared.uploads.reasons import UploadRefused

BASELINE_DAYS = 7
MAX_PHOTOS = 3
PHOTO_TYPES = frozenset({"jpg", "jpeg", "png"})
_SAVE_AS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG"}
# The provider's list asks for a missing baseline for this long after the start; later, it is no longer where the
# pupil starts (and placements from before baselines existed do not fill the list).
BASELINE_ASKED_DAYS = 42
REPORT_DUE_BEFORE_DAYS = 7
REPORT_LATE_AFTER_DAYS = 14
MAX_TEXT = 5000
MAX_TARGETS = 12

RATINGS: dict[str, str] = {
    "exceeded": "Exceeded",
    "met": "Met",
    "progressing": "Making progress",
    "little": "Little progress",
    "none": "No progress yet",
}

BASELINE_FIELDS: dict[str, str] = {
    "english": "English",
    "maths": "Maths",
    "engagement": "Engagement",
    "attendance": "Attendance",
    "pupil_voice": "What the pupil says",
}


class Due(enum.StrEnum):
    DUE = "due"
    LATE = "late"


# --- the baseline ------------------------------------------------------------------------------------------------


def baseline_of(placement_id: uuid.UUID) -> PlacementBaseline | None:
    return db.session.scalar(select(PlacementBaseline).where(PlacementBaseline.placement_id == placement_id))


def baseline_due_by(placement: Placement) -> date:
    return placement.start_date + timedelta(days=BASELINE_DAYS)


def _text(value: str | None, message: str, field: str, *, required: bool) -> str | None:
    return checked(value, field, required=message if required else None, limit=MAX_TEXT)


def record_baseline(placement: Placement, answers: dict[str, str | None], *, by: User) -> PlacementBaseline:
    """Record (or correct) where the pupil starts. Every part but the pupil's words is required."""
    problems = Problems()
    values: dict[str, str | None] = {}
    for key, label in BASELINE_FIELDS.items():
        message = f"Enter where the pupil starts in {label.lower()}"
        values[key] = problems.attempt(partial(_text, answers.get(key), message, key, required=key != "pupil_voice"))
    problems.raise_any()
    baseline = baseline_of(placement.id)
    if baseline is None:
        baseline = PlacementBaseline(
            placement_id=placement.id,
            school_id=placement.school_id,
            provider_id=placement.provider_id,
            recorded_by_id=by.id,
            **values,
        )
        db.session.add(baseline)
    else:
        for key, value in values.items():
            setattr(baseline, key, value)
        baseline.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "progress.baseline_recorded",
        organisation=db.session.get(Organisation, placement.provider_id),
        obj=baseline,
        actor=by,
    )
    db.session.commit()
    return baseline


# --- targets ------------------------------------------------------------------------------------------------------


def _lines(text: str | None) -> list[str]:
    return [line.strip(" -*\t") for line in (text or "").splitlines() if line.strip(" -*\t")]


def targets_of(placement: Placement) -> list[str]:
    """The targets the school set, or the placement's intended outcomes one a line until it sets them."""
    stored = list(
        db.session.scalars(
            select(PlacementTarget.text)
            .where(PlacementTarget.placement_id == placement.id)
            .order_by(PlacementTarget.position)
        )
    )
    return stored or _lines(placement.intended_outcomes)


def set_targets(placement: Placement, text: str | None, *, by: User) -> list[str]:
    """The school's list of targets, one a line (replacing the list)."""
    lines = _lines(text)
    if not lines:
        raise RuleBroken("Enter at least one target, one a line", "targets")
    if len(lines) > MAX_TARGETS:
        raise RuleBroken(f"Enter {MAX_TARGETS} targets or fewer", "targets")
    if any(len(line) > 1000 for line in lines):
        raise RuleBroken("Keep each target to 1000 characters or fewer", "targets")
    db.session.execute(delete(PlacementTarget).where(PlacementTarget.placement_id == placement.id))
    for position, line in enumerate(lines):
        db.session.add(
            PlacementTarget(placement_id=placement.id, school_id=placement.school_id, position=position, text=line)
        )
    audit.record(
        "progress.targets_set",
        organisation=db.session.get(Organisation, placement.school_id),
        obj=placement,
        actor=by,
        count=len(lines),
    )
    db.session.commit()
    return lines


# --- half-termly reports -----------------------------------------------------------------------------------------


def reports_of(placement_id: uuid.UUID) -> list[ProgressReport]:
    """The placement's reports, newest half-term first."""
    return list(
        db.session.scalars(
            select(ProgressReport)
            .where(ProgressReport.placement_id == placement_id)
            .order_by(ProgressReport.period_start.desc())
        )
    )


def periods_of(placement: Placement, today: date, terms: list[Period] | None = None) -> list[Period]:
    """The school's half-terms (`terms`, looked up unless given) the placement has run in that have started, oldest
    first."""
    return [
        p
        for p in (half_terms(placement.school_id) if terms is None else terms)
        if p.start <= today
        and p.end >= placement.start_date
        and (placement.end_date is None or p.start <= placement.end_date)
    ]


def report_state(period: Period, today: date) -> Due | None:
    """Whether a report for `period` not yet written is due, late or not yet asked for."""
    if today > period.end + timedelta(days=REPORT_LATE_AFTER_DAYS):
        return Due.LATE
    if today >= period.end - timedelta(days=REPORT_DUE_BEFORE_DAYS):
        return Due.DUE
    return None


@dataclass(frozen=True)
class ReportDue:
    placement: Placement
    period: Period
    state: Due


def reports_owed(
    placement: Placement, today: date, written: Iterable[date] | None = None, terms: list[Period] | None = None
) -> list[ReportDue]:
    """The half-terms whose report is due or late for a running placement, the current half-term first. Only the
    latest half-term to have ended and the current one count (an older missing report is history, not a task)."""
    if placement.status != PlacementStatus.ACTIVE:
        return []
    done = set(written if written is not None else (r.period_start for r in reports_of(placement.id)))
    return [
        ReportDue(placement, period, state)
        for period in reversed(periods_of(placement, today, terms)[-2:])
        if period.start not in done and (state := report_state(period, today)) is not None
    ]


def report_due(
    placement: Placement, today: date, written: Iterable[date] | None = None, terms: list[Period] | None = None
) -> ReportDue | None:
    """The half-term whose report the provider is asked for (reports_owed: the current half-term's first), None when
    nothing is asked for."""
    owed = reports_owed(placement, today, written, terms)
    return owed[0] if owed else None


def period_to_report(placement: Placement, today: date) -> Period | None:
    """The half-term the provider's report is for: the one due or late, else the current one; None when the school
    has no calendar covering the placement yet."""
    due = report_due(placement, today)
    if due is not None:
        return due.period
    periods = periods_of(placement, today)
    return periods[-1] if periods else None


def period_attendance(placement: Placement, period: Period) -> float | None:
    """Attendance at the provider over the half-term, from the marks (the part of it the placement ran)."""
    start = max(period.start, placement.start_date)
    kinds = db.session.scalars(
        select(AttendanceMark.kind).where(
            AttendanceMark.placement_id == placement.id,
            AttendanceMark.day >= start,
            AttendanceMark.day <= period.end,
        )
    )
    return attendance_percent(kinds)


@dataclass(frozen=True)
class Photo:
    """A photo as uploaded: its stream and the name the person's computer gave it."""

    stream: IO[bytes]
    filename: str
    field: str = "photo_1"  # the form field it came from, for a refusal's message


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    filename: str


def strip_metadata(photo: Photo, field: str) -> CleanPhoto:
    """Check the photo with the upload pipeline's checks, then keep only its pixels: the picture is turned the way
    its camera said (so it is not left on its side), then drawn onto a new image with no EXIF, XMP, GPS, camera or
    comment, and saved in its own format. Raises RuleBroken (on `field`) for a file the checks refuse."""
    try:
        upload = check_upload(
            photo.stream,
            photo.filename,
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
            allowed_extensions=PHOTO_TYPES,
        )
    except UploadRefused as refusal:
        raise RuleBroken(refusal.message, field) from refusal
    with upload, Image.open(upload.stream(), formats=[_SAVE_AS[upload.extension]]) as original:
        turned = ImageOps.exif_transpose(original)
        mode = "RGB" if _SAVE_AS[upload.extension] == "JPEG" else ("RGBA" if "A" in turned.mode else "RGB")
        pixels = turned.convert(mode)
        clean = Image.new(mode, pixels.size)
        clean.paste(pixels)
        out = io.BytesIO()
        clean.save(out, format=_SAVE_AS[upload.extension], **({"quality": 90} if mode == "RGB" else {}))
        return CleanPhoto(out.getvalue(), upload.display_name)


def report_for(placement: Placement, period: Period) -> ProgressReport | None:
    return db.session.scalar(
        select(ProgressReport).where(
            ProgressReport.placement_id == placement.id, ProgressReport.period_start == period.start
        )
    )


def photos_of(report_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[ProgressPhoto]]:
    found: dict[uuid.UUID, list[ProgressPhoto]] = {}
    if report_ids:
        for photo in db.session.scalars(
            select(ProgressPhoto).where(ProgressPhoto.report_id.in_(report_ids)).order_by(ProgressPhoto.uploaded_at)
        ):
            found.setdefault(photo.report_id, []).append(photo)
    return found


@dataclass(frozen=True)
class SentReport:
    """A report as the school or the provider reads it back, with its photos."""

    report: ProgressReport
    photos: list[ProgressPhoto]


def reports_since_review(placement_id: uuid.UUID, last_review_on: date | None) -> list[SentReport]:
    """The reports written since the last review (held on `last_review_on`), from the day after it like the review's
    figures, or every report when there has been no review; oldest half-term first, with their photos. Two queries
    whatever the number of reports (one when there is none)."""
    query = select(ProgressReport).where(ProgressReport.placement_id == placement_id)
    if last_review_on is not None:
        query = query.where(ProgressReport.written_at >= school_midnight(last_review_on + timedelta(days=1)))
    reports = list(db.session.scalars(query.order_by(ProgressReport.period_start)))
    photos = photos_of([r.id for r in reports])
    return [SentReport(r, photos.get(r.id, [])) for r in reports]


def sent_report(placement_id: uuid.UUID, report_id: uuid.UUID) -> SentReport | None:
    """One of the placement's reports with its photos; None when the report is not the placement's."""
    report = db.session.scalar(
        select(ProgressReport).where(ProgressReport.id == report_id, ProgressReport.placement_id == placement_id)
    )
    if report is None:
        return None
    return SentReport(report, photos_of([report.id]).get(report.id, []))


@dataclass
class TargetProgress:
    target: str
    rating: str | None
    text: str | None


def write_report(
    placement: Placement,
    period: Period,
    progress: list[TargetProgress],
    *,
    units_achieved: str | None,
    pupil_voice: str | None,
    by: User,
    photos: Sequence[Photo] = (),
) -> ProgressReport:
    """Write (or rewrite) the report for a half-term. Every target needs a rating and words; attendance is computed.
    `photos` are added to those the report has, up to MAX_PHOTOS (the module's docstring)."""
    problems = Problems()
    clean = [c for p in photos if (c := problems.attempt(partial(strip_metadata, p, p.field)))]
    against = []
    for index, item in enumerate(progress):
        if item.rating not in RATINGS:
            problems.add(f"Select how much progress the pupil made towards target {index + 1}", f"rating_{index}")
        message = f"Enter the progress towards target {index + 1}"
        text = problems.attempt(partial(_text, item.text, message, f"progress_{index}", required=True))
        against.append({"target": item.target, "rating": item.rating, "text": text})
    units = problems.attempt(lambda: _text(units_achieved, "", "units_achieved", required=False))
    pupil = problems.attempt(lambda: _text(pupil_voice, "Enter what the pupil says", "pupil_voice", required=True))
    problems.raise_any()
    attendance = period_attendance(placement, period)
    existing = report_for(placement, period)
    had = (
        db.session.scalar(select(func.count(ProgressPhoto.id)).where(ProgressPhoto.report_id == existing.id))
        if existing is not None
        else 0
    ) or 0
    if had + len(photos) > MAX_PHOTOS:
        raise RuleBroken(
            f"A report can have {MAX_PHOTOS} photos at most: it has {had} already, so add {MAX_PHOTOS - had} or fewer",
            "photo_1",
        )
    report = existing
    if report is None:
        report = ProgressReport(
            placement_id=placement.id,
            school_id=placement.school_id,
            provider_id=placement.provider_id,
            period_start=period.start,
        )
    report.period_end = period.end
    report.period_name = period.name
    report.against_targets = against
    report.attendance_percent = attendance
    report.units_achieved = units
    report.pupil_voice = pupil
    report.written_by_id = by.id
    report.written_at = utcnow()
    db.session.add(report)
    db.session.flush()
    with ExitStack() as stored_photos:  # every photo stored, or none (each context deletes its object on failure)
        for photo in clean:
            photo_id = uuid.uuid4()
            stored = stored_photos.enter_context(
                store_upload(
                    io.BytesIO(photo.content),
                    photo.filename,
                    organisation_id=placement.school_id,
                    allowed_extensions=PHOTO_TYPES,
                    encrypt_purpose=file_purpose(photo_id, "ProgressPhoto"),
                )
            )
            db.session.add(
                ProgressPhoto(
                    id=photo_id,
                    key_id=keyring().current,
                    report_id=report.id,
                    placement_id=placement.id,
                    school_id=placement.school_id,
                    provider_id=placement.provider_id,
                    storage_key=stored.key,
                    display_name=stored.display_name,
                    content_type=stored.content_type,
                    size_bytes=stored.size,
                    sha256=stored.sha256,
                    virus_scanned=stored.virus_scanned,
                    uploaded_by_id=by.id,
                )
            )
        audit.record(
            "progress.report_written",
            organisation=db.session.get(Organisation, placement.provider_id),
            obj=report,
            actor=by,
            period_start=period.start.isoformat(),
            photos=len(clean),
        )
        db.session.commit()
    return report


# --- what is due, for the lists -----------------------------------------------------------------------------------


def reports_due_for_provider(provider_id: uuid.UUID, today: date) -> list[ReportDue]:
    placements = list(
        db.session.scalars(
            select(Placement)
            .where(Placement.provider_id == provider_id, Placement.status == PlacementStatus.ACTIVE)
            .options(joinedload(Placement.pupil))
        )
    )
    written = _written([p.id for p in placements])
    terms = half_terms_of({p.school_id for p in placements})
    found = [report_due(p, today, written.get(p.id, set()), terms[p.school_id]) for p in placements]
    return [r for r in found if r is not None]


def baselines_due_for_provider(provider_id: uuid.UUID, today: date) -> list[tuple[Placement, bool]]:
    """Running placements that started in the last BASELINE_ASKED_DAYS days with no baseline: (placement, late) where
    late means past the first week."""
    rows = db.session.scalars(
        select(Placement)
        .outerjoin(PlacementBaseline, PlacementBaseline.placement_id == Placement.id)
        .where(
            Placement.provider_id == provider_id,
            Placement.status == PlacementStatus.ACTIVE,
            Placement.start_date <= today,
            Placement.start_date >= today - timedelta(days=BASELINE_ASKED_DAYS),
            PlacementBaseline.id.is_(None),
        )
        .options(joinedload(Placement.pupil))
    )
    return [(p, today > baseline_due_by(p)) for p in rows]


def half_terms_of(school_ids: set[uuid.UUID]) -> dict[uuid.UUID, list[Period]]:
    """Each school's half-terms, oldest first (half_terms for several schools, in one query)."""
    found: dict[uuid.UUID, list[Period]] = {school_id: [] for school_id in school_ids}
    if school_ids:
        for term in db.session.scalars(
            select(SchoolTerm).where(SchoolTerm.school_id.in_(school_ids)).order_by(SchoolTerm.start_date)
        ):
            found[term.school_id].extend(halves(term))
    return found


def _written(placement_ids: list[uuid.UUID]) -> dict[uuid.UUID, set[date]]:
    out: dict[uuid.UUID, set[date]] = {}
    if placement_ids:
        for placement_id, start in db.session.execute(
            select(ProgressReport.placement_id, ProgressReport.period_start).where(
                ProgressReport.placement_id.in_(placement_ids)
            )
        ):
            out.setdefault(placement_id, set()).add(start)
    return out


def reports_owed_for_school(placements: Sequence[Placement], today: date) -> dict[uuid.UUID, list[ReportDue]]:
    """reports_owed for each of one school's placements that owes a report. One query for the school's half-terms and,
    when a report could be owed, one for the reports written, whatever the number of placements."""
    running = [p for p in placements if p.status == PlacementStatus.ACTIVE]
    if not running:
        return {}
    terms = half_terms(running[0].school_id)
    asked = {p.id: found for p in running if (found := reports_owed(p, today, (), terms))}
    if not asked:
        return {}
    written = _written(list(asked))
    owed = {
        placement_id: [o for o in found if o.period.start not in written.get(placement_id, set())]
        for placement_id, found in asked.items()
    }
    return {placement_id: found for placement_id, found in owed.items() if found}
