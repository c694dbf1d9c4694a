"""A pupil's safeguarding chronology: concerns and the DSL's steps, notices, serious incidents and absence alerts in
time order; its CSV and PDF exports; who may open it (the school's DSLs, with a recent security code), and the audit
trail of every opening and export. Frozen time throughout (November: the school's clock is UTC)."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time
from pypdf import PdfReader
from sqlalchemy import event, select

from shared import audit
from shared.extensions import db
from shared.models import (
    AttendanceAlert,
    AuditEvent,
    Concern,
    ConcernEntry,
    Organisation,
    Placement,
    ProviderStatus,
    User,
)
from shared.roles import AP_LEAD, DSL, HEADTEACHER, PROVIDER_DSL, PROVIDER_MANAGER
from shared.services.safeguarding.chronology import chronology
from tests.support.client import Browser, html


def at(hour: int, minute: int = 0, day: int = 30) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _rename(app, person, name: str) -> None:
    with app.app_context():
        db.session.get(User, person.id).name = name
        db.session.commit()


@pytest.fixture
def history(app, world):
    """A hand-built history for one pupil at Northside Learning, added out of time order on purpose."""
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Ava", last_name="Example", upn="A123456789012")
    placement = world.placement(school, provider, pupil)
    dsl = world.user(school, [DSL])
    provider_dsl = world.user(provider, [PROVIDER_DSL])
    _rename(app, dsl, "Sam Patel")
    _rename(app, provider_dsl, "Jo Brown")

    # A notice first (it comes last in time), then the alert, the incidents and the concern.
    notice = world.notice(
        placement,
        provider_text="Be ready for a tired, unsettled day; offer a quiet space.",
        shared_by_id=dsl.id,
        shared_at=at(13),
        acknowledged_by_id=provider_dsl.id,
        acknowledged_at=at(13, 20),
    )
    # Reported at the end of the morning, an hour after it happened.
    world.incident(
        placement, severity="serious", occurred_at=at(11), reported_at=at(12), description="Threw a chair at a tutor."
    )
    world.incident(placement, severity="low", occurred_at=at(11, 10), description="Pushed in the lunch queue.")
    world.incident(
        placement,
        severity="low",
        injury=True,
        occurred_at=at(11, 20),
        reported_at=at(11, 20),
        description="Fell from the climbing wall.",
    )
    concern = world.concern(
        placement,
        status="closed",
        raised_by_id=provider_dsl.id,
        raised_at=at(10, 35),
        sent_by_id=provider_dsl.id,
        sent_at=at(10, 45),
        acknowledged_by_id=dsl.id,
        acknowledged_at=at(10, 50),
        closed_by_id=dsl.id,
        closed_at=at(15),
    )
    with app.app_context():
        school_row = db.session.get(Organisation, school)
        placement_row = db.session.get(Placement, placement)
        db.session.add(
            AttendanceAlert(
                kind="absence",
                placement_id=placement,
                school_id=school,
                provider_id=provider,
                pupil_id=placement_row.pupil_id,
                day=date(2026, 11, 30),
                session="AM",
                reason="unexplained",
                raised_at=at(9, 40),
            )
        )
        for kind, when, fields in (
            ("note", at(10, 40), {"body": '=HYPERLINK("http://evil.example")', "recorded_by_id": provider_dsl.id}),
            ("discussion", at(11, 30), {"body": "Spoke with the provider DSL about breakfast club."}),
            ("decision", at(11, 45), {"decision": "no_referral", "body": "Mum already working with Early Help."}),
        ):
            fields.setdefault("recorded_by_id", dsl.id)
            entry = ConcernEntry(concern_id=concern, kind=kind, recorded_at=when, **fields)
            db.session.add(entry)
        row = db.session.get(Concern, concern)
        # As shared.services.safeguarding.concerns.share_back keeps them: each share dated, below the one before.
        row.shared_back = (
            "30 November 2026 at 14:00: We have spoken with the family; keep offering breakfast.\n\n"
            "30 November 2026 at 14:30: Mum is coming in tomorrow.\n\nPlease let her know the times."
        )
        for when in ("2026-11-30 14:00:00", "2026-11-30 14:30:00"):
            with freeze_time(when):
                actor = db.session.get(User, dsl.id)
                audit.record("concern.shared_back", organisation=school_row, obj=row, actor=actor)
                db.session.commit()
    return {
        "school": school,
        "provider": provider,
        "pupil": pupil,
        "placement": placement,
        "dsl": dsl,
        "concern": concern,
        "notice": notice,
    }


EXPECTED_CSV = [
    ["When it happened", "When it was recorded", "What", "Summary", "Who", "Organisation"],
    [
        "2026-11-30 09:40",
        "",
        "Absence alert",
        "Absent without authorisation, Monday 30 November 2026, morning session. Reason given: Unexplained.",
        "",
        "Northside Learning",
    ],
    [
        "2026-11-30 10:30",
        "2026-11-30 10:35",
        "Concern raised",
        "Neglect: Came in hungry and without a coat for the third day.",
        "Jo Brown",
        "Northside Learning",
    ],
    [
        "2026-11-30 10:40",
        "",
        "Note from the provider's DSL",
        '\'=HYPERLINK("http://evil.example")',
        "Jo Brown",
        "Northside Learning",
    ],
    [
        "2026-11-30 10:45",
        "",
        "Concern sent to the school",
        "Sent to the school's DSLs.",
        "Jo Brown",
        "Northside Learning",
    ],
    ["2026-11-30 10:50", "", "Concern acknowledged", "Acknowledged by the school.", "Sam Patel", "Hillside Academy"],
    [
        "2026-11-30 11:00",
        "2026-11-30 12:00",
        "Serious incident",
        "Disruption (Serious): Threw a chair at a tutor.",
        "Jo Brown",
        "Northside Learning",
    ],
    [
        "2026-11-30 11:20",
        "",
        "Serious incident",
        "Disruption (Low, injury): Fell from the climbing wall.",
        "Jo Brown",
        "Northside Learning",
    ],
    [
        "2026-11-30 11:30",
        "",
        "DSL discussion",
        "Spoke with the provider DSL about breakfast club.",
        "Sam Patel",
        "Hillside Academy",
    ],
    [
        "2026-11-30 11:45",
        "",
        "DSL decision",
        "No referral. Rationale: Mum already working with Early Help.",
        "Sam Patel",
        "Hillside Academy",
    ],
    [
        "2026-11-30 13:00",
        "",
        "Notice shared with Northside Learning",
        "Operation Encompass notice. Police reference OE/2026/1234. "
        "Be ready for a tired, unsettled day; offer a quiet space.",
        "Sam Patel",
        "Hillside Academy",
    ],
    [
        "2026-11-30 13:20",
        "",
        "Notice acknowledged",
        "Acknowledged by Northside Learning.",
        "Jo Brown",
        "Northside Learning",
    ],
    [
        "2026-11-30 14:00",
        "",
        "Shared back with the provider",
        "30 November 2026 at 14:00: We have spoken with the family; keep offering breakfast.",
        "Sam Patel",
        "Hillside Academy",
    ],
    [
        "2026-11-30 14:30",
        "",
        "Shared back with the provider",
        "30 November 2026 at 14:30: Mum is coming in tomorrow.\n\nPlease let her know the times.",
        "Sam Patel",
        "Hillside Academy",
    ],
    ["2026-11-30 15:00", "", "Concern closed", "Closed by the school.", "Sam Patel", "Hillside Academy"],
]


def _signed_in_dsl(app, history) -> Browser:
    browser = Browser(app.test_client())
    browser.sign_in(history["dsl"])
    return browser


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_entries_come_in_time_order_across_sources(app, history):
    with app.app_context():
        entries = chronology(history["school"], history["pupil"])
    assert [(e.when, e.kind) for e in entries] == [
        (at(9, 40), "Absence alert"),
        (at(10, 30), "Concern raised"),  # when it happened: raised at 10:35
        (at(10, 40), "Note from the provider's DSL"),
        (at(10, 45), "Concern sent to the school"),
        (at(10, 50), "Concern acknowledged"),
        (at(11), "Serious incident"),
        (at(11, 20), "Serious incident"),  # low, but someone was injured
        (at(11, 30), "DSL discussion"),
        (at(11, 45), "DSL decision"),
        (at(13), "Notice shared with Northside Learning"),
        (at(13, 20), "Notice acknowledged"),
        (at(14), "Shared back with the provider"),
        (at(14, 30), "Shared back with the provider"),
        (at(15), "Concern closed"),
    ]
    # The low incident with no intervention or injury is not a safeguarding matter: it is not there.
    assert not any("lunch queue" in e.summary for e in entries)
    assert {e.concern_id for e in entries if "Concern" in e.kind or "DSL" in e.kind} == {history["concern"]}


def test_the_chronology_reads_a_fixed_number_of_queries_however_long_the_history(app, world, history):
    def count_queries(pupil):
        statements = []

        def listen(*_args):
            statements.append(1)

        with app.app_context():
            engine = db.engine
            event.listen(engine, "before_cursor_execute", listen)
            try:
                chronology(history["school"], pupil)
            finally:
                event.remove(engine, "before_cursor_execute", listen)
        return len(statements)

    school, provider = history["school"], history["provider"]
    placement = world.placement(school, provider)
    with app.app_context():
        pupil = db.session.get(Placement, placement).pupil_id
    world.concern(placement)
    world.notice(placement)
    short = count_queries(pupil)
    for hour in range(9, 14):
        world.concern(placement, occurred_at=at(hour))
        world.notice(placement)
        world.incident(placement, severity="serious")
    assert count_queries(pupil) == short


def test_another_schools_history_and_another_pupils_are_not_included(app, world, history):
    other_school = world.school("Other School")
    other_provider = world.provider(other_school, "Elsewhere AP", ProviderStatus.APPROVED)
    world.concern(world.placement(other_school, other_provider))
    second_pupil = world.placement(history["school"], history["provider"])
    world.concern(second_pupil, what_happened="Someone else's concern.")
    with app.app_context():
        entries = chronology(history["school"], history["pupil"])
    assert len(entries) == len(EXPECTED_CSV) - 1
    assert not any("Someone else" in e.summary for e in entries)


@freeze_time("2026-11-30 16:00:00")
def test_the_dsl_sees_the_chronology_with_links_to_concerns_and_downloads(app, history):
    browser = _signed_in_dsl(app, history)
    response = browser.get(f"/school/pupils/{history['pupil']}/chronology")
    assert response.status_code == 200
    page = html(response)
    assert "<title>Safeguarding chronology" in page
    assert "Ava" not in page.split("<title>")[1].split("</title>")[0]
    assert "Ava Example" in page
    assert "Monday 30 November 2026 at 10:35" in page
    assert "No referral. Rationale: Mum already working with Early Help." in page
    assert f'href="/school/concerns/{history["concern"]}"' in page
    assert f'href="/school/pupils/{history["pupil"]}/chronology.pdf"' in page
    assert "Download as PDF" in page and "Download as CSV" in page
    # Oldest first.
    assert page.index("Absence alert") < page.index("Concern raised") < page.index("Concern closed")
    assert response.headers["Cache-Control"] == "no-store"
    opened = _events(app, "chronology.opened")
    assert [(e.object_id, e.actor_user_id, e.details) for e in opened] == [
        (str(history["pupil"]), history["dsl"].id, {})
    ]


@freeze_time("2026-11-30 16:00:00")
def test_the_csv_has_the_columns_and_rows_with_formulas_made_plain(app, history):
    browser = _signed_in_dsl(app, history)
    response = browser.get(f"/school/pupils/{history['pupil']}/chronology.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="safeguarding-chronology-A123456789012.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == EXPECTED_CSV
    exported = _events(app, "chronology.exported")
    assert [(e.object_id, e.details) for e in exported] == [(str(history["pupil"]), {"format": "csv"})]


@freeze_time("2026-11-30 16:00:00")
def test_the_pdf_is_a_marked_a4_document_with_the_pupil_and_the_entries(app, history):
    with app.app_context():
        concern = db.session.get(Concern, history["concern"])
        # Text a core PDF font cannot show is made plain rather than breaking the export.
        words = "Said \u201cI\u2019m scared to go home\u201d \u2014 asked for Zo\u0107a."
        concern.what_happened = words + " Long." * 80
        # Enough to run over several pages.
        for minute in range(50):
            db.session.add(
                ConcernEntry(
                    concern_id=concern.id,
                    kind="note",
                    body=f"Checked in with the provider, visit {minute}. " * 3,
                    recorded_by_id=history["dsl"].id,
                    recorded_at=at(15, minute),
                )
            )
        db.session.commit()
    browser = _signed_in_dsl(app, history)
    response = browser.get(f"/school/pupils/{history['pupil']}/chronology.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="safeguarding-chronology-A123456789012.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert body.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(body))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    assert "Safeguarding chronology" in text
    assert "Ava Example" in text
    assert "Date of birth: 14 March 2012" in text
    assert "A123456789012" in text
    assert "Printed Monday 30 November 2026 by Sam Patel" in text
    assert "Mum already working with Early Help." in text
    assert "I'm scared to go home" in text and "Zoca" in text
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "OFFICIAL-SENSITIVE" in page
        assert "Safeguarding chronology" in page
        assert "Printed Monday 30 November 2026 by Sam Patel" in page
        assert f"Page {number} of {len(pages)}" in page
    assert [e.details for e in _events(app, "chronology.exported")] == [{"format": "pdf"}]


@pytest.mark.parametrize("suffix", ["", ".csv", ".pdf"])
def test_only_the_schools_dsl_may_open_it_and_another_schools_pupil_is_not_found(app, world, history, suffix):
    url = f"/school/pupils/{history['pupil']}/chronology{suffix}"
    for roles in ([AP_LEAD], [HEADTEACHER]):
        browser = Browser(app.test_client())
        browser.sign_in(world.user(history["school"], roles))
        assert browser.get(url).status_code == 403
    for roles in ([PROVIDER_DSL], [PROVIDER_MANAGER]):
        browser = Browser(app.test_client())
        browser.sign_in(world.user(history["provider"], roles))
        assert browser.get(url).status_code == 403
    other_dsl = Browser(app.test_client())
    other_dsl.sign_in(world.user(world.school("Other School"), [DSL]))
    assert other_dsl.get(url).status_code == 404
    assert _events(app, "chronology.opened") == [] and _events(app, "chronology.exported") == []


@pytest.mark.parametrize("suffix", ["", ".csv", ".pdf"])
def test_a_stale_security_code_asks_for_it_again(app, history, suffix):
    url = f"/school/pupils/{history['pupil']}/chronology{suffix}"
    with freeze_time("2026-11-30 16:00:00") as frozen:
        browser = _signed_in_dsl(app, history)
        assert browser.get(url).status_code == 200
        frozen.tick(16 * 60)
        response = browser.get(url)
        assert response.status_code == 302
        assert response.location.startswith("/two-step/confirm")
        assert "chronology" in response.location
    assert len(_events(app, "chronology.opened") + _events(app, "chronology.exported")) == 1


def test_the_school_dsl_sees_who_opened_what_and_when_on_either_side(app, world):
    """Openings of a concern (by the provider's DSL and the school's), of a notice and of the chronology, each with
    the person, their organisation and the pupil; another school's openings are not listed."""
    from tests.support.client import Browser, html

    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Jayden", last_name="Walsh")
    placement = world.placement(school, provider, pupil)
    concern = world.concern(placement, status="sent")
    notice = world.notice(placement)
    provider_dsl = Browser(app.test_client())
    provider_dsl.sign_in(world.user(provider, ["provider_dsl"], email="pdsl@northside.example"))
    assert provider_dsl.get(f"/portal/concerns/{concern}").status_code == 200
    assert provider_dsl.get(f"/portal/notices/{notice}").status_code == 200
    other_school = world.school("Other School")
    other_placement = world.placement(other_school, world.provider(other_school, "Elsewhere", ProviderStatus.APPROVED))
    stranger = Browser(app.test_client())
    stranger.sign_in(world.user(other_school, ["dsl"]))
    assert stranger.get(f"/school/concerns/{world.concern(other_placement)}").status_code == 200

    school_dsl = Browser(app.test_client())
    school_dsl.sign_in(world.user(school, ["dsl"]))
    assert school_dsl.get(f"/school/concerns/{concern}").status_code == 200
    assert school_dsl.get(f"/school/pupils/{pupil}/chronology").status_code == 200
    page = html(school_dsl.get("/school/safeguarding/access-log"))
    assert page.count("Opened a concern") == 2 and "Opened a notice" in page
    assert "Opened the safeguarding chronology" in page and "Jayden Walsh" in page
    assert "Northside Learning" in page and "Other School" not in page
    sendco = Browser(app.test_client())
    sendco.sign_in(world.user(school, ["sendco"]))
    assert sendco.get("/school/safeguarding/access-log").status_code == 403


