"""The demo data that `make run` loads (`flask seed-demo`): one school with its staff, three providers (two approved
with pupils placed, one still onboarding), placements with a term of marks, agreements, safeguarding and a calendar.
Idempotent: running it twice changes nothing."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app, has_request_context
from pypdf import PdfWriter
from sqlalchemy import select

from shared import audit
from shared.attendance_codes import LegalBasis
from shared.clock import today as school_today
from shared.evidence_catalogue import ProviderType, required_evidence
from shared.extensions import db
from shared.models import (
    DbsCheckResult,
    EvidenceDocument,
    HeadteacherDecision,
    KcsieConfirmation,
    Organisation,
    OrganisationKind,
    Placement,
    PlacementStatus,
    ProviderProfile,
    ProviderSite,
    ProviderStatus,
    Pupil,
    SchoolProvider,
    SchoolTerm,
    StaffMember,
    User,
    utcnow,
)
from shared.models.pupil import TIMETABLE_SLOTS
from shared.roles import DSL, mfa_required
from shared.services.accounts import people as accounts
from shared.services.evidence import documents as evidence
from shared.services.evidence.staff_list import CONFIRMATION_STATEMENT, CONFIRMATION_VERSION
from shared.uploads.pipeline import accept_evidence_upload
from shared.upn import check_letter

if TYPE_CHECKING:
    pass

DEMO_SCHOOL = "Demo Academy"
DEMO_SCHOOL_USERS = [
    ("headteacher", "Helen Head", ["headteacher"]),
    ("ap.lead", "Amir Lead", ["ap_lead"]),
    ("dsl", "Dana Safeguard", ["dsl"]),
    ("attendance", "Ade Attendance", ["attendance_lead"]),
    ("sendco", "Sam Sendco", ["sendco"]),
    ("admin", "Alex Admin", ["school_admin"]),
]
DEMO_PROVIDERS = [  # Northside and Riverside are approved and have placed pupils; Eastgate is still onboarding.
    ("Northside Learning Centre", "northside.example", ProviderStatus.APPROVED),
    ("Riverside Tuition", "riverside.example", ProviderStatus.APPROVED),
    ("Eastgate Skills Hub", "eastgate.example", ProviderStatus.ONBOARDING),
]
DEMO_SOCIAL_WORKER = "social.worker@demo-la.example"
DEMO_WELFARE_OFFICER = "welfare.officer@demo-la.example"
DEMO_PROVIDER_USERS = [
    ("manager", "Manager", ["provider_manager"]),
    ("dsl", "DSL", ["provider_dsl"]),
    ("staff", "Staff member", ["provider_staff"]),
]
DEMO_PUPILS: list[tuple[str, str, date, str, int | None, dict[str, Any]]] = [
    # (first, last, dob, year, provider index or None, extra fields)
    (
        "Jamie",
        "Taylor",
        date(2011, 3, 14),
        "10",
        0,
        {
            "social_worker_name": "Sol Worker",
            "social_worker_email": DEMO_SOCIAL_WORKER,
            "child_protection": "child_in_need",
        },
    ),
    (
        "Priya",
        "Shah",
        date(2010, 11, 2),
        "11",
        0,
        {"welfare_officer_name": "Wen Officer", "welfare_officer_email": DEMO_WELFARE_OFFICER, "semh": True},
    ),
    ("Callum", "Reid", date(2012, 6, 21), "9", 1, {"send_status": "sen_support"}),
    ("Zara", "Okafor", date(2011, 9, 30), "10", None, {}),
]
# Her attendance falls each of the last three school weeks: the one placement on the early-warning page (issue 15).
FALLING_ATTENDANCE_PUPIL = "Priya"
ALL_WEEK = list(TIMETABLE_SLOTS)
MORNINGS = [slot for slot in TIMETABLE_SLOTS if slot.endswith("_am")]


def _demo_upn(serial: int) -> str:
    body = f"80120000{serial:04d}"
    return check_letter(body) + body


def _ensure_user(org: Organisation, email: str, name: str, roles: list[str]) -> tuple[User, bool]:
    user = accounts.find_user_by_email(email)
    if user is not None:
        return user, False
    cfg = current_app.config
    user = accounts.create_user(org, email=email, name=name, roles=roles, password=cfg["DEMO_PASSWORD"])
    if mfa_required(org.kind, set(roles)):
        user.totp_secret = cfg["DEMO_TOTP_SECRET"]
        user.mfa_enabled_at = utcnow()
    return user, True


def seed_demo() -> list[tuple[str, str, bool]]:
    """Create the demo school, providers, users, pupils and placements if missing. Safe to run twice."""
    if not has_request_context():
        with current_app.test_request_context():  # the services build links for their e-mails
            return seed_demo()
    school = db.session.scalar(
        select(Organisation).where(Organisation.name == DEMO_SCHOOL, Organisation.kind == OrganisationKind.SCHOOL)
    )
    if school is None:
        school = Organisation(kind=OrganisationKind.SCHOOL, name=DEMO_SCHOOL)
        db.session.add(school)
        db.session.flush()
        audit.record("school.created", organisation=school, obj=school)
    sign_ins = []
    for local, name, roles in DEMO_SCHOOL_USERS:
        email = f"{local}@demo-academy.example"
        user, _ = _ensure_user(school, email, name, roles)
        sign_ins.append((email, ", ".join(roles), user.mfa_enabled))
    providers = []
    for prov_name, domain, status in DEMO_PROVIDERS:
        org = db.session.scalar(
            select(Organisation).where(Organisation.name == prov_name, Organisation.kind == OrganisationKind.PROVIDER)
        )
        if org is None:
            org = Organisation(kind=OrganisationKind.PROVIDER, name=prov_name)
            db.session.add(org)
            db.session.add(ProviderProfile(organisation=org))
            db.session.add(SchoolProvider(school_id=school.id, provider=org, status=status))
            db.session.flush()
        providers.append(org)
        for local, role_name, roles in DEMO_PROVIDER_USERS:
            email = f"{local}@{domain}"
            user, _ = _ensure_user(org, email, f"{prov_name.split()[0]} {role_name}", roles)
            sign_ins.append((email, ", ".join(roles), user.mfa_enabled))
    school.phone = school.phone or "01632 960 000"
    _complete_provider(providers[0], school, NORTHSIDE)
    _complete_provider(providers[1], school, RIVERSIDE)
    _demo_flagged_staff(providers[1])
    _demo_calendar(school)
    placements = []
    for serial, (first, last, dob, year, provider_index, extra) in enumerate(DEMO_PUPILS, start=1):
        upn = _demo_upn(serial)
        pupil = db.session.scalar(select(Pupil).where(Pupil.school_id == school.id, Pupil.upn == upn))
        if pupil is not None and (pupil.year_group or "").startswith("Year "):
            pupil.year_group = year  # demo data of earlier runs stored "Year 10", which no page could read
        if pupil is None:
            pupil = Pupil(
                school_id=school.id,
                upn=upn,
                first_name=first,
                last_name=last,
                date_of_birth=dob,
                year_group=year,
                **extra,
            )
            db.session.add(pupil)
            if provider_index is not None:
                # Priya's has run longer, so three school weeks of marks come before this week even just after a
                # holiday (the early-warning rule looks back six weeks).
                longer = first == FALLING_ATTENDANCE_PUPIL
                start = school_today() - timedelta(days=school_today().weekday(), weeks=8) if longer else None
                placements.append(_demo_placement(school, providers[provider_index], pupil, serial, start=start))
    db.session.commit()
    for placement in placements:
        _demo_marks(placement, falling=placement.pupil.first_name == FALLING_ATTENDANCE_PUPIL)
    if placements:  # first run only
        _demo_risk_assessment(placements[0])
        _demo_amended_mark(placements[0])
        _demo_safeguarding(school, providers[0], placements[0])
        _demo_agreements(school, providers[:2])
    from shared.demo_area import seed_area

    sign_ins += seed_area(school, providers[0])
    from shared.demo_standards import seed_standards

    seed_standards(school, providers[0])
    from shared.demo_progress import seed_progress

    seed_progress(school, providers[:2])
    from shared.demo_reintegration import seed_reintegration

    seed_reintegration(school, providers[0])
    return sign_ins


def _demo_risk_assessment(placement: Placement) -> None:
    """A placement's joint risk assessment (issue 15): written by the school's DSL, the provider's DSL's measures
    added, signed by both before the placement started. Jamie's is the fullest; every other running placement has
    one too, so the early warning page's "risk assessment unsigned" is never a false alarm in the demo. Nothing is
    added to a placement that has one."""
    from shared.services.placements import risk

    if risk.of_placement(placement) is not None:
        return
    school_domain = "hillside-school.example" if placement.school.name == "Hillside School" else "demo-academy.example"
    provider_domain = {"Northside Learning Centre": "northside.example", "Riverside Tuition": "riverside.example"}
    school_dsl = accounts.find_user_by_email(f"dsl@{school_domain}")
    provider_dsl = accounts.find_user_by_email(f"dsl@{provider_domain[placement.provider.name]}")
    assert school_dsl is not None and provider_dsl is not None  # made by seed_demo before this
    parts: dict[str, tuple[str | None, str | None]] = {
        "travel": ("Walks past the station to the site.", "Taxi both ways, booked by the school."),
        "online": ("Uses social media late at night.", "Online safety sessions in week one."),
    }
    if placement.pupil.first_name == "Jamie":
        parts["exploitation"] = (
            "Seen with older young people near the station after school.",
            "Collected by taxi at the end of each day; the provider tells the school of any unknown adult.",
        )
    assessment = risk.save_school_part(placement, parts, by=school_dsl)
    measures: dict[str, str | None] = {
        "travel": "A member of staff meets the taxi.",
        "online": "Phones handed in at the start of the day.",
    }
    if "exploitation" in parts:
        measures["exploitation"] = "Staff watch the gate at the end of the day."
    risk.save_provider_part(assessment, measures, by=provider_dsl)
    signed_on = datetime.combine(placement.start_date - timedelta(days=3), time(15, 0), tzinfo=UTC)
    risk.sign(assessment, "provider", provider_dsl.name, by=provider_dsl, now=signed_on)
    risk.sign(assessment, "school", school_dsl.name, by=school_dsl, now=signed_on)


def _demo_agreements(school: Organisation, providers: list[Organisation]) -> None:
    """Service level agreements with the two approved providers, then this half-term's breaches (what the hourly
    job would raise), so the AP lead's list and the compliance pages have something in them."""
    from shared.services.agreements import breaches as compliance_breaches
    from shared.services.agreements import terms as agreements

    ap_lead = db.session.scalar(select(User).where(User.email == "ap.lead@demo-academy.example"))
    assert ap_lead is not None  # made by seed_demo before this
    year = school_today().year if school_today().month >= 9 else school_today().year - 1
    for provider, per_session in zip(providers, (4500, 3800), strict=True):
        terms = agreements.AgreementTerms(
            starts_on=date(year, 9, 1),
            ends_on=date(year + 1, 7, 31),
            incidents_within_hours=24,
            reviews_every_weeks=6,
            concerns_same_session=True,
            notices_before_next_school_day=True,
            evidence_in_date=True,
            confirmation_current=True,
            school_policy_acknowledged=True,
            behaviour_expectations="The provider's behaviour policy, shared with the school; no exclusion without "
            "speaking to the AP lead first.",
            reporting_procedures="Attendance by the agreed times each session; incidents the same day; "
            "safeguarding concerns through the portal at once.",
            cost_per_session_pence=per_session,
            cost_per_week_pence=None,
        )
        agreements.save_agreement(school, provider, terms, by=ap_lead)
    # The demo providers were checked and confirmed at the start of the school year, not at the moment of seeding.
    september = datetime(year, 9, 1, 9, 0, tzinfo=UTC)
    ids = [p.id for p in providers]
    for document in db.session.scalars(
        select(EvidenceDocument).where(
            EvidenceDocument.organisation_id.in_(ids), EvidenceDocument.reviewed_at.is_not(None)
        )
    ):
        document.reviewed_at = september
        for event in document.events:  # the history says so too (uploaded, then verified)
            event.happened_at = september
    for confirmation in db.session.scalars(select(KcsieConfirmation).where(KcsieConfirmation.organisation_id.in_(ids))):
        confirmation.signed_at = september
    db.session.commit()
    compliance_breaches.record_breaches(school.id)


