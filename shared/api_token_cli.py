"""`flask api-token create EMAIL` and `flask api-token revoke PREFIX`: what the provider manager's API tokens page
does, for an operator setting up a provider's system. The token is printed once and stored only as a hash."""

from __future__ import annotations

import click
from flask import Flask

from shared.models import OrganisationKind
from shared.roles import PROVIDER_MANAGER
from shared.services.accounts import api_tokens
from shared.services.accounts import people as accounts
from shared.services.errors import RuleBroken


def register_api_token_cli(app: Flask) -> None:
    @app.cli.group("api-token")
    def api_token_group() -> None:
        """Create and revoke providers' tokens for the attendance API."""

    @api_token_group.command("create")
    @click.argument("email")
    @click.option("--name", default="Created from the command line", show_default=True, help="What the token is for")
    def create_command(email: str, name: str) -> None:
        """Print a new API token for the provider of the user with this e-mail address."""
        user = accounts.find_user_by_email(email)
        if user is None:
            raise click.ClickException("No account has that e-mail address.")
        if not user.active:
            raise click.ClickException("That account is deactivated, so it cannot create API tokens.")
        provider = user.organisation
        if provider is None or provider.kind != OrganisationKind.PROVIDER:
            raise click.ClickException("That account is not a provider's: only providers have API tokens.")
        try:
            new = api_tokens.create(provider, name=name, by=user)
        except RuleBroken as exc:
            raise click.ClickException(str(exc)) from None
        if PROVIDER_MANAGER not in user.roles:
            click.echo(f"Note: {user.email} is not a provider manager; the token is the provider's, not theirs.")
        click.echo(f"API token for {provider.name} ({new.row.name}). Copy it now: it is not shown again.")
        click.echo(new.token)

    @api_token_group.command("revoke")
    @click.argument("prefix")
    def revoke_command(prefix: str) -> None:
        """Revoke the token that starts with PREFIX (its first 12 characters, as the portal lists them)."""
        matches = api_tokens.find_by_prefix(prefix)
        if not matches:
            raise click.ClickException("No API token starts with that.")
        if len(matches) > 1:
            raise click.ClickException("More than one token starts with that: revoke it on the portal instead.")
        token = matches[0]
        if not api_tokens.revoke(token, by=None):
            raise click.ClickException("That token was already revoked.")
        click.echo(f"Revoked API token {token.prefix} ({token.name}).")
