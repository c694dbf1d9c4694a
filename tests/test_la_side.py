"""The local authority's side (issue 14): the school tells its LA of each placement when the headteacher agrees it;
the LA's placements page with the date it was told and the DfE's intended limits on unregistered provision; its
providers page with the registration line counted across every school; its home; and the placing school's AP lead
list. An officer of another LA sees none of it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from shared.extensions import db
from shared.models import AuditEvent, Notification, OutboxEmail, Placement, ProviderStatus, User
from shared.roles import AP_LEAD, HEADTEACHER, LA_OFFICER
from shared.services.local_authority.limits import Limits, LimitState, flagged, limit_flag
from shared.services.placements import plans
from tests.support.client import Browser, html

# The joint risk assessment is not signed in these tests: agreeing records why it can start unsigned (issue 15).
UNSIGNED = "Risk assessment meeting booked for the first morning."
NOW = "2026-12-07 10:00:00"  # a Monday in the autumn term (GMT)
TODAY = date(2026, 12, 7)
PART_TIME = ["mon_am", "mon_pm", "tue_am", "tue_pm", "wed_am"]  # 5 sessions
LIMITS = Limits(full_time_weeks=12, part_time_sessions=4)


def _weeks_ago(weeks: int, days: int = 0) -> date:
    return TODAY - timedelta(weeks=weeks, days=days)


# --- the rule ---------------------------------------------------------------------------------------------------------


def _flag(**overrides):
    values = {
        "provider_type": "unregistered_ap",
        "hours_per_week": Decimal("25"),
        "sessions": 10,
        "start": _weeks_ago(5),
        "end": None,
        "today": TODAY,
        "limits": LIMITS,
    } | overrides
    return limit_flag(**values)


def test_the_limits_on_unregistered_provision():
    # Full time: approaching in the 2 weeks before 12, over beyond them.
    assert _flag(start=_weeks_ago(9, 6)) is None
    near = _flag(start=_weeks_ago(10))
    assert near.state == LimitState.APPROACHING
    assert near.reason == (
        "Full time at an unregistered provider for 10 weeks: it reaches the 12 weeks the DfE intends as the limit on "
        "21 December 2026"
    )
    assert _flag(start=_weeks_ago(11, 6)).state == LimitState.APPROACHING
    over = _flag(start=_weeks_ago(12))
    assert over.state == LimitState.OVER
    assert "for 12 weeks: beyond the 12 weeks the DfE intends as the limit (reached on 7 December 2026)" in over.reason
    # Part time: more than 4 sessions a week is over from the first day; 4 is not.
    part = _flag(hours_per_week=Decimal("12.5"), sessions=5, start=TODAY + timedelta(days=7))
    assert part.state == LimitState.OVER
    assert part.reason == (
        "Part time at an unregistered provider for 5 sessions a week: more than the 4 sessions a week the DfE "
        "intends as the limit"
    )
    assert _flag(hours_per_week=Decimal("12"), sessions=4, start=_weeks_ago(30)) is None
    # 18 hours is not full time (more than 18 is); no hours recorded: judged by sessions.
    assert _flag(hours_per_week=Decimal("18"), sessions=4, start=_weeks_ago(30)) is None
    assert _flag(hours_per_week=None, sessions=6).state == LimitState.OVER
    # Registered providers, and a type not given yet (counted as not registered).
    for registered in ("registered_school", "pru", "independent_school", "fe_college"):
        assert _flag(provider_type=registered, start=_weeks_ago(30)) is None
    assert _flag(provider_type=None, start=_weeks_ago(30)).state == LimitState.OVER
    # An ended placement that ran beyond the limit says so in the past tense; one ended in time is not flagged.
    ran = _flag(start=_weeks_ago(20), end=_weeks_ago(5))
    assert ran.state == LimitState.OVER and ran.reason.startswith("Ran at an unregistered provider for 15 weeks full")
    assert _flag(start=_weeks_ago(20), end=_weeks_ago(9)) is None
    # Configurable.
    assert _flag(start=_weeks_ago(7), limits=Limits(6, 2)).state == LimitState.OVER
    assert _flag(hours_per_week=Decimal("6"), sessions=3, limits=Limits(6, 2)).state == LimitState.OVER


def test_the_limits_are_configured_in_settings(app, monkeypatch):
    with app.app_context():
        assert Limits.configured() == Limits(12, 4)
    monkeypatch.setitem(app.config, "LA_UNREGISTERED_FULL_TIME_WEEKS", 10)
    monkeypatch.setitem(app.config, "LA_UNREGISTERED_PART_TIME_SESSIONS", 3)
    with app.app_context():
        assert Limits.configured() == Limits(10, 3)
    monkeypatch.setenv("LA_UNREGISTERED_FULL_TIME_WEEKS", "8")
    from shared.config import Config

    assert Config().LA_UNREGISTERED_FULL_TIME_WEEKS == 8


# --- a local authority with schools -----------------------------------------------------------------------------------


@pytest.fixture
def area(world):
    """Demo Borough Council with Hillside and Riverside; Elmwood in Other Council. Northside (unregistered) works
    with all three; Oakfield College (an FE college) with Hillside."""
    la = world.local_authority("Demo Borough Council")
    other_la = world.local_authority("Other Council")
    hillside = world.school("Hillside School", local_authority_id=la)
    riverside = world.school("Riverside School", local_authority_id=la)
    elmwood = world.school("Elmwood School", local_authority_id=other_la)
    northside = world.provider(hillside, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.works_with(riverside, northside)
    world.works_with(elmwood, northside)
    college = world.provider(hillside, "Oakfield College", ProviderStatus.APPROVED, provider_type="fe_college")
    return {
        "la": la,
        "other_la": other_la,
        "hillside": hillside,
        "riverside": riverside,
        "elmwood": elmwood,
        "northside": northside,
        "college": college,
    }


def _signed_in(app, person) -> Browser:
    """Signed in at NOW (the pages are read at NOW: a session signed in at the real time would have run out)."""
    browser = Browser(app.test_client())
    with freeze_time(NOW):
        browser.sign_in(person)
    return browser


def _pending(world, school, provider, pupil, **fields):
    placement = world.placement(school, provider, pupil, status="planned", **fields)
    with world.app.app_context():
        db.session.get(Placement, placement).headteacher_decision = "pending"
        db.session.commit()
    return placement


def test_agreeing_a_placement_tells_the_local_authority_without_naming_the_pupil(app, world, area):
    officer = world.user(area["la"], [LA_OFFICER])
    stranger = world.user(area["other_la"], [LA_OFFICER])
    head = world.user(area["hillside"], [HEADTEACHER])
    pupil = world.pupil(area["hillside"], first_name="Jayden", last_name="Walsh")
    placement = _pending(world, area["hillside"], area["northside"], pupil, start=date(2027, 1, 5))
    with app.app_context(), freeze_time(NOW):
        row = db.session.get(Placement, placement)
        assert row.la_notified_at is None
        plans.decide(row, agree=True, notes="", by=db.session.get(User, head.id), proceed_unsigned_reason=UNSIGNED)
        row = db.session.get(Placement, placement)
        assert row.la_notified_at is not None and row.la_notified_at.date() == TODAY
        told = db.session.scalars(select(Notification).where(Notification.user_id == officer.id)).all()
        assert [n.text for n in told] == [
            "Hillside School has placed a pupil at Northside Learning from 5 January 2027; see AP Portal."
        ]
        assert told[0].organisation_id == area["la"]
        assert not db.session.scalars(select(Notification).where(Notification.user_id == stranger.id)).all()
        mail = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == officer.email)).one()
        assert mail.subject == "AP Portal: Hillside School has told you of a placement"
        assert "Hillside School has placed a pupil at Northside Learning from 5 January 2027" in mail.body
        assert "Jayden" not in mail.body and "Walsh" not in mail.body and "Jayden" not in mail.subject
        assert f"/la/placements?school={area['hillside']}" in mail.body
        event_ = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "placement.la_notified")).one()
        assert event_.details == {"local_authority": str(area["la"]), "officers": 1}
        assert event_.object_id == str(placement)
    # A changed plan goes back to the headteacher (plans.update_placement); agreeing it again keeps the first date
    # the LA was told and tells no one twice.
    with app.app_context(), freeze_time("2026-12-09 10:00:00"):
        row = db.session.get(Placement, placement)
        row.headteacher_decision = "pending"
        db.session.commit()
        plans.decide(row, agree=True, notes="", by=db.session.get(User, head.id), proceed_unsigned_reason=UNSIGNED)
        assert db.session.get(Placement, placement).la_notified_at.date() == TODAY
        assert len(db.session.scalars(select(Notification).where(Notification.user_id == officer.id)).all()) == 1
    # The school's own page says so.
    school_page = _signed_in(app, world.user(area["hillside"], [AP_LEAD]))
    with freeze_time(NOW):
        assert "7 December 2026, by AP Portal when the headteacher agreed the placement" in html(
            school_page.get(f"/school/placements/{placement}")
        )


def test_a_school_with_no_local_authority_tells_no_one_and_a_declined_plan_is_not_told(app, world, area):
    alone = world.school("Lone School")
    provider = world.provider(alone, "Lone Provider", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    head = world.user(alone, [HEADTEACHER])
    world.user(area["la"], [LA_OFFICER])
    alone_placement = _pending(world, alone, provider, world.pupil(alone))
    declined = _pending(world, area["hillside"], area["northside"], world.pupil(area["hillside"]))
    hillside_head = world.user(area["hillside"], [HEADTEACHER])
    with app.app_context(), freeze_time(NOW):
        plans.decide(
            db.session.get(Placement, alone_placement),
            agree=True,
            notes="",
            by=db.session.get(User, head.id),
            proceed_unsigned_reason=UNSIGNED,
        )
        plans.decide(
            db.session.get(Placement, declined), agree=False, notes="", by=db.session.get(User, hillside_head.id)
        )
        assert db.session.get(Placement, alone_placement).la_notified_at is None
        assert db.session.get(Placement, declined).la_notified_at is None
        assert not db.session.scalars(select(Notification).where(Notification.organisation_id == area["la"])).all()


# --- the placements page ----------------------------------------------------------------------------------------------


def _rows(page: str) -> list[str]:
    body = page.split("<tbody", 1)[1].split(">", 1)[1].split("</tbody>", 1)[0] if "<tbody" in page else ""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>")[:-1]]


@pytest.fixture
def placed(world, area):
    """Hillside: Ava at Northside full time for 13 weeks (over), told through AP Portal on 1 December; Ben at
    Northside part time, 5 sessions (over), agreed before AP Portal told LAs; Cara at the college full time for 20
    weeks (registered). Riverside: Dan at Northside full time for 10 weeks (approaching). Elmwood (another LA):
    Eve at Northside."""
    from datetime import UTC, datetime

    hillside, riverside, northside = area["hillside"], area["riverside"], area["northside"]
    pupils = {
        "ava": world.pupil(hillside, first_name="Ava", last_name="Archer", year_group="10"),
        "ben": world.pupil(hillside, first_name="Ben", last_name="Baker", year_group="9", send_status="ehcp"),
        "cara": world.pupil(hillside, first_name="Cara", last_name="Clark", year_group="11"),
        "dan": world.pupil(riverside, first_name="Dan", last_name="Dale", year_group="8"),
        "eve": world.pupil(area["elmwood"], first_name="Eve", last_name="Evans", year_group="10"),
    }
    return {
        "ava": world.placement(
            hillside,
            northside,
            pupils["ava"],
            start=_weeks_ago(13),
            hours_per_week=Decimal("25"),
            la_notified_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        ),
        "ben": world.placement(
            hillside,
            northside,
            pupils["ben"],
            start=_weeks_ago(3),
            hours_per_week=Decimal("12.5"),
            timetable=PART_TIME,
            la_informed_on=date(2026, 11, 10),
        ),
        "cara": world.placement(
            hillside, area["college"], pupils["cara"], start=_weeks_ago(20), hours_per_week=Decimal("25")
        ),
        "dan": world.placement(riverside, northside, pupils["dan"], start=_weeks_ago(10), hours_per_week=Decimal("20")),
        "eve": world.placement(
            area["elmwood"], northside, pupils["eve"], start=_weeks_ago(2), hours_per_week=Decimal("20")
        ),
    }


def test_the_la_sees_its_schools_placements_with_the_date_told_and_the_limits(app, world, area, placed):
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    with freeze_time(NOW):
        page = html(officer.get("/la/placements"))
    assert "4 placements" in page
    rows = _rows(page)
    assert len(rows) == 4 and not any("Eve Evans" in row or "Elmwood" in row for row in rows)
    ava = next(row for row in rows if "Ava Archer" in row)
    assert "Hillside School" in ava and "Year 10" in ava and "Northside Learning Not registered" in ava
    assert "Full time 25 hours, 10 sessions a week" in ava and "13 weeks so far" in ava
    assert "1 December 2026" in ava and "Beyond the limit" in ava
    assert "for 13 weeks: beyond the 12 weeks the DfE intends as the limit" in ava
    ben = next(row for row in rows if "Ben Baker" in row)
    assert "Part time 12.5 hours, 5 sessions a week" in ben and "more than the 4 sessions a week" in ben
    assert "10 November 2026 (the school's own record)" in ben
    # The pupil's needs are not the LA's to read on this page.
    assert "EHC" not in ben
    cara = next(row for row in rows if "Cara Clark" in row)
    assert "Oakfield College Registered" in cara and "Do not apply (registered)" in cara
    assert "Agreed before AP Portal told the local authority" in cara
    dan = next(row for row in rows if "Dan Dale" in row)
    assert "Riverside School" in dan and "Near the limit" in dan and "21 December 2026" in dan


def test_a_running_placement_with_its_end_date_set_is_not_said_to_have_ended(app, world, area):
    """A phased return sets a running placement's end date ahead of time: the LA's list gives the date and does not
    say "ended" until the placement has."""
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    pupil = world.pupil(area["hillside"], first_name="Kai", last_name="Bennett")
    world.placement(
        area["hillside"], area["northside"], pupil, start=_weeks_ago(4), end_date=TODAY + timedelta(days=25)
    )
    other = world.pupil(area["hillside"], first_name="Ellis", last_name="Brown")
    world.placement(
        area["hillside"], area["northside"], other, start=_weeks_ago(8), end_date=_weeks_ago(2), status="ended"
    )
    with freeze_time(NOW):
        rows = _rows(html(officer.get("/la/placements")))
    kai = next(row for row in rows if "Kai Bennett" in row)
    assert "9 November 2026 to 1 January 2027 4 weeks so far" in kai and "ended" not in kai
    ellis = next(row for row in rows if "Ellis Brown" in row)
    assert "12 October 2026 to 23 November 2026 (ended)" in ellis


def test_the_la_filters_placements_by_school_provider_and_what_to_show(app, world, area, placed):
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    with freeze_time(NOW):
        by_school = _rows(html(officer.get(f"/la/placements?school={area['riverside']}")))
        by_provider = _rows(html(officer.get(f"/la/placements?provider={area['college']}")))
        limits = _rows(html(officer.get("/la/placements?show=limits")))
        recent = _rows(html(officer.get("/la/placements?show=recent")))
        both = html(officer.get(f"/la/placements?school={area['hillside']}&provider={area['northside']}&show=all"))
        # Another LA's school, a made-up id, or a provider none of its schools use: a 404, like one that is not there.
        stranger = world.provider(area["elmwood"], "Elmwood Tutors", provider_type="tutor")
        assert officer.get(f"/la/placements?school={area['elmwood']}").status_code == 404
        assert officer.get("/la/placements?school=not-an-id").status_code == 404
        assert officer.get(f"/la/placements?provider={stranger}").status_code == 404
        # Nonsense in the other parameters gives the whole list.
        assert "4 placements" in html(officer.get("/la/placements?show=everything&page=zero"))
    assert len(by_school) == 1 and "Dan Dale" in by_school[0]
    assert len(by_provider) == 1 and "Cara Clark" in by_provider[0]
    assert sorted(row.split(" ")[2] for row in limits) == ["Ava", "Ben", "Dan"]
    assert len(recent) == 1 and "Ava Archer" in recent[0]
    assert "2 placements" in both
    # The form keeps what was chosen, and works without JavaScript (a GET form).
    assert f'<option value="{area["hillside"]}" selected>Hillside School</option>' in both
    assert '<form method="get" action="/la/placements"' in both


def test_the_la_lists_agreed_running_and_this_years_ended_placements_only(app, world, area):
    hillside, northside = area["hillside"], area["northside"]
    for name, fields in {
        "Waiting": {"status": "planned"},
        "Declined": {"status": "cancelled"},
        "Agreed": {"status": "planned", "start": TODAY + timedelta(days=30)},
        "Running": {},
        "Endedthisyear": {"status": "ended", "end_date": date(2026, 10, 16)},
        "Endedlastyear": {"status": "ended", "start": date(2026, 1, 5), "end_date": date(2026, 7, 17)},
    }.items():
        made = world.placement(hillside, northside, world.pupil(hillside, first_name=name), **fields)
        if name in ("Waiting", "Declined"):
            with app.app_context():
                db.session.get(Placement, made).headteacher_decision = name == "Waiting" and "pending" or "declined"
                db.session.commit()
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    with freeze_time(NOW):
        rows = _rows(html(officer.get("/la/placements")))
    assert sorted(row.split(" ")[2] for row in rows) == ["Agreed", "Endedthisyear", "Running"]


def test_the_sql_rule_and_the_page_rule_agree(app, world, area):
    """flagged() (lists and counts) and limit_flag() (each row) give the same answer for current placements."""
    hillside, northside = area["hillside"], area["northside"]
    shapes = []
    for weeks in range(0, 16):
        for hours, timetable in (
            (Decimal("25"), None),
            (Decimal("12"), PART_TIME),
            (None, PART_TIME[:4]),
            (Decimal("18"), None),
        ):
            shapes.append(
                world.placement(hillside, northside, start=_weeks_ago(weeks), hours_per_week=hours, timetable=timetable)
            )
    shapes.append(world.placement(hillside, northside, start=TODAY + timedelta(days=14), hours_per_week=Decimal("25")))
    with app.app_context(), freeze_time(NOW):
        for state in (None, LimitState.OVER, LimitState.APPROACHING):
            from shared.models import ProviderProfile

            in_sql = set(
                db.session.scalars(
                    select(Placement.id)
                    .outerjoin(ProviderProfile, ProviderProfile.organisation_id == Placement.provider_id)
                    .where(Placement.id.in_(shapes), flagged(TODAY, LIMITS, state))
                )
            )
            in_python = set()
            for placement in db.session.scalars(select(Placement).where(Placement.id.in_(shapes))):
                flag = limit_flag(
                    provider_type="unregistered_ap",
                    hours_per_week=placement.hours_per_week,
                    sessions=len(placement.timetable),
                    start=placement.start_date,
                    end=placement.end_date,
                    today=TODAY,
                    limits=LIMITS,
                )
                if flag is not None and (state is None or flag.state == state):
                    in_python.add(placement.id)
            assert in_sql == in_python, state
            assert in_sql  # each state has some


def test_each_la_page_is_a_fixed_number_of_queries_whatever_the_number_of_placements(app, world, area, statements):
    """Counted with the signed-in session's own queries: /la/placements 5 (the session's 2, the schools and providers
    for the filters, one page of rows with the count of all), /la/providers 7, /la/ 7, the same for 3 placements and 3
    providers as for 60 and 21: no query per row."""
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    counts = {}
    for size in (1, 20):
        for n in range(size):
            provider = world.provider(area["riverside"], f"Provider {size}-{n}", ProviderStatus.APPROVED)
            world.placement(area["riverside"], provider, start=_weeks_ago(n % 15), hours_per_week=Decimal("20"))
            world.placement(area["hillside"], area["northside"], start=_weeks_ago(n % 15), hours_per_week=Decimal("20"))
            world.concern(world.placement(area["riverside"], provider, timetable=PART_TIME, start=_weeks_ago(1)))
        for path in ("/la/placements", "/la/placements?show=limits", "/la/providers", "/la/"):
            with freeze_time(NOW):
                statements.clear()
                assert officer.get(path).status_code == 200
                counts.setdefault(path, []).append(len(statements))
    for path, (few, many) in counts.items():
        assert few == many, f"{path}: {few} queries, then {many}"
        assert many <= 20, f"{path}: {many} queries"
    assert {path: few for path, (few, _many) in counts.items()} == {
        "/la/placements": 4,
        "/la/placements?show=limits": 4,
        "/la/providers": 7,
        "/la/": 7,
    }


# --- the providers page -----------------------------------------------------------------------------------------------


def test_the_registration_line_is_counted_across_every_school_and_each_placing_school_is_warned(app, world, area):
    """Northside: 2 pupils full time from Hillside, 2 from Riverside and 1 from Elmwood (another LA): 5, over the
    line, though no school placed more than 2. The LA sees why and which of its schools place there; each placing
    school's AP lead is warned; the other LA sees only its own school."""
    hillside, riverside, elmwood, northside = area["hillside"], area["riverside"], area["elmwood"], area["northside"]
    for school in (hillside, hillside, riverside, riverside, elmwood):
        world.placement(school, northside, hours_per_week=Decimal("25"), start=_weeks_ago(2))
    world.placement(hillside, area["college"], hours_per_week=Decimal("25"), start=_weeks_ago(2))
    first = world.placement(riverside, northside, hours_per_week=Decimal("10"), timetable=PART_TIME[:3])
    concern = world.concern(first, what_happened="A very particular detail of a concern.")
    world.notice(first, provider_text="A particular note for the provider.")
    world.concern(world.placement(elmwood, northside, hours_per_week=Decimal("10"), timetable=PART_TIME[:3]))
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    with freeze_time(NOW):
        page = html(officer.get("/la/providers"))
        threshold = _rows(html(officer.get("/la/providers?show=threshold")))
    rows = _rows(page)
    assert len(rows) == 2
    north = next(row for row in rows if "Northside Learning" in row)
    assert "Unregistered alternative provision Not registered 5 Over the line" in north
    assert "gives full-time education (more than 18 hours a week) to 5 pupils, counting every school" in north
    assert "Hillside School, Riverside School" in north and "Elmwood" not in north
    assert "1, latest 30 November 2026" in north  # one concern about this LA's pupils there; one notice
    assert "A very particular detail" not in page and "A particular note" not in page and "neglect" not in page
    college = next(row for row in rows if "Oakfield College" in row)
    assert "Further education (FE) college Registered 1 Does not apply (registered) Hillside School" in college
    assert len(threshold) == 1 and "Northside Learning" in threshold[0]
    assert "1 provider is over the line where it must register as an independent school" in page
    assert concern  # (made above; its content never reaches the page)

    # Each school placing there is warned on its AP lead's list, even one that has suspended the provider since.
    with app.app_context():
        from tests.support.world import link_of

        link_of(northside, elmwood).status = ProviderStatus.SUSPENDED
        db.session.commit()
    for school in (hillside, riverside, elmwood):
        lead = _signed_in(app, world.user(school, [AP_LEAD]))
        with freeze_time(NOW):
            home = html(lead.get("/school/"))
        assert "1 organisation would need to register as an independent school" in home, school
    # The other LA sees its own school only.
    other = _signed_in(app, world.user(area["other_la"], [LA_OFFICER]))
    with freeze_time(NOW):
        theirs = _rows(html(other.get("/la/providers")))
    assert len(theirs) == 1 and "Elmwood School" in theirs[0] and "Hillside" not in theirs[0]


