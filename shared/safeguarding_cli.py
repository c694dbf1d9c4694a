"""`flask --app wsgi keys-rotate` and `flask --app wsgi audit-verify`."""

from __future__ import annotations

import click
from flask import Flask


def register_safeguarding_cli(app: Flask) -> None:
    @app.cli.command("keys-rotate")
    @click.option("--batch", default=200, show_default=True, help="Rows re-encrypted per transaction")
    def keys_rotate_command(batch: int) -> None:
        """Re-encrypt everything encrypted at rest (safeguarding content, TOTP secrets, pupils' child-protection
        details, every file about a pupil) under the newest key in SAFEGUARDING_KEYS, and encrypt risk assessments
        stored before encryption (the app keeps running: every configured key still decrypts)."""
        from shared.crypto import keyring
        from shared.services.safeguarding.keys import rotate

        result = rotate(batch)
        click.echo(f"Re-encrypted {result.values} values and {result.files} files under key {keyring().current}.")
        if result.left:
            left = ", ".join(f"{kid}: {count}" for kid, count in sorted(result.left.items()))
            raise click.ClickException(f"Still under older keys: {left}")
        click.echo("Nothing is left under an older key: older keys can be removed from SAFEGUARDING_KEYS.")

    @app.cli.command("audit-verify")
    def audit_verify_command() -> None:
        """Check the audit log's hash chain; name the first event that was changed, removed or inserted."""
        from shared.audit import verify

        result = verify()
        if not result.ok:
            raise click.ClickException(f"The audit log is broken at event {result.broken_at}: {result.problem}.")
        note = f" ({result.before_chain} older events are from before the chain began)" if result.before_chain else ""
        click.echo(f"The audit log is intact: {result.checked} events checked{note}.")
