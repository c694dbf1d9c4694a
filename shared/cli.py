"""CLI commands: demo data, the demo TOTP code, creating a school and a user."""

from __future__ import annotations

import io
import sys
from datetime import date, timedelta

import click
import pyotp
from flask import Flask, current_app
from pypdf import PdfWriter
from sqlalchemy import select

from shared import audit
from shared.evidence_catalogue import ProviderType, required_evidence
from shared.extensions import db
from shared.models import (
    KcsieConfirmation,
    Organisation,
    OrganisationKind,
    Placement,
    PlacementStatus,
    ProviderProfile,
    ProviderSite,
    ProviderStatus,
    Pupil,
    StaffMember,
    User,
    utcnow,
)
from shared.passwords import PasswordRejected
from shared.roles import DSL, PROVIDER_ROLES, SCHOOL_ROLES, mfa_required
from shared.services import accounts, evidence
from shared.services.staff_list import CONFIRMATION_STATEMENT, CONFIRMATION_VERSION
from shared.uploads.pipeline import accept_evidence_upload
from shared.upn import check_letter

DEMO_SCHOOL = "Demo Academy"
DEMO_SCHOOL_USERS = [
    ("headteacher", "Helen Head", ["headteacher"]),
    ("ap.lead", "Amir Lead", ["ap_lead"]),
    ("dsl", "Dana Safeguard", ["dsl"]),
    ("attendance", "Ade Attendance", ["attendance_lead"]),
    ("sendco", "Sam Sendco", ["sendco"]),
    ("admin", "Alex Admin", ["school_admin"]),
]
DEMO_PROVIDERS = [
    ("Northside Learning Centre", "northside.example", ProviderStatus.APPROVED),
    ("Riverside Tuition", "riverside.example", ProviderStatus.ONBOARDING),
]
DEMO_PROVIDER_USERS = [
    ("manager", "Manager", ["provider_manager"]),
    ("dsl", "DSL", ["provider_dsl"]),
    ("staff", "Staff member", ["provider_staff"]),
]
DEMO_PUPILS = [  # (first, last, dob, year, provider index or None)
    ("Jamie", "Taylor", date(2011, 3, 14), "Year 10", 0),
    ("Priya", "Shah", date(2010, 11, 2), "Year 11", 0),
    ("Callum", "Reid", date(2012, 6, 21), "Year 9", 1),
    ("Zara", "Okafor", date(2011, 9, 30), "Year 10", None),
]


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
            db.session.add(ProviderProfile(organisation=org, school_id=school.id, status=status))
            db.session.flush()
        providers.append(org)
        for local, role_name, roles in DEMO_PROVIDER_USERS:
            email = f"{local}@{domain}"
            user, _ = _ensure_user(org, email, f"{prov_name.split()[0]} {role_name}", roles)
            sign_ins.append((email, ", ".join(roles), user.mfa_enabled))
    _complete_northside(providers[0], school)
    for serial, (first, last, dob, year, provider_index) in enumerate(DEMO_PUPILS, start=1):
        upn = _demo_upn(serial)
        pupil = db.session.scalar(select(Pupil).where(Pupil.school_id == school.id, Pupil.upn == upn))
        if pupil is None:
            pupil = Pupil(
                school_id=school.id, upn=upn, first_name=first, last_name=last, date_of_birth=dob, year_group=year
            )
            db.session.add(pupil)
            if provider_index is not None:
                db.session.add(
                    Placement(
                        school_id=school.id,
                        provider_id=providers[provider_index].id,
                        pupil=pupil,
                        start_date=date.today() - timedelta(days=21),
                        end_date=date.today() + timedelta(days=63),
                        status=PlacementStatus.ACTIVE if provider_index == 0 else PlacementStatus.PLANNED,
                    )
                )
    db.session.commit()
    return sign_ins


