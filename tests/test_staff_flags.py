"""Issue 13, the staff list: the school sees each provider's staff list as a single-central-record view; weak checks
are flags on both sides that block the written confirmation and approval until the AP lead decides with a reason;
DBS new information is a warning in plain words and a task for the AP lead; old DSL training needs renewing."""

from datetime import date

import pytest
from freezegun import freeze_time

from shared.extensions import db
from shared.models import AuditEvent, KcsieConfirmation, ProviderProfile, StaffFlagDecision, StaffMember
from shared.notifications import deliver_outbox
from tests.support.client import Browser, html
from tests.support.demo import DEMO_MOMENT, seed_demo
from tests.support.world import link_of
from tests.test_attention import tasks_on


@pytest.fixture
def setup(world, app):
    school = world.school("Demo School")
    provider = world.provider(school, "Hill Farm Learning")
    lead_person = world.user(school, ["ap_lead"])
    lead = Browser(app.test_client())
    lead.sign_in(lead_person)
    manager_person = world.user(provider, ["provider_manager"])
    manager = Browser(app.test_client())
    manager.sign_in(manager_person)
    return {
        "school": school,
        "provider": provider,
        "lead": lead,
        "lead_person": lead_person,
        "manager": manager,
        "manager_person": manager_person,
    }


def _staff_page(setup) -> str:
    return html(setup["lead"].get(f"/school/providers/{setup['provider']}/staff"))


def _sign(manager):
    return manager.submit(
        "/portal/onboarding/confirmation", {"agreed": ["yes"], "typed_name": "Morgan Manager", "signer_role": "Manager"}
    )


def _decide(setup, member, key, outcome="accepted", reason="Seen the certificate on the visit of 2 December."):
    url = f"/school/providers/{setup['provider']}/staff/{member}/flags/{key}"
    return setup["lead"].submit(url, {"outcome": outcome, "reason": reason})


# --- the single-central-record view ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["ap_lead", "dsl", "headteacher"])
def test_the_school_reads_the_staff_list_as_a_single_central_record(setup, world, app, role):
    world.staff_member(setup["provider"], "Sam Tutor", start_date=date(2024, 9, 1))
    world.staff_member(setup["provider"], "Pat Office", dbs="001234567893", works_with_pupils=False)
    with app.app_context():
        member = db.session.query(StaffMember).filter_by(name="Sam Tutor").one()
        member.last_status_check_date, member.last_status_check_result = date(2026, 11, 2), "BLANK_NO_NEW_INFO"
        db.session.commit()
    reader = Browser(app.test_client())
    reader.sign_in(world.user(setup["school"], [role]))
    page = html(reader.get(f"/school/providers/{setup['provider']}/staff"))
    assert "Sam Tutor" in page and "Pat Office" in page
    assert "Number ending 7891, issued 10 January 2025" in page
    assert "001234567891" not in page  # masked but for its last digits
    assert "Enhanced, with the children&#39;s barred list" in page
    assert "2 November 2026: Clear: no new information since the certificate was issued" in page
    assert "1 September 2024" in page  # start date
    assert "Works with pupils" in page and "Right to work checked" in page and "Subscribed" in page


def test_the_provider_page_links_to_the_staff_list_instead_of_a_count(setup, world):
    world.staff_member(setup["provider"])
    page = html(setup["lead"].get(f"/school/providers/{setup['provider']}"))
    assert f"/school/providers/{setup['provider']}/staff" in page
    assert "See the staff list and the checks made" in page


def test_other_school_staff_cannot_read_the_staff_list(setup, world, app):
    member = world.staff_member(setup["provider"], enhanced_with_barred_list=False)
    sendco = Browser(app.test_client())
    sendco.sign_in(world.user(setup["school"], ["sendco"]))
    assert sendco.get(f"/school/providers/{setup['provider']}/staff").status_code == 403
    stranger = Browser(app.test_client())
    stranger.sign_in(world.user(world.school("Other School"), ["ap_lead"]))
    assert stranger.get(f"/school/providers/{setup['provider']}/staff").status_code == 404
    assert stranger.get(f"/school/providers/{setup['provider']}/staff/{member}/flags/not_enhanced").status_code == 404
    dsl = Browser(app.test_client())
    dsl.sign_in(world.user(setup["school"], ["dsl"]))
    assert dsl.get(f"/school/providers/{setup['provider']}/staff/{member}/flags/not_enhanced").status_code == 403


# --- weak checks are flags ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"enhanced_with_barred_list": False}, "without an enhanced DBS check of the children&#39;s barred list"),
        ({"right_to_work_checked": False}, "No right-to-work check"),
        ({"identity_checked": False}, "No identity check"),
        (
            {"last_status_check_result": "NEW_INFO", "last_status_check_date": date(2026, 12, 1)},
            "The DBS Update Service has new information about this person",
        ),
    ],
)
def test_a_weak_check_is_a_flag_on_both_sides(setup, world, fields, text):
    world.staff_member(setup["provider"], **fields)
    school_page = _staff_page(setup)
    assert text in school_page and "Decide" in school_page
    portal_page = html(setup["manager"].get("/portal/onboarding/staff"))
    assert text in portal_page and "Flag" in portal_page


