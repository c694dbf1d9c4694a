"""The attendance lead's pages: today (expected / marked / missing, alerts and their delivery), a pupil's heat-map,
the MIS export, the percentages with the persistent-absence flag, and the school calendar. Frozen time throughout
(the school's clock is Europe/London; 30 November 2026 is a Monday in term, GMT)."""

import csv
import io
import re
from datetime import date

import pytest
from freezegun import freeze_time

from shared.extensions import db
from shared.models import AuditEvent, InsetDay, Placement, ProviderStatus, Pupil, SchoolTerm
from shared.notifications import deliver_outbox
from shared.services.attendance.marks import MarkEntry, record_mark
from tests.support.app import make_app
from tests.support.client import Browser, counting_statements, html

MONDAY = date(2026, 11, 30)


@pytest.fixture
def school(world):
    school = world.school("Hillside Academy")
    return {
        "id": school,
        "provider": world.provider(school, "Northside Learning", ProviderStatus.APPROVED),
        "lead": world.user(school, ["attendance_lead"]),
    }


def _lead(app, school) -> Browser:
    browser = Browser(app.test_client())
    browser.sign_in(school["lead"])
    return browser


def _place(world, school, first_name, last_name="Example", **kwargs):
    pupil = world.pupil(school["id"], first_name=first_name, last_name=last_name)
    return world.placement(school["id"], kwargs.pop("provider", school["provider"]), pupil, **kwargs)


def _mark(app, placement_id, day, session, kind, late=None, *, reason=None, reason_text=None, why=None):
    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        entry = MarkEntry.parse(kind, late, reason, reason_text)
        record_mark(placement, day, session, entry, by=None, why=why)


def _totals(page: str) -> dict[str, int]:
    found = re.findall(r'summary-list__key">(\w+)</dt>\s*<dd[^>]*><span class="govuk-!-font-weight-bold">(\d+)', page)
    return {label: int(value) for label, value in found}


def _row(page: str, text: str) -> str:
    rows = [row for row in re.split(r"(?=<tr[ >])", page) if text in row and row.startswith("<tr")]
    assert len(rows) == 1, f"{len(rows)} rows with {text!r}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows[0].split("</tr>")[0])).strip()


# --- today ---------------------------------------------------------------------------------------------------------


def test_today_shows_expected_marked_and_missing_sessions_of_the_schools_pupils_only(app, world, school):
    ava = _place(world, school, "Ava")
    _place(world, school, "Ben")
    _place(world, school, "Cara", timetable=["mon_pm", "tue_am"])
    _place(world, school, "Dev", timetable=["tue_am"])  # not expected on Mondays: not listed
    other = world.school("Other School")
    world.placement(
        other, world.provider(other, "Elsewhere", ProviderStatus.APPROVED), world.pupil(other, first_name="Zed")
    )
    with freeze_time("2026-11-30 09:30:00"):
        _mark(app, ava, MONDAY, "AM", "present")
    with freeze_time("2026-11-30 10:20:00"):
        page = html(_lead(app, school).get("/school/attendance"))
    assert "Monday 30 November 2026 (today)" in page
    assert _totals(page) == {"Expected": 5, "Marked": 1, "Missing": 1, "Absences": 0}
    assert _row(page, "Ava Example") == "Ava Example Northside Learning Present Not marked (due 14:00)"
    assert "Overdue" in _row(page, "Ben Example")
    assert "Not expected" in _row(page, "Cara Example")
    assert "Dev Example" not in page and "Zed" not in page and "Elsewhere" not in page


def test_an_unmarked_session_is_overdue_only_15_minutes_after_the_deadline(app, world, school):
    _place(world, school, "Ben")
    with freeze_time("2026-11-30 10:14:00"):
        page = html(_lead(app, school).get("/school/attendance"))
        assert "Not marked (due 10:00)" in _row(page, "Ben Example") and "Overdue" not in page
        assert _totals(page)["Missing"] == 0
    with freeze_time("2026-11-30 10:16:00"):
        page = html(_lead(app, school).get("/school/attendance"))
        assert "Overdue" in _row(page, "Ben Example") and _totals(page)["Missing"] == 1


