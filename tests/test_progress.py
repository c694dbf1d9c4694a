"""Progress the school can see (issue 15): the baseline in the first week, the targets from the intended outcomes,
a report every half-term with attendance from the marks, the provider's tasks and the AP lead's early warning."""

import io
from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from shared.crypto import decrypt_bytes, file_purpose
from shared.extensions import db
from shared.models import (
    AttendanceMark,
    AuditEvent,
    Placement,
    ProgressPhoto,
    ProgressReport,
    ProviderStatus,
    SchoolTerm,
    User,
)
from shared.roles import AP_LEAD, ATTENDANCE_LEAD, PROVIDER_DSL, PROVIDER_MANAGER, PROVIDER_STAFF, SENDCO
from shared.services.errors import RuleBroken
from shared.services.placements import early_warning, progress
from shared.services.placements.progress import Due, TargetProgress
from shared.services.school_calendar.half_terms import half_terms
from shared.uploads.pipeline import current_storage
from tests.test_attention import _forget_last_code, items

NOW = "2026-11-30 14:30:00"  # a Monday in the second half of the autumn term
TODAY = date(2026, 11, 30)
WHEN = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
OUTCOMES = "Reading age up a year\n- Attend 90% of sessions\n\n"


@pytest.fixture
def school(world, app):
    school = world.school("Demo School")
    with app.app_context():
        db.session.add(
            SchoolTerm(
                school_id=school,
                name="Autumn term",
                start_date=date(2026, 9, 1),
                end_date=date(2026, 12, 18),
                half_term_starts=date(2026, 10, 26),
                half_term_ends=date(2026, 10, 30),
            )
        )
        db.session.commit()
    return school


@pytest.fixture
def provider(world, school):
    return world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED)


@pytest.fixture
def placement(world, school, provider):
    pupil = world.pupil(school, first_name="Jamie", last_name="Smith")
    return world.placement(school, provider, pupil, intended_outcomes=OUTCOMES)


def _mark(app, placement_id, day: date, session: str, present: bool) -> None:
    with app.app_context():
        p = db.session.get(Placement, placement_id)
        db.session.add(
            AttendanceMark(
                placement_id=p.id,
                school_id=p.school_id,
                provider_id=p.provider_id,
                pupil_id=p.pupil_id,
                day=day,
                session=session,
                kind="present" if present else "absent",
                reason=None if present else "unexplained",
                code="B" if present else "N",
            )
        )
        db.session.commit()


def _user(app, person) -> User:
    return db.session.get(User, person.id)


def _first_half(school):
    return half_terms(school)[0]


def _report(app, world, placement_id, school, provider, period=None):
    writer = world.user(provider, [PROVIDER_STAFF])
    with app.app_context():
        p = db.session.get(Placement, placement_id)
        return progress.write_report(
            p,
            period or _first_half(school),
            [TargetProgress(t, "progressing", f"Worked on: {t}") for t in progress.targets_of(p)],
            units_achieved="Functional Skills English Entry 3: reading",
            pupil_voice="I like the workshop",
            by=_user(app, writer),
        ).id


# --- targets --------------------------------------------------------------------------------------------------------


def test_targets_are_the_intended_outcomes_until_the_school_sets_them(app, world, school, placement):
    lead = world.user(school, [AP_LEAD])
    with app.app_context():
        p = db.session.get(Placement, placement)
        assert progress.targets_of(p) == ["Reading age up a year", "Attend 90% of sessions"]
        progress.set_targets(p, "Read a novel\n\nAttend 95% of sessions\n", by=_user(app, lead))
        assert progress.targets_of(p) == ["Read a novel", "Attend 95% of sessions"]
        progress.set_targets(p, "Only this one", by=_user(app, lead))
        assert progress.targets_of(p) == ["Only this one"]
        with pytest.raises(RuleBroken, match="Enter at least one target"):
            progress.set_targets(p, " \n ", by=_user(app, lead))
        assert db.session.query(AuditEvent).filter_by(action="progress.targets_set").count() == 2


# --- the baseline ---------------------------------------------------------------------------------------------------


