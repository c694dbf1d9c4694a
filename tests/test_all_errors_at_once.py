"""Issue 13, "errors come one group at a time": every form checks every field and every rule between fields in one
pass and shows them together in the error summary; a CSV row and an API item list every problem they have."""

import html as html_text
import io
import re
from datetime import date

import pytest
from freezegun import freeze_time

from shared import roles
from shared.models import ProviderStatus
from tests.support.client import Browser, html
from tests.test_placements import Setting

MONDAY = date(2026, 11, 30)


def summary(response) -> list[str]:
    """The entries of the page's GOV.UK error summary, in order."""
    page = html_text.unescape(html(response))
    box = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert box, "no error summary on the page"
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", box.group(0), re.S)]


def has(entries: list[str], *starts: str) -> bool:
    return all(any(entry.startswith(start) for entry in entries) for start in starts)


@pytest.fixture
def manager(world, app):
    school = world.school()
    provider = world.provider(school, "Hill Farm Learning")
    browser = Browser(app.test_client())
    browser.sign_in(world.user(provider, ["provider_manager"]))
    return browser


def test_organisation_details_show_a_bad_postcode_a_bad_urn_and_a_missing_town_together(manager):
    response = manager.submit(
        "/portal/onboarding/organisation",
        {
            "provider_type": "pru",
            "urn": "12345",
            "ukprn": "20012345",
            "company_number": "123",
            "address_line_1": "Hill Farm",
            "town": "",
            "postcode": "NOT A CODE",
        },
    )
    assert response.status_code == 200
    entries = summary(response)
    assert has(
        entries,
        "Enter the town or city",  # the form's own check
        "A URN is 6 digits",  # the service's, all in the same pass
        "A UKPRN is 8 digits starting with 1",
        "A company number is 8 characters",
        "Enter a real postcode",
    ), entries


def test_a_site_and_the_contacts_show_every_problem_at_once(manager):
    site = manager.submit(
        "/portal/onboarding/sites",
        {"name": "", "address_line_1": "Hill Farm", "town": "Exampleton", "postcode": "NOPE", "activities": ""},
    )
    assert has(summary(site), "Enter a name for the site", "Say what happens at this site", "Enter a real postcode")
    contacts = manager.submit(
        "/portal/onboarding/contacts",
        {
            "manager_name": "Mo Manager",
            "manager_email": "mo@hill.example",
            "manager_phone": "12",
            "dsl_name": "Dee Lead",
            "dsl_email": "dee@hill.example",
            "dsl_phone": "34",
            "dsl_training_date": ["1", "1", "2099"],  # in the future whatever today is
        },
    )
    assert has(
        summary(contacts),
        "Enter the manager's phone number",
        "Enter the DSL's phone number",
        "The DSL's training date must be today or in the past",
    ), summary(contacts)


@freeze_time("2026-11-30 12:00:00")
def test_an_agreement_shows_end_before_start_with_the_other_problems(app, world, browser):
    school = world.school()
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    browser.sign_in(world.user(school, [roles.AP_LEAD]))
    response = browser.submit(
        f"/school/providers/{provider}/agreement/edit",
        {
            "starts_on": ["1", "9", "2026"],
            "ends_on": ["1", "8", "2026"],
            "incidents_within_hours": "",
            "reviews_every_weeks": "99",
            "cost_per_session": "lots",
            "cost_per_week": "",
        },
    )
    assert response.status_code == 200
    assert has(
        summary(response),
        "The end date must be on or after the start date",
        "Enter hours within which incidents must be reported",
        "Reviews must be held at least every 1 to 52 weeks",
        "Cost per session must be an amount in pounds",
    ), summary(response)


@freeze_time("2026-11-30 12:00:00")
def test_a_pupil_record_shows_every_problem_at_once(app, world):
    school = world.school()
    browser = Browser(app.test_client())
    browser.sign_in(world.user(school, ["sendco"]))
    response = browser.submit(
        "/school/pupils/new",
        {
            "upn": "A12",
            "first_name": "",
            "last_name": "Blake",
            "date_of_birth": ["1", "1", "2027"],
            "year_group": "9",
            "send_status": "none",
            "child_protection": "none",
        },
    )
    assert response.status_code == 200
    assert has(
        summary(response),
        "Enter the pupil's legal first name",
        "Date of birth must be a real date in the past",
    ), summary(response)
    assert len(summary(response)) >= 3  # the UPN's message too


@freeze_time("2026-09-01 12:00:00")
def test_a_placement_plan_shows_every_problem_at_once(app, world):
    setting = Setting(world, app)
    browser = setting.browser(setting.school, ["ap_lead"])
    response = setting.submit_plan(
        browser,
        max_end_date=["1", "9", "2026"],  # before the start: a rule between fields
        hours_per_week="",  # the form's own check
        rationale="",
        timetable=[],
    )
    assert response.status_code == 200
    assert has(
        summary(response),
        "The maximum end date must be after the start date",
        "Choose the sessions the pupil will be at the provider each week",
        "Write why this placement is right for the pupil",
    ), summary(response)
    assert any("hours" in entry.lower() for entry in summary(response))
    assert setting.placements() == []


