"""The provider's attendance pages: the day page (marks, deadlines, amendments and their history), the week grid and
the CSV upload, all or nothing. Frozen time throughout: 2026-11-30 is a Monday in term (GMT, so UTC is school time)."""

import io
from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from shared.extensions import db
from shared.models import AttendanceMark, AuditEvent, ChildProtectionStatus, ProviderStatus
from tests.support.client import html

MONDAY = date(2026, 11, 30)


@pytest.fixture
def northside(world):
    """A school, an approved provider with one placed pupil (Ava Example), and a member of its staff."""
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    pupil = world.pupil(
        school,
        first_name="Ava",
        last_name="Example",
        social_worker_name="Sam Worker",
        social_worker_email="social.worker@la.example",
        child_protection=ChildProtectionStatus.CHILD_PROTECTION_PLAN,
    )
    placement = world.placement(school, provider, pupil)
    return {
        "school": school,
        "provider": provider,
        "pupil": pupil,
        "placement": placement,
        "staff": world.user(provider, ["provider_staff"]),
    }


def _form(placement_id, session="AM", **values) -> dict:
    prefix = f"m-{placement_id.hex[:12]}-{session.lower()}"
    return {"mark_for": f"{placement_id}/{session}", **{f"{prefix}-{k}": v for k, v in values.items()}}


def _marks(app) -> list[AttendanceMark]:
    with app.app_context():
        marks = db.session.scalars(select(AttendanceMark).order_by(AttendanceMark.day, AttendanceMark.session)).all()
        db.session.expunge_all()
        return marks


def _ref(placement_id) -> str:
    return placement_id.hex[:8].upper()


# --- the day page --------------------------------------------------------------------------------------------------


@freeze_time("2026-11-30 09:30:00")
def test_the_day_page_lists_expected_sessions_with_deadlines_and_only_this_providers_pupils(
    app, world, browser, northside
):
    other_provider = world.provider(northside["school"], "Southside Skills", ProviderStatus.APPROVED)
    world.placement(northside["school"], other_provider, world.pupil(northside["school"], first_name="Ben"))
    # Only Monday morning on this one's timetable.
    world.placement(
        northside["school"],
        northside["provider"],
        world.pupil(northside["school"], first_name="Cara", preferred_name="Caz", last_name="Jones"),
        timetable=["mon_am"],
    )
    browser.sign_in(northside["staff"])
    page = html(browser.get("/portal/attendance"))
    assert "Today, Monday 30 November 2026" in page
    assert "Ava Example" in page and "Caz Jones" in page and "Ben Example" not in page
    assert "Morning (AM), due by 10:00" in page and "Afternoon (PM), due by 14:00" in page
    assert page.count('<option value="" selected>Not marked yet</option>') == 3  # Ava AM and PM, Caz AM only
    assert page.count("Not expected") == 1  # Caz PM
    assert f"Ref {_ref(northside['placement'])}" in page
    assert "<title>Attendance" in page and "Ava" not in page.split("</title>")[0]


@freeze_time("2026-11-30 09:30:00")
def test_marking_present_late_and_absent_shows_the_words_and_stores_the_code(app, world, browser, northside):
    school, provider = northside["school"], northside["provider"]
    ben = world.placement(school, provider, world.pupil(school, first_name="Ben", last_name="Late"))
    cara = world.placement(school, provider, world.pupil(school, first_name="Cara", last_name="Ill"))
    browser.sign_in(northside["staff"])

    response = browser.submit("/portal/attendance", _form(northside["placement"], kind="present"))
    assert response.status_code == 302
    page = html(browser.get(response.location))
    assert "Register saved: 1 mark saved" in page

    browser.submit("/portal/attendance", _form(ben, kind="late", late_minutes="15"))
    page = html(browser.get("/portal/attendance"))
    assert "Register saved: 1 mark saved" in page and "Late (15 minutes)" in page

    browser.submit("/portal/attendance", _form(cara, kind="absent", reason="illness"))
    page = html(browser.get("/portal/attendance"))
    assert "Absent: illness" in page

    codes = {(m.placement_id, m.kind, m.late_minutes): (m.code, m.submitted_late, m.source) for m in _marks(app)}
    assert codes == {
        (northside["placement"], "present", None): ("B", False, "web"),
        (ben, "late", 15): ("B", False, "web"),
        (cara, "absent", None): ("I", False, "web"),
    }