def test_the_baseline_needs_each_part_but_the_pupils_words(app, world, provider, placement):
    staff = world.user(provider, [PROVIDER_STAFF])
    with app.app_context():
        p = db.session.get(Placement, placement)
        with pytest.raises(RuleBroken) as refused:
            progress.record_baseline(p, {"english": "Reads at age 9"}, by=_user(app, staff))
        assert {problem.field for problem in refused.value.problems} == {"maths", "engagement", "attendance"}
        answers = {"english": "Reads at age 9", "maths": "Times tables", "engagement": "Low", "attendance": "60%"}
        progress.record_baseline(p, answers, by=_user(app, staff))
        progress.record_baseline(p, {**answers, "maths": "Fractions"}, by=_user(app, staff))  # corrected
        baseline = progress.baseline_of(placement)
        assert (baseline.maths, baseline.pupil_voice, baseline.updated_at is not None) == ("Fractions", None, True)


def test_a_baseline_is_due_in_the_first_week_then_late(app, world, school, provider):
    with app.app_context():
        started = world.placement(school, provider, start=date(2026, 11, 26))
        found = progress.baselines_due_for_provider(provider, TODAY)
        assert [(p.id, late) for p, late in found] == [(started, False)]
        assert [late for _, late in progress.baselines_due_for_provider(provider, date(2026, 12, 4))] == [True]
        assert progress.baselines_due_for_provider(provider, date(2027, 1, 8)) == []  # six weeks on: not asked


# --- half-term reports ----------------------------------------------------------------------------------------------


def test_attendance_in_the_report_is_from_the_marks_of_the_half_term(app, world, school, provider, placement):
    for day in (date(2026, 10, 19), date(2026, 10, 20)):
        _mark(app, placement, day, "AM", True)
        _mark(app, placement, day, "PM", True)
    _mark(app, placement, date(2026, 10, 21), "AM", False)
    _mark(app, placement, date(2026, 11, 2), "AM", False)  # the next half-term: not counted
    with freeze_time(NOW):
        report_id = _report(app, world, placement, school, provider)
    with app.app_context():
        report = db.session.get(ProgressReport, report_id)
        assert report.attendance_percent == 80.0
        assert report.period_name == "Autumn term, first half"
        assert report.against_targets[0] == {
            "target": "Reading age up a year",
            "rating": "progressing",
            "text": "Worked on: Reading age up a year",
        }


def test_a_report_needs_a_rating_and_words_for_each_target_and_the_pupils_words(
    app, world, school, provider, placement
):
    staff = world.user(provider, [PROVIDER_STAFF])
    with app.app_context():
        p = db.session.get(Placement, placement)
        with pytest.raises(RuleBroken) as refused:
            progress.write_report(
                p,
                _first_half(school),
                [TargetProgress("A", "brilliant", "x"), TargetProgress("B", "met", " ")],
                units_achieved=None,
                pupil_voice="",
                by=_user(app, staff),
            )
        assert [problem.field for problem in refused.value.problems] == ["rating_0", "progress_1", "pupil_voice"]
        assert db.session.query(ProgressReport).count() == 0


def test_the_last_half_terms_report_is_late_two_weeks_after_it_ended(app, world, school, provider, placement):
    with app.app_context():
        p = db.session.get(Placement, placement)
        due = progress.report_due(p, TODAY)
        assert (due.period.name, due.state) == ("Autumn term, first half", Due.LATE)
        assert progress.report_due(p, date(2026, 10, 20)).state == Due.DUE  # the week before it ends
        assert progress.report_due(p, date(2026, 10, 10)) is None
    with freeze_time(NOW):
        _report(app, world, placement, school, provider)
    with app.app_context():
        p = db.session.get(Placement, placement)
        assert progress.report_due(p, TODAY) is None
        due = progress.report_due(p, date(2026, 12, 14))
        assert (due.period.name, due.state) == ("Autumn term, second half", Due.DUE)
        assert progress.period_to_report(p, TODAY).name == "Autumn term, second half"


