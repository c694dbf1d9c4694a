"""The demo's second school and local authority (issue 14): Hillside School, in the same local authority as Demo
Academy and the same trust, places a pupil at Northside, relying on Demo Academy's verification of Northside's
evidence; Demo Borough Council's officer sees both schools' placements. Safe to run twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from shared import audit
from shared.extensions import db
from shared.models import (
    ApprovalDecision,
    KcsieConfirmation,
    Organisation,
    OrganisationKind,
    ProviderStatus,
    Pupil,
    SchoolProvider,
    User,
)
from shared.services.evidence.staff_list import CONFIRMATION_STATEMENT, CONFIRMATION_VERSION

DEMO_LA = "Demo Borough Council"
DEMO_TRUST = "Demo Schools Trust"
HILLSIDE = "Hillside School"
HILLSIDE_USERS = [
    ("headteacher", "Hana Head", ["headteacher"]),
    ("ap.lead", "Harry Lead", ["ap_lead"]),
    ("dsl", "Holly Safeguard", ["dsl"]),
]
LA_OFFICER_EMAIL = "la.officer@demo-borough.example"


def _organisation(kind: OrganisationKind, name: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.kind == kind, Organisation.name == name))
    if org is None:
        org = Organisation(kind=kind, name=name)
        db.session.add(org)
        db.session.flush()
        audit.record("school.created", organisation=org, obj=org)
    return org


def seed_area(demo_academy: Organisation, northside: Organisation) -> list[tuple[str, str, bool]]:
    """The local authority, its officer, Hillside and its placement at Northside. Returns the sign-ins made."""
    from shared.demo import _demo_calendar, _demo_marks, _demo_placement, _demo_upn, _ensure_user

    la = _organisation(OrganisationKind.LOCAL_AUTHORITY, DEMO_LA)
    hillside = _organisation(OrganisationKind.SCHOOL, HILLSIDE)
    demo_academy.local_authority_id, demo_academy.trust_name = la.id, DEMO_TRUST
    demo_academy.urn = demo_academy.urn or "100001"
    hillside.local_authority_id, hillside.trust_name, hillside.urn = la.id, DEMO_TRUST, hillside.urn or "100002"
    hillside.phone = hillside.phone or "01632 960 100"
    # Hillside relies on its trust's schools' verification: Demo Academy verified Northside's evidence.
    hillside.relies_on_trust = True
    sign_ins = []
    officer, _ = _ensure_user(la, LA_OFFICER_EMAIL, "Lee Officer", ["la_officer"])
    sign_ins.append((LA_OFFICER_EMAIL, "la_officer", officer.mfa_enabled))
    for local, name, roles in HILLSIDE_USERS:
        email = f"{local}@hillside-school.example"
        user, _ = _ensure_user(hillside, email, name, roles)
        sign_ins.append((email, ", ".join(roles), user.mfa_enabled))
    db.session.flush()
    link = db.session.scalar(
        select(SchoolProvider).where(
            SchoolProvider.school_id == hillside.id, SchoolProvider.provider_id == northside.id
        )
    )
    if link is not None:  # seeded before
        db.session.commit()
        return sign_ins
    _demo_calendar(hillside)
    lead = db.session.scalar(select(User).where(User.email == "ap.lead@hillside-school.example"))
    manager = db.session.scalar(select(User).where(User.email == "manager@northside.example"))
    assert lead is not None and manager is not None  # made above and by seed_demo
    db.session.add(SchoolProvider(school_id=hillside.id, provider_id=northside.id, status=ProviderStatus.APPROVED))
    db.session.add(
        KcsieConfirmation(
            organisation_id=northside.id,
            school_id=hillside.id,
            signed_by_id=manager.id,
            typed_name="Northside Manager",
            signer_role="Manager",
            statement_version=CONFIRMATION_VERSION,
            statement_text=CONFIRMATION_STATEMENT,
        )
    )
    db.session.add(
        ApprovalDecision(
            organisation_id=northside.id,
            school_id=hillside.id,
            decision="approved",
            notes="Relying on Demo Academy's checks of Northside's evidence (same trust); visited on 2 September.",
            checklist=[],
            decided_by_id=lead.id,
        )
    )
    pupil = Pupil(
        school_id=hillside.id,
        upn=_demo_upn(501),
        first_name="Morgan",
        last_name="Hughes",
        date_of_birth=date(2011, 5, 9),
        year_group="10",
    )
    db.session.add(pupil)
    db.session.flush()
    placement = _demo_placement(hillside, northside, pupil, 5, headteacher_email="headteacher@hillside-school.example")
    # AP Portal told Demo Borough Council when Hillside's headteacher agreed it (/la/placements shows the date).
    placement.la_notified_at = placement.headteacher_decided_at
    db.session.commit()
    _demo_marks(placement)
    return sign_ins