def test_one_dbs_number_for_two_people_is_a_flag_on_both(setup, world, app):
    world.staff_member(setup["provider"], "Sam Tutor", dbs="001234567891")
    world.staff_member(setup["provider"], "Nia New", dbs="001234567891")
    page = _staff_page(setup)
    assert "The same DBS certificate number as Nia New" in page
    assert "The same DBS certificate number as Sam Tutor" in page
    with app.app_context():
        sam = db.session.query(StaffMember).filter_by(name="Sam Tutor").one()
    assert _decide(setup, sam.id, "shared_dbs_number_2").status_code == 302
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=setup["provider"]).one()
        from shared.services.evidence.staff_flags import open_flags

        assert sam.id not in {flag.member_id for flag in open_flags(link_of(profile.organisation_id))}
    world.staff_member(setup["provider"], "Tam Third", dbs="001234567891")
    page = _staff_page(setup)
    assert "The same DBS certificate number as Nia New, Tam Third" in page  # a third person: flagged again
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=setup["provider"]).one()
        assert sam.id in {flag.member_id for flag in open_flags(link_of(profile.organisation_id))}


def test_no_barred_list_check_is_no_flag_for_someone_who_does_not_work_with_pupils(setup, world):
    world.staff_member(setup["provider"], enhanced_with_barred_list=False, works_with_pupils=False)
    page = html(setup["manager"].get("/portal/onboarding/staff"))
    assert "without an enhanced DBS check" not in page and "Flag</strong>" not in page
    assert "(does not work with pupils)" in page


def test_an_open_flag_blocks_the_written_confirmation_until_the_ap_lead_accepts_it(setup, world, app):
    member = world.staff_member(setup["provider"], right_to_work_checked=False)
    refused = _sign(setup["manager"])
    assert refused.status_code == 200
    assert "You cannot sign yet: 1 open flag on 1 person" in html(refused)
    no_reason = _decide(setup, member, "no_right_to_work", reason="")
    assert "Give your reason" in html(no_reason)
    assert _decide(setup, member, "no_right_to_work").status_code == 302
    page = _staff_page(setup)
    assert "Accepted by Test ap_lead" in page and "Seen the certificate on the visit of 2 December." in page
    assert _sign(setup["manager"]).status_code == 302
    with app.app_context():
        assert db.session.query(KcsieConfirmation).count() == 1
        event = db.session.query(AuditEvent).filter_by(action="staff.flag_decided").one()
        assert event.details["outcome"] == "accepted" and event.details["flag"] == "no_right_to_work"
    assert "Accepted by the school" in html(setup["manager"].get("/portal/onboarding/staff"))


def test_an_open_flag_blocks_approval(setup, world, app):
    member = world.staff_member(setup["provider"], enhanced_with_barred_list=False)
    with app.app_context():
        from shared.services.providers.approval import STAFF_FLAGS, approval_checklist

        profile = db.session.query(ProviderProfile).filter_by(organisation_id=setup["provider"]).one()
        [item] = [i for i in approval_checklist(link_of(profile.organisation_id)) if i.label == STAFF_FLAGS]
        assert not item.done and "1 open flag" in item.detail
    assert "Staff checks: no open flags" in html(setup["lead"].get(f"/school/providers/{setup['provider']}"))
    _decide(setup, member, "not_enhanced")
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=setup["provider"]).one()
        [item] = [i for i in approval_checklist(link_of(profile.organisation_id)) if i.label == STAFF_FLAGS]
        assert item.done


# --- DBS new information --------------------------------------------------------------------------------------------


def test_new_information_is_a_warning_in_plain_words_and_a_task_for_the_ap_lead(setup, world, app, mailbox):
    member = world.staff_member(setup["provider"], dbs="001234567890")
    manager = setup["manager"]
    response = manager.submit(
        f"/portal/onboarding/staff/{member}/status-check", {"surname": "Tutor", "date_of_birth": ["2", "3", "1990"]}
    )
    assert response.status_code == 302
    page = html(manager.get("/portal/onboarding/staff"))
    assert "Warning" in page and "Success" not in page
    assert "the DBS has new information about this person" in page
    assert "new info" not in page.lower().replace("new information", "")
    # The AP lead's list says it, urgent, and leads to the staff list.
    home = html(setup["lead"].get("/school/"))
    assert "1 DBS status check at a provider found new information about a member of staff" in " ".join(tasks_on(home))
    assert f"/school/providers/{setup['provider']}/staff" in home
    with app.app_context():
        deliver_outbox()
    body = mailbox.body(mailbox.to(setup["lead_person"].email)[-1])
    assert f"/school/providers/{setup['provider']}/staff" in body and "Sam Tutor" not in body


