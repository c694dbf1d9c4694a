"""Recording marks: the statutory code, deadlines and late marking, idempotency, amendments with history, and the
sessions a placement expects. Frozen time throughout (the school's clock is Europe/London)."""

import threading
from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from shared.extensions import db
from shared.models import AttendanceAmendment, AttendanceMark, Placement, ProviderStatus
from shared.services.attendance.marks import MarkConflict, MarkEntry, Outcome, record_mark
from shared.services.errors import RuleBroken

MONDAY = date(2026, 11, 30)


@pytest.fixture
def placed(world):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    return world.placement(school, provider)


def _mark(app, placement_id, day, session, entry, **kwargs):
    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        result = record_mark(placement, day, session, entry, by=None, **kwargs)
        return result.outcome, result.mark.code, result.mark.submitted_late


@freeze_time("2026-11-30 09:30:00")  # GMT: 09:30 at school
def test_a_mark_before_the_deadline_is_on_time_and_coded_by_the_legal_basis(app, world):
    school = world.school()
    provider = world.provider(school, status=ProviderStatus.APPROVED)
    for basis, code in (("school_arranged", "B"), ("la_arranged", "K"), ("dual_registration", "D")):
        placement = world.placement(school, provider, legal_basis=basis)
        assert _mark(app, placement, MONDAY, "AM", MarkEntry.parse("present")) == (Outcome.CREATED, code, False)


@freeze_time("2026-11-30 10:05:00")
def test_a_mark_after_the_deadline_is_recorded_as_late(app, placed):
    assert _mark(app, placed, MONDAY, "AM", MarkEntry.parse("late", 20)) == (Outcome.CREATED, "B", True)


@freeze_time("2026-06-30 09:05:00")  # BST: 10:05 at school, so after the 10:00 deadline
def test_the_deadline_is_in_school_time_in_summer(app, world):
    school = world.school()
    provider = world.provider(school, status=ProviderStatus.APPROVED)
    placement = world.placement(school, provider, start=date(2026, 1, 5))
    with app.app_context():
        from shared.models import SchoolTerm

        db.session.add(
            SchoolTerm(school_id=school, name="Summer", start_date=date(2026, 4, 20), end_date=date(2026, 7, 22))
        )
        db.session.commit()
    assert _mark(app, placement, date(2026, 6, 30), "AM", MarkEntry.parse("present"))[2] is True


@freeze_time("2026-11-30 11:00:00")
def test_the_same_mark_twice_is_one_mark_and_a_different_one_needs_a_reason(app, placed):
    assert _mark(app, placed, MONDAY, "AM", MarkEntry.parse("present"))[0] == Outcome.CREATED
    assert _mark(app, placed, MONDAY, "AM", MarkEntry.parse("present"))[0] == Outcome.UNCHANGED
    with pytest.raises(MarkConflict, match="already marked present.*give the reason"):
        _mark(app, placed, MONDAY, "AM", MarkEntry.parse("absent", reason="illness"))
    outcome = _mark(app, placed, MONDAY, "AM", MarkEntry.parse("absent", reason="illness"), why="Went home at 9:15")
    assert outcome == (Outcome.AMENDED, "I", True)  # first marked after the 10:00 deadline
    with app.app_context():
        marks = db.session.scalars(select(AttendanceMark)).all()
        assert len(marks) == 1 and marks[0].code == "I"
        (amendment,) = db.session.scalars(select(AttendanceAmendment)).all()
        assert amendment.old_value["code"] == "B" and amendment.new_value["code"] == "I"
        assert amendment.why == "Went home at 9:15" and amendment.amended_at is not None


@freeze_time("2026-11-30 09:00:00")
def test_sessions_that_are_not_expected_are_refused(app, world):
    school = world.school()
    provider = world.provider(school, status=ProviderStatus.APPROVED)
    placement = world.placement(school, provider, timetable=["mon_am", "tue_am"])
    with pytest.raises(RuleBroken, match="not expected at your provision for the PM session on Monday 30 November"):
        _mark(app, placement, MONDAY, "PM", MarkEntry.parse("present"))
    with pytest.raises(RuleBroken, match="a day that has not happened yet"):
        _mark(app, placement, date(2026, 12, 1), "AM", MarkEntry.parse("present"))
    with app.app_context():
        from shared.models import InsetDay

        db.session.add(InsetDay(school_id=school, day=date(2026, 11, 23), note="Training day"))
        db.session.commit()
    with pytest.raises(RuleBroken, match="not expected"):  # an INSET day
        _mark(app, placement, date(2026, 11, 23), "AM", MarkEntry.parse("present"))
    with pytest.raises(RuleBroken, match="not expected"):  # before the placement started
        _mark(app, placement, date(2026, 8, 31), "AM", MarkEntry.parse("present"))
    with app.app_context():
        assert db.session.query(AttendanceMark).count() == 0


def test_entries_with_missing_details_get_plain_messages():
    with pytest.raises(RuleBroken, match="present, late or absent"):
        MarkEntry.parse("maybe")
    with pytest.raises(RuleBroken, match="how many minutes late"):
        MarkEntry.parse("late", "ten")
    with pytest.raises(RuleBroken, match="reason for the absence"):
        MarkEntry.parse("absent")
    with pytest.raises(RuleBroken, match="other reason"):
        MarkEntry.parse("absent", reason="other", reason_text="  ")


