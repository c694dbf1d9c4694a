"""Kept pages (issue 16, shared/kept_pages.py): the provider's register and the LA's placements are drawn once and
given again, in one statement, while nothing they show has changed; any change to what they show, made any way
(here, SQL typed past the app), shows on the next request; a copy is never another organisation's, and the form's
CSRF token is always the person's own. On SQLite and on PostgreSQL: the triggers are each database's own."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import Uuid, bindparam, func, select, text

from shared.extensions import db
from shared.kept_pages import compact_changes
from shared.models import OrganisationChange, ProviderStatus
from shared.roles import LA_OFFICER
from tests.support.client import Browser, html

NOW = "2026-11-30 09:30:00"  # a Monday in term (GMT, so UTC is school time)
MONDAY = date(2026, 11, 30)
# The tables the kept pages read, each with its triggers (migration 0021_kept_pages).
TRIGGERED = {
    "attendance_marks",
    "placements",
    "pupils",
    "school_terms",
    "inset_days",
    "provider_profiles",
    "organisations",
    "school_providers",
}
# What every signed-in request reads to know who is asking (not what a page shows).
PRINCIPAL = {"user_sessions", "users", "memberships", "membership_roles", "organisation_changes"}


@pytest.fixture
def area(world):
    """An LA with two schools; Northside Learning has Ava (Hillside) and Ben (Riverside) on its register."""
    la = world.local_authority("Kept Borough Council")
    hillside = world.school("Hillside Academy", local_authority_id=la)
    riverside = world.school("Riverside School", local_authority_id=la)
    northside = world.provider(hillside, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.works_with(riverside, northside)
    ava = world.pupil(hillside, first_name="Ava", last_name="Archer")
    ben = world.pupil(riverside, first_name="Ben", last_name="Baker")
    return {
        "la": la,
        "hillside": hillside,
        "riverside": riverside,
        "northside": northside,
        "ava": ava,
        "ava_placement": world.placement(hillside, northside, ava, hours_per_week=Decimal("25")),
        "ben": ben,
        "ben_placement": world.placement(riverside, northside, ben, hours_per_week=Decimal("25")),
    }


def _signed_in(app, person) -> Browser:
    browser = Browser(app.test_client())
    with freeze_time(NOW):
        browser.sign_in(person)
    return browser


def _sql(app, statement: str, **values) -> None:
    """A change typed past the app, as a person at a database prompt would. UUIDs are bound as SQLAlchemy's Uuid
    (each database's own form), as tests/support/legacy.py writes its rows."""
    named = set(re.findall(r"(?<!:):(\w+)", statement))  # the names text() binds
    used = {name: value for name, value in values.items() if name in named}
    uuids = [bindparam(name, type_=Uuid()) for name, value in used.items() if isinstance(value, uuid.UUID)]
    with app.app_context():
        db.session.execute(text(statement).bindparams(*uuids), used)
        db.session.commit()


def _shows_the_change(app, browser, path: str, statement: str, shows, **values) -> None:
    """`path` is kept (asked for twice, the same), does not yet show what `shows` looks for, and shows it on the next
    request once `statement` has changed the database."""
    before = html(browser.get(path))
    assert _main(html(browser.get(path))) == _main(before)  # kept
    assert not shows(before)
    _sql(app, statement, new_id=uuid.uuid4(), **values)
    assert shows(html(browser.get(path)))


def _main(page: str) -> str:
    """The page's main content, without the CSRF token (each person's own)."""
    main = page.split('<main class="govuk-main-wrapper', 1)[1].split("</main>", 1)[0]
    return re.sub(r'name="csrf_token" value="[^"]+"', "", main)


# --- the register ----------------------------------------------------------------------------------------------------


def test_the_register_is_drawn_once_and_then_given_in_one_statement_until_it_changes(app, world, area, statements):
    staff = _signed_in(app, world.user(area["northside"], ["provider_staff"]))
    with freeze_time(NOW):
        first = html(staff.get("/portal/attendance"))
        statements.clear()
        again = html(staff.get("/portal/attendance"))
        assert len(statements) == 1, statements  # who is asking, with the provider's changes: nothing else
        assert _main(again) == _main(first)
        assert "Ava Archer" in first and "Ben Baker" in first and "Present</strong>" not in first

        # A mark saved through the register shows on the next request (drawn again: more than one statement).
        world.mark(area["ava_placement"], MONDAY, "AM")
        statements.clear()
        marked = html(staff.get("/portal/attendance"))
        assert len(statements) > 1
        assert marked.count('<strong class="govuk-tag govuk-tag--green">Present</strong>') == 1
        # Another day is another copy; today's is still given.
        yesterday = html(staff.get(f"/portal/attendance?day={(MONDAY - timedelta(days=3)).isoformat()}"))
        assert "Friday 27 November 2026" in yesterday and "Present</strong>" not in yesterday
        statements.clear()
        assert _main(html(staff.get("/portal/attendance"))) == _main(marked)
        assert len(statements) == 1


# Each: a change typed in SQL to a table the register reads, and what the register shows after it.
REGISTER_CHANGES = {
    "a mark recorded": (
        "INSERT INTO attendance_marks (id, placement_id, school_id, provider_id, pupil_id, day, session, kind, code,"
        " submitted_late, source, recorded_at) VALUES (:new_id, :ava_placement, :hillside, :northside, :ava,"
        " '2026-11-30', 'AM', 'present', 'B', false, 'web', '2026-11-30 09:00:00')",
        lambda page: '<strong class="govuk-tag govuk-tag--green">Present</strong>' in page,
    ),
    "a pupil's preferred name": (
        "UPDATE pupils SET preferred_name = 'Avie' WHERE id = :ava",
        lambda page: "Avie Archer" in page and "Ava Archer" not in page,
    ),
    "a placement ended": (
        "UPDATE placements SET status = 'ended', end_date = '2026-11-27' WHERE id = :ben_placement",
        lambda page: "Ben Baker" not in page and "1 pupil expected" in page,
    ),
    "an INSET day": (
        "INSERT INTO inset_days (id, school_id, day, created_at) VALUES (:new_id, :riverside, '2026-11-30',"
        " '2026-11-01 00:00:00')",
        lambda page: "This is not a school day for Riverside School" in page and "Ben Baker" not in page,
    ),
    "a school's terms removed": (
        "DELETE FROM school_terms WHERE school_id = :hillside",
        lambda page: "This is not a school day for Hillside Academy" in page,
    ),
    "the provider's deadline": (
        "UPDATE provider_profiles SET am_marks_due = '09:45:00' WHERE organisation_id = :northside",
        lambda page: "Morning (AM), due by 09:45" in page,
    ),
    "a school's name": (
        "UPDATE organisations SET name = 'Riverside Community School' WHERE id = :riverside",
        lambda page: "Riverside Community School" in page,
    ),
    "a third school": (
        "INSERT INTO school_providers (id, school_id, provider_id, status, status_changed_at, created_at) VALUES"
        " (:new_id, :la_school, :northside, 'approved', '2026-11-01 00:00:00', '2026-11-01 00:00:00')",
        lambda page: "Pupils from 3 schools" in page,
    ),
}


@pytest.mark.parametrize("change", list(REGISTER_CHANGES))
def test_any_change_to_what_the_register_shows_is_shown_on_the_next_request(app, world, area, change):
    staff = _signed_in(app, world.user(area["northside"], ["provider_manager"]))
    third = world.school("Westfield School", local_authority_id=area["la"])
    statement, shows = REGISTER_CHANGES[change]
    with freeze_time(NOW):
        _shows_the_change(app, staff, "/portal/attendance", statement, shows, **area, la_school=third)


def test_a_kept_register_carries_each_persons_own_csrf_token_and_saves(app, world, area):
    one = _signed_in(app, world.user(area["northside"], ["provider_staff"]))
    other = _signed_in(app, world.user(area["northside"], ["provider_staff"]))
    with freeze_time(NOW):
        tokens = []
        for browser in (one, other):
            page = html(browser.get("/portal/attendance"))
            tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', page).group(1))
        assert tokens[0] != tokens[1]
        assert _main(html(one.get("/portal/attendance"))) == _main(html(other.get("/portal/attendance")))
        prefix = f"m-{area['ben_placement'].hex[:12]}-am"
        saved = other.submit("/portal/attendance", {f"{prefix}-kind": "present"}, follow_redirects=True)
        assert "Register saved: 1 mark saved" in html(saved)
        assert html(one.get("/portal/attendance")).count('govuk-tag--green">Present</strong>') == 1


def test_another_providers_register_is_never_given_from_this_ones_copy(app, world, area):
    southside = world.provider(area["hillside"], "Southside Skills", ProviderStatus.APPROVED)
    world.placement(area["hillside"], southside, world.pupil(area["hillside"], first_name="Cara", last_name="Clark"))
    north = _signed_in(app, world.user(area["northside"], ["provider_manager"]))
    south = _signed_in(app, world.user(southside, ["provider_manager"]))
    with freeze_time(NOW):
        assert "Ava Archer" in html(north.get("/portal/attendance"))
        theirs = html(south.get("/portal/attendance"))
        assert "Cara Clark" in theirs and "Ava Archer" not in theirs and "Ben Baker" not in theirs


# --- the LA's placements ---------------------------------------------------------------------------------------------


LA_CHANGES = {
    "a pupil's name": (
        "UPDATE pupils SET last_name = 'Abbott' WHERE id = :ava",
        lambda page: "Ava Abbott" in page and "Ava Archer" not in page,
    ),
    "a provider's name": (
        "UPDATE organisations SET name = 'Northside Learning Trust' WHERE id = :northside",
        lambda page: "Northside Learning Trust" in page,
    ),
    "a provider registered": (
        "UPDATE provider_profiles SET provider_type = 'independent_school' WHERE organisation_id = :northside",
        lambda page: page.count("Do not apply (registered)") == 2,
    ),
    "a placement's start": (
        "UPDATE placements SET start_date = '2026-11-16' WHERE id = :ben_placement",
        lambda page: "16 November 2026" in page and "2 weeks so far" in page,
    ),
    "a school moved to another local authority": (
        "UPDATE organisations SET local_authority_id = NULL WHERE id = :riverside",
        lambda page: "Ben Baker" not in page and "1 placement" in page,
    ),
    "a provider a school starts to use": (
        "INSERT INTO school_providers (id, school_id, provider_id, status, status_changed_at, created_at) VALUES"
        " (:new_id, :hillside, :elsewhere, 'approved', '2026-11-01 00:00:00', '2026-11-01 00:00:00')",
        lambda page: "Elsewhere Tutors</option>" in page,
    ),
}


@pytest.mark.parametrize("change", list(LA_CHANGES))
def test_any_change_to_what_the_las_placements_show_is_shown_on_the_next_request(app, world, area, change):
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    elsewhere = world.provider(world.school("Elsewhere School"), "Elsewhere Tutors", ProviderStatus.APPROVED)
    statement, shows = LA_CHANGES[change]
    with freeze_time(NOW):
        before = html(officer.get("/la/placements"))
        assert "2 placements" in before and "Ava Archer" in before
        _shows_the_change(app, officer, "/la/placements", statement, shows, **area, elsewhere=elsewhere)


def test_the_las_kept_placements_are_one_statement_and_a_filter_not_its_own_still_a_404(app, world, area, statements):
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    other_la = world.local_authority("Other Borough Council")
    stranger = world.school("Faraway School", local_authority_id=other_la)
    with freeze_time(NOW):
        page = html(officer.get(f"/la/placements?school={area['riverside']}"))
        assert "Ben Baker" in page and "Ava Archer" not in page
        statements.clear()
        assert _main(html(officer.get(f"/la/placements?school={area['riverside']}"))) == _main(page)
        assert len(statements) == 1
        for _ in range(2):  # a 404 is never kept
            assert officer.get(f"/la/placements?school={stranger}").status_code == 404


# --- the changes themselves ------------------------------------------------------------------------------------------


def _tables_read(statements: list[str]) -> set[str]:
    return {name for statement in statements for name in re.findall(r"(?:FROM|JOIN)\s+([a-z_]+)", statement)}


def test_every_table_a_kept_page_reads_has_its_triggers(app, world, area, statements):
    """A page kept while a table it reads has no trigger would show that table's old rows: every table the two pages
    read when drawn is one the migration put triggers on, and the triggers are there (SQLite drops a table's
    triggers when a later migration rebuilds the table)."""
    staff = _signed_in(app, world.user(area["northside"], ["provider_manager"]))
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    with freeze_time(NOW):
        statements.clear()
        assert staff.get("/portal/attendance").status_code == 200
        assert officer.get("/la/placements?show=recent").status_code == 200
        assert officer.get("/la/placements?show=limits").status_code == 200
    read = _tables_read(statements) - PRINCIPAL
    assert read and read <= TRIGGERED, read - TRIGGERED
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            found = {
                (table, event)
                for table, events in db.session.execute(
                    text(
                        "SELECT c.relname, t.tgtype FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                        " WHERE t.tgname LIKE 'kept_pages_%'"
                    )
                )
                # tgtype's bits: 4 INSERT, 8 DELETE, 16 UPDATE
                for event, bit in (("insert", 4), ("delete", 8), ("update", 16))
                if events & bit
            }
        else:
            found = {
                (table, name.rsplit("_", 1)[1])
                for name, table in db.session.execute(
                    text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'kept_pages_%'")
                )
            }
    assert found == {(table, event) for table in TRIGGERED for event in ("insert", "update", "delete")}


def _sums(app) -> dict:
    with app.app_context():
        return dict(
            db.session.execute(
                select(OrganisationChange.organisation_id, func.sum(OrganisationChange.weight)).group_by(
                    OrganisationChange.organisation_id
                )
            ).all()
        )


def test_folding_the_changes_keeps_every_organisations_sum(app, world, area):
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    before = _sums(app)
    assert before[area["northside"]] > 1 and before[area["la"]] > 1
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(OrganisationChange))
        assert compact_changes() == len(before) and rows > len(before)
        assert db.session.scalar(select(func.count()).select_from(OrganisationChange)) == len(before)
        assert compact_changes() == 0  # nothing left to fold
    assert _sums(app) == before
    # After folding, a change is still a change: the LA's list shows it.
    with freeze_time(NOW):
        assert "Ava Archer" in html(officer.get("/la/placements"))
        _sql(app, "UPDATE pupils SET first_name = 'Avery' WHERE id = :ava", ava=area["ava"])
        assert "Avery Archer" in html(officer.get("/la/placements"))
    assert _sums(app)[area["la"]] > before[area["la"]]


