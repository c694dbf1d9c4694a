"""CLI commands: demo data (shared/demo.py), the demo TOTP code, the outbox, creating a school and a user."""

from __future__ import annotations

import sys

import click
import pyotp
from flask import Flask, current_app
from sqlalchemy import select

from shared import audit
from shared.demo import seed_demo
from shared.extensions import db
from shared.models import (
    Organisation,
    OrganisationKind,
)
from shared.passwords import PasswordRejected
from shared.roles import LA_ROLES, PROVIDER_ROLES, SCHOOL_ROLES
from shared.services.accounts import people as accounts


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

    @app.cli.command("worker")
    def worker_command() -> None:
        """Run the background worker (e-mail, alerts, daily jobs) in the foreground, as `make run` does."""
        import os

        from shared.tasks import WORKER_COMMAND

        os.execv(sys.executable, [sys.executable, *WORKER_COMMAND])  # noqa: S606 - our own fixed arguments

    @app.cli.command("demo-totp")
    @click.argument("email")
    def demo_totp_command(email: str) -> None:
        """Print the current security code of an account that uses the demo TOTP secret."""
        user = accounts.find_user_by_email(email)
        if user is None or not user.mfa_enabled:
            raise click.ClickException("No account with two-step sign-in has that e-mail address.")
        if user.totp_secret != current_app.config["DEMO_TOTP_SECRET"]:
            raise click.ClickException("That account does not use the demo secret.")
        assert user.totp_secret is not None  # mfa_enabled: the account has a secret
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

    @app.cli.command("create-local-authority")
    @click.argument("name")
    def create_local_authority_command(name: str) -> None:
        """Create a local authority organisation (its officers are made with create-user --role la_officer)."""
        la = Organisation(kind=OrganisationKind.LOCAL_AUTHORITY, name=name.strip())
        db.session.add(la)
        db.session.flush()
        audit.record("school.created", organisation=la, obj=la)
        db.session.commit()
        click.echo(f"Created local authority {la.name} ({la.id})")

    @app.cli.command("create-user")
    @click.option("--organisation", "org_name", required=True, help="The school or provider's exact name")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option(
        "--role",
        "roles",
        multiple=True,
        required=True,
        type=click.Choice(sorted(SCHOOL_ROLES | PROVIDER_ROLES | LA_ROLES)),
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