def test_the_ap_leads_early_warning_says_when_the_report_is_late(app, world, school, provider, placement, new_browser):
    world.risk_assessment(placement, signed=True)  # only the report is in question
    with app.app_context():
        found = early_warning.warnings_for_school(school, WHEN, with_concerns=False)
        assert [(w.pupil_name, [s.title for s in w.signals]) for w in found] == [
            ("Jamie Smith", ["Progress report late"])
        ]
        # A placement that started after the half-term ended owes no report for it.
        late_starter = world.placement(school, provider, start=date(2026, 11, 2))
        world.risk_assessment(late_starter, signed=True)
        assert late_starter not in {
            w.placement_id for w in early_warning.warnings_for_school(school, WHEN, with_concerns=False)
        }
    lead = world.user(school, [AP_LEAD])
    with freeze_time(NOW):
        text = _signed_in(new_browser, lead).get("/school/placements/early-warning").get_data(as_text=True)
    assert "Jamie Smith at Hill Farm Learning" in text
    assert (
        "The provider has not sent its progress report for Autumn term, first half, which ended on 25 October 2026: "
        "it is late (it was due by 8 November 2026, 14 days after the half-term ended)." in text
    )
    with freeze_time(NOW):
        _report(app, world, placement, school, provider)
    with app.app_context():
        assert early_warning.warnings_for_school(school, WHEN, with_concerns=False) == []


def test_the_providers_list_shows_the_baseline_and_the_report_due(app, world, school, provider, placement, new_browser):
    staff = world.user(provider, [PROVIDER_STAFF])
    world.placement(school, provider, world.pupil(school, first_name="Kai", last_name="New"), start=date(2026, 11, 16))
    listed = items(new_browser, staff, "/portal/")
    assert "Write Jamie Smith's progress report for Autumn term, first half: late" in listed
    assert "Record where Kai New starts (the baseline): late, it was due in the first week" in listed
    assert not any("Jamie Smith starts" in t for t in listed)  # started in September: no longer asked
    assert not any("progress report" in t for t in items(new_browser, world.user(provider, [PROVIDER_DSL]), "/portal/"))


# --- the pages ------------------------------------------------------------------------------------------------------


def _signed_in(new_browser, person):
    browser = new_browser()
    _forget_last_code(browser, person)
    browser.sign_in(person)
    return browser


def test_the_provider_records_and_reports_and_the_school_reads_it(app, world, school, provider, placement, new_browser):
    _mark(app, placement, date(2026, 10, 19), "AM", True)
    _mark(app, placement, date(2026, 10, 19), "PM", False)
    manager = world.user(provider, [PROVIDER_MANAGER])
    with freeze_time(NOW):
        browser = _signed_in(new_browser, manager)
        page = browser.get(f"/portal/pupils/{placement}").get_data(as_text=True)
        assert "Record the baseline" in page and "Write a progress report" in page
        assert "The progress report for Autumn term, first half is" in page and "Late</strong>" in page
        refused = browser.submit(f"/portal/pupils/{placement}/baseline", {"english": "Reads at age 9"})
        assert "Enter where the pupil starts in maths" in refused.get_data(as_text=True)
        done = browser.submit(
            f"/portal/pupils/{placement}/baseline",
            {
                "english": "Reads at age 9",
                "maths": "Secure on times tables",
                "engagement": "Refuses group work",
                "attendance": "55% at school last term",
                "pupil_voice": "School is boring",
            },
        )
        assert done.status_code == 302
        form = browser.get(f"/portal/pupils/{placement}/progress-report").get_data(as_text=True)
        assert "Autumn term, first half" in form and "Attendance from your marks for the half-term: <strong>50%" in form
        assert "Reading age up a year" in form and "Attend 90% of sessions" in form
        refused = browser.submit(f"/portal/pupils/{placement}/progress-report", {"rating_0": "met"})
        text = refused.get_data(as_text=True)
        assert "Select how much progress the pupil made towards target 2" in text
        assert "Enter the progress towards target 1" in text and "Enter what the pupil says" in text
        sent = browser.submit(
            f"/portal/pupils/{placement}/progress-report",
            {
                "rating_0": "met",
                "progress_0": "Now reads at age 10",
                "rating_1": "little",
                "progress_1": "Missed Mondays",
                "units_achieved": "Entry 3 reading",
                "pupil_voice": "I like the workshop",
                "attendance": "100",  # not a field: attendance is never typed
            },
        )
        assert sent.status_code == 302

        lead = world.user(school, [AP_LEAD])
        school_page = _signed_in(new_browser, lead).get(f"/school/placements/{placement}").get_data(as_text=True)
    for words in (
        "Reads at age 9",
        "School is boring",
        "Autumn term, first half",
        "Now reads at age 10",
        "Little progress",
        "Missed Mondays",
        "Entry 3 reading",
        "I like the workshop",
        "50%",
        "Change the targets",
    ):
        assert words in school_page, words
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="progress.report_written").count() == 1
        assert db.session.query(AuditEvent).filter_by(action="progress.baseline_recorded").count() == 1