@freeze_time("2026-11-30 09:30:00")
def test_a_register_sent_back_with_a_problem_shows_a_pupil_placed_while_it_was_checked(
    app, world, browser, northside, monkeypatch
):
    """A register sent with a problem is drawn again from the database. A pupil placed between the register's check
    of what was sent and that drawing (another request committing meanwhile) is shown with empty sessions, not a
    server error: the form as sent had no fields for them."""
    from portal.views import attendance as views

    real = views._register
    calls = []

    def placed_meanwhile(*args, **kwargs):
        found = real(*args, **kwargs)
        if not calls:
            pupil = world.pupil(northside["school"], first_name="Dev", last_name="New")
            world.placement(northside["school"], northside["provider"], pupil)
        calls.append(1)
        return found

    browser.sign_in(northside["staff"])
    browser.get("/portal/attendance")
    monkeypatch.setattr(views, "_register", placed_meanwhile)
    response = browser.submit("/portal/attendance", _form(northside["placement"], kind="late", late_minutes=""))
    assert response.status_code == 200 and len(calls) == 2
    page = html(response)
    assert "Enter how many minutes late" in page and "Dev New" in page


@freeze_time("2026-11-30 09:30:00")
def test_a_mark_with_missing_details_shows_the_error_summary_linking_to_the_field(app, browser, northside):
    browser.sign_in(northside["staff"])
    response = browser.submit("/portal/attendance", _form(northside["placement"], kind="late", late_minutes=""))
    assert response.status_code == 200
    page = html(response)
    assert "<title>Error: Attendance" in page
    assert "There is a problem" in page and "Enter how many minutes late" in page
    assert f'href="#m-{northside["placement"].hex[:12]}-am-late_minutes"' in page
    response = browser.submit("/portal/attendance", _form(northside["placement"], kind="absent"))
    assert f'href="#m-{northside["placement"].hex[:12]}-am-kind"' in html(response)
    assert "Choose the reason for the absence" in html(response)
    response = browser.submit("/portal/attendance", _form(northside["placement"], kind="absent", reason="other"))
    assert "Say what the other reason for the absence is" in html(response)
    assert _marks(app) == []


@freeze_time("2026-11-30 10:05:00")
def test_a_mark_sent_after_the_deadline_is_shown_as_marked_after_the_deadline(app, browser, northside):
    browser.sign_in(northside["staff"])
    browser.submit("/portal/attendance", _form(northside["placement"], kind="present"))
    page = html(browser.get("/portal/attendance"))
    assert "Marked after the deadline" in page
    assert [m.submitted_late for m in _marks(app)] == [True]


@freeze_time("2026-11-30 11:00:00")
def test_an_amendment_needs_a_reason_and_the_history_shows_both_values(app, browser, northside):
    placement = northside["placement"]
    browser.sign_in(northside["staff"])
    browser.submit("/portal/attendance", _form(placement, kind="present"))

    page = html(browser.get("/portal/attendance"))
    assert '<strong class="govuk-tag govuk-tag--green">Present</strong>' in page and "Reason for the change" in page
    response = browser.submit("/portal/attendance", _form(placement, kind="absent", reason="illness"))
    assert response.status_code == 200
    assert "Ava Example is already marked present for the AM session on Monday 30 November 2026" in html(response)
    assert f'href="#m-{placement.hex[:12]}-am-why"' in html(response)
    assert [m.code for m in _marks(app)] == ["B"]

    response = browser.submit(
        "/portal/attendance", _form(placement, kind="absent", reason="illness", why="Went home ill at 9:15")
    )
    assert "Register saved: 1 mark changed" in html(browser.get(response.location))
    assert [m.code for m in _marks(app)] == ["I"]

    history = html(browser.get(f"/portal/attendance/{placement}?day=2026-11-30&session=AM"))
    assert "Changes to this mark" in history
    assert "Present" in history and "Absent: illness" in history and "Went home ill at 9:15" in history
    assert "Test provider_staff" in history and "30 November 2026 at 11:00" in history