def test_a_day_that_is_not_a_school_day_says_why(app, world, school):
    _place(world, school, "Ava")
    with freeze_time("2026-11-30 12:00:00"):
        lead = _lead(app, school)
        assert "It is a bank holiday" in html(lead.get("/school/attendance?day=2026-12-28"))
        assert "It is a weekend" in html(lead.get("/school/attendance?day=2026-11-29"))


def test_an_alert_shows_delivered_once_the_outbox_has_sent_it(app, world, school, mailbox):
    ben = _place(world, school, "Ben")
    with freeze_time("2026-11-30 09:40:00"):
        _mark(app, ben, MONDAY, "AM", "absent", reason="unexplained")
    with freeze_time("2026-11-30 09:47:00"), app.app_context():
        assert deliver_outbox() == (1, 0)  # the attendance lead's e-mail
    with freeze_time("2026-11-30 10:30:00"):
        page = html(_lead(app, school).get("/school/attendance"))
    row = _row(page, "Delivered")
    assert "Absent: unexplained" in row and "Ben Example" in row and "AM" in row and "09:40" in row
    assert "Delivered 09:47" in row
    assert _totals(page)["Absences"] == 1
    assert len(mailbox.to(school["lead"].email)) == 1


def test_an_alert_shows_not_delivered_yet_while_the_mail_server_is_down(app, world, school, database_url, tmp_path):
    ben = _place(world, school, "Ben")
    with freeze_time("2026-11-30 10:16:00"):
        with app.app_context():
            from shared.services.attendance.alerts import chase_unmarked

            assert chase_unmarked() == 1
        no_mail = make_app(database_url, 1, tmp_path)  # nothing listens on port 1
        with no_mail.app_context():
            assert deliver_outbox() == (0, 1)
        page = html(_lead(app, school).get("/school/attendance"))
    row = _row(page, "Not delivered yet")
    assert "Not marked" in row and "Ben Example" in row
    assert "Not delivered yet: the mail server cannot be reached, trying every 30 seconds" in row
    assert ben  # the placement the alert is about


# --- the heat-map --------------------------------------------------------------------------------------------------


def test_the_heat_map_shows_each_session_in_words_and_the_attendance_percent(app, world, school):
    ava = _place(world, school, "Ava")
    with app.app_context():
        db.session.add(InsetDay(school_id=school["id"], day=date(2026, 11, 23), note="Training"))
        db.session.commit()
        pupil_id = db.session.get(Placement, ava).pupil_id
    with freeze_time("2026-12-02 12:00:00"):  # Wednesday
        _mark(app, ava, MONDAY, "AM", "present")
        _mark(app, ava, MONDAY, "PM", "late", 10)
        _mark(app, ava, date(2026, 12, 1), "AM", "absent", reason="illness")
        _mark(app, ava, date(2026, 12, 2), "AM", "present")
        page = html(_lead(app, school).get(f"/school/attendance/pupils/{pupil_id}"))
    cells = {
        (day, session): state
        for day, session, state in re.findall(r'data-day="([\d-]+)" data-session="(\w+)" data-state="(\w+)"', page)
    }
    assert len(cells) == 6 * 10
    assert cells[("2026-11-30", "AM")] == "present" and cells[("2026-11-30", "PM")] == "late"
    assert cells[("2026-12-01", "AM")] == "absent" and cells[("2026-12-01", "PM")] == "not_marked"
    assert cells[("2026-12-02", "AM")] == "present" and cells[("2026-12-03", "AM")] == "not_yet"
    assert cells[("2026-11-23", "AM")] == "not_expected"  # the INSET day
    assert min(cells)[0] == "2026-10-26"  # six school weeks: 26 October to 30 November
    assert "Monday 30 November PM: Late (10 minutes)" in page
    assert "Tuesday 1 December AM: Absent: illness" in page
    assert "75.0%" in page and "3 of 4 marked sessions" in page and "Persistent absence" in page
    assert "<title>A pupil&#39;s attendance" in page or "<title>A pupil's attendance" in page