# --- the homes --------------------------------------------------------------------------------------------------------


def test_the_la_home_counts_what_needs_attention_with_links(app, world, area, placed):
    for _ in range(4):
        world.placement(area["riverside"], area["northside"], hours_per_week=Decimal("25"), start=_weeks_ago(1))
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    with freeze_time(NOW):
        page = html(officer.get("/la/"))
    tasks = page.split('id="tasks"', 1)[1].split("</ul>", 1)[0]
    assert "2 placements at unregistered providers are beyond the DfE&#39;s intended limits" in tasks
    assert "1 full-time placement at unregistered providers is within 2 weeks of the DfE&#39;s intended limit" in tasks
    assert "1 placement notified by schools in the last 14 days" in tasks
    assert "1 provider your schools use is over the line where it must register as an independent school" in tasks
    for link in ("/la/placements?show=limits", "/la/placements?show=recent", "/la/providers?show=threshold"):
        assert f'href="{link}"' in tasks
    # Another LA's officer: nothing of this.
    other = _signed_in(app, world.user(area["other_la"], [LA_OFFICER]))
    with freeze_time(NOW):
        theirs = html(other.get("/la/"))
    # Northside is over the line for Elmwood's LA too (the law counts every school's pupils); nothing else is its.
    their_tasks = theirs.split('id="tasks"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'<a class="govuk-link govuk-task-list__link"[^>]*>([^<]+)</a>', their_tasks) == [
        "1 provider your schools use is over the line where it must register as an independent school"
    ]
    assert "Hillside" not in theirs and "Riverside" not in theirs
    with freeze_time(NOW):
        their_list = html(other.get("/la/placements"))
    assert "1 placement" in their_list and "Eve Evans" in their_list and "Ava Archer" not in their_list