@freeze_time("2026-11-30 14:30:00")
def test_the_register_marks_every_pupil_for_both_sessions_with_one_save(app, world, browser, northside):
    school, provider = northside["school"], northside["provider"]
    ben = world.placement(school, provider, world.pupil(school, first_name="Ben", last_name="Late"))
    cara = world.placement(school, provider, world.pupil(school, first_name="Cara", last_name="Ill"))
    dev = world.placement(school, provider, world.pupil(school, first_name="Dev", last_name="Here"))
    browser.sign_in(northside["staff"])
    # A detail without a mark, and a late mark without minutes: nothing is saved, each problem is shown.
    response = browser.submit(
        "/portal/attendance",
        {
            **_form(ben, kind="late"),
            **_form(cara, reason="illness"),
            **_form(dev, kind="present"),
            "all_present": ["AM", "PM"],
        },
    )
    page = html(response)
    assert response.status_code == 200 and "There is a problem" in page
    assert "Ben Late, AM: Enter how many minutes late" in page
    assert "Cara Ill, AM: choose present, late or absent, or clear the minutes and the reason" in page
    assert f'href="#m-{ben.hex[:12]}-am-late_minutes"' in page
    assert _marks(app) == []

    form = {
        **_form(ben, kind="late", late_minutes="20"),
        **_form(cara, kind="absent:illness"),
        **_form(cara, "PM", kind="absent:other", reason_text="Hospital visit"),
        "all_present": ["AM", "PM"],
    }
    page = html(browser.get(browser.submit("/portal/attendance", form).location))
    assert "Register saved: 8 marks saved" in page
    marks = {(m.placement_id, m.session): (m.kind, m.late_minutes, m.reason, m.code) for m in _marks(app)}
    assert marks == {
        (northside["placement"], "AM"): ("present", None, None, "B"),
        (northside["placement"], "PM"): ("present", None, None, "B"),
        (ben, "AM"): ("late", 20, None, "B"),
        (ben, "PM"): ("present", None, None, "B"),
        (cara, "AM"): ("absent", None, "illness", "I"),
        (cara, "PM"): ("absent", None, "other", "N"),
        (dev, "AM"): ("present", None, None, "B"),
        (dev, "PM"): ("present", None, None, "B"),
    }
    # Everyone is marked: the register shows each mark and no longer offers to mark all as present.
    assert "Late (20 minutes)" in page and "Absent: Hospital visit" in page
    assert "Mark all not yet marked as present" not in page
    # Saving again with a session left as it is changes nothing; a change needs its reason.
    response = browser.submit("/portal/attendance", _form(dev, kind="absent:unexplained"))
    assert "Dev Here is already marked present for the AM session" in html(response)
    assert "give the reason for the change" in html(response)


@freeze_time("2026-11-30 09:30:00")
def test_future_days_are_refused_and_a_history_without_its_session_goes_back_to_the_day_page(app, browser, northside):
    browser.sign_in(northside["staff"])
    response = browser.get("/portal/attendance?day=2026-12-01")
    assert response.status_code == 302 and response.location.endswith("/portal/attendance")
    assert "a day that has not happened yet" in html(browser.get(response.location))
    response = browser.get(f"/portal/attendance/{northside['placement']}")
    assert response.status_code == 302
    page = html(browser.get("/portal/attendance?day=2026-11-27"))
    assert "Friday 27 November 2026" in page and "Not marked yet" in page
    # Monday's "previous school day" is the Friday before, and so is Sunday's (not the Saturday).
    assert 'href="/portal/attendance?day=2026-11-27">Previous school day' in html(browser.get("/portal/attendance"))
    sunday = html(browser.get("/portal/attendance?day=2026-11-29"))
    assert 'href="/portal/attendance?day=2026-11-27">Previous school day' in sunday