def test_another_schools_pupil_has_no_heat_map(app, world, school):
    other = world.school("Other School")
    stranger = world.pupil(other)
    assert _lead(app, school).get(f"/school/attendance/pupils/{stranger}").status_code == 404


# --- the MIS export ------------------------------------------------------------------------------------------------


def test_the_export_has_the_documented_columns_and_one_row_per_marked_session(app, world, school):
    ava = _place(world, school, "Ava")
    ben = _place(world, school, "Ben", legal_basis="la_arranged")
    other = world.school("Other School")
    stranger = world.placement(other, world.provider(other, "Elsewhere", ProviderStatus.APPROVED))
    with freeze_time("2026-12-04 16:00:00"):
        _mark(app, ava, MONDAY, "PM", "late", 10)
        _mark(app, ava, MONDAY, "AM", "present")
        _mark(app, ava, date(2026, 12, 1), "AM", "absent", reason="other", reason_text="=Family funeral")
        _mark(app, ben, date(2026, 12, 2), "AM", "present")
        _mark(app, ben, date(2026, 12, 2), "AM", "absent", reason="illness", why="Sent home at 9:15")
        _mark(app, stranger, MONDAY, "AM", "present")
        _mark(app, ava, date(2026, 11, 27), "AM", "present")  # before the range
        response = _lead(app, school).get("/school/attendance/export?from=2026-11-30&to=2026-12-04")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="ap-attendance-2026-11-30-to-2026-12-04.csv"'
    )
    with app.app_context():
        ava_upn = db.session.get(Pupil, db.session.get(Placement, ava).pupil_id).upn
        ben_upn = db.session.get(Pupil, db.session.get(Placement, ben).pupil_id).upn
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["UPN", "date", "session", "code", "provider", "late minutes", "comment"]
    ava_rows = [
        [ava_upn, "2026-11-30", "AM", "B", "Northside Learning", "", ""],
        [ava_upn, "2026-11-30", "PM", "B", "Northside Learning", "10", "Late 10 minutes"],
        [ava_upn, "2026-12-01", "AM", "N", "Northside Learning", "", "Other reason: =Family funeral"],
    ]
    ben_rows = [
        [
            ben_upn,
            "2026-12-02",
            "AM",
            "I",
            "Northside Learning",
            "",
            "Illness; Amended 2026-12-04 16:00 by the provider's system from K (Present) to I (Absent: illness): "
            "Sent home at 9:15",
        ]
    ]
    expected = ava_rows + ben_rows if ava_upn < ben_upn else ben_rows + ava_rows
    assert rows[1:] == expected
    with app.app_context():
        (event_row,) = db.session.query(AuditEvent).filter_by(action="attendance.exported").all()
        assert event_row.details == {"start": "2026-11-30", "end": "2026-12-04", "rows": 4}


def test_a_providers_words_that_look_like_a_formula_are_made_plain(app, world, school):
    ava = _place(world, school, "Ava")
    with freeze_time("2026-12-04 16:00:00"):
        _mark(app, ava, MONDAY, "AM", "absent", reason="other", reason_text="x")
        with app.app_context():
            from shared.models import AttendanceMark

            db.session.query(AttendanceMark).update({"reason_text": None})
            db.session.commit()
        page = _lead(app, school).get("/school/attendance/export?from=2026-11-30&to=2026-11-30")
    assert page.get_data(as_text=True).splitlines()[1].endswith(",Other reason")
    from shared.csv_safety import spreadsheet_safe

    assert spreadsheet_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and spreadsheet_safe("Dentist") == "Dentist"