def test_marks_saved_while_the_register_is_read_all_show_once_the_saving_is_done(app, world, area):
    """Real threads: one person saves each pupil's marks, one request at a time, while two others read the register
    over and over (copies drawn and kept as the marks commit). Once the saving is done, the register shows every
    mark: no copy drawn from older data is given for newer."""
    pupils = [
        world.placement(area["hillside"], area["northside"], world.pupil(area["hillside"], first_name=f"P{n}"))
        for n in range(6)
    ]
    saver = _signed_in(app, world.user(area["northside"], ["provider_staff"]))
    readers = [_signed_in(app, world.user(area["northside"], ["provider_staff"])) for _ in range(2)]
    done = threading.Event()
    problems: list[str] = []

    def read(browser: Browser) -> None:
        while not done.is_set():
            response = browser.get("/portal/attendance")
            if response.status_code != 200:
                problems.append(f"HTTP {response.status_code}")

    with freeze_time(NOW):
        threads = [threading.Thread(target=read, args=(reader,)) for reader in readers]
        for thread in threads:
            thread.start()
        try:
            for placement in pupils:
                for session in ("am", "pm"):
                    prefix = f"m-{placement.hex[:12]}-{session}"
                    response = saver.submit("/portal/attendance", {f"{prefix}-kind": "present"}, follow_redirects=True)
                    assert "1 mark saved" in html(response)
        finally:
            done.set()
            for thread in threads:
                thread.join()
        assert not problems
        for reader in readers:
            assert html(reader.get("/portal/attendance")).count('govuk-tag--green">Present</strong>') == 12


def test_two_workers_folding_at_once_keep_every_sum(app, world, area):
    """A worker that runs twice: two folds at once, on real threads, while marks are still being written. Every
    change is counted once: the sums after are those before, plus the marks written meanwhile."""
    for n in range(20):
        world.mark(area["ava_placement"], MONDAY - timedelta(days=7 * (n + 1)), "AM")
    before = _sums(app)
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def fold() -> None:
        with app.app_context():
            try:
                start.wait()
                compact_changes()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=fold) for _ in range(2)]
    for thread in threads:
        thread.start()
    start.wait()
    written = world.mark(area["ben_placement"], MONDAY, "AM")  # a provider's mark and its school's
    for thread in threads:
        thread.join()
    assert not errors and written
    after = _sums(app)
    assert after[area["northside"]] == before[area["northside"]] + 1
    assert after[area["riverside"]] == before[area["riverside"]] + 1
    assert after[area["hillside"]] == before[area["hillside"]]