@freeze_time("2026-11-30 09:30:00")
def test_another_providers_placement_is_a_404_and_gets_no_mark(app, world, browser, northside):
    other_provider = world.provider(northside["school"], "Southside Skills", ProviderStatus.APPROVED)
    theirs = world.placement(northside["school"], other_provider)
    browser.sign_in(northside["staff"])
    browser.get("/portal/attendance")
    # The register has only this provider's pupils: a field for another's is not part of it and saves nothing.
    response = browser.submit("/portal/attendance", _form(theirs, kind="present"))
    assert "Nothing to save" in html(browser.get(response.location))
    assert browser.get(f"/portal/attendance/{theirs}?day=2026-11-30&session=AM").status_code == 404
    assert _marks(app) == []


@freeze_time("2026-11-30 09:30:00")
def test_an_absence_marked_on_the_page_tells_the_social_worker_with_the_minimum(
    app, world, browser, northside, mailbox
):
    from shared.models import Pupil
    from shared.notifications import deliver_outbox

    browser.sign_in(northside["staff"])
    browser.submit("/portal/attendance", _form(northside["placement"], kind="absent", reason="illness"))
    with app.app_context():
        deliver_outbox()
        upn = db.session.get(Pupil, northside["pupil"]).upn
    (message,) = mailbox.to("social.worker@la.example")
    body = mailbox.body(message)
    assert "Ava Example" in body and "Northside Learning" in body and "illness" in body
    assert upn not in body and "protection" not in body.lower() and "Ava" not in message["Subject"]


# --- the week grid -------------------------------------------------------------------------------------------------


def _cell(placement_id, day: date, session: str) -> str:
    return f"c_{placement_id.hex[:12]}_{day:%Y%m%d}_{session.lower()}"


@freeze_time("2026-12-02 12:00:00")  # Wednesday
def test_the_week_grid_saves_all_or_nothing_and_lists_every_problem(app, world, browser, northside):
    school, provider = northside["school"], northside["provider"]
    ava = northside["placement"]
    ben = world.placement(school, provider, world.pupil(school, first_name="Ben", last_name="Brown"))
    browser.sign_in(northside["staff"])
    page = html(browser.get("/portal/attendance/week"))
    assert "Week beginning Monday 30 November 2026" in page
    assert f'name="{_cell(ava, MONDAY, "AM")}"' in page
    assert f'name="{_cell(ava, date(2026, 12, 3), "AM")}"' not in page  # Thursday: not yet
    assert "Not yet" in page and 'choose "Late" and fill in the minutes late' in page

    good = {
        _cell(ava, MONDAY, "AM"): "present",
        _cell(ava, MONDAY, "PM"): "absent:medical_appointment",
        _cell(ben, MONDAY, "AM"): "absent:unexplained",
    }
    response = browser.submit("/portal/attendance/week", {**good, _cell(ben, MONDAY, "PM"): "maybe"})
    assert response.status_code == 200
    page = html(response)
    assert "Ben Brown, Monday 30 November, PM: choose a mark from the list" in page
    assert f'href="#{_cell(ben, MONDAY, "PM")}"' in page
    assert _marks(app) == []

    response = browser.submit("/portal/attendance/week", good)
    assert response.status_code == 302
    assert "Week saved: 3 new marks" in html(browser.get(response.location))
    assert sorted(m.code for m in _marks(app)) == ["B", "M", "N"]

    # Changing a mark already sent needs the reason; a problem in any cell keeps every change out.
    changed = {**good, _cell(ava, MONDAY, "AM"): "absent:illness", _cell(ben, date(2026, 12, 1), "AM"): "present"}
    page = html(browser.submit("/portal/attendance/week", changed))
    assert "Ava Example is already marked present for the AM session on Monday 30 November 2026" in page
    assert "Enter the reason for changes to marks already sent" in page
    assert sorted(m.code for m in _marks(app)) == ["B", "M", "N"]

    response = browser.submit("/portal/attendance/week", {**changed, "why": "Register checked with the parent"})
    assert "Week saved: 1 new mark and 1 mark changed" in html(browser.get(response.location))
    assert sorted((m.code, m.source) for m in _marks(app)) == [
        ("B", "grid"),
        ("I", "grid"),
        ("M", "grid"),
        ("N", "grid"),
    ]