def test_the_export_form_refuses_backwards_and_too_long_ranges(app, world, school):
    with freeze_time("2026-12-04 16:00:00"):
        lead = _lead(app, school)
        page = lead.get("/school/attendance/export")
        assert page.status_code == 200 and "UPN" in html(page) and "late minutes" in html(page)
        backwards = lead.get("/school/attendance/export?from=4&from=12&from=2026&to=1&to=12&to=2026")
        assert backwards.mimetype == "text/html"
        assert "The last day must be the same as or after the first day" in html(backwards)
        too_long = html(lead.get("/school/attendance/export?from=2025-09-01&to=2026-12-01"))
        assert "no more than one school year apart" in too_long
        assert "Enter a real date" in html(lead.get("/school/attendance/export?from=31&from=2&from=2026&to=2026-12-01"))
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="attendance.exported").count() == 0


# --- percentages ---------------------------------------------------------------------------------------------------


def test_percentages_per_pupil_and_provider_flag_persistent_absence(app, world, school):
    southside = world.provider(school["id"], "Southside Skills", ProviderStatus.APPROVED)
    ava = _place(world, school, "Ava")
    ben = _place(world, school, "Ben", provider=southside)
    with freeze_time("2026-12-04 16:00:00"):
        for offset in range(5):
            day = date(2026, 11, 30 + offset) if offset == 0 else date(2026, 12, offset)
            for session in ("AM", "PM"):
                _mark(app, ava, day, session, "present")
                if offset == 1:
                    _mark(app, ben, day, session, "absent", reason="unexplained")
                else:
                    _mark(app, ben, day, session, "late", 5)
        lead = _lead(app, school)
        page = html(lead.get("/school/attendance/percentages"))  # this term so far
        dated = html(lead.get("/school/attendance/percentages?from=2026-12-02&to=2026-12-04"))
    ava_row, ben_row = _row(page, "Ava Example"), _row(page, "Ben Example")
    assert "100.0%" in ava_row and "10 of 10" in ava_row and "Persistent absence" not in ava_row
    assert "80.0%" in ben_row and "8 of 10" in ben_row and "Persistent absence" in ben_row and ben_row.endswith(" 2")
    assert "100.0%" in _row(page, "Northside Learning") and "Persistent absence" in _row(page, "Southside Skills")
    assert "From Tuesday 1 September 2026 to Friday 4 December 2026" in page
    assert "100.0%" in _row(dated, "Ben Example") and "6 of 6" in _row(dated, "Ben Example")


# --- a fixed number of queries -------------------------------------------------------------------------------------


def _school_with(app, world, placements: int):
    school = world.school(f"School of {placements}")
    providers = [world.provider(school, f"Provider {n}", ProviderStatus.APPROVED) for n in range(3)]
    lead = world.user(school, ["attendance_lead"])
    ids = [
        world.placement(school, providers[n % 3], world.pupil(school, first_name=f"Pupil{n}"))
        for n in range(placements)
    ]
    with freeze_time("2026-11-30 09:30:00"):
        for n, placement in enumerate(ids):
            if n % 3 == 0:
                _mark(app, placement, MONDAY, "AM", "present")
            elif n % 3 == 1:
                _mark(app, placement, MONDAY, "AM", "absent", reason="unexplained")
    with freeze_time("2026-11-30 14:20:00"), app.app_context():
        from shared.services.attendance.alerts import chase_unmarked

        chase_unmarked()
    return lead


def test_the_today_page_runs_the_same_few_queries_for_3_or_30_placements(app, world):
    counts = []
    for size in (3, 30):
        lead = _school_with(app, world, size)
        with freeze_time("2026-11-30 14:30:00"):
            browser = Browser(app.test_client())
            browser.sign_in(lead)
            browser.get("/school/attendance")  # warm: the session's last-seen time is touched on the first request
            with counting_statements(app) as statements:
                page = html(browser.get("/school/attendance"))
        assert f"Pupil{size - 1} Example" in page and "Not delivered yet" not in page
        counts.append(len(statements))
    print("today page queries:", counts)
    assert counts[0] == counts[1] and counts[0] <= 15, counts


