"""Child-protection policies: the school DSL uploads versions of the school's policy, every provider's DSL is told
and confirms each version (a new version asks again), the AP lead's approval checklist and the provider page show
the state, and the school DSL's review of the provider's own policy reaches the provider."""

import html as html_text
import io
import re
from datetime import date
from pathlib import Path

import pytest

from shared.extensions import db
from shared.models import (
    AuditEvent,
    Notification,
    OutboxEmail,
    PolicyConfirmation,
    ProviderPolicyReview,
    ProviderProfile,
    ProviderStatus,
    SchoolPolicy,
)
from shared.notifications import deliver_outbox
from shared.services.providers.approval import POLICY_CONFIRMED, approval_checklist
from tests.support.client import Browser, html
from tests.support.files import HTML_PAGE, pdf_bytes
from tests.support.world import link_of
from tests.test_verification_and_approval import _verify_all


def text(response) -> str:
    return html_text.unescape(html(response))


def words(response) -> str:
    """The page's text without tags, spaces collapsed (for text split across elements)."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


class Setting:
    """A school with an approved provider (A) and one still onboarding (B), each with a DSL and a manager, and a
    second school with its own provider (C)."""

    def __init__(self, world, app):
        self.world, self.app = world, app
        self.school = world.school("Demo School")
        self.a = world.provider(self.school, "Hill Farm Learning", ProviderStatus.APPROVED)
        self.b = world.provider(self.school, "River Tutors", ProviderStatus.ONBOARDING)
        self.dsl_a = world.user(self.a, ["provider_dsl"])
        self.dsl_b = world.user(self.b, ["provider_dsl"])
        self.manager_a = world.user(self.a, ["provider_manager"])
        self.other_school = world.school("Elsewhere School")
        self.c = world.provider(self.other_school, "Elsewhere Provider", ProviderStatus.APPROVED)

    def browser(self, org, roles) -> Browser:
        browser = Browser(self.app.test_client())
        browser.sign_in(self.world.user(org, roles))
        return browser


@pytest.fixture
def setting(world, app):
    return Setting(world, app)


def _upload(browser, data: bytes, filename: str):
    browser.get("/school/policies/new")
    return browser.client.post(
        "/school/policies/new",
        data={"csrf_token": browser.token(), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _stored_files(app, org_id) -> list[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / str(org_id)
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_the_school_dsl_uploads_a_version_and_every_providers_dsl_is_told(setting, app, mailbox):
    dsl = setting.browser(setting.school, ["dsl"])
    assert "No policy has been uploaded yet" in text(dsl.get("/school/policies"))
    content = pdf_bytes()
    response = _upload(dsl, content, "Child protection policy 2026.pdf")
    assert response.status_code == 302
    page = text(dsl.get("/school/policies"))
    assert (
        "Version 1 uploaded. Every provider's DSL has been asked to confirm it, and everyone at each provider to "
        "read it." in page
    )
    assert "Version 1: who has confirmed it" in page and "Child protection policy 2026.pdf" in page
    assert "Hill Farm Learning" in page and "River Tutors" in page and "Elsewhere Provider" not in page
    assert page.count("Not confirmed yet") == 2
    with app.app_context():
        policy = db.session.query(SchoolPolicy).one()
        assert policy.version == 1 and policy.storage_key.startswith(f"{setting.school}/")
        policy_id = policy.id
        event = db.session.query(AuditEvent).filter_by(action="policy.uploaded").one()
        assert event.details == {"version": 1}
        assert db.session.query(Notification).filter_by(user_id=setting.dsl_a.id).count() == 1
        # The manager reads and confirms it too (issue 13: everyone at the provider does).
        assert db.session.query(Notification).filter_by(user_id=setting.manager_a.id).count() == 1
        assert deliver_outbox() == (3, 0)
    for person in (setting.dsl_a, setting.dsl_b):
        [message] = mailbox.to(person.email)
        assert "Demo School has uploaded a new version of its child protection and safeguarding policy" in (
            mailbox.body(message)
        )
        assert mailbox.link_in_last(person.email) == "/portal/policies"
    assert len(mailbox.to(setting.manager_a.email)) == 1
    # Anyone who reads the page can download it; the download is audited.
    head = setting.browser(setting.school, ["headteacher"])
    download = head.get(f"/school/policies/{policy_id}/file")
    assert download.status_code == 200 and download.get_data() == content
    assert "attachment" in download.headers["Content-Disposition"]
    assert "Upload a new version" not in text(head.get("/school/policies"))  # reads, does not upload
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="policy.downloaded").count() == 1


def test_a_refused_file_says_why_and_leaves_nothing(setting, app):
    dsl = setting.browser(setting.school, ["dsl"])
    response = _upload(dsl, HTML_PAGE, "Child protection policy.pdf")
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    image = _upload(dsl, b"\x89PNG\r\n\x1a\n" + b"0" * 64, "policy.png")  # not a PDF or Word file
    assert image.status_code == 200 and "There is a problem" in text(image)
    with app.app_context():
        assert db.session.query(SchoolPolicy).count() == 0
        assert db.session.query(OutboxEmail).count() == 0
        assert db.session.query(AuditEvent).filter_by(action="policy.uploaded").count() == 0
    assert _stored_files(app, setting.school) == []


def test_the_provider_dsl_confirms_and_a_new_version_asks_again(setting, app):
    version_1 = setting.world.school_policy(setting.school, version=1)
    provider_dsl = Browser(app.test_client())
    provider_dsl.sign_in(setting.dsl_a)
    page = text(provider_dsl.get("/portal/policies"))
    assert (
        "I confirm that we have received version 1 of Demo School's child protection and safeguarding policy "
        "and that our staff will follow it." in page
    )
    download = provider_dsl.get(f"/portal/policies/{version_1}/file")
    assert download.status_code == 200 and download.get_data().startswith(b"%PDF")
    confirmed = provider_dsl.post(f"/portal/policies/{version_1}/confirm")
    assert confirmed.status_code == 302
    page = text(provider_dsl.get("/portal/policies"))
    assert "You have confirmed version 1 of Demo School's policy" in page and "Version 1 confirmed by" in page
    assert "I confirm that we have received" not in page
    again = provider_dsl.post(f"/portal/policies/{version_1}/confirm")
    assert "Your organisation has already confirmed version 1" in text(again)
    with app.app_context():
        assert db.session.query(PolicyConfirmation).count() == 1
        event = db.session.query(AuditEvent).filter_by(action="policy.confirmed").one()
        assert event.details == {"version": 1} and event.organisation_id == setting.a
    school_dsl = setting.browser(setting.school, ["dsl"])
    page = text(school_dsl.get("/school/policies"))
    assert page.count("Not confirmed yet") == 1 and "Confirmed" in page

    # Version 2: the confirmation of version 1 does not count for it.
    response = _upload(school_dsl, pdf_bytes(), "Child protection policy 2027.pdf")
    assert response.status_code == 302
    page = text(school_dsl.get("/school/policies"))
    assert "Version 2: who has confirmed it" in page and page.count("Not confirmed yet") == 2
    page = text(provider_dsl.get("/portal/policies"))
    assert "I confirm that we have received version 2 of Demo School's" in page
    assert "Earlier versions" in page
    # The old version can still be read, but no longer confirmed.
    assert provider_dsl.get(f"/portal/policies/{version_1}/file").status_code == 200
    with app.app_context():
        version_2 = db.session.query(SchoolPolicy).filter_by(version=2).one().id
    assert provider_dsl.post(f"/portal/policies/{version_2}/confirm").status_code == 302
    assert "Version 2 confirmed by" in text(provider_dsl.get("/portal/policies"))
    # The manager sees where things stand but cannot confirm.
    manager = Browser(app.test_client())
    manager.sign_in(setting.manager_a)
    assert "Version 2 confirmed by" in text(manager.get("/portal/policies"))


def test_the_manager_is_told_only_the_dsl_can_confirm(setting, app):
    setting.world.school_policy(setting.school)
    manager = Browser(app.test_client())
    manager.sign_in(setting.manager_a)
    page = text(manager.get("/portal/policies"))
    assert "Your DSL needs to confirm version 1" in page and "I confirm that we have received" not in page


@pytest.fixture
def submitted_provider(world, app):
    """A provider with everything else on the approval checklist done, submitted for approval."""
    school = world.school("Demo School")
    provider = world.provider(school, "Hill Farm Learning")
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        profile.provider_type = "unregistered_ap"
        profile.setting_type = "Farm"
        profile.address_line_1, profile.town, profile.postcode = "Hill Farm", "Exampleton", "EX1 1AA"
        profile.manager_name, profile.manager_phone = "Morgan", "01632 960 001"
        profile.dsl_name, profile.dsl_phone, profile.dsl_training_date = "Dee", "01632 960 002", date(2025, 9, 1)
        db.session.commit()
    world.site(provider)
    _verify_all(world, app, provider, school)
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        link_of(profile.organisation_id).status = ProviderStatus.SUBMITTED
        db.session.commit()
    return school, provider


def _policy_item(app, provider):
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        return next(
            item for item in approval_checklist(link_of(profile.organisation_id)) if item.label == POLICY_CONFIRMED
        )


def test_the_checklist_item_and_its_effect_on_approval(world, app, submitted_provider):
    school, provider = submitted_provider
    # Before the school has uploaded a policy the item is not needed, and says so.
    item = _policy_item(app, provider)
    assert item.done and item.detail == "Not needed yet: the school has not uploaded its policy"
    policy = world.school_policy(school)
    item = _policy_item(app, provider)
    assert not item.done and item.detail == "Version 1 not confirmed yet"
    lead = Browser(app.test_client())
    lead.sign_in(world.user(school, ["ap_lead"]))
    url = f"/school/providers/{provider}"
    page = words(lead.get(url))
    assert POLICY_CONFIRMED in page and "Our policy Version 1 not confirmed yet" in page
    refused = lead.submit(url, {"decision": "approve", "notes": "Visited 3 Nov."}, post_url=url + "/decision")
    assert "Every item on the checklist must be done before approval" in text(refused)
    provider_dsl = Browser(app.test_client())
    provider_dsl.sign_in(world.user(provider, ["provider_dsl"]))
    assert provider_dsl.post(f"/portal/policies/{policy}/confirm").status_code == 302
    item = _policy_item(app, provider)
    assert item.done and item.detail.startswith("Version 1 confirmed on ")
    approved = lead.submit(url, {"decision": "approve", "notes": "Visited 3 Nov."}, post_url=url + "/decision")
    assert approved.status_code == 302
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        assert link_of(profile.organisation_id).status == ProviderStatus.APPROVED
    # A new version: the approved provider's DSL is asked again, with two weeks before it counts against it.
    world.school_policy(school, version=2)
    item = _policy_item(app, provider)
    assert item.done and item.detail.startswith("Version 2 to be confirmed by")
    assert "Our policy Version 2 to be confirmed by" in words(lead.get(url))


def test_the_school_dsl_reviews_the_providers_own_policy_and_the_provider_reads_it(setting, app, mailbox):
    dsl = setting.browser(setting.school, ["dsl"])
    url = f"/school/providers/{setting.a}/policy-review"
    page = text(dsl.get(url))
    assert "Hill Farm Learning has not uploaded its child protection policy yet" in page and "Save review" not in page
    assert dsl.post(url, {"outcome": "changes_needed", "comments": "x"}).status_code == 200
    with app.app_context():
        assert db.session.query(ProviderPolicyReview).count() == 0
    setting.world.document(setting.a, "safeguarding_policy", display_name="Our CP policy.pdf")
    page = text(dsl.get(url))
    assert "Our CP policy.pdf" in page and "Save review" in page
    missing = dsl.submit(url, {"outcome": "changes_needed", "comments": "  "})
    assert missing.status_code == 200 and "Write your comments for the provider" in text(missing)
    saved = dsl.submit(url, {"outcome": "changes_needed", "comments": "Add how concerns reach our DSL the same day."})
    assert saved.status_code == 302
    with app.app_context():
        review = db.session.query(ProviderPolicyReview).one()
        assert review.outcome == "changes_needed" and review.school_id == setting.school
        event = db.session.query(AuditEvent).filter_by(action="provider_policy.reviewed").one()
        assert event.details == {"outcome": "changes_needed"}
        assert deliver_outbox() == (2, 0)  # the provider's DSL and manager, told without the comments
    assert all("same day" not in mailbox.body(m) for m in mailbox.messages)
    provider_page = words(dsl.get(f"/school/providers/{setting.a}"))
    assert "Their own policy Reviewed on" in provider_page and "Changes needed. Add how concerns reach" in provider_page
    for person in (setting.manager_a, setting.dsl_a):
        provider = Browser(app.test_client())
        provider.sign_in(person)
        page = text(provider.get("/portal/policies"))
        assert "Changes needed" in page and "Add how concerns reach our DSL the same day." in page
    # Another provider sees nothing of it.
    other = Browser(app.test_client())
    other.sign_in(setting.dsl_b)
    assert "Demo School's DSL has not reviewed your child protection policy yet" in text(other.get("/portal/policies"))


def test_who_may_do_what(setting, app):
    policy = setting.world.school_policy(setting.school)
    # Provider staff cannot confirm for the organisation (they read and confirm it for themselves).
    staff = setting.browser(setting.a, ["provider_staff"])
    assert staff.post(f"/portal/policies/{policy}/confirm").status_code == 403
    assert staff.get("/portal/policies").status_code == 200
    # The manager reads but cannot confirm.
    manager = Browser(app.test_client())
    manager.sign_in(setting.manager_a)
    assert manager.post(f"/portal/policies/{policy}/confirm").status_code == 403
    # A provider of another school cannot download or confirm this school's policy.
    other_dsl = setting.browser(setting.c, ["provider_dsl"])
    assert other_dsl.get(f"/portal/policies/{policy}/file").status_code == 404
    assert other_dsl.post(f"/portal/policies/{policy}/confirm").status_code == 404
    assert "Demo School" not in text(other_dsl.get("/portal/policies"))
    # School staff without the DSL role cannot upload; another school's DSL cannot download.
    for role in ("ap_lead", "headteacher", "sendco"):
        person = setting.browser(setting.school, [role])
        assert person.get("/school/policies/new").status_code == 403
        assert person.post("/school/policies/new").status_code == 403
    assert (
        setting.browser(setting.school, ["ap_lead"]).get(f"/school/providers/{setting.a}/policy-review").status_code
        == 403
    )
    stranger = setting.browser(setting.other_school, ["dsl"])
    assert stranger.get(f"/school/policies/{policy}/file").status_code == 404
    assert stranger.get(f"/school/providers/{setting.a}/policy-review").status_code == 404
    with app.app_context():
        assert db.session.query(PolicyConfirmation).count() == 0


def test_a_new_version_gives_providers_that_confirmed_the_last_one_two_weeks(app, world):
    """A school updating its policy does not turn every approved provider "at risk" overnight."""
    from datetime import timedelta

    from shared.models import PolicyConfirmation, ProviderProfile, ProviderStatus, SchoolPolicy, utcnow
    from shared.services.safeguarding.policies import confirmation_checklist_state

    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    first = world.school_policy(school, version=1)
    dsl = world.user(provider, ["provider_dsl"])
    with app.app_context():
        db.session.add(PolicyConfirmation(policy_id=first, provider_id=provider, confirmed_by_id=dsl.id))
        db.session.commit()
    second = world.school_policy(school, version=2)
    with app.app_context():
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider).one()
        uploaded = db.session.get(SchoolPolicy, second).uploaded_at
        done, detail = confirmation_checklist_state(link_of(profile.organisation_id), now=utcnow())
        assert done and "Version 2 to be confirmed by" in detail and "version 1 confirmed" in detail
        done, detail = confirmation_checklist_state(link_of(profile.organisation_id), now=uploaded + timedelta(days=15))
        assert (done, detail) == (False, "Version 2 not confirmed yet")
        other = world.provider(school, "Never confirmed", ProviderStatus.APPROVED)
        profile = db.session.query(ProviderProfile).filter_by(organisation_id=other).one()
        assert confirmation_checklist_state(link_of(profile.organisation_id), now=utcnow()) == (
            False,
            "Version 2 not confirmed yet",
        )


def test_everyone_at_the_provider_reads_and_confirms_each_version_and_the_dsl_sees_who_has(setting, app):
    """Issue 13: provider staff got a 403 on the school's policy. Each person at the provider who works with pupils
    reads and confirms each version themselves; the provider's DSL sees who has and who has not; a new version asks
    everyone again."""
    policy = setting.world.school_policy(setting.school)
    staff_person = setting.world.user(setting.a, ["provider_staff"], email="tutor@hillfarm.example")
    staff = Browser(app.test_client())
    staff.sign_in(staff_person)
    page = words(staff.get("/portal/policies"))
    assert "I confirm that I have read version 1" in page and "Who has read version 1" not in page
    assert staff.get(f"/portal/policies/{policy}/file").status_code == 200
    response = staff.submit("/portal/policies", {}, post_url=f"/portal/policies/{policy}/read")
    assert response.status_code == 302
    page = words(staff.get("/portal/policies"))
    assert "You have confirmed that you have read version 1 of Demo School's policy" in page
    assert "that you have read version 1 and will follow it" in page
    again = staff.submit("/portal/policies", {}, post_url=f"/portal/policies/{policy}/read")
    assert "You have already confirmed that you have read version 1" in words(staff.get(again.location))
    with app.app_context():
        [event] = db.session.query(AuditEvent).filter_by(action="policy.read").all()
        assert event.actor_user_id == staff_person.id and event.details == {"version": 1}

    dsl = Browser(app.test_client())
    dsl.sign_in(setting.dsl_a)
    page = words(dsl.get("/portal/policies"))
    assert "Who has read version 1" in page
    table = page[page.index("Who has read version 1") :]
    assert re.search(r"Test provider_dsl Not yet", table) and re.search(r"Test provider_manager Not yet", table)
    assert re.search(r"Test provider_staff \d{1,2} [A-Z][a-z]+ \d{4}", table)
    # Another provider's people are not listed.
    assert page.count("Not yet") == 2

    # A new version: everyone is asked again.
    setting.world.school_policy(setting.school, version=2)
    assert "I confirm that I have read version 2" in words(staff.get("/portal/policies"))


def test_each_person_at_the_provider_is_asked_on_their_home_to_read_the_policy_until_they_have(setting, app):
    policy = setting.world.school_policy(setting.school)
    staff_person = setting.world.user(setting.a, ["provider_staff"], email="reader@hillfarm.example")
    staff = Browser(app.test_client())
    staff.sign_in(staff_person)
    task = "Read Demo School's child protection policy (version 1) and confirm you will follow it"
    home = words(staff.get("/portal/"))
    assert task in home

    staff.submit("/portal/policies", {}, post_url=f"/portal/policies/{policy}/read")

    assert task not in words(staff.get("/portal/"))
    # The DSL's confirmation for the organisation leads to the same page: one task, not two.
    dsl = Browser(app.test_client())
    dsl.sign_in(setting.dsl_a)
    home = words(dsl.get("/portal/"))
    assert "is waiting for you to confirm" in home and task not in home