def test_the_ap_lead_or_sendco_sets_the_targets_and_others_may_not(app, world, school, placement, new_browser):
    sendco = world.user(school, [SENDCO])
    with freeze_time(NOW):
        browser = _signed_in(new_browser, sendco)
        page = browser.get(f"/school/placements/{placement}/targets").get_data(as_text=True)
        assert "Reading age up a year\nAttend 90% of sessions" in page
        refused = browser.submit(f"/school/placements/{placement}/targets", {"targets": "  "})
        assert "Enter at least one target, one a line" in refused.get_data(as_text=True)
        saved = browser.submit(f"/school/placements/{placement}/targets", {"targets": "Read a novel\nJoin a club"})
        assert saved.status_code == 302
        shown = browser.get(f"/school/placements/{placement}").get_data(as_text=True)
        assert "Read a novel" in shown and "Join a club" in shown
        other = _signed_in(new_browser, world.user(school, [ATTENDANCE_LEAD]))
        assert other.get(f"/school/placements/{placement}/targets").status_code == 403
        assert "Change the targets" not in other.get(f"/school/placements/{placement}").get_data(as_text=True)


# --- photos of work -------------------------------------------------------------------------------------------------


def _photo_with_location(width: int = 60, height: int = 40) -> bytes:
    """A JPEG as a phone saves it: camera make and model, orientation, a GPS position and XMP."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Canon", "Canon EOS 5D", 6  # 6: turn 90 degrees to show it
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(
        out, format="JPEG", exif=exif, xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Hill Farm, Barn 2</x:xmpmeta>'
    )
    raw = out.getvalue()
    assert b"Canon" in raw and b"Hill Farm" in raw  # what there is to strip
    return raw


def _stored_bytes(app, photo_id) -> bytes:
    """The photo as it is in storage, decrypted: what anyone downloading it gets."""
    with app.app_context():
        photo = db.session.get(ProgressPhoto, photo_id)
        with current_storage().open(photo.storage_key) as stored:
            blob = stored.read()
        return decrypt_bytes(blob, file_purpose(photo.id, "ProgressPhoto"))


def _write_with_photos(app, world, placement_id, school, provider, photos):
    writer = world.user(provider, [PROVIDER_STAFF])
    with app.app_context():
        p = db.session.get(Placement, placement_id)
        return progress.write_report(
            p,
            _first_half(school),
            [TargetProgress(t, "met", "Done") for t in progress.targets_of(p)],
            units_achieved=None,
            pupil_voice="I made a stool",
            by=_user(app, writer),
            photos=photos,
        ).id


def test_a_photo_is_stored_without_its_location_or_camera_details(app, world, school, provider, placement):
    photo = progress.Photo(io.BytesIO(_photo_with_location()), "IMG_0001.jpg")
    report_id = _write_with_photos(app, world, placement, school, provider, [photo])
    with app.app_context():
        (row,) = progress.photos_of([report_id])[report_id]
        assert (row.content_type, row.display_name) == ("image/jpeg", "IMG_0001.jpg")
        photo_id = row.id
        assert db.session.query(AuditEvent).filter_by(action="progress.report_written").one().details["photos"] == 1
    stored = _stored_bytes(app, photo_id)
    for trace in (b"Canon", b"Hill Farm", b"Exif", b"xmpmeta", b"http://ns.adobe.com/xap"):
        assert trace not in stored, trace
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert not image.getexif() and not image.getexif().get_ifd(0x8825)  # no EXIF, no GPS
        assert "exif" not in image.info and "xmp" not in image.info
        assert image.size == (40, 60)  # turned the way the camera said, before the tag was dropped


def test_a_png_keeps_no_text_chunks(app, world, school, provider, placement):
    info = PngInfo()
    info.add_text("Location", "51.5, -0.12")
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)
    report_id = _write_with_photos(
        app, world, placement, school, provider, [progress.Photo(io.BytesIO(out.getvalue()), "work.png")]
    )
    with app.app_context():
        photo_id = progress.photos_of([report_id])[report_id][0].id
    stored = _stored_bytes(app, photo_id)
    assert b"Location" not in stored and b"51.5" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG" and image.mode == "RGBA" and not image.text


def test_photos_that_are_not_images_or_more_than_three_are_refused(app, world, school, provider, placement):
    not_a_photo = progress.Photo(io.BytesIO(b"%PDF-1.7\n"), "work.pdf", "photo_2")
    with pytest.raises(RuleBroken) as refused:
        _write_with_photos(app, world, placement, school, provider, [not_a_photo])
    assert refused.value.field == "photo_2"
    with app.app_context():
        assert db.session.query(ProgressReport).count() == 0 and db.session.query(ProgressPhoto).count() == 0

    def jpeg(name):
        return progress.Photo(io.BytesIO(_photo_with_location()), name)

    _write_with_photos(app, world, placement, school, provider, [jpeg("a.jpg"), jpeg("b.jpg")])
    with pytest.raises(RuleBroken, match="A report can have 3 photos at most: it has 2 already, so add 1 or fewer"):
        _write_with_photos(app, world, placement, school, provider, [jpeg("c.jpg"), jpeg("d.jpg")])
    _write_with_photos(app, world, placement, school, provider, [jpeg("c.jpg")])
    with app.app_context():
        assert db.session.query(ProgressPhoto).count() == 3


def test_the_school_downloads_a_photo_through_the_audited_path(app, world, school, provider, placement, new_browser):
    photo = progress.Photo(io.BytesIO(_photo_with_location()), "IMG_0001.jpg")
    report_id = _write_with_photos(app, world, placement, school, provider, [photo])
    with app.app_context():
        photo_id = progress.photos_of([report_id])[report_id][0].id
    with freeze_time(NOW):
        browser = _signed_in(new_browser, world.user(school, [AP_LEAD]))
        page = browser.get(f"/school/placements/{placement}").get_data(as_text=True)
        url = f"/school/placements/{placement}/progress-photos/{photo_id}"
        assert url in page and "Download photo 1" in page
        response = browser.get(url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert b"Canon" not in response.data and response.headers["Cache-Control"] == "no-store"
        other = world.placement(school, provider)
        assert browser.get(f"/school/placements/{other}/progress-photos/{photo_id}").status_code == 404
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="progress.photo_downloaded").count() == 1


def test_the_report_form_takes_photos_without_javascript_and_says_why_one_is_refused(
    app, world, school, provider, placement, new_browser
):
    fields = {
        "rating_0": "met",
        "progress_0": "Reads at age 10",
        "rating_1": "met",
        "progress_1": "Came every day",
        "pupil_voice": "I made a stool",
    }
    url = f"/portal/pupils/{placement}/progress-report"
    with freeze_time(NOW):
        browser = _signed_in(new_browser, world.user(provider, [PROVIDER_STAFF]))
        form = browser.get(url).get_data(as_text=True)
        assert 'enctype="multipart/form-data"' in form and 'name="photo_3"' in form
        refused = browser.submit(
            url,
            {**fields, "photo_2": (io.BytesIO(b"MZ\x90\x00 not a photo"), "stool.jpg")},
            content_type="multipart/form-data",
        )
        assert refused.status_code == 200 and 'href="#photo_2"' in refused.get_data(as_text=True)
        with app.app_context():
            assert db.session.query(ProgressReport).count() == 0
        sent = browser.submit(
            url,
            {**fields, "photo_2": (io.BytesIO(_photo_with_location()), "stool.jpg")},
            content_type="multipart/form-data",
        )
        assert sent.status_code == 302
        assert "Autumn term, second half" in browser.get(url).get_data(as_text=True)  # the first half is done
    with app.app_context():
        (photo,) = db.session.query(ProgressPhoto).all()
    assert b"Canon" not in _stored_bytes(app, photo.id)