@freeze_time("2026-11-30 09:30:00")
def test_twenty_concurrent_submissions_of_the_same_session_leave_one_mark(app, placed):
    outcomes, errors = [], []

    def submit():
        try:
            outcomes.append(_mark(app, placed, MONDAY, "AM", MarkEntry.parse("present"))[0])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert outcomes.count(Outcome.CREATED) == 1 and outcomes.count(Outcome.UNCHANGED) == 19
    with app.app_context():
        assert db.session.query(AttendanceMark).count() == 1


@freeze_time("2026-11-30 09:30:00")
def test_a_batch_that_is_rolled_back_leaves_no_marks(app, world):
    """apply_mark does not commit, and its savepoint never commits on its own (SQLite included)."""
    from shared.services.attendance.marks import apply_mark

    school = world.school()
    provider = world.provider(school, status=ProviderStatus.APPROVED)
    first, second = world.placement(school, provider), world.placement(school, provider)
    with app.app_context():
        for placement_id in (first, second):
            apply_mark(db.session.get(Placement, placement_id), MONDAY, "AM", MarkEntry.parse("present"), by=None)
        db.session.rollback()
        assert db.session.query(AttendanceMark).count() == 0


# --- a batch that clashes with another request ---------------------------------------------------------------------


def _batch(app, placement_id, sessions, **kwargs):
    from shared.services.attendance.batch import BatchEntry, save_marks

    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        entries = [BatchEntry(s, placement, MONDAY, s, MarkEntry.parse("present")) for s in sessions]
        result = save_marks(entries, by=None, source="api", **kwargs)
        return (
            [(key, r.outcome) for key, r in result.results],
            [
                (key, type(p).__name__, str(p), p.existing.code if getattr(p, "existing", None) else None)
                for key, p in result.problems
            ],
        )


@freeze_time("2026-11-30 15:30:00")
def test_a_batch_that_clashes_once_is_run_again_and_finds_the_other_mark(app, placed, clashing):
    _mark(app, placed, MONDAY, "AM", MarkEntry.parse("present"))
    clashing(1)
    results, problems = _batch(app, placed, ["AM", "PM"])
    assert problems == [] and results == [("AM", Outcome.UNCHANGED), ("PM", Outcome.CREATED)]
    with app.app_context():
        assert db.session.query(AttendanceMark).count() == 2


@freeze_time("2026-11-30 15:30:00")
def test_a_batch_that_clashes_twice_saves_nothing_and_names_the_session_taken(app, placed, clashing):
    _mark(app, placed, MONDAY, "AM", MarkEntry.parse("present"))
    clashing(2)
    results, problems = _batch(app, placed, ["AM", "PM"])
    assert results == []
    ((key, kind, message, existing),) = problems  # PM was free: only AM is named
    assert (key, kind, existing) == ("AM", "MarkClash", "B")
    assert "was marked for the AM session on Monday 30 November 2026 by someone else at the same moment" in message
    assert "Nothing was saved" in message
    with app.app_context():
        assert [m.session for m in db.session.scalars(select(AttendanceMark))] == ["AM"]


@freeze_time("2026-12-03 16:00:00")
def test_a_history_of_marks_writes_what_a_mark_at_a_time_writes(app, world):
    """marks.record_history (the demo's term of marks) against apply_mark one by one, at the same moments: the same
    marks (code, lateness against each one's own time), the same audit events in the same order, the same alerts."""
    from datetime import UTC, datetime

    from shared.models import AttendanceAlert, AuditEvent
    from shared.services.attendance.marks import apply_mark, record_history

    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    history, one_by_one = world.placement(school, provider), world.placement(school, provider)
    planned = [
        (MONDAY, "AM", MarkEntry.parse("present"), datetime(2026, 11, 30, 9, 30, tzinfo=UTC)),
        (MONDAY, "PM", MarkEntry.parse("absent", reason="unexplained"), datetime(2026, 11, 30, 13, 30, tzinfo=UTC)),
        (date(2026, 12, 1), "AM", MarkEntry.parse("late", 10), datetime(2026, 12, 1, 10, 30, tzinfo=UTC)),  # late
    ]

    def written(placement_id):
        marks = db.session.scalars(
            select(AttendanceMark).where(AttendanceMark.placement_id == placement_id).order_by(AttendanceMark.day)
        )
        mark_ids = {}
        rows = []
        for mark in marks:
            mark_ids[str(mark.id)] = (mark.day, mark.session)
            rows.append(
                (
                    mark.day,
                    mark.session,
                    mark.kind,
                    mark.code,
                    mark.late_minutes,
                    mark.reason,
                    mark.submitted_late,
                    mark.recorded_at,
                )
            )
        events = [
            (event.action, mark_ids.get(event.object_id))
            for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
            if event.object_id in mark_ids
        ]
        alerts = [
            alert.kind
            for alert in db.session.scalars(select(AttendanceAlert).where(AttendanceAlert.placement_id == placement_id))
        ]
        return sorted(rows), events, alerts

    with app.app_context():
        record_history(db.session.get(Placement, history), planned)
        db.session.commit()
        for day, session, entry, at in planned:
            apply_mark(db.session.get(Placement, one_by_one), day, session, entry, by=None, source="web", now=at)
            db.session.commit()
        made, expected = written(history), written(one_by_one)
    assert made == expected
    rows, events, alerts = made
    assert [row[6] for row in rows] == [False, False, True]  # only Tuesday's mark was after its deadline
    assert len(events) == 3 and alerts == ["absence"]
