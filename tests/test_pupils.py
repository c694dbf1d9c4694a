"""Pupil records: create and edit with plain-English messages, duplicate UPNs, who may see and change them, and the
all-or-nothing CSV import with its row errors."""

import html as html_text
import io
from datetime import date

import pytest

from shared.extensions import db
from shared.models import AuditEvent, ChildProtectionStatus, Pupil, SendStatus
from shared.services.placements.pupils import example_csv
from shared.upn import make_upn
from tests.support.client import Browser, html

UPN = make_upn(establishment=1234, serial=1)
OTHER_UPN = make_upn(establishment=1234, serial=2)
NEW_PUPIL = {
    "upn": UPN,
    "first_name": "Jordan",
    "last_name": "Blake",
    "preferred_name": "Jojo",
    "date_of_birth": ["14", "3", "2012"],
    "year_group": "9",
    "send_status": "ehcp",
    "flags": ["semh", "looked_after"],
    "child_protection": "child_in_need",
    "social_worker_name": "Sally Worker",
    "social_worker_email": "sally.worker@la.example",
    "yot_worker": "",
    "welfare_officer_name": "",
    "welfare_officer_email": "",
    "other_agencies": "CAMHS",
}


def text(response) -> str:
    return html_text.unescape(html(response))


@pytest.fixture
def school(world):
    return world.school()


@pytest.fixture
def sendco(world, app, school):
    browser = Browser(app.test_client())
    browser.sign_in(world.user(school, ["sendco"]))
    return browser


def _pupils(app) -> list[Pupil]:
    with app.app_context():
        rows = db.session.query(Pupil).order_by(Pupil.last_name).all()
        db.session.expunge_all()
        return rows


def test_create_a_pupil_then_see_and_edit_the_record(sendco, app):
    response = sendco.submit("/school/pupils/new", NEW_PUPIL)
    assert response.status_code == 302
    [pupil] = _pupils(app)
    assert (pupil.upn, pupil.preferred_name, pupil.date_of_birth) == (UPN, "Jojo", date(2012, 3, 14))
    assert pupil.send_status == SendStatus.EHCP and pupil.semh and pupil.looked_after and not pupil.early_help
    assert pupil.child_protection == ChildProtectionStatus.CHILD_IN_NEED
    page = text(sendco.get(response.location))
    assert "Jordan Blake (known as Jojo)" in page and "sally.worker@la.example" in page and "Child in need" in page
    assert "<title>Pupil record" in page  # the name is never in the title

    edited = sendco.submit(f"/school/pupils/{pupil.id}/edit", {**NEW_PUPIL, "year_group": "10", "flags": ["semh"]})
    assert edited.status_code == 302
    [pupil] = _pupils(app)
    assert pupil.year_group == "10" and not pupil.looked_after
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="pupil.updated").one()
        assert sorted(event.details["fields"]) == ["looked_after", "year_group"]  # names of fields, never values
    assert "Year 10" in text(sendco.get(f"/school/pupils/{pupil.id}"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"upn": ""}, "Enter the UPN"),
        ({"upn": "A12345"}, "A UPN must be 13 characters, like A123456789012"),
        ({"upn": "Z" + UPN[1:]}, "This UPN's check letter does not match the rest of the number"),
        ({"first_name": ""}, "Enter the pupil's legal first name"),
        ({"date_of_birth": ["31", "2", "2012"]}, "Enter a real date, like 27 3 2025"),
        ({"date_of_birth": ["", "", ""]}, "Enter the pupil's date of birth"),
        ({"date_of_birth": ["1", "1", "2099"]}, "Date of birth must be a real date in the past"),
        ({"year_group": ""}, "Choose a year group"),
        ({"social_worker_email": "not-an-email"}, "Enter an email address in the correct format"),
        ({"send_status": "something"}, "Choose the pupil's SEND status"),
    ],
)
def test_create_refuses_with_a_message_by_the_field(sendco, app, changes, message):
    response = sendco.submit("/school/pupils/new", {**NEW_PUPIL, **changes})
    assert response.status_code == 200
    page = text(response)
    assert message in page and "govuk-error-summary" in page and "<title>Error: Add a pupil" in page
    assert _pupils(app) == []