def test_asking_the_provider_is_recorded_and_keeps_the_flag_open(setup, world, app):
    member = world.staff_member(
        setup["provider"], last_status_check_result="NEW_INFO", last_status_check_date=date(2026, 12, 1)
    )
    key = "dbs_new_info:2026-12-01"
    form = html(setup["lead"].get(f"/school/providers/{setup['provider']}/staff/{member}/flags/{key}"))
    assert "I have risk assessed it" in form and "I have asked the provider about it" in form
    assert _decide(setup, member, key, "asked_provider", "Phoned the manager; they are finding out.").status_code == 302
    page = _staff_page(setup)
    assert "Asked the provider by Test ap_lead" in page and "Flag: new information" in page
    assert "found new information" in " ".join(tasks_on(html(setup["lead"].get("/school/"))))
    assert "the school has asked you about this" in html(setup["manager"].get("/portal/onboarding/staff"))
    _decide(setup, member, key, "accepted", "Risk assessed with the provider's DSL: historic, not relevant.")
    assert "found new information" not in " ".join(tasks_on(html(setup["lead"].get("/school/"))))


def test_removing_the_person_takes_them_off_the_list_and_tells_the_provider(setup, world, app, mailbox):
    member = world.staff_member(
        setup["provider"], last_status_check_result="NEW_INFO", last_status_check_date=date(2026, 12, 1)
    )
    response = _decide(setup, member, "dbs_new_info:2026-12-01", "removed", "Not safe to work with our pupils.")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(StaffMember, member).removed_at is not None
        assert db.session.query(StaffFlagDecision).one().outcome == "removed"
        deliver_outbox()
    assert "No one is on the staff list yet" in _staff_page(setup)
    body = mailbox.body(mailbox.to(setup["manager_person"].email)[-1])
    assert "removed a person from your staff list" in body and "Sam Tutor" not in body


def test_a_later_status_check_raises_the_flag_again(setup, world, app):
    member = world.staff_member(
        setup["provider"], last_status_check_result="NEW_INFO", last_status_check_date=date(2026, 12, 1)
    )
    _decide(setup, member, "dbs_new_info:2026-12-01")
    assert "Flag: new information" not in _staff_page(setup)
    with app.app_context():
        db.session.get(StaffMember, member).last_status_check_date = date(2026, 12, 5)
        db.session.commit()
    assert "Flag: new information" in _staff_page(setup)


# --- DSL training ---------------------------------------------------------------------------------------------------


def test_dsl_training_older_than_two_years_needs_renewing(setup, world, app):
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=setup["provider"]).one()
        profile.manager_name, profile.dsl_name, profile.dsl_phone = "Morgan", "Dee Safe", "01632 960 001"
        profile.dsl_training_date = date(2024, 11, 30)
        db.session.commit()
        from shared.services.providers.approval import approval_checklist

        with freeze_time("2026-12-01 10:00:00"):
            [item] = [
                i for i in approval_checklist(link_of(profile.organisation_id)) if i.label.startswith("DSL named")
            ]
        assert not item.done and "training needs renewing" in item.detail
        with freeze_time("2026-11-29 10:00:00"):
            [item] = [
                i for i in approval_checklist(link_of(profile.organisation_id)) if i.label.startswith("DSL named")
            ]
        assert item.done
    with freeze_time("2026-12-01 10:00:00"):
        lead, manager = Browser(app.test_client()), Browser(app.test_client())
        lead.sign_in(world.user(setup["school"], ["ap_lead"]))
        manager.sign_in(world.user(setup["provider"], ["provider_manager"]))
        page = html(lead.get(f"/school/providers/{setup['provider']}"))
        assert "trained 30 November 2024 (needs renewing)" in page
        assert "training needs renewing" in html(manager.get("/portal/onboarding"))


@freeze_time(DEMO_MOMENT)
def test_the_demo_shows_a_flagged_member_of_staff(app):
    from shared.models import Organisation, User
    from shared.services.evidence.staff_flags import open_flags

    seed_demo(app)
    app.test_cli_runner().invoke(None, ["seed-demo"], catch_exceptions=False)  # twice: still one
    with app.app_context():
        riverside = db.session.query(Organisation).filter_by(name="Riverside Tuition").one()
        [flag] = open_flags(link_of(riverside.id))
        assert flag.urgent and db.session.get(StaffMember, flag.member_id).name == "Jo Volunteer"
        assert db.session.query(User).filter_by(email="ap.lead@demo-academy.example").one()


def test_the_providers_list_and_an_approved_providers_page_show_open_flags(setup, world, app):
    from shared.models import ProviderStatus

    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=setup["provider"]).one()
        link_of(profile.organisation_id).status = ProviderStatus.APPROVED
        db.session.commit()
    world.staff_member(setup["provider"], last_status_check_result="NEW_INFO", last_status_check_date=date(2026, 12, 1))
    assert "Staff flags" in html(setup["lead"].get("/school/providers"))
    page = html(setup["lead"].get(f"/school/providers/{setup['provider']}"))
    assert "Its staff list has 1 open flag on weak checks, including new information from the DBS" in page