def _demo_pdf(title: str) -> io.BytesIO:
    """A small valid PDF for a demo document (one blank page, titled)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    buffer.seek(0)
    return buffer


def _complete_northside(provider: Organisation, school: Organisation) -> None:
    """Northside is the demo's approved provider: details, a site, contacts, staff, a signed confirmation and
    every required document uploaded through the real pipeline and verified by the right role. Done once."""
    profile = provider.provider_profile
    if profile.provider_type is not None:
        return
    manager = accounts.find_user_by_email("manager@northside.example")
    lead = accounts.find_user_by_email("ap.lead@demo-academy.example")
    dsl = accounts.find_user_by_email("dsl@demo-academy.example")
    today = date.today()
    profile.provider_type = ProviderType.UNREGISTERED_AP.value
    profile.setting_type = "Vocational and therapeutic provision in a community centre"
    profile.address_line_1, profile.town, profile.postcode = "12 Northside Road", "Exampleton", "EX2 4NS"
    profile.manager_name, profile.manager_email, profile.manager_phone = (
        "Northside Manager",
        "manager@northside.example",
        "01632 960 101",
    )
    profile.dsl_name, profile.dsl_email, profile.dsl_phone = "Northside DSL", "dsl@northside.example", "01632 960 102"
    profile.dsl_training_date = today - timedelta(days=200)
    db.session.add(
        ProviderSite(
            profile=profile,
            organisation_id=provider.id,
            name="Community centre",
            address_line_1="12 Northside Road",
            town="Exampleton",
            postcode="EX2 4NS",
            activities="English, maths and vocational workshops",
        )
    )
    db.session.add(
        StaffMember(
            organisation_id=provider.id,
            name="Jo Tutor",
            role="Tutor",
            dbs_certificate_number="001234567891",
            dbs_issue_date=today - timedelta(days=400),
            enhanced_with_barred_list=True,
            update_service_subscribed=True,
            identity_checked=True,
            right_to_work_checked=True,
            prohibition_check="done",
        )
    )
    db.session.commit()
    db.session.add(
        KcsieConfirmation(
            organisation_id=provider.id,
            signed_by_id=manager.id,
            typed_name="Northside Manager",
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


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the demo school, providers, users, pupils and placements (idempotent)."""
        if current_app.config["APP_ENV"] == "production":
            raise click.ClickException("Demo data is never loaded in production.")
        sign_ins = seed_demo()
        cfg = current_app.config
        click.echo("\nDemo data is ready. Sign in at http://127.0.0.1:5000 with:")
        for email, roles, mfa_on in sign_ins:
            click.echo(f"  {email:38} {roles:20} {'needs a security code' if mfa_on else ''}")
        click.echo(f"\n  Password for every demo account: {cfg['DEMO_PASSWORD']}")
        click.echo(
            "  Security code: run  make totp EMAIL=dsl@demo-academy.example  (or add the key "
            f"{cfg['DEMO_TOTP_SECRET']} to an authenticator app)\n"
        )

    @app.cli.command("deliver-outbox")
    def deliver_outbox_command() -> None:
        """Send the e-mails that are due from the outbox (the worker does this on a schedule)."""
        from shared.notifications import deliver_outbox

        sent, failed = deliver_outbox()
        click.echo(f"sent {sent}, failed {failed} (failures are retried later)")

    @app.cli.command("demo-totp")
    @click.argument("email")
    def demo_totp_command(email: str) -> None:
        """Print the current security code of an account that uses the demo TOTP secret."""
        user = accounts.find_user_by_email(email)
        if user is None or not user.mfa_enabled:
            raise click.ClickException("No account with two-step sign-in has that e-mail address.")
        if user.totp_secret != current_app.config["DEMO_TOTP_SECRET"]:
            raise click.ClickException("That account does not use the demo secret.")
        click.echo(pyotp.TOTP(user.totp_secret).now())

    @app.cli.command("create-school")
    @click.argument("name")
    def create_school_command(name: str) -> None:
        """Create a school organisation."""
        school = Organisation(kind=OrganisationKind.SCHOOL, name=name.strip())
        db.session.add(school)
        db.session.flush()
        audit.record("school.created", organisation=school, obj=school)
        db.session.commit()
        click.echo(f"Created school {school.name} ({school.id})")

    @app.cli.command("create-user")
    @click.option("--organisation", "org_name", required=True, help="The school or provider's exact name")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option(
        "--role", "roles", multiple=True, required=True, type=click.Choice(sorted(SCHOOL_ROLES | PROVIDER_ROLES))
    )
    @click.password_option()
    def create_user_command(org_name: str, email: str, name: str, roles: tuple[str, ...], password: str) -> None:
        """Create a user with a password (they set up two-step sign-in at first sign-in)."""
        org = db.session.scalar(select(Organisation).where(Organisation.name == org_name))
        if org is None:
            raise click.ClickException(f"No organisation is called {org_name!r}.")
        try:
            user = accounts.create_user(org, email=email, name=name, roles=list(roles), password=password)
        except (accounts.AccountError, PasswordRejected) as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.flush()
        audit.record("user.created", organisation=org, obj=user, roles=sorted(roles))
        db.session.commit()
        click.echo(f"Created {user.email} at {org.name}")
        sys.stdout.flush()
