"""Figures that are true (issue 13): compliance counted from when a provider could be held to its agreement, words
and percentages that agree, the provider's home saying when it is amber or red, the provider's compliance page
telling each reader what is true of what the school sees, and no "None" where words belong. Frozen time."""

from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from shared import roles
from shared.evidence_catalogue import ProviderType, required_evidence
from shared.extensions import db
from shared.models import (
    ApprovalDecision,
    ComplianceBreach,
    DocumentStatus,
    EvidenceDocument,
    KcsieConfirmation,
    ProviderStatus,
    SchoolTerm,
)
from shared.services.agreements import breaches
from tests.support.demo import DEMO_MOMENT, seed_demo

NOW = "2026-12-01 18:00:00"  # Tuesday evening, in term (London is on GMT, so local time is UTC)


def html(response) -> str:
    return response.get_data(as_text=True)


def _morning(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=9)


def _autumn(world, school):
    """Autumn 2026 with its half-term holiday: halves 1 Sep-25 Oct and 31 Oct-18 Dec."""
    with world.app.app_context():
        db.session.add(
            SchoolTerm(
                school_id=school,
                name="Autumn 2026",
                start_date=date(2026, 9, 1),
                end_date=date(2026, 12, 18),
                half_term_starts=date(2026, 10, 26),
                half_term_ends=date(2026, 10, 30),
            )
        )
        db.session.commit()


def _approved(world, school, provider, on: date):
    """Everything required verified, a confirmation signed and the AP lead's approval, all on `on`."""
    for kind in required_evidence(ProviderType.UNREGISTERED_AP):
        document = world.document_row(provider, kind.code, status="verified")
        with world.app.app_context():
            row = db.session.get(EvidenceDocument, document)
            row.reviewed_at, row.status = _morning(on), DocumentStatus.VERIFIED
            db.session.commit()
    with world.app.app_context():
        db.session.add(
            KcsieConfirmation(
                organisation_id=provider,
                school_id=school,
                signed_by_id=world._someone(provider),
                typed_name="Pat Manager",
                signer_role="Manager",
                statement_version="1",
                statement_text="We confirm",
                signed_at=_morning(on),
            )
        )
        db.session.add(
            ApprovalDecision(
                organisation_id=provider,
                school_id=school,
                decision="approved",
                notes="All checked",
                checklist=[],
                decided_by_id=world._someone(school),
                decided_at=_morning(on),
            )
        )
        db.session.commit()


@pytest.fixture
def approved_today(world):
    """A provider approved this morning, whose agreement was written from 1 September."""
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    _autumn(world, school)
    world.agreement(provider)
    _approved(world, school, provider, date(2026, 12, 1))
    return school, provider


@freeze_time(NOW)
def test_a_provider_approved_today_is_not_red_for_the_days_before_and_no_breach_is_raised(
    app, world, browser, approved_today
):
    school, provider = approved_today
    with app.app_context():
        assert breaches.record_breaches(school) == 0
        assert db.session.query(ComplianceBreach).count() == 0
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    page = html(browser.get(f"/school/compliance/providers/{provider}"))
    assert "Counted from 1 December 2026, when the school approved the provider" in page
    assert "Every required document in date on the 1 day so far" in page
    assert "Signed and current on the 1 day so far" in page
    assert "out of date or missing" not in page
    assert ">Red<" not in page


@freeze_time(NOW)
def test_figures_count_from_the_agreement_start_when_it_is_later(app, world, browser):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    _autumn(world, school)
    _approved(world, school, provider, date(2026, 9, 1))
    world.agreement(provider, starts_on=date(2026, 11, 30))
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    page = html(browser.get(f"/school/compliance/providers/{provider}"))
    assert "Counted from 30 November 2026, when the agreement started" in page
    assert "Signed and current on all 2 days so far" in page