# --- the calendar --------------------------------------------------------------------------------------------------


def test_the_calendar_lists_terms_inset_days_and_bank_holidays_to_every_school_role(app, world, school):
    world.term(school["id"], date(2026, 9, 2), date(2026, 12, 18), name="Autumn 2026")
    with app.app_context():
        db.session.add(InsetDay(school_id=school["id"], day=date(2026, 11, 23), note="Safeguarding training"))
        db.session.commit()
    sendco_user = world.user(school["id"], ["sendco"])
    with freeze_time("2026-11-30 12:00:00"):
        sendco = Browser(app.test_client())
        sendco.sign_in(sendco_user)
        page = html(sendco.get("/school/calendar"))
    assert "Autumn 2026" in page and "Wednesday 2 September 2026" in page and "Friday 18 December 2026" in page
    assert "Monday 23 November 2026" in page and "Safeguarding training" in page
    assert "Christmas Day" in page and "Friday 25 December 2026" in page and "Easter Monday" in page
    assert "Add a term" not in page and "Remove" not in page


def test_adding_terms_and_inset_days_with_plain_messages(app, world, school):
    with freeze_time("2026-11-30 12:00:00"):
        lead = _lead(app, school)
        missing = lead.submit("/school/calendar", {}, post_url="/school/calendar/terms")
        assert missing.status_code == 200 and "Enter a name for the term" in html(missing)
        assert "Enter the first day of the term" in html(missing)
        term = {
            "term-name": "Autumn 2026",
            "term-start_date": ["2", "9", "2026"],
            "term-end_date": ["18", "12", "2026"],
        }
        added = lead.submit("/school/calendar", term, post_url="/school/calendar/terms")
        assert added.status_code == 302
        assert "Autumn 2026 added to the school calendar" in html(lead.get("/school/calendar"))
        clash = {**term, "term-name": "Clash", "term-start_date": ["1", "12", "2026"]}
        assert "These dates overlap Autumn 2026" in html(
            lead.submit("/school/calendar", clash, post_url="/school/calendar/terms")
        )

        def inset(day):
            data = {"inset-day": day.split(), "inset-note": "Training"}
            return lead.submit("/school/calendar", data, post_url="/school/calendar/inset-days")

        assert "Saturday 28 November 2026 is a weekend" in html(inset("28 11 2026"))
        assert "Friday 8 January 2027 is not in one of your terms" in html(inset("8 1 2027"))
        assert inset("23 11 2026").status_code == 302
        assert "Monday 23 November 2026 is already an INSET day" in html(inset("23 11 2026"))
        assert "Enter a real date" in html(inset("31 11 2026"))
    with app.app_context():
        (inset_row,) = db.session.query(InsetDay).all()
        assert db.session.query(SchoolTerm).count() == 1
        actions = sorted(e.details["change"] for e in db.session.query(AuditEvent).filter_by(action="calendar.changed"))
        assert actions == ["inset_added", "term_added"]
    with freeze_time("2026-11-30 12:05:00"):
        # Nobody is expected on the INSET day.
        assert "It is an INSET (training) day" in html(lead.get("/school/attendance?day=2026-11-23"))
        assert lead.post("/school/calendar/inset-days/remove", {"inset_id": "not-an-id"}).status_code == 200
        assert "Choose an INSET day from the list to remove" in lead.last_html
        removed = lead.post("/school/calendar/inset-days/remove", {"inset_id": str(inset_row.id)})
        assert removed.status_code == 302
        assert "Monday 23 November 2026 is no longer an INSET day" in html(lead.get("/school/calendar"))
    with app.app_context():
        assert db.session.query(InsetDay).count() == 0