def test_a_upn_already_on_the_records_is_refused_on_the_upn_field(sendco, world, app, school):
    world.pupil(school, upn=UPN)
    other_school = world.school("Another School")
    world.pupil(other_school, upn=OTHER_UPN)  # another school's pupil does not count
    response = sendco.submit("/school/pupils/new", NEW_PUPIL)
    assert response.status_code == 200
    assert "A pupil with this UPN is already on the school's records" in text(response)
    assert 'href="#upn"' in html(response)
    assert sendco.submit("/school/pupils/new", {**NEW_PUPIL, "upn": OTHER_UPN}).status_code == 302
    # Editing one pupil to another's UPN is refused too.
    mine = [p for p in _pupils(app) if p.upn == OTHER_UPN and p.school_id == school][0]
    clash = sendco.submit(f"/school/pupils/{mine.id}/edit", NEW_PUPIL)
    assert "A pupil with this UPN is already on the school's records" in text(clash)


def test_readers_see_pupils_but_cannot_change_them_and_other_schools_pupils_are_404(world, app, school):
    mine = world.pupil(school, first_name="Morgan")
    theirs = world.pupil(world.school("Elsewhere"), first_name="Taylor")
    reader = Browser(app.test_client())
    reader.sign_in(world.user(school, ["attendance_lead"]))
    page = text(reader.get("/school/pupils"))
    assert "Morgan" in page and "Taylor" not in page and "Add a pupil" not in page
    assert reader.get(f"/school/pupils/{mine}").status_code == 200
    assert reader.get(f"/school/pupils/{mine}/edit").status_code == 403
    assert reader.get(f"/school/pupils/{theirs}").status_code == 404
    governor = Browser(app.test_client())
    governor.sign_in(world.user(school, ["governor"]))
    assert governor.get("/school/pupils").status_code == 403
    editor = Browser(app.test_client())
    editor.sign_in(world.user(school, ["dsl"]))
    assert editor.get(f"/school/pupils/{theirs}/edit").status_code == 404
    assert editor.post(f"/school/pupils/{theirs}/edit", NEW_PUPIL).status_code == 404


# --- CSV import -----------------------------------------------------------------------------------------------------


def _csv(
    *rows: str, header: str = "upn,first_name,last_name,date_of_birth,year_group,send_status,looked_after"
) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def _import(browser: Browser, data: bytes, filename: str = "pupils.csv"):
    browser.get("/school/pupils/import")
    return browser.client.post(
        "/school/pupils/import",
        data={"csrf_token": browser.token(), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _upn(n: int) -> str:
    return make_upn(establishment=4321, serial=n)


def test_a_good_file_imports_every_pupil_and_is_audited(sendco, app):
    data = b"\xef\xbb\xbf" + _csv(  # Excel's "CSV UTF-8" starts with a byte order mark
        f"{_upn(1)},Amara,Okafor,14/03/2012,Year 9,EHCP,yes",
        f"{_upn(2)},Zoë,Brontë,2011-09-01,10,none,no",
        f"{_upn(3)},Li,Wei,01/01/2013,Y8,K,",
    )
    response = _import(sendco, data)
    assert response.status_code == 302
    assert "3 pupils imported" in text(sendco.get(response.location))
    pupils = {p.upn: p for p in _pupils(app)}
    assert pupils[_upn(1)].send_status == SendStatus.EHCP and pupils[_upn(1)].looked_after
    assert pupils[_upn(2)].first_name == "Zoë" and pupils[_upn(2)].year_group == "10"
    assert pupils[_upn(3)].send_status == SendStatus.SEN_SUPPORT and pupils[_upn(3)].year_group == "8"
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="pupils.imported").one().details == {"count": 3}


def test_a_file_with_bad_rows_imports_nothing_and_lists_each_bad_row(sendco, world, app, school):
    world.pupil(school, upn=_upn(9), first_name="Existing")
    data = _csv(
        f"{_upn(1)},Amara,Okafor,14/03/2012,9,none,no",  # row 2: good
        f"{_upn(2)},Ben,,14/03/2012,9,none,no",  # row 3: no last name
        f"{_upn(3)},Cara,Jones,14/03/2012,9,none,no",  # row 4: good
        f"{_upn(1)},Dan,Smith,31/02/2012,9,none,no",  # row 5: impossible date
        f"{_upn(4)},Eve,Khan,14/03/2012,9,none,no",  # row 6: good
        f"{_upn(4)},Fay,Ng,14/03/2012,9,none,maybe",  # row 7: not yes or no
        f"{_upn(1)},Gus,Lee,14/03/2012,9,none,no",  # row 8: the same UPN as row 2
        f"{_upn(9)},Hal,Ito,14/03/2012,9,none,no",  # row 9: already on the records
    )
    response = _import(sendco, data)
    assert response.status_code == 200
    page = text(response)
    assert "Nothing was imported" in page and "<title>Error: Import pupils" in page
    assert "Row 3: Enter the pupil's legal last name" in page
    assert "Row 5: Date of birth must be a real date written like 14/03/2012" in page
    assert "Row 7: Looked after must be yes or no" in page
    assert f"Row 8: the UPN {_upn(1)} is also on row 2" in page
    assert f"Row 9: A pupil with this UPN is already on the school's records ({_upn(9)})" in page
    for good_row in ("Row 2:", "Row 4:", "Row 6:"):
        assert good_row not in page
    assert [p.first_name for p in _pupils(app)] == ["Existing"]
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="pupils.imported").count() == 0