@freeze_time(NOW)
def test_evidence_words_count_what_the_percentage_counts(app, world, browser):
    """Approved on 1 November, but the documents were verified only on 30 November: in date on 2 of 31 days."""
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    _autumn(world, school)
    _approved(world, school, provider, date(2026, 11, 30))
    with app.app_context():
        decision = db.session.query(ApprovalDecision).filter_by(organisation_id=provider).one()
        decision.decided_at = _morning(date(2026, 11, 1))
        db.session.commit()
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    page = html(browser.get(f"/school/compliance/providers/{provider}"))
    assert "2 of 31 days with every required document in date (6.5%)" in page
    assert "2 of 31 days with a current written confirmation (6.5%)" in page


def _red_provider(world):
    """Approved in September and never signed a confirmation nor had evidence verified: red this half-term."""
    school = world.school("Hillside School")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    _autumn(world, school)
    with world.app.app_context():
        db.session.add(
            ApprovalDecision(
                organisation_id=provider,
                school_id=school,
                decision="approved",
                notes="All checked",
                checklist=[],
                decided_by_id=world._someone(school),
                decided_at=_morning(date(2026, 9, 1)),
            )
        )
        db.session.commit()
    return school, provider


@freeze_time(NOW)
def test_the_providers_home_says_when_it_is_red(app, world, browser):
    school, provider = _red_provider(world)
    browser.sign_in(world.user(provider, [roles.PROVIDER_MANAGER]))
    page = html(browser.get("/portal/"))
    assert ">Red</strong>" in page and "Not meeting the agreement this half-term (Autumn 2026, second half)" in page
    assert "Where it falls short: Evidence in date (red); Written confirmation current (red)." in page
    assert 'href="/portal/compliance"' in page
    # Not "the same figures": the school also sees the notices figure, which only the provider's DSL may see.
    assert "Hillside School sees these figures too." in page and "the same figures" not in page


@freeze_time(NOW)
def test_the_providers_home_says_nothing_of_figures_when_green_or_to_staff_who_cannot_see_them(
    app, world, new_browser, approved_today
):
    _, green = approved_today
    manager = new_browser()
    manager.sign_in(world.user(green, [roles.PROVIDER_MANAGER]))
    assert "agreement-standing" not in html(manager.get("/portal/"))
    _, red = _red_provider(world)
    staff = new_browser()
    staff.sign_in(world.user(red, [roles.PROVIDER_STAFF]))
    assert "agreement-standing" not in html(staff.get("/portal/"))


@freeze_time(NOW)
def test_the_providers_compliance_page_tells_each_reader_what_the_school_sees(app, world, new_browser):
    school, provider = _red_provider(world)
    dsl = new_browser()
    dsl.sign_in(world.user(provider, [roles.PROVIDER_DSL]))
    page = html(dsl.get("/portal/compliance"))
    assert "Notices acknowledged in time" in page
    assert "Hillside School sees the same figures." in page
    manager = new_browser()
    manager.sign_in(world.user(provider, [roles.PROVIDER_MANAGER]))
    for url in ("/portal/compliance", "/portal/agreement"):
        page = html(manager.get(url))
        assert "otices" not in page
        assert "sees the same" not in page and "Hillside School sees these figures too." in page


# --- words, not "None" ---------------------------------------------------------------------------------------------


@freeze_time(NOW)
def test_the_inspection_pack_says_what_is_missing_in_words(app, world, browser):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    waiting = world.provider(school, "Waiting Farm", ProviderStatus.SUBMITTED, provider_type="unregistered_ap")
    world.placement(school, provider)
    world.placement(school, waiting)
    document = world.document_row(provider, "safeguarding_policy", status="verified")
    with app.app_context():
        row = db.session.get(EvidenceDocument, document)
        row.review_date, row.expiry_date = date(2026, 6, 1), date(2027, 6, 1)
        db.session.commit()
    browser.sign_in(world.user(school, [roles.HEADTEACHER]))
    page = html(browser.get("/school/reports/inspection"))
    assert ">None<" not in page and "None" not in page.split("<main")[1]
    northside = page.split("Northside Learning</h2>")[1].split("<h2")[0]
    assert "No approval recorded" in northside  # approved before decisions were recorded
    assert "No site visit recorded" in northside and "No review held yet" in northside
    # The date a policy was last reviewed is not a date to review it by.
    assert "Review by" not in page and "Last reviewed on" in northside and "1 June 2026" in northside
    assert "Out of date from" in northside and "1 June 2027" in northside
    assert "Not approved yet" in page.split("Waiting Farm</h2>")[1]
    csv_body = html(browser.get("/school/reports/inspection.csv"))
    assert "last reviewed on" in csv_body.splitlines()[0] and "review by" not in csv_body


