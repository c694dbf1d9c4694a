"""One provider, two schools (issue 14): the provider's portal shows its pupils from both, each labelled with its
school; one register for the day writes each mark to the pupil's own school; every alert, incident, concern,
notice and review reaches the right school's people only, and the other school's get nothing (in the app, by
e-mail, on their pages). Frozen time: 2026-11-30 is a Monday in term (GMT, so UTC is school time)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import event, select

from shared.extensions import db
from shared.models import (
    AttendanceAlert,
    AttendanceMark,
    Concern,
    Incident,
    InsetDay,
    Notice,
    Notification,
    PlacementReview,
    ProviderStatus,
)
from shared.notifications import deliver_outbox
from shared.services.attendance.alerts import chase_unmarked
from tests.support.client import Browser, html

MONDAY = date(2026, 11, 30)
NOW = "2026-11-30 11:00:00"


@pytest.fixture
def two_schools(world):
    """Northside Learning, approved by Hillside School and by Riverside School, with Ava placed by Hillside and Ben
    by Riverside; each school has its attendance lead, DSL and AP lead, and the provider its manager, staff and DSL.
    """
    hillside = world.school("Hillside School")
    riverside = world.school("Riverside School")
    northside = world.provider(hillside, "Northside Learning", ProviderStatus.APPROVED)
    world.works_with(riverside, northside, ProviderStatus.APPROVED)
    ava = world.pupil(
        hillside,
        first_name="Ava",
        last_name="Hill",
        social_worker_name="Sam Worker",
        social_worker_email="ava.worker@la.example",
    )
    ben = world.pupil(
        riverside,
        first_name="Ben",
        last_name="River",
        welfare_officer_name="Wes Officer",
        welfare_officer_email="ben.welfare@la.example",
    )
    people = {}
    for name, school in (("hillside", hillside), ("riverside", riverside)):
        for role in ("attendance_lead", "dsl", "ap_lead", "headteacher"):
            people[f"{name}_{role}"] = world.user(school, [role], email=f"{role}@{name}.example")
    for role in ("provider_manager", "provider_staff", "provider_dsl"):
        people[role] = world.user(northside, [role], email=f"{role}@northside.example")
    return {
        "hillside": hillside,
        "riverside": riverside,
        "northside": northside,
        "ava": ava,
        "ben": ben,
        "ava_placement": world.placement(hillside, northside, ava),
        "ben_placement": world.placement(riverside, northside, ben),
        "site": world.site(northside, "Workshop site"),
        **people,
    }


def _signed_in(app, person) -> Browser:
    browser = Browser(app.test_client())
    browser.sign_in(person)
    return browser


def _cell(placement_id, session="AM", **values) -> dict:
    prefix = f"m-{placement_id.hex[:12]}-{session.lower()}"
    return {f"{prefix}-{k}": v for k, v in values.items()}


def _told(app, person) -> list[str]:
    """The in-app notifications of one person."""
    with app.app_context():
        return list(db.session.scalars(select(Notification.text).where(Notification.user_id == person.id)))


def _mail(app, mailbox, person) -> list[str]:
    with app.app_context():
        deliver_outbox()
    return [message["Subject"] + "\n" + mailbox.body(message) for message in mailbox.to(person.email)]


def _nothing_for(app, mailbox, *people) -> None:
    for person in people:
        assert _told(app, person) == [], person.email
        assert _mail(app, mailbox, person) == [], person.email


# --- the register --------------------------------------------------------------------------------------------------


@freeze_time("2026-11-30 09:30:00")
def test_one_register_shows_both_schools_pupils_labelled_and_one_save_writes_each_mark_to_its_own_school(
    app, two_schools, mailbox
):
    s = two_schools
    manager = _signed_in(app, s["provider_manager"])
    page = html(manager.get("/portal/attendance"))
    assert "Pupils from 2 schools: Hillside School, Riverside School" in page
    ava_row = page.split(f'id="pupil-{s["ava_placement"].hex[:8].upper()}"', 1)[1].split("</th>", 1)[0]
    ben_row = page.split(f'id="pupil-{s["ben_placement"].hex[:8].upper()}"', 1)[1].split("</th>", 1)[0]
    assert "Ava Hill" in ava_row and "Hillside School" in ava_row and "Riverside" not in ava_row
    assert "Ben River" in ben_row and "Riverside School" in ben_row and "Hillside" not in ben_row

    response = manager.submit(
        "/portal/attendance",
        {**_cell(s["ava_placement"], kind="present"), **_cell(s["ben_placement"], kind="absent:unexplained")},
    )
    assert response.status_code == 302
    assert "Register saved: 2 marks saved" in html(manager.get(response.location))
    with app.app_context():
        marks = {m.placement_id: m for m in db.session.scalars(select(AttendanceMark))}
        assert marks[s["ava_placement"]].school_id == s["hillside"] and marks[s["ava_placement"]].kind == "present"
        assert marks[s["ben_placement"]].school_id == s["riverside"] and marks[s["ben_placement"]].kind == "absent"
        (alert,) = db.session.scalars(select(AttendanceAlert)).all()
        assert alert.school_id == s["riverside"] and alert.placement_id == s["ben_placement"]

    # Ben's absence: Riverside's attendance lead and Ben's welfare officer are told; nobody at Hillside is.
    (told,) = _told(app, s["riverside_attendance_lead"])
    assert told.startswith("Ben River absent from Northside Learning (AM session, Monday 30 November 2026)")
    (lead_mail,) = _mail(app, mailbox, s["riverside_attendance_lead"])
    assert "A pupil placed at Northside Learning is absent without an accepted reason" in lead_mail
    (welfare,) = [mailbox.body(m) for m in mailbox.to("ben.welfare@la.example")]
    assert "Ben River was absent from Northside Learning" in welfare and "Riverside School" in welfare
    assert mailbox.to("ava.worker@la.example") == []
    _nothing_for(app, mailbox, s["hillside_attendance_lead"], s["hillside_dsl"], s["hillside_headteacher"])
    # The provider's people are asked to follow it up, for Riverside.
    (chase,) = _mail(app, mailbox, s["provider_manager"])
    assert "Riverside School needs to know why a pupil was absent" in chase and "Hillside" not in chase
    (follow_up,) = _told(app, s["provider_manager"])
    assert follow_up.startswith("Find out why Ben River is absent")
    assert follow_up.endswith("Riverside School needs to know")

    # Each school's attendance lead sees its own pupil's mark, never the other school's pupil.
    hillside = html(_signed_in(app, s["hillside_attendance_lead"]).get("/school/attendance"))
    riverside = html(_signed_in(app, s["riverside_attendance_lead"]).get("/school/attendance"))
    assert "Ava Hill" in hillside and "Ben River" not in hillside
    assert "Ben River" in riverside and "Ava Hill" not in riverside


@freeze_time("2026-11-30 09:30:00")
def test_an_inset_day_at_one_school_leaves_only_its_pupils_off_the_register_and_the_register_says_so(
    app, world, two_schools
):
    s = two_schools
    with app.app_context():
        db.session.add(InsetDay(school_id=s["hillside"], day=MONDAY, note="Training day"))
        db.session.commit()
    manager = _signed_in(app, s["provider_manager"])
    page = html(manager.get("/portal/attendance"))
    assert "Ben River" in page and "1 pupil expected" in page
    register = page.split('id="closed-schools"', 1)[1].split("</div>", 1)[0]
    assert "This is not a school day for Hillside School" in register and "its pupil is not expected" in register
    assert "Ava Hill" not in page.split("<table", 1)[1]
    # The week grid says why Ava has no boxes on Monday; her Tuesday is an ordinary day.
    grid = html(manager.get(f"/portal/attendance/week?start={MONDAY.isoformat()}"))
    ava_table = grid.split("Ava Hill <span", 1)[1].split("</table>", 1)[0]
    assert ava_table.count("Not a school day for Hillside School") == 2
    assert "Not a school day" not in grid.split("Ben River <span", 1)[1].split("</table>", 1)[0]
    # Nor can a mark for Ava's Monday get in another way (the API, the CSV upload).
    _, token = world.api_token(s["northside"])
    response = app.test_client().post(
        "/api/v1/marks",
        json={
            "marks": [
                {"placement_id": str(s["ava_placement"]), "date": "2026-11-30", "session": "AM", "mark": "present"}
            ]
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422 and "not expected" in response.get_data(as_text=True)
    # Nobody is chased for Ava's morning; Ben's, left unmarked, is chased with Riverside's people only.
    with app.app_context():
        assert chase_unmarked(now=datetime(2026, 11, 30, 10, 45, tzinfo=UTC)) == 1
        (alert,) = db.session.scalars(select(AttendanceAlert)).all()
        assert (alert.placement_id, alert.school_id) == (s["ben_placement"], s["riverside"])
    assert len(_told(app, s["riverside_attendance_lead"])) == 1
    assert _told(app, s["hillside_attendance_lead"]) == []


@freeze_time("2026-11-30 15:00:00")
def test_the_csv_template_and_the_api_name_each_pupils_school_and_a_wrong_school_in_the_file_is_refused(
    app, world, two_schools
):
    s = two_schools
    manager = _signed_in(app, s["provider_manager"])
    lines = manager.get(f"/portal/attendance/template.csv?start={MONDAY.isoformat()}").get_data(as_text=True)
    lines = lines.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("pupil_ref,pupil_name,school,date,session,mark")
    ava_ref, ben_ref = s["ava_placement"].hex[:8].upper(), s["ben_placement"].hex[:8].upper()
    assert f"{ava_ref},Ava Hill,Hillside School,2026-11-30,AM,,,,," in lines
    assert f"{ben_ref},Ben River,Riverside School,2026-11-30,AM,,,,," in lines
    assert "school" in html(manager.get("/portal/attendance/upload"))

    wrong = f"pupil_ref,school,date,session,mark\n{ava_ref},Riverside School,2026-11-30,AM,present\n"
    page = html(
        manager.submit(
            "/portal/attendance/upload",
            {"file": (io.BytesIO(wrong.encode()), "marks.csv")},
            content_type="multipart/form-data",
        )
    )
    assert f"Row 2: The reference {ava_ref} is not a pupil of the school named &#39;Riverside School&#39;" in page
    right = (
        f"pupil_ref,school,date,session,mark\n{ava_ref},Hillside School,2026-11-30,AM,present\n"
        f"{ben_ref},Riverside School,2026-11-30,AM,present\n"
    )
    response = manager.submit(
        "/portal/attendance/upload",
        {"file": (io.BytesIO(right.encode()), "marks.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        schools = {m.placement_id: m.school_id for m in db.session.scalars(select(AttendanceMark))}
    assert schools == {s["ava_placement"]: s["hillside"], s["ben_placement"]: s["riverside"]}

    _, token = world.api_token(s["northside"])
    sessions = app.test_client().get("/api/v1/sessions?date=2026-11-30", headers={"Authorization": f"Bearer {token}"})
    by_pupil = {item["pupil"]["name"]: item["school"] for item in sessions.json["sessions"]}
    assert by_pupil == {
        "Ava Hill": {"id": str(s["hillside"]), "name": "Hillside School"},
        "Ben River": {"id": str(s["riverside"]), "name": "Riverside School"},
    }
    marks = app.test_client().get("/api/v1/marks?from=2026-11-30", headers={"Authorization": f"Bearer {token}"})
    assert {item["school"]["name"] for item in marks.json["marks"]} == {"Hillside School", "Riverside School"}


# --- pupils --------------------------------------------------------------------------------------------------------


def test_the_provider_sees_both_schools_pupils_labelled_and_each_school_only_its_own(app, two_schools):
    s = two_schools
    staff = _signed_in(app, s["provider_staff"])
    page = html(staff.get("/portal/pupils"))
    assert '<th scope="col" class="govuk-table__header">School</th>' in page
    ava_row = page.split("Ava Hill", 1)[1].split("</tr>", 1)[0]
    ben_row = page.split("Ben River", 1)[1].split("</tr>", 1)[0]
    assert "Hillside School" in ava_row and "Riverside School" in ben_row
    assert "What Riverside School has shared with you" in html(staff.get(f"/portal/pupils/{s['ben_placement']}"))
    # A school's pages never list the other school's pupil at the same provider.
    leads = {}
    for school, own, other in (("hillside", "Ava Hill", "Ben River"), ("riverside", "Ben River", "Ava Hill")):
        lead = leads[school] = _signed_in(app, s[f"{school}_ap_lead"])
        for url in ("/school/placements", "/school/reviews", f"/school/providers/{s['northside']}"):
            page = html(lead.get(url))
            assert other not in page, (school, url)
        assert own in html(lead.get("/school/placements"))
    assert leads["riverside"].get(f"/school/placements/{s['ava_placement']}").status_code == 404


@freeze_time("2026-11-30 09:30:00")
def test_a_provider_working_with_one_school_sees_no_school_labels(app, world):
    school = world.school("Lone School")
    provider = world.provider(school, "Solo Learning", ProviderStatus.APPROVED)
    world.placement(school, provider, world.pupil(school, first_name="Cal"))
    staff = _signed_in(app, world.user(provider, ["provider_staff"]))
    assert "Lone School" not in html(staff.get("/portal/pupils"))
    page = html(staff.get("/portal/attendance"))
    assert "Cal Example" in page and "Lone School" not in page and "Pupils from" not in page


# --- incidents -----------------------------------------------------------------------------------------------------


def _incident(s, placements, **changes) -> dict:
    return {
        "occurred_on": ["30", "11", "2026"],
        "occurred_time": "10:15",
        "site_id": str(s["site"]),
        "location": "Metal workshop",
        "placement_ids": [str(p) for p in placements],
        "incident_type": "damage_to_property",
        "severity": "serious",
        "description": "Kicked the workshop door until the glass cracked.",
        "actions_taken": "Moved to the quiet room with a mentor.",
        "physical_intervention": "no",
        "injury": "no",
        "parents_informed": "yes",
        "suspension": "no",
        **changes,
    }


@freeze_time(NOW)
def test_an_incident_goes_to_its_pupils_school_only(app, two_schools, mailbox):
    s = two_schools
    staff = _signed_in(app, s["provider_staff"])
    form = html(staff.get("/portal/incidents/new"))
    assert "Ava Hill (Year 9, Hillside School)" in form and "Ben River (Year 9, Riverside School)" in form
    page = html(staff.submit("/portal/incidents/new", _incident(s, [s["ava_placement"], s["ben_placement"]])))
    assert "Report pupils from different schools as separate incidents" in page

    response = staff.submit("/portal/incidents/new", _incident(s, [s["ben_placement"]]))
    assert response.status_code == 302
    page = html(staff.get(response.location))
    assert "Incident reported. Riverside School can see it now. Riverside School&#39;s AP lead has been told" in page
    assert "Reported to Riverside School: only its staff can see it." in page
    with app.app_context():
        (incident,) = db.session.scalars(select(Incident)).all()
        assert incident.school_id == s["riverside"]
    assert _told(app, s["riverside_ap_lead"]) == ["A serious incident has been reported by Northside Learning."]
    (mail,) = _mail(app, mailbox, s["riverside_ap_lead"])
    assert "Serious incident reported by Northside Learning" in mail and "glass" not in mail
    _nothing_for(app, mailbox, s["hillside_ap_lead"], s["hillside_headteacher"], s["hillside_dsl"])

    listing = html(staff.get("/portal/incidents"))
    assert "Ben River" in listing and "Riverside School" in listing.split("Ben River", 1)[1].split("</tr>", 1)[0]
    riverside = _signed_in(app, s["riverside_ap_lead"])
    hillside = _signed_in(app, s["hillside_ap_lead"])
    assert "Ben River" in html(riverside.get("/school/incidents"))
    assert "Ben River" not in html(hillside.get("/school/incidents"))
    assert hillside.get(f"/school/incidents/{incident.id}").status_code == 404


# --- safeguarding concerns -----------------------------------------------------------------------------------------


def _concern(placement, **changes) -> dict:
    return {
        "placement_id": str(placement),
        "occurred_on": ["30", "11", "2026"],
        "occurred_time": "9:40am",
        "location": "Workshop",
        "category": "neglect",
        "what_happened": "Came in hungry and without a coat for the third day.",
        "childs_words": "",
        "actions_taken": "Gave breakfast.",
        "who_told": "Our DSL",
        **changes,
    }


@freeze_time(NOW)
def test_a_concern_goes_only_to_the_placing_schools_dsls(app, two_schools, mailbox):
    s = two_schools
    dsl = _signed_in(app, s["provider_dsl"])
    form = html(dsl.get("/portal/concerns/new"))
    assert "Ava Hill (Year 9, Hillside School)" in form
    assert "The concern goes to the DSLs of the pupil&#39;s own school only." in form
    response = dsl.submit("/portal/concerns/new", _concern(s["ava_placement"]))
    assert response.status_code == 302
    page = html(dsl.get(response.location))
    assert "Concern sent. Hillside School&#39;s DSLs have been told it is waiting for them." in page
    assert "About a pupil of Hillside School: it goes to Hillside School's DSLs only." in page
    with app.app_context():
        (concern,) = db.session.scalars(select(Concern)).all()
        assert concern.school_id == s["hillside"] and concern.status == "sent"
    assert len(_told(app, s["hillside_dsl"])) == 1
    (mail,) = _mail(app, mailbox, s["hillside_dsl"])
    assert "hungry" not in mail and "Ava" not in mail
    _nothing_for(
        app, mailbox, s["riverside_dsl"], s["riverside_headteacher"], s["riverside_ap_lead"], s["hillside_ap_lead"]
    )
    listing = html(dsl.get("/portal/concerns"))
    assert "Hillside School" in listing.split("Ava Hill", 1)[1].split("</tr>", 1)[0]
    riverside = _signed_in(app, s["riverside_dsl"])
    assert "Ava Hill" not in html(riverside.get("/school/concerns"))
    assert riverside.get(f"/school/concerns/{concern.id}").status_code == 404
    hillside = _signed_in(app, s["hillside_dsl"])
    assert "Ava Hill" in html(hillside.get("/school/concerns"))

    # A concern raised by staff goes to the provider's DSL first, then to the pupil's school when sent.
    staff = _signed_in(app, s["provider_staff"])
    assert staff.submit("/portal/concerns/new", _concern(s["ben_placement"])).status_code == 302
    with app.app_context():
        raised = db.session.scalar(select(Concern).where(Concern.status == "raised"))
    response = dsl.submit(f"/portal/concerns/{raised.id}", {}, post_url=f"/portal/concerns/{raised.id}/send")
    assert "Riverside School&#39;s DSLs have been told" in html(dsl.get(response.location))
    assert len(_told(app, s["riverside_dsl"])) == 1 and len(_told(app, s["hillside_dsl"])) == 1


# --- safeguarding notices ------------------------------------------------------------------------------------------


def _notice(provider_id, text) -> dict:
    return {
        "kind": "agencies_involved",
        "provider_text": text,
        "provider_ids": [str(provider_id)],
    }


@freeze_time("2026-11-30 08:10:00")
def test_a_schools_notice_reaches_only_the_providers_dsls_and_only_about_that_schools_pupil(app, two_schools, mailbox):
    s = two_schools
    hillside = _signed_in(app, s["hillside_dsl"])
    url = f"/school/notices/new?pupil={s['ava']}"
    response = hillside.submit(url, _notice(s["northside"], "Ava is staying with her gran this week."))
    assert response.status_code == 302, html(response)[:3000]
    with app.app_context():
        (notice,) = db.session.scalars(select(Notice)).all()
        assert (notice.school_id, notice.pupil_id, notice.provider_id) == (s["hillside"], s["ava"], s["northside"])
    assert len(_told(app, s["provider_dsl"])) == 1
    (mail,) = _mail(app, mailbox, s["provider_dsl"])
    assert "Hillside School" in mail and "gran" not in mail
    _nothing_for(app, mailbox, s["provider_manager"], s["provider_staff"], s["riverside_dsl"])
    # Riverside cannot send a notice about Hillside's pupil.
    riverside = _signed_in(app, s["riverside_dsl"])
    refused = html(riverside.get(f"/school/notices/new?pupil={s['ava']}"))
    assert "Choose a pupil placed with a provider" in refused and "Ava Hill" not in refused
    assert "Ava Hill" not in html(riverside.get("/school/notices/new"))
    riverside.submit(
        f"/school/notices/new?pupil={s['ben']}",
        _notice(s["northside"], "Sneaked in."),
        post_url=f"/school/notices/new?pupil={s['ava']}",
    )
    with app.app_context():
        assert db.session.scalars(select(Notice.id)).all() == [notice.id]
    response = riverside.submit(
        f"/school/notices/new?pupil={s['ben']}", _notice(s["northside"], "Ben has a new social worker.")
    )
    assert response.status_code == 302
    assert "Ava is staying" not in html(riverside.get("/school/notices"))

    # The provider's DSL sees each notice labelled with the school it came from and the pupil it is about.
    dsl = _signed_in(app, s["provider_dsl"])
    listing = html(dsl.get("/portal/notices"))
    assert "Notices from the schools you work with" in listing
    rows = listing.split("<tbody", 1)[1].split("</tr>")
    assert any("Hillside School" in row and "Ava Hill" in row for row in rows)
    assert any("Riverside School" in row and "Ben River" in row for row in rows)
    assert not any("Hillside School" in row and "Ben River" in row for row in rows)
    # Nobody else at the provider can see notices.
    assert _signed_in(app, s["provider_manager"]).get("/portal/notices").status_code in (403, 404)


# --- reviews -------------------------------------------------------------------------------------------------------


@freeze_time(NOW)
def test_a_review_is_the_placing_schools_and_counts_only_its_pupils_marks(app, world, two_schools):
    s = two_schools
    with app.app_context():
        for placement_id, kind, reason in (
            (s["ava_placement"], "present", None),
            (s["ben_placement"], "absent", "illness"),
        ):
            from shared.models import Placement
            from shared.services.attendance.marks import MarkEntry, record_mark

            placement = db.session.get(Placement, placement_id)
            record_mark(placement, MONDAY, "AM", MarkEntry.parse(kind, None, reason), by=None)
    hillside = _signed_in(app, s["hillside_ap_lead"])
    riverside = _signed_in(app, s["riverside_ap_lead"])
    assert "Ava Hill" in html(hillside.get("/school/reviews")) and "Ben River" not in html(
        hillside.get("/school/reviews")
    )
    assert "Ben River" in html(riverside.get("/school/reviews")) and "Ava Hill" not in html(
        riverside.get("/school/reviews")
    )
    assert riverside.get(f"/school/placements/{s['ava_placement']}/reviews/new").status_code == 404
    url = f"/school/placements/{s['ava_placement']}/reviews/new"
    assert "100.0%" in html(hillside.get(url))  # Ava's one mark, not Ben's absence at the same provider
    response = hillside.submit(
        url,
        {
            "held_on": ["30", "11", "2026"],
            "school_attendees": "AP lead",
            "attendance_notes": "Fine.",
            "behaviour": "Fine.",
            "academic_progress": "Fine.",
            "wellbeing": "Fine.",
            "outcome": "continue",
            "next_review_on": ["11", "1", "2027"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        (review,) = db.session.scalars(select(PlacementReview)).all()
        assert review.school_id == s["hillside"] and review.attendance_percent == 100.0
    assert riverside.get(response.location).status_code == 404


# --- query counts --------------------------------------------------------------------------------------------------


def _count_queries(app, browser, url, data=None) -> int:
    """The SQL statements of one GET of `url` (with `data`: the GET and the POST of its form)."""
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        if data is None:
            assert browser.get(url).status_code == 200
        else:
            assert browser.submit(url, data).status_code == 302
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


@freeze_time("2026-11-30 09:30:00")
def test_the_portals_pages_cost_the_same_queries_for_two_schools_as_for_five(app, world):
    """The register (a bench measures it with five schools) and its Save, the week grid, the pupils, the incidents,
    the concern form and the CSV template: the number of queries does not grow with the schools or the pupils."""
    pages = (
        "/portal/attendance",
        f"/portal/attendance/week?start={MONDAY.isoformat()}",
        "/portal/pupils",
        "/portal/incidents",
        f"/portal/attendance/template.csv?start={MONDAY.isoformat()}",
        "/portal/concerns/new",
    )
    counts = {}
    for schools, pupils in ((2, 1), (5, 3)):
        first = world.school(f"School 1 of {schools}")
        provider = world.provider(first, f"Provider of {schools}", ProviderStatus.APPROVED)
        for n in range(schools):
            school = first if n == 0 else world.school(f"School {n + 1} of {schools}")
            if n:
                world.works_with(school, provider, ProviderStatus.APPROVED)
            for p in range(pupils):
                placement = world.placement(school, provider, world.pupil(school, first_name=f"P{n}x{p}"))
                world.incident(placement)
        browser = Browser(app.test_client())
        browser.sign_in(world.user(provider, ["provider_manager"]))
        for page in pages:
            browser.get(page)  # warm up anything cached per process
        counts[schools] = {page: _count_queries(app, browser, page) for page in pages}
        # The home page of someone who is not shown the compliance figures (each school's are its own calculation).
        staff = Browser(app.test_client())
        staff.sign_in(world.user(provider, ["provider_staff"]))
        staff.get("/portal/")
        counts[schools]["staff home"] = _count_queries(app, staff, "/portal/")
        # One Save of the register marking everyone present: every pupil of every school, the same queries.
        counts[schools]["save"] = _count_queries(app, browser, "/portal/attendance", {"all_present": ["AM"]})
        with app.app_context():
            assert db.session.query(AttendanceMark).filter_by(provider_id=provider).count() == schools * pupils
    assert counts[2] == counts[5], counts
    assert counts[5]["/portal/attendance"] <= 15, counts