def _demo_safeguarding(school: Organisation, northside: Organisation, placement: Placement) -> None:
    """The school's child protection policy (Northside's DSL has confirmed it and read it, Riverside's not yet), a
    concern from Northside's DSL waiting for the school's DSLs, and an Operation Encompass notice waiting for
    Northside's DSL."""
    from shared.services.safeguarding import concerns, notices
    from shared.services.safeguarding import policies as safeguarding_policies

    school_dsl = accounts.find_user_by_email("dsl@demo-academy.example")
    northside_dsl = accounts.find_user_by_email("dsl@northside.example")
    assert school_dsl is not None and northside_dsl is not None  # made by seed_demo before this
    policy = safeguarding_policies.upload_policy(
        school, _demo_pdf("Child protection and safeguarding policy"), "Child protection policy 2026.pdf", by=school_dsl
    )
    safeguarding_policies.confirm_policy(northside, policy, by=northside_dsl)
    # Northside's DSL has read it too; its staff have not yet (the DSL sees who has, issue 13).
    safeguarding_policies.confirm_reading(northside, policy, by=northside_dsl)
    yesterday = school_today() - timedelta(days=1)
    concerns.raise_concern(
        northside,
        concerns.ConcernReport(
            placement_id=str(placement.id),
            occurred_on=yesterday,
            occurred_time="10:30",
            location="Workshop",
            category="neglect",
            what_happened="Came in hungry and without a coat for the third day running.",
            childs_words="There wasn't any food in the house.",
            actions_taken="Gave breakfast and a spare coat.",
            who_told="Northside manager",
        ),
        by=northside_dsl,
    )
    notices.share(
        school,
        placement.pupil,
        notices.NoticeDraft(
            kind="operation_encompass",
            provider_text="A disturbed night at home: offer a quiet space and a familiar adult this morning.",
            provider_ids=[str(northside.id)],
            police_reference="OE/DEMO/0001",
            incident_on=yesterday,
            incident_time="22:15",
            incident_place="The family home",
            child_present="yes",
        ),
        by=school_dsl,
    )