@freeze_time("2026-11-30 09:30:00")
def test_the_week_grid_shows_sessions_not_expected_and_takes_late_and_other_reasons(app, world, browser, northside):
    school, provider = northside["school"], northside["provider"]
    ava = northside["placement"]
    dan = world.placement(
        school, provider, world.pupil(school, first_name="Dan", last_name="Part"), timetable=["mon_am"]
    )
    browser.sign_in(northside["staff"])
    browser.submit("/portal/attendance", _form(ava, kind="late", late_minutes="5"))
    page = html(browser.get("/portal/attendance/week?start=2026-12-02"))  # any day of the week gives its Monday
    assert "Week beginning Monday 30 November 2026" in page
    assert "Not expected" in page
    # A late mark already sent is in the grid as it is: "Late" with its minutes, which can be changed there.
    assert '<option value="late" selected>Late</option>' in page
    assert f'name="{_cell(ava, MONDAY, "AM")}_minutes" type="text" value="5"' in page

    # Late without minutes and "other" without words: nothing is saved, each box says what is missing.
    bad = {_cell(ava, MONDAY, "PM"): "late", _cell(dan, MONDAY, "AM"): "absent:other"}
    page = html(browser.submit("/portal/attendance/week", bad))
    assert "Ava Example, Monday 30 November, PM: Enter how many minutes late" in page
    assert f'href="#{_cell(ava, MONDAY, "PM")}_minutes"' in page
    assert "Dan Part, Monday 30 November, AM: Say what the other reason for the absence is" in page
    assert f'href="#{_cell(dan, MONDAY, "AM")}_other"' in page
    assert len(_marks(app)) == 1

    good = {
        _cell(ava, MONDAY, "PM"): "late",
        f"{_cell(ava, MONDAY, 'PM')}_minutes": "25",
        _cell(dan, MONDAY, "AM"): "absent:other",
        f"{_cell(dan, MONDAY, 'AM')}_other": "Family funeral",
    }
    response = browser.submit("/portal/attendance/week", good)
    assert "Week saved: 2 new marks" in html(browser.get(response.location))
    saved = {(m.placement_id, m.session): (m.kind, m.late_minutes, m.reason_text) for m in _marks(app)}
    assert saved == {
        (ava, "AM"): ("late", 5, None),
        (ava, "PM"): ("late", 25, None),
        (dan, "AM"): ("absent", None, "Family funeral"),
    }


# --- CSV upload ----------------------------------------------------------------------------------------------------