def test_the_ap_lead_sees_the_limits_of_their_own_schools_placements_only(app, world, area, placed):
    hillside = _signed_in(app, world.user(area["hillside"], [AP_LEAD]))
    riverside = _signed_in(app, world.user(area["riverside"], [AP_LEAD]))
    elmwood = _signed_in(app, world.user(area["elmwood"], [AP_LEAD]))
    with freeze_time(NOW):
        theirs = {name: html(b.get("/school/")) for name, b in (("h", hillside), ("r", riverside), ("e", elmwood))}
    assert (
        "2 placements at unregistered providers are beyond the DfE&#39;s intended limits (full time for more than 12 "
        "weeks, or part time for more than 4 sessions a week)" in theirs["h"]
    )
    assert "approaching" not in theirs["h"] and "reaches the DfE" not in theirs["h"]
    assert (
        "1 full-time placement at unregistered providers reaches the DfE&#39;s intended limit of 12 weeks within 2 "
        "weeks" in theirs["r"]
    )
    assert "beyond the DfE" not in theirs["r"]
    assert "DfE&#39;s intended limit" not in theirs["e"]


def test_a_page_of_placements_beyond_the_last_shows_the_last_page(app, world, area, placed, monkeypatch):
    """Pages of 3: the 4 placements make 2 pages; page 9 shows the second (the count taken apart, as the page's own
    query finds no rows), page 1 the first 3 with the count of all."""
    from shared.services.local_authority import placements as la_placements

    monkeypatch.setattr(la_placements, "PAGE_SIZE", 3)
    officer = _signed_in(app, world.user(area["la"], [LA_OFFICER]))
    with freeze_time(NOW):
        first = html(officer.get("/la/placements"))
        beyond = html(officer.get("/la/placements?page=9"))
        second = html(officer.get("/la/placements?page=2"))
    assert "4 placements, page 1 of 2" in first and len(_rows(first)) == 3
    assert "4 placements, page 2 of 2" in beyond and _rows(beyond) == _rows(second) and len(_rows(second)) == 1