@freeze_time(NOW)
def test_an_agreement_without_a_cost_says_so(app, world, browser):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.agreement(provider)
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    page = html(browser.get(f"/school/providers/{provider}/agreement"))
    assert "No cost agreed" in page and "Not agreed a week" not in page and "Not agreed a session" not in page
    other = world.provider(school, "Weekly Farm", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.agreement(other, cost_per_week_pence=15000)
    page = html(browser.get(f"/school/providers/{other}/agreement"))
    assert "£150.00 a week" in page and "a session" not in page.split("Cost</dt>")[1].split("</dd>")[0]


@freeze_time(NOW)
def test_the_governors_report_says_no_budget_is_entered_in_words(app, world, browser):
    import pypdfium2 as pdfium

    school = world.school()
    world.term(school)
    browser.sign_in(world.user(school, [roles.HEADTEACHER]))
    page = html(browser.get("/school/reports/governors"))
    assert "Not entered yet" in page
    response = browser.get("/school/reports/governors.pdf")
    assert response.status_code == 200
    pdf = pdfium.PdfDocument(response.data)
    text = " ".join(pdf[n].get_textpage().get_text_bounded() for n in range(len(pdf)))
    assert "Not entered yet" in " ".join(text.split()) and "None" not in text


# --- small things people noticed -----------------------------------------------------------------------------------


@freeze_time(NOW)
def test_a_year_group_reads_year_10_not_year_year_10(app, world, new_browser):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    placement = world.placement(school, provider, world.pupil(school, first_name="Jamie", year_group="10"))
    notice = world.notice(placement)
    dsl = new_browser()
    dsl.sign_in(world.user(provider, [roles.PROVIDER_DSL]))
    page = html(dsl.get(f"/portal/notices/{notice}"))
    assert "Jamie Example, Year 10" in page and "year Year" not in page and "year 10" not in page
    assert "Jamie Example (Year 10)" in html(dsl.get("/portal/concerns/new"))
    assert ", Year 10" in html(dsl.get("/portal/attendance?day=2026-12-01"))


@freeze_time(DEMO_MOMENT)
def test_the_demo_stores_year_groups_the_pages_can_read(app):
    seed_demo(app)
    from shared.models import Pupil

    with app.app_context():
        years = {p.first_name: (p.year_group, p.year_label) for p in db.session.query(Pupil)}
    assert years["Jamie"] == ("10", "Year 10") and years["Callum"] == ("9", "Year 9")


@freeze_time(NOW)
def test_the_school_sees_which_is_the_preferred_name(app, world, browser):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    pupil = world.pupil(school, first_name="Noah", last_name="Testtwo", preferred_name="Noz")
    placement = world.placement(school, provider, pupil)
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    for url in (f"/school/pupils/{pupil}", f"/school/placements/{placement}", "/school/placements"):
        page = html(browser.get(url))
        assert "Noah Testtwo (known as Noz)" in page, url
        assert "Noz Testtwo" not in page, url


def test_the_invitation_e_mail_names_the_school(world, app, mailbox):
    from tests.support.client import Browser

    school = world.school("Hillside Academy")
    lead = Browser(app.test_client())
    lead.sign_in(world.user(school, [roles.AP_LEAD]))
    response = lead.submit(
        "/school/providers/invite",
        {"provider_name": "Hilltop Farm School", "name": "Morgan Manager", "email": "morgan@hilltop.example"},
    )
    assert response.status_code == 302
    message = mailbox.to("morgan@hilltop.example")[-1]
    assert message["Subject"] == "You have been invited to AP Portal by Hillside Academy"
    body = mailbox.body(message)
    assert "join Hilltop Farm School on AP Portal, which Hillside Academy uses" in " ".join(body.split())


@freeze_time(NOW)
def test_the_notice_page_says_when_the_provider_will_be_chased(app, world, browser):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    placement = world.placement(school, provider)
    notice = world.notice(placement, shared_at=datetime(2026, 12, 1, 17, tzinfo=UTC))
    browser.sign_in(world.user(school, [roles.DSL]))
    page = " ".join(html(browser.get(f"/school/notices/{notice}")).split())
    assert "Not acknowledged if not acknowledged" not in page and "if not acknowledged," not in page
    assert "Not acknowledged yet" in page
    assert "The provider's DSL will be chased on" in page and "if they have not acknowledged it by then." in page


@freeze_time(NOW)
def test_a_provider_still_onboarding_is_not_rated(app, world, new_browser):
    school = world.school()
    provider = world.provider(school, "Eastgate Skills", ProviderStatus.ONBOARDING, provider_type="unregistered_ap")
    _autumn(world, school)
    manager = new_browser()
    manager.sign_in(world.user(provider, [roles.PROVIDER_MANAGER]))
    page = html(manager.get("/portal/compliance"))
    assert "Nothing is counted until the school approves the provider." in page
    assert ">Red<" not in page and "Nothing to measure" in page


@freeze_time(NOW)
def test_an_agreement_starting_after_the_period_counts_nothing_in_it(app, world, browser):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    _autumn(world, school)
    world.agreement(provider, starts_on=date(2027, 1, 4))
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    page = html(browser.get(f"/school/compliance/providers/{provider}"))
    assert "Nothing in this period is counted: figures count from 4 January 2027, when the agreement starts." in page
    assert ">Red<" not in page


@freeze_time(NOW)
def test_a_placements_figures_count_from_its_start(app, world, browser):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    _autumn(world, school)
    _approved(world, school, provider, date(2026, 9, 1))
    placement = world.placement(school, provider, start=date(2026, 11, 30), timetable=["mon_am"])
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    page = html(browser.get(f"/school/compliance/placements/{placement}"))
    assert "Counted from 30 November 2026, when the placement started" in page
    assert "Every required document in date on all 2 days so far" in page


@freeze_time(NOW)
def test_the_schools_compliance_page_says_who_at_the_provider_sees_what(app, world, browser):
    school, provider = _red_provider(world)
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    page = html(browser.get(f"/school/compliance/providers/{provider}"))
    assert "The provider sees the same figures." not in page
    assert "The provider's DSL sees the same figures; its other staff see them without the notices" in page


@freeze_time(NOW)
def test_breaches_raised_for_days_before_the_provider_was_approved_are_closed_with_the_reason(
    app, world, browser, approved_today
):
    school, provider = approved_today
    wrong = world.breach(provider, "evidence", period_start=date(2026, 10, 31), summary="0 of 31 days")
    also_wrong = world.breach(provider, "confirmation", period_start=date(2026, 10, 31), summary="0 of 31 days")
    _, red = _red_provider(world)
    real = world.breach(red, "evidence", period_start=date(2026, 10, 31))
    with app.app_context():
        assert breaches.record_breaches(school) == 0
        rows = {b.id: b for b in db.session.query(ComplianceBreach)}
        assert rows[wrong].resolved_at is not None and rows[also_wrong].resolved_at is not None
        assert rows[wrong].action_taken == (
            "Closed by AP Portal: raised for days before 1 December 2026, when the school approved the provider, "
            "which are no longer counted. Since then: Every required document in date on the 1 day so far."
        )
        assert rows[real].resolved_at is None  # another school's, and a real lapse: left alone
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    page = html(browser.get("/school/compliance/breaches"))
    assert "Closed by AP Portal: raised for days before 1 December 2026" in page