def test_reloading_a_concern_is_one_opening_in_the_access_log_not_one_a_reload(app, world):
    """Issue 13: the access log added a row on every reload (11 a minute). Each opening is recorded once per person
    per five minutes; opening it again later, or another person opening it, is a new row."""
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    placement = world.placement(school, provider, world.pupil(school, first_name="Jayden", last_name="Walsh"))
    concern = world.concern(placement, status="sent")
    dsl = Browser(app.test_client())
    deputy = Browser(app.test_client())
    with freeze_time("2026-11-30 11:00:00") as clock:
        dsl.sign_in(world.user(school, ["dsl"], email="dsl@school.example"))
        deputy.sign_in(world.user(school, ["dsl"], email="deputy@school.example"))
        for _ in range(11):
            assert dsl.get(f"/school/concerns/{concern}").status_code == 200
            clock.tick(5)
        page = html(dsl.get("/school/safeguarding/access-log"))
        assert page.count("Opened a concern") == 1
        clock.tick(4 * 60)
        assert dsl.get(f"/school/concerns/{concern}").status_code == 200
        assert deputy.get(f"/school/concerns/{concern}").status_code == 200
        page = html(dsl.get("/school/safeguarding/access-log"))
        assert page.count("Opened a concern") == 2
        clock.tick(6 * 60)
        assert dsl.get(f"/school/concerns/{concern}").status_code == 200
        page = html(dsl.get("/school/safeguarding/access-log"))
        assert page.count("Opened a concern") == 3