def _upload(browser, text: str | bytes, filename: str = "marks.csv"):
    data = text.encode() if isinstance(text, str) else text
    return browser.submit(
        "/portal/attendance/upload",
        {"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


@freeze_time("2026-12-01 13:00:00")  # Tuesday, before the PM deadline
def test_a_good_csv_saves_every_row(app, world, browser, northside):
    school, provider = northside["school"], northside["provider"]
    ben = world.placement(school, provider, world.pupil(school, first_name="Ben", last_name="Brown"))
    browser.sign_in(northside["staff"])
    ava = _ref(northside["placement"])
    text = (
        "pupil_ref,pupil_name,date,session,mark,late_minutes,reason,reason_text,amendment_reason\r\n"
        f"{ava},Ava Example,2026-11-30,AM,present,,,,\r\n"
        f"{ava},,30/11/2026,PM,late,20,,,\r\n"
        f"{_ref(ben)},Ben Brown,2026-12-01,am,absent,,Medical appointment,,\r\n"
        f"{_ref(ben).lower()},,2026-12-01,PM,absent,,other,Family funeral,\r\n"
    )
    response = _upload(browser, "\ufeff" + text)
    assert response.status_code == 302
    assert "File saved: 4 new marks, 0 changed, 0 already sent" in html(browser.get(response.location))
    assert [(m.code, m.source, m.submitted_late) for m in _marks(app)] == [
        ("B", "csv", True),
        ("B", "csv", True),
        ("M", "csv", True),
        ("N", "csv", False),
    ]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance.imported"))
        assert event.details == {"count": 4}


@freeze_time("2026-12-01 15:00:00")
def test_a_bad_csv_saves_nothing_and_lists_each_bad_row(app, world, browser, northside):
    other_provider = world.provider(northside["school"], "Southside Skills", ProviderStatus.APPROVED)
    theirs = world.placement(northside["school"], other_provider)
    browser.sign_in(northside["staff"])
    ava = _ref(northside["placement"])
    text = (
        "pupil_ref,date,session,mark,late_minutes,reason\n"
        f"{ava},2026-11-30,AM,present,,\n"  # row 2 is fine
        f"{ava},2026-11-30,PM,late,,\n"
        f"{_ref(theirs)},2026-11-30,AM,present,,\n"
        f"{ava},2026-12-02,AM,present,,\n"
        f"{ava},31/02/2026,AM,absent,,illness\n"
        f"{ava},2026-11-27,XM,absent,,flu\n"
    )
    response = _upload(browser, text)
    assert response.status_code == 200
    page = html(response)
    assert "Nothing was saved: 5 rows have problems" in page
    assert "Row 3: Enter how many minutes late" in page
    assert f"Row 4: No pupil placed with you has the reference {_ref(theirs)}" in page
    assert "Row 5: You cannot mark Ava Example for a day that has not happened yet" in page
    assert "Row 6: Enter the date like 2026-11-30 or 30/11/2026" in page
    assert "Row 7: Choose the reason for the absence" in page
    assert _marks(app) == []


@freeze_time("2026-12-01 15:00:00")
def test_a_csv_changing_a_sent_mark_needs_an_amendment_reason(app, browser, northside):
    ava = _ref(northside["placement"])
    browser.sign_in(northside["staff"])
    _upload(browser, f"pupil_ref,date,session,mark\n{ava},2026-11-30,AM,present\n")
    page = html(_upload(browser, f"pupil_ref,date,session,mark,reason\n{ava},2026-11-30,AM,absent,illness\n"))
    assert "Row 2: Ava Example is already marked present" in page and "fill in amendment_reason" in page
    assert [m.code for m in _marks(app)] == ["B"]
    _upload(
        browser,
        f"pupil_ref,date,session,mark,reason,amendment_reason\n{ava},2026-11-30,AM,absent,illness,Sent home\n",
    )
    assert [m.code for m in _marks(app)] == ["I"]


@freeze_time("2026-12-01 15:00:00")
def test_files_that_are_not_utf8_csv_are_refused_with_a_clear_message(app, browser, northside):
    browser.sign_in(northside["staff"])
    page = html(_upload(browser, "pupil_ref,date,session,mark\nABCDEF12,2026-11-30,AM,présent\n".encode("cp1252")))
    assert "must be a CSV file saved as UTF-8" in page
    assert "must be a CSV file (ending .csv)" in html(_upload(browser, "a,b\n", filename="marks.xlsx"))
    assert "Missing: date, session, mark" in html(_upload(browser, "pupil_ref\nABCDEF12\n"))
    too_big = "pupil_ref,date,session,mark\n" + "x" * (2 * 1024 * 1024)
    assert "must be 2 MB or smaller" in html(_upload(browser, too_big))
    assert "Select a CSV file" in html(browser.submit("/portal/attendance/upload", {}))
    assert _marks(app) == []


@freeze_time("2026-12-01 15:00:00")
def test_the_template_lists_this_weeks_expected_sessions_with_references(app, world, browser, northside):
    world.placement(
        northside["school"],
        northside["provider"],
        world.pupil(northside["school"], first_name="Dan", last_name="Part"),
        timetable=["tue_pm"],
    )
    browser.sign_in(northside["staff"])
    browser.submit("/portal/attendance", _form(northside["placement"], kind="present"))
    response = browser.get("/portal/attendance/template.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "pupil_ref,pupil_name,date,session,mark,late_minutes,reason,reason_text,amendment_reason"
    ava = _ref(northside["placement"])
    assert f"{ava},Ava Example,2026-12-01,AM,present,,,," in lines
    assert len([line for line in lines if line.startswith(ava)]) == 10
    assert [line.split(",")[2:4] for line in lines if ",Dan Part," in line] == [["2026-12-01", "PM"]]
    # The template goes straight back in: rows with no mark yet are left for later.
    response = _upload(browser, response.get_data())
    assert "File saved: 0 new marks, 0 changed, 1 already sent" in html(browser.get(response.location))


@freeze_time("2026-12-01 15:00:00")
def test_the_grid_and_the_csv_name_a_session_someone_else_kept_marking_at_the_same_moment(
    app, browser, northside, clashing
):
    ava = northside["placement"]
    browser.sign_in(northside["staff"])
    _upload(browser, f"pupil_ref,date,session,mark\n{_ref(ava)},2026-11-30,AM,present\n")
    clashing(2)
    page = html(browser.submit("/portal/attendance/week?start=2026-11-30", {_cell(ava, MONDAY, "AM"): "present"}))
    assert "Ava Example was marked for the AM session on Monday 30 November 2026 by someone else" in page
    assert f'href="#{_cell(ava, MONDAY, "AM")}"' in page
    clashing(2)
    page = html(_upload(browser, f"pupil_ref,date,session,mark\n{_ref(ava)},2026-11-30,AM,present\n"))
    assert "Row 2: Ava Example was marked for the AM session on Monday 30 November 2026 by someone else" in page
    assert [m.source for m in _marks(app)] == ["csv"]


def test_the_registers_previous_school_day_is_previous_school_days_answer_on_every_day(app, world):
    """The register finds its "previous school day" among what it loads for the day (provider_register): the same
    day as previous_school_day for each day of a term with a half-term holiday, an INSET day, a bank holiday, a
    placement that ended and one on Tuesdays and Thursdays only, from two schools with calendars of their own."""
    from datetime import timedelta

    from shared.models import InsetDay
    from shared.services.attendance import marks

    first, second = world.school("First School"), world.school("Second School")
    provider = world.provider(first, "Both Schools Learning", ProviderStatus.APPROVED)
    world.works_with(second, provider)
    world.term(first, date(2026, 9, 1), date(2026, 12, 18), name="Autumn 2026")
    world.term(second, date(2026, 9, 7), date(2026, 12, 11), name="Autumn 2026")
    world.term(second, date(2027, 1, 4), date(2027, 3, 26), name="Spring 2027")
    world.placement(first, provider, timetable=["tue_am", "thu_pm"])
    world.placement(first, provider, start=date(2026, 9, 14), end_date=date(2026, 11, 6), status="ended")
    world.placement(second, provider, start=date(2026, 10, 5))
    with app.app_context():
        db.session.add_all(
            [InsetDay(school_id=first, day=date(2026, 11, 2)), InsetDay(school_id=second, day=date(2026, 12, 7))]
        )
        db.session.commit()
        day = date(2026, 8, 20)
        while day <= date(2027, 2, 10):
            _, previous = marks.provider_register(provider, day)
            assert previous == marks.previous_school_day(provider, day), day
            day += timedelta(days=1)