def _demo_calendar(school: Organisation) -> None:
    """The school year around today and the one before (placements that ended then have their marks): three terms
    a year, each with a half-term holiday (the demo works whenever it runs)."""
    if db.session.scalar(select(SchoolTerm.id).where(SchoolTerm.school_id == school.id)) is not None:
        return
    today = school_today()
    this_year = today.year if today.month >= 9 else today.year - 1
    for name, start, end, half_term in (
        term
        for year in (this_year - 1, this_year)
        for term in (
            (f"Autumn {year}", date(year, 9, 1), date(year, 12, 18), date(year, 10, 26)),
            (f"Spring {year + 1}", date(year + 1, 1, 5), date(year + 1, 3, 26), date(year + 1, 2, 15)),
            (f"Summer {year + 1}", date(year + 1, 4, 13), date(year + 1, 7, 22), date(year + 1, 5, 25)),
        )
    ):
        # The half-term holiday: the week from the Monday on or after the date.
        monday = half_term + timedelta(days=-half_term.weekday() % 7)
        db.session.add(
            SchoolTerm(
                school_id=school.id,
                name=name,
                start_date=start,
                end_date=end,
                half_term_starts=monday,
                half_term_ends=monday + timedelta(days=4),
            )
        )
    db.session.flush()


def _demo_placement(
    school: Organisation,
    provider: Organisation,
    pupil: Pupil,
    serial: int,
    *,
    headteacher_email: str = "",
    start: date | None = None,
) -> Placement:
    headteacher = accounts.find_user_by_email(headteacher_email or "headteacher@demo-academy.example")
    assert headteacher is not None  # made by seed_demo before this
    assert provider.provider_profile is not None  # seed_demo makes one with each provider
    today = school_today()
    start = start or today - timedelta(days=today.weekday() + 21)  # a Monday three weeks ago by default
    placement = Placement(
        school_id=school.id,
        provider_id=provider.id,
        pupil=pupil,
        start_date=start,
        max_end_date=start + timedelta(weeks=12),
        status=PlacementStatus.ACTIVE,
        legal_basis=LegalBasis.SCHOOL_ARRANGED.value,
        primary_reason="risk_of_exclusion" if serial != 2 else "semh",
        timetable=ALL_WEEK if serial != 3 else MORNINGS,
        hours_per_week=25 if serial != 3 else 15,
        cost_pence=9500,
        cost_period="session",
        rationale="A smaller setting with a vocational offer, to rebuild attendance and engagement.",
        intended_outcomes="Attendance above 90%; a level 1 qualification; a plan to return to school.",
        review_arrangements="Every six weeks at the provider, with parents and the pupil.",
        reintegration_criteria="Attendance above 90% for a half-term and no serious incidents.",
        consulted_sendco=True,
        consulted_dsl=True,
        consulted_parents=True,
        headteacher_decision=HeadteacherDecision.AGREED,
        headteacher_decided_at=utcnow(),
        headteacher_decided_by_id=headteacher.id,
        parents_notified_on=start - timedelta(days=7),
        parents_notified_how="Meeting at school",
        la_informed_on=start - timedelta(days=7),
        summary_send_needs="Needs instructions broken into short steps.",
        summary_support_plan="A named mentor meets the pupil at the door each morning.",
        summary_interventions="Weekly learning-mentor session.",
    )
    placement.sites = list(provider.provider_profile.sites)
    db.session.add(placement)
    return placement