def test_the_chronology_is_in_the_order_things_happened_with_both_times_where_they_differ(app, world):
    """Issue 13: a concern seen at 10:00 but raised at 14:00 comes before an incident at 11:00, not after it; the
    page shows when it happened and when it was raised (or reported), in the CSV as well."""
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Ava", last_name="Example")
    placement = world.placement(school, provider, pupil)
    world.incident(
        placement, severity="serious", occurred_at=at(11), reported_at=at(11, 5), description="Threw a chair."
    )
    world.concern(placement, status="sent", occurred_at=at(10), raised_at=at(14), sent_at=at(14))
    dsl = Browser(app.test_client())
    with freeze_time("2026-11-30 16:00:00"):
        dsl.sign_in(world.user(school, [DSL]))
        page = html(dsl.get(f"/school/pupils/{pupil}/chronology"))
        assert page.index("Concern raised") < page.index("Serious incident") < page.index("Concern sent")
        assert "When it happened" in page
        assert "Raised Monday 30 November 2026 at 14:00" in page
        assert "Reported Monday 30 November 2026 at 11:05" in page
        rows = list(csv.reader(io.StringIO(dsl.get(f"/school/pupils/{pupil}/chronology.csv").get_data(as_text=True))))
        assert rows[1][:3] == ["2026-11-30 10:00", "2026-11-30 14:00", "Concern raised"]
        assert rows[2][:3] == ["2026-11-30 11:00", "2026-11-30 11:05", "Serious incident"]
