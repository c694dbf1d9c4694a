"""CLI commands: demo data, the demo TOTP code, creating a school and a user."""

from __future__ import annotations

import sys
from datetime import date, timedelta

import click
import pyotp
from flask import Flask, current_app
from sqlalchemy import select

from shared import audit
from shared.extensions import db
from shared.models import (
    Organisation,
    OrganisationKind,
    Placement,
    PlacementStatus,
    ProviderProfile,
    ProviderStatus,
    Pupil,
    User,
    utcnow,
)
from shared.passwords import PasswordRejected
from shared.roles import PROVIDER_ROLES, SCHOOL_ROLES, mfa_required
from shared.services import accounts
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