def _demo_marks(placement: Placement, *, falling: bool = False, until: date | None = None) -> None:
    """Marks for the school days since the start, up to yesterday (or `until`): mostly present, some late, a few
    absences. Recorded at the time they would have been (so none is late or raises an alert now). `falling`: over
    the last three school weeks before this one, attendance falls each week (all present, then a fifth of the
    sessions missed, then half), so the early-warning page shows the placement, with no other week mattering."""
    from shared.services.attendance.marks import MarkEntry, expected_sessions, record_history

    today = school_today()
    last_day = until or today - timedelta(days=1)
    pattern = [
        MarkEntry.parse("present"),
        MarkEntry.parse("present"),
        MarkEntry.parse("late", 10),
        MarkEntry.parse("present"),
        MarkEntry.parse("absent", reason="illness"),
        MarkEntry.parse("present"),
        MarkEntry.parse("present"),
        MarkEntry.parse("absent", reason="unexplained"),
    ]
    sessions = expected_sessions([placement], placement.start_date, last_day)
    this_monday = today - timedelta(days=today.weekday())
    by_week: dict[date, list[tuple[date, str]]] = {}
    for _, day, session in sessions:
        if day < this_monday:
            by_week.setdefault(day - timedelta(days=day.weekday()), []).append((day, session))
    falling_weeks = sorted(by_week)[-3:] if falling else []
    missed: set[tuple[date, str]] = set()
    for step, monday in enumerate(falling_weeks):  # the last sessions of each week missed: none, a fifth, half
        week = by_week[monday]
        count = (0, max(1, len(week) // 5), len(week) // 2)[step]
        missed.update(week[len(week) - count :])
    planned = []
    for index, (_, day, session) in enumerate(sessions):
        on_time = datetime.combine(day, time(9, 30) if session == "AM" else time(13, 30), tzinfo=UTC)
        if falling_weeks and day >= falling_weeks[0]:
            entry = MarkEntry.parse("absent", reason="unexplained") if (day, session) in missed else pattern[0]
        else:
            entry = pattern[(index + placement.pupil.date_of_birth.day) % len(pattern)]
        planned.append((day, session, entry, on_time))
    record_history(placement, planned)
    db.session.commit()


def _demo_amended_mark(placement: Placement) -> None:
    """The provider's manager corrects the pupil's latest morning mark (the school's day page shows it changed, and
    its history): an absence becomes present, anything else late."""
    from shared.models import AttendanceMark
    from shared.notifications import people_with_role
    from shared.roles import PROVIDER_MANAGER
    from shared.services.attendance.marks import MarkEntry, apply_mark

    mark = db.session.scalar(
        select(AttendanceMark)
        .where(AttendanceMark.placement_id == placement.id, AttendanceMark.session == "AM")
        .order_by(AttendanceMark.day.desc())
        .limit(1)
    )
    if mark is None:
        return
    managers = people_with_role(placement.provider, PROVIDER_MANAGER)
    at = datetime.combine(mark.day, time(10, 15), tzinfo=UTC)
    if mark.kind == "absent":
        entry, why = MarkEntry.parse("present"), "Arrived at 9:40 after a bus delay; the register had already been sent"
    else:
        entry, why = MarkEntry.parse("late", 25), "Signed in at reception at 9:25, after the register was sent"
    apply_mark(placement, mark.day, "AM", entry, by=managers[0] if managers else None, why=why, now=at)
    db.session.commit()


def _demo_pdf(title: str) -> io.BytesIO:
    """A small valid PDF for a demo document (one blank page, titled)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    buffer.seek(0)
    return buffer


NORTHSIDE = {
    "short": "Northside",
    "domain": "northside.example",
    "setting": "Vocational and therapeutic provision in a community centre",
    "road": "12 Northside Road",
    "postcode": "EX2 4NS",
    "phone": "01632 960 10",
    "site": "Community centre",
    "activities": "English, maths and vocational workshops",
    "tutor": "Jo Tutor",
}
RIVERSIDE = {
    "short": "Riverside",
    "domain": "riverside.example",
    "setting": "One-to-one and small-group tuition",
    "road": "3 Riverside Walk",
    "postcode": "EX3 7RS",
    "phone": "01632 960 20",
    "site": "Tuition rooms",
    "activities": "English and maths tuition, mentoring",
    "tutor": "Rob Tutor",
}


DEMO_FLAGGED_STAFF = "Jo Volunteer"


def _demo_flagged_staff(provider: Organisation) -> None:
    """A flagged member of staff at Riverside (issue 13): on the list since the confirmation was signed, a DBS status
    check three days ago found new information, so the AP lead has a flag to decide on. Once."""
    exists = db.session.scalar(
        select(StaffMember.id).where(StaffMember.organisation_id == provider.id, StaffMember.name == DEMO_FLAGGED_STAFF)
    )
    if exists is not None:
        return
    today = school_today()
    db.session.add(
        StaffMember(
            organisation_id=provider.id,
            name=DEMO_FLAGGED_STAFF,
            role="Mentor",
            dbs_certificate_number="001234567840",
            dbs_issue_date=today - timedelta(days=700),
            enhanced_with_barred_list=True,
            update_service_subscribed=True,
            last_status_check_date=today - timedelta(days=3),
            last_status_check_result=DbsCheckResult.NEW_INFO,
            identity_checked=True,
            right_to_work_checked=True,
            prohibition_check="not_relevant",
            works_with_pupils=True,
            start_date=today - timedelta(days=600),
        )
    )
    db.session.commit()


def _complete_provider(provider: Organisation, school: Organisation, about: dict[str, str]) -> None:
    """An approved demo provider: details, a site, contacts, staff, a signed confirmation and every required
    document uploaded through the real pipeline and verified by the right role. Done once."""
    profile = provider.provider_profile
    assert profile is not None  # seed_demo makes one with each provider
    if profile.provider_type is not None:
        return
    short, domain = about["short"], about["domain"]
    manager = accounts.find_user_by_email(f"manager@{domain}")
    lead = accounts.find_user_by_email("ap.lead@demo-academy.example")
    dsl = accounts.find_user_by_email("dsl@demo-academy.example")
    assert manager is not None and lead is not None and dsl is not None  # made by seed_demo before this
    today = school_today()
    profile.provider_type = ProviderType.UNREGISTERED_AP.value
    profile.setting_type = about["setting"]
    profile.address_line_1, profile.town, profile.postcode = about["road"], "Exampleton", about["postcode"]
    profile.manager_name, profile.manager_email, profile.manager_phone = (
        f"{short} Manager",
        f"manager@{domain}",
        about["phone"] + "1",
    )
    profile.dsl_name, profile.dsl_email, profile.dsl_phone = f"{short} DSL", f"dsl@{domain}", about["phone"] + "2"
    profile.dsl_training_date = today - timedelta(days=200)
    db.session.add(
        ProviderSite(
            profile=profile,
            organisation_id=provider.id,
            name=about["site"],
            address_line_1=about["road"],
            town="Exampleton",
            postcode=about["postcode"],
            activities=about["activities"],
        )
    )
    db.session.add(
        StaffMember(
            organisation_id=provider.id,
            name=about["tutor"],
            role="Tutor",
            dbs_certificate_number="001234567891",
            dbs_issue_date=today - timedelta(days=400),
            enhanced_with_barred_list=True,
            update_service_subscribed=True,
            identity_checked=True,
            right_to_work_checked=True,
            prohibition_check="done",
            start_date=today - timedelta(days=400),
        )
    )
    db.session.commit()
    db.session.add(
        KcsieConfirmation(
            organisation_id=provider.id,
            school_id=school.id,
            signed_by_id=manager.id,
            typed_name=f"{short} Manager",
            signer_role="Manager",
            statement_version=CONFIRMATION_VERSION,
            statement_text=CONFIRMATION_STATEMENT,
        )
    )
    db.session.commit()
    for kind in required_evidence(ProviderType.UNREGISTERED_AP):
        document = accept_evidence_upload(
            _demo_pdf(kind.name), f"{kind.name}.pdf", organisation=provider, evidence_type_code=kind.code, by=manager
        )
        verifier = dsl if DSL in kind.verifier_roles else lead
        evidence.verify(
            document,
            evidence.Verification(
                checklist=dict.fromkeys(kind.checklist, True),
                issue_date=today - timedelta(days=90),
                review_date=today - timedelta(days=90),
                expiry_date=today + timedelta(days=45),  # inside 60 days, so the reminder shows in the demo
            ),
            by=verifier,
            roles=verifier.roles,
        )