def test_another_schools_inset_day_cannot_be_removed(app, world, school):
    other = world.school("Other School")
    with app.app_context():
        theirs = InsetDay(school_id=other, day=date(2026, 11, 23))
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.id
    lead = _lead(app, school)
    assert lead.post("/school/calendar/inset-days/remove", {"inset_id": str(theirs_id)}).status_code == 200
    with app.app_context():
        assert db.session.get(InsetDay, theirs_id) is not None


def test_a_dual_registration_pupils_attendance_counts_the_providers_marks_not_the_d_codes(app, world):
    """Every session of a dual-registered pupil is D in this school's register, present or not; the attendance
    lead still sees how often the pupil attended the provision, and unexplained absences as unauthorised."""
    from shared.services.attendance import overview as attendance_overview
    from shared.services.attendance.marks import MarkEntry, record_mark

    school = world.school()
    pru = world.provider(school, "Hillside PRU", ProviderStatus.APPROVED)
    placement = world.placement(school, pru, legal_basis="dual_registration")
    days = [date(2026, 11, d) for d in (23, 24, 25, 26, 27)]
    with freeze_time("2026-11-28 09:00:00"), app.app_context():
        row = db.session.get(Placement, placement)
        for day in days:
            for session in ("AM", "PM"):
                entry = MarkEntry.parse("present")
                if (day.day, session) == (27, "PM"):
                    entry = MarkEntry.parse("absent", reason="unexplained")
                record_mark(row, day, session, entry, by=None)
        (pupil,), (provider,) = attendance_overview.percentages(school, days[0], days[-1])
    assert (pupil.possible, pupil.attended, pupil.unauthorised, pupil.percent) == (10, 9, 1, 90.0)
    assert not pupil.persistent_absence
    assert (provider.name, provider.percent) == ("Hillside PRU", 90.0)


def test_the_attendance_lead_decides_an_unexplained_absence_and_the_export_carries_the_new_code(app, world):
    from shared.models import AttendanceAmendment, AttendanceMark
    from shared.services.attendance.marks import MarkEntry, record_mark
    from tests.support.client import Browser, html

    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Mia", last_name="Jones")
    placement = world.placement(school, provider, pupil)
    other_pupil = world.pupil(school, first_name="Leo", last_name="Brown")
    with freeze_time("2026-11-30 09:30:00"), app.app_context():
        row = db.session.get(Placement, placement)
        mark_id = record_mark(
            row,
            date(2026, 11, 30),
            "AM",
            MarkEntry.parse("absent", reason="other", reason_text="Family funeral"),
            by=None,
        ).mark.id
    lead = Browser(app.test_client())
    lead.sign_in(world.user(school, ["attendance_lead"]))
    page = html(lead.get(f"/school/attendance/pupils/{pupil}"))
    assert "Absences waiting for the school's decision" in page and "Absent: Family funeral" in page
    decide = f"/school/attendance/pupils/{pupil}/decide?mark={mark_id}"
    refused = lead.submit(decide, {"code": "C", "why": " "})
    assert "Say why, for the record" in html(refused)
    assert lead.get(f"/school/attendance/pupils/{other_pupil}/decide?mark={mark_id}").status_code == 404
    done = lead.submit(
        decide, {"code": "C", "why": "Mum rang at 9:40; funeral of a grandparent"}, follow_redirects=True
    )
    assert "Decision recorded: Mia Jones&#39;s AM session is now coded C" in html(done)
    assert "Absences waiting" not in html(done)
    with app.app_context():
        mark = db.session.get(AttendanceMark, mark_id)
        assert (mark.code, mark.kind, mark.reason_text) == (
            "C",
            "absent",
            "Family funeral",
        )  # the provider's mark stays
        (amendment,) = db.session.query(AttendanceAmendment).all()
        assert (amendment.old_value["code"], amendment.new_value["code"], amendment.source) == ("N", "C", "school")
        assert db.session.query(AuditEvent).filter_by(action="attendance.absence_decided").one().details == {
            "day": "2026-11-30",
            "session": "AM",
            "old_code": "N",
            "new_code": "C",
        }
    export = lead.get("/school/attendance/export?from=2026-11-30&to=2026-11-30")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[1][2:4] == ["AM", "C"]
    # Someone who only reads attendance cannot decide.
    dsl = Browser(app.test_client())
    dsl.sign_in(world.user(school, ["dsl"]))
    assert dsl.get(decide).status_code == 403