# --- many marks at once: every problem of each row and each item -----------------------------------------------------


@pytest.fixture
def northside(world):
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    pupil = world.pupil(school, first_name="Ava", last_name="Example")
    placement = world.placement(school, provider, pupil)
    token_id, token = world.api_token(provider)
    return {"placement": placement, "staff": world.user(provider, ["provider_staff"]), "token": token}


@freeze_time("2026-12-01 15:00:00")
def test_a_csv_row_lists_every_problem_it_has(app, browser, northside):
    browser.sign_in(northside["staff"])
    ref = northside["placement"].hex[:8].upper()
    text = (
        "pupil_ref,pupil_name,date,session,mark,late_minutes,reason\n"
        f"{ref},Ava Example,2026-11-30,AM,present,,\n"
        f"ZZZZZZZZ,,31/02/2026,XM,late,ten,\n"  # row 3: four problems
        f"{ref},Someone Else,2026-11-30,PM,absent,,flu\n"  # row 4: two problems
    )
    response = browser.submit(
        "/portal/attendance/upload",
        {"file": (io.BytesIO(text.encode()), "marks.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = html_text.unescape(html(response))
    assert "Nothing was saved: 2 rows have problems" in page
    for message in (
        "Row 3: No pupil placed with you has the reference ZZZZZZZZ",
        "Row 3: Enter how many minutes late",
        "Row 3: Enter the date like 2026-11-30",
        "Row 3: The session must be AM or PM",
        f"Row 4: The reference {ref} is not the pupil named 'Someone Else'",
        "Row 4: Choose the reason for the absence",
    ):
        assert message in page, message


@freeze_time("2026-11-30 12:00:00")
def test_an_api_item_lists_every_problem_it_has_in_the_documented_shape(app, northside):
    client = app.test_client()
    response = client.post(
        "/api/v1/marks",
        json={
            "marks": [
                {"placement_id": str(northside["placement"]), "date": "2026-11-30", "session": "AM", "mark": "present"},
                {"placement_id": "nope", "date": "30/11/2026", "session": "XM", "mark": "late", "late_minutes": "x"},
            ]
        },
        headers={"Authorization": f"Bearer {northside['token']}"},
    )
    assert response.status_code == 422
    errors = response.json["error"]["errors"]
    assert all(set(e) == {"index", "field", "message"} for e in errors)  # the documented shape, unchanged
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "placement_id"),
        (1, "date"),
        (1, "session"),
        (1, "late_minutes"),
    ]
    assert "1 mark has problems" in response.json["error"]["message"]
    spec = client.get("/api/v1/openapi.json").json
    described = spec["components"]["schemas"]["ItemErrors"]["properties"]["error"]["properties"]["errors"]
    assert "once for each" in described["description"]


@freeze_time("2026-11-30 12:00:00")
def test_a_pupil_import_row_lists_every_problem_it_has(app, world):
    school = world.school()
    browser = Browser(app.test_client())
    browser.sign_in(world.user(school, ["sendco"]))
    data = (
        b"upn,first_name,last_name,date_of_birth,year_group,send_status,looked_after\r\n"
        b"A12,Ben,,31/02/2012,Year 20,lots,maybe\r\n"
    )
    browser.get("/school/pupils/import")
    response = browser.client.post(
        "/school/pupils/import",
        data={"csrf_token": browser.token(), "file": (io.BytesIO(data), "pupils.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = html_text.unescape(html(response))
    for message in (
        "Row 2: SEND status must be none, sen_support or ehcp",
        "Row 2: Date of birth must be a real date written like 14/03/2012",
        "Row 2: Year group must be R or a number from 1 to 13",
        "Row 2: Looked after must be yes or no",
        "Row 2: Enter the pupil's legal last name",
    ):
        assert message in page, message
    assert "Row 2: Enter the pupil's date of birth" not in page  # one message for the column


def test_adding_a_staff_member_shows_every_problem_at_once(manager):
    response = manager.submit(
        "/portal/onboarding/staff",
        {
            "name": "",
            "role": "Tutor",
            "dbs_certificate_number": "12345",
            "dbs_issue_date": ["1", "1", "2099"],
            "enhanced_with_barred_list": "yes",
            "update_service_subscribed": "no",
        },
    )
    assert response.status_code == 200
    assert has(
        summary(response),
        "Enter the person's full name",  # the form's own check
        "A DBS certificate number is 12 digits",  # the service's, in the same pass
        "The DBS certificate's issue date must be today or in the past",
        "Say whether a prohibition check was done",
    ), summary(response)
