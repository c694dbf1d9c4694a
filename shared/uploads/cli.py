"""`flask --app wsgi uploads-check FILE...`: run the upload checks (stages 1-6) on files on disk, one line per file.

Useful to see what a person's file would get before they try it, and to check a batch of files after a change to
the rules. The size limit is the app's MAX_CONTENT_LENGTH, the same one uploads through the site get.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from shared.uploads.checks import Scanner, check_upload
from shared.uploads.reasons import UploadRefused


def _configured_scanner(app: Flask) -> Scanner | None:
    """Stage 6 as uploads through the site get it: the configured clamd, refusing when it gives no verdict."""
    from shared.scanning import scanner_from_config
    from shared.uploads.pipeline import scan_upload

    clamd = scanner_from_config(app.config)
    if clamd is None:
        return None
    return lambda upload: scan_upload(upload, clamd, None)


def register_uploads_cli(app: Flask, *, scanner: Scanner | None = None) -> None:
    """Add the `uploads-check` command. `scanner` is stage 6 (virus scan), run on each file that passed 1-5."""

    @app.cli.command("uploads-check")
    @click.argument(
        "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
    )
    def uploads_check_command(files: tuple[Path, ...]) -> None:
        """Check FILES as uploads would be checked; exit 0 only when every one is accepted."""
        max_bytes = app.config["MAX_CONTENT_LENGTH"]
        stage_6 = scanner or _configured_scanner(app)
        if stage_6 is None:
            click.echo("(no virus scanner configured: CLAMD_SOCKET or CLAMD_HOST; files are not virus-scanned)")
        all_accepted = True
        for path in files:
            try:
                with path.open("rb") as stream, check_upload(stream, path.name, max_bytes=max_bytes) as upload:
                    if stage_6 is not None:
                        stage_6(upload)
                    click.echo(f"{path}: accepted {upload.mime_type}")
            except UploadRefused as refusal:
                all_accepted = False
                click.echo(f"{path}: refused {refusal.reason}: {refusal.message}")
        if not all_accepted:
            click.get_current_context().exit(1)
