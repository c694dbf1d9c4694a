"""Issue 13 (integrity): a session is planned at one place only, and the independent-school registration warning
gives its true reason and cannot be agreed over without a confirmation and a reason (audited)."""

import pytest

from shared.extensions import db
from shared.models import AuditEvent, HeadteacherDecision, Placement, PlacementStatus, SendStatus
from tests.support.client import Browser
from tests.test_placements import Setting, text


@pytest.fixture
def setting(world, app) -> Setting:
    return Setting(world, app)


@pytest.fixture
def ap_lead(setting) -> Browser:
    return setting.browser(setting.school, ["ap_lead"])


# --- one place per session ----------------------------------------------------------------------------------------


def test_a_pupil_placed_for_every_session_cannot_be_planned_elsewhere_for_the_same_sessions(setting, ap_lead):
    setting.world.placement(setting.school, setting.b, setting.pupil)  # Beacon Tuition, all ten sessions
    response = setting.submit_plan(ap_lead, timetable=["mon_am", "tue_am", "wed_am"])
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page
    assert (
        "Jordan Blake is already placed at Beacon Tuition for Monday AM, Tuesday AM and Wednesday AM from "
        "7 September 2026. A session can be planned at one place only" in page
    )
    assert [p.provider_id for p in setting.placements()] == [setting.b]


def test_timetables_that_split_the_sessions_can_both_be_planned(setting, ap_lead):
    setting.world.placement(setting.school, setting.b, setting.pupil, timetable=["mon_am", "tue_am", "wed_am"])
    response = setting.submit_plan(ap_lead, timetable=["mon_pm", "tue_pm", "thu_am"])
    assert response.status_code == 302, text(response)[:2000]
    assert len(setting.placements()) == 2


def test_a_placement_that_ended_before_the_new_one_starts_does_not_clash(setting, ap_lead):
    from datetime import date

    setting.world.placement(setting.school, setting.b, setting.pupil, status="ended", end_date=date(2026, 9, 4))
    response = setting.submit_plan(ap_lead)
    assert response.status_code == 302, text(response)[:2000]


def test_a_planned_placement_clashes_too_and_a_change_of_timetable_is_checked(setting, ap_lead):
    assert setting.submit_plan(ap_lead, timetable=["mon_am"]).status_code == 302
    second = setting.submit_plan(ap_lead, provider=str(setting.b), sites=[str(setting.b_site)], timetable=["thu_am"])
    assert second.status_code == 302, text(second)[:2000]
    refused = text(setting.submit_plan(ap_lead, provider=str(setting.b), sites=[str(setting.b_site)]))
    expected = "Jordan Blake is already planned at Acorn Learning for Monday AM from 7 September 2026 to 18 December"
    assert expected in refused
    # Changing the Beacon plan to take Monday morning is refused the same way.
    beacon = next(p for p in setting.placements() if p.provider_id == setting.b)
    changed = ap_lead.submit(
        f"/school/placements/{beacon.id}/edit",
        setting.plan(provider=str(setting.b), sites=[str(setting.b_site)], timetable=["mon_am", "thu_am"]),
    )
    assert changed.status_code == 200
    assert "Jordan Blake is already planned at Acorn Learning for Monday AM" in text(changed)


# --- the registration warning -------------------------------------------------------------------------------------


def _full_time(setting, **pupil_fields):
    world = setting.world
    return world.placement(setting.school, setting.a, world.pupil(setting.school, **pupil_fields), hours_per_week=25)


def test_five_full_time_pupils_is_the_reason_given_even_when_one_is_looked_after(setting, app):
    from shared.services.placements import plans

    for _ in range(4):
        _full_time(setting)
    _full_time(setting, looked_after=True)
    with app.app_context():
        warning = plans.registration_warning(setting.a)
    assert "to 5 pupils" in warning
    assert "and one of them has an EHC plan or is looked after" in warning


def test_five_full_time_pupils_alone_never_mention_an_ehc_plan(setting, app):
    from shared.services.placements import plans

    for _ in range(5):
        _full_time(setting, send_status=SendStatus.SEN_SUPPORT)
    with app.app_context():
        warning = plans.registration_warning(setting.a)
    assert "to 5 pupils" in warning and "EHC plan" not in warning and "looked after" not in warning


def _pending_over_the_line(setting, ap_lead):
    _full_time(setting, looked_after=True)
    setting.submit_plan(ap_lead, hours_per_week="25")
    [placement] = [p for p in setting.placements() if p.pupil_id == setting.pupil]
    headteacher = Browser(setting.app.test_client())
    headteacher.sign_in(setting.headteacher_person)
    return placement, headteacher


def test_agreeing_over_the_registration_warning_needs_a_confirmation_and_a_reason(setting, ap_lead, app):
    placement, headteacher = _pending_over_the_line(setting, ap_lead)
    url = f"/school/placements/{placement.id}/decision"
    page = text(headteacher.get(url))
    assert "it would need to register as an independent school" in page
    assert "I have checked the registration" in page
    refused = headteacher.submit(url, {"decision": "agree", "notes": ""})
    assert refused.status_code == 200
    assert "Confirm that you have checked the registration and say why the placement can go ahead" in text(refused)
    no_reason = headteacher.submit(url, {"decision": "agree", "confirm_registration": "y", "registration_reason": ""})
    assert "Say why the placement can go ahead" in text(no_reason)
    with app.app_context():
        assert db.session.get(Placement, placement.id).headteacher_decision == HeadteacherDecision.PENDING
    agreed = headteacher.submit(
        url,
        {
            "decision": "agree",
            "confirm_registration": "y",
            "registration_reason": "Hill Farm registered with DfE on 1 September; URN 123456.",
            "proceed_unsigned_reason": "Signed next week.",
        },
    )
    assert agreed.status_code == 302, text(agreed)[:3000]
    with app.app_context():
        row = db.session.get(Placement, placement.id)
        assert row.status == PlacementStatus.ACTIVE
        assert "URN 123456" in row.headteacher_decision_notes
        event = db.session.query(AuditEvent).filter_by(action="placement.agreed_over_registration_warning").one()
        assert event.object_id == str(placement.id)
        assert "URN 123456" in str(event.details)


def test_declining_needs_no_confirmation(setting, ap_lead, app):
    placement, headteacher = _pending_over_the_line(setting, ap_lead)
    declined = headteacher.submit(f"/school/placements/{placement.id}/decision", {"decision": "decline", "notes": ""})
    assert declined.status_code == 302


def test_two_plans_for_the_same_sessions_sent_at_the_same_moment_make_one_placement(setting, app):
    import threading

    leads = [setting.browser(setting.school, ["ap_lead"]) for _ in range(2)]
    plans = [
        setting.plan(),
        setting.plan(provider=str(setting.b), sites=[str(setting.b_site)]),
    ]
    urls = [f"/school/pupils/{setting.pupil}/placements/new?provider={p['provider']}" for p in plans]
    tokens = []
    for lead, url in zip(leads, urls, strict=True):
        assert lead.get(url).status_code == 200
        tokens.append(lead.token())
    barrier = threading.Barrier(2)
    responses = [None, None]

    def submit(index: int) -> None:
        barrier.wait(timeout=30)
        responses[index] = leads[index].client.post(
            f"/school/pupils/{setting.pupil}/placements/new", data={**plans[index], "csrf_token": tokens[index]}
        )

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 302], statuses
    (refused,) = [r for r in responses if r.status_code == 200]
    assert "A session can be planned at one place only" in text(refused)
    assert len(setting.placements()) == 1