def test_three_good_rows_and_two_bad_save_nothing(sendco, app):
    data = _csv(
        f"{_upn(1)},Amara,Okafor,14/03/2012,9,none,no",
        f"{_upn(2)},Ben,Bell,14/03/2012,9,none,no",
        "A12345,Cara,Jones,14/03/2012,9,none,no",  # row 4
        f"{_upn(3)},Dan,Smith,14/03/2012,9,none,no",
        f"{_upn(4)},Eve,Khan,14/03/2012,15,none,no",  # row 6
    )
    page = text(_import(sendco, data))
    assert "Row 4: A UPN must be 13 characters, like A123456789012" in page
    assert "Row 6: Year group must be R or a number from 1 to 13" in page
    assert _pupils(app) == []


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"upn,first_name\r\nX,Y\r\n", "pupils.csv", "it has no last_name, date_of_birth column"),
        (b"upn,first_name,last_name,date_of_birth,shoe_size\r\n", "pupils.csv", "not one of ours: shoe_size"),
        (b"upn,first_name,last_name,date_of_birth\r\n", "pupils.csv", "The file has no pupils in it"),
        ("upn,first_name,last_name,date_of_birth\r\nA,Zoë,B,1/1/2012\r\n".encode("latin-1"), "p.csv", "saved as UTF-8"),
        (b"", "pupils.csv", "The file is empty"),
        (b"%PDF-1.7", "pupils.pdf", "The file must be a CSV file"),
        (b"upn\r\n" + b"x" * (2 * 1024 * 1024), "pupils.csv", "The file must be 2 MB or smaller"),
    ],
)
def test_a_file_that_is_not_a_usable_csv_is_refused_plainly(sendco, app, data, filename, message):
    response = _import(sendco, data, filename)
    assert response.status_code == 200
    assert message in text(response)
    assert _pupils(app) == []


def test_the_import_page_documents_the_columns_and_offers_an_example(sendco):
    page = text(sendco.get("/school/pupils/import"))
    for column in ("upn", "first_name", "date_of_birth", "social_worker_email", "early_help"):
        assert f">{column}<" in page.replace(" ", "")
    example = sendco.get("/school/pupils/import/example.csv")
    assert example.status_code == 200 and example.mimetype == "text/csv"
    assert example.get_data(as_text=True) == example_csv()
    # The example itself imports cleanly.
    assert _import(sendco, example.get_data()).status_code == 302