def test_the_earlier_absences_still_coded_n_are_listed_where_the_attention_item_leads(app, world, school):
    """Issue 13: "14 earlier absences still coded N" led to today's page, where they are not. It leads to a list of
    them, every provider's, oldest first, each with its pupil and a link to decide (and back to the list)."""
    ava = _place(world, school, "Ava")
    ben = _place(
        world, school, "Ben", provider=world.provider(school["id"], "Southside Skills", ProviderStatus.APPROVED)
    )
    with freeze_time("2026-11-30 16:00:00"):
        _mark(app, ava, MONDAY, "AM", "absent", reason="unexplained")
        _mark(app, ava, MONDAY, "PM", "absent", reason="illness")  # coded I: nothing to decide
        _mark(app, ben, MONDAY, "PM", "absent", reason="other", reason_text="Stayed at home")
    with freeze_time("2026-12-01 09:00:00"):
        _mark(app, ava, date(2026, 12, 1), "AM", "absent", reason="unexplained")  # today's: on today's page
        lead = _lead(app, school)
        home = html(lead.get("/school/"))
        assert "2 earlier absences still coded N, waiting for the school&#39;s decision" in home
        assert 'href="/school/attendance/to-decide"' in home
        page = html(lead.get("/school/attendance/to-decide"))
        assert "2 absences, oldest first" in page
        assert _row(page, "Northside Learning").startswith("Mon 30 November 2026 AM Ava Example Northside Learning")
        assert "Absent: unexplained" in _row(page, "Northside Learning")
        assert _row(page, "Southside Skills").startswith("Mon 30 November 2026 PM Ben Example Southside Skills")
        assert "Absent: Stayed at home" in _row(page, "Southside Skills")
        assert "1 December" not in page
        decide = (
            re.search(r'href="(/school/attendance/pupils/[^"]+/decide\?[^"]+)"', page).group(1).replace("&amp;", "&")
        )
        done = lead.submit(decide, {"code": "O", "why": "No contact from home"})
        assert done.location.endswith("/school/attendance/to-decide")
        assert "1 absence, oldest first" in html(lead.get(done.location))


def test_previous_and_next_school_day_step_over_weekends_holidays_and_inset_days(app, world, school):
    world.term(school["id"], start=date(2026, 9, 1), end=date(2026, 12, 18), name="Autumn 2026")
    with app.app_context():
        db.session.add(InsetDay(school_id=school["id"], day=date(2026, 11, 27), note="Training"))  # a Friday
        db.session.commit()
    lead = _lead(app, school)

    def links(day: str) -> tuple[str, str]:
        page = html(lead.get(f"/school/attendance?day={day}"))
        previous = re.search(r'day=([\d-]+)">Previous school day', page).group(1)
        following = re.search(r'day=([\d-]+)">Next school day', page).group(1)
        return previous, following

    # Monday and Sunday go back to Thursday: Friday is an INSET day and the weekend no school day.
    assert links("2026-11-30") == ("2026-11-26", "2026-12-01")
    assert links("2026-11-29") == ("2026-11-26", "2026-11-30")
    assert links("2026-11-26") == ("2026-11-25", "2026-11-30")  # Thursday: next is Monday
    assert links("2026-12-18")[1] == "2026-12-21"  # the end of term, no calendar after: the next weekday
