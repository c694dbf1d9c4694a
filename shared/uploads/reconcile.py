"""`flask --app wsgi storage-reconcile [--remove] [--older-than MINUTES]`: compare storage with the database.

Reports every stored object that no row refers to (an orphan: a crash between the save and the commit, or a
failed clean-up) and every row whose object is missing (lost data: investigate). With --remove, orphan objects
older than --older-than minutes (60 by default, so an upload that is between its save and its commit is never
touched) are deleted. Rows are never changed.

It also reports every unfinished multipart upload (S3) older than --older-than minutes: an upload cut off (S3 or the
network gone mid-upload) whose abort never got through leaves parts that are no object, so no listing of objects
shows them, yet S3 keeps (and bills) them. With --remove they are aborted. Newer ones may still be under way and
are left alone. Exits 1 when anything is left to look at, else 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import click
from flask import Flask
from sqlalchemy import select

from shared.extensions import db
from shared.models import EvidenceDocument, EvidenceFile, PlacementDocument, SafeguardingFile, SchoolPolicy
from shared.storage import LocalStorage, S3Storage, Storage, UnfinishedUpload, check_key
from shared.uploads.pipeline import current_storage

# Every column that holds a storage key. A new kind of upload adds its column here.
STORAGE_KEY_COLUMNS = (
    EvidenceDocument.storage_key,
    EvidenceFile.storage_key,
    PlacementDocument.storage_key,
    SafeguardingFile.storage_key,
    SchoolPolicy.storage_key,
)
DEFAULT_GRACE_MINUTES = 60


@dataclass
class Reconciliation:
    objects: int = 0
    rows: int = 0
    orphan_objects: list[str] = field(default_factory=list)
    missing_objects: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept_as_recent: list[str] = field(default_factory=list)
    unfinished_uploads: list[UnfinishedUpload] = field(default_factory=list)
    aborted_uploads: list[UnfinishedUpload] = field(default_factory=list)
    uploads_under_way: int = 0


def referenced_keys() -> set[str]:
    keys: set[str] = set()
    for column in STORAGE_KEY_COLUMNS:
        keys.update(db.session.scalars(select(column)))
    return keys


def reconcile(
    storage: Storage,
    *,
    remove: bool = False,
    older_than: timedelta = timedelta(minutes=DEFAULT_GRACE_MINUTES),
    now: datetime | None = None,
) -> Reconciliation:
    # Objects are listed before the rows are read: an upload that commits in between is then seen with its row.
    stored = set(storage.keys())
    rows = referenced_keys()
    result = Reconciliation(objects=len(stored), rows=len(rows))
    result.orphan_objects = sorted(stored - rows)
    result.missing_objects = sorted(rows - stored)
    cutoff = (now or datetime.now(UTC)) - older_than
    for upload in sorted(storage.unfinished_uploads(), key=lambda u: (u.started_at, u.key)):
        if upload.started_at > cutoff:
            result.uploads_under_way += 1
        else:
            result.unfinished_uploads.append(upload)
    if remove:
        for upload in result.unfinished_uploads:
            storage.abort_upload(upload)
            result.aborted_uploads.append(upload)
        for key in result.orphan_objects:
            modified = last_modified(storage, key)
            if modified is not None and modified > cutoff:
                result.kept_as_recent.append(key)
                continue
            storage.delete(key)
            result.removed.append(key)
    return result


def last_modified(storage: Storage, key: str) -> datetime | None:
    """When the object was written, where the backend can say; None when it cannot (then it counts as old)."""
    if isinstance(storage, LocalStorage):
        try:
            return datetime.fromtimestamp((storage.root / check_key(key)).stat().st_mtime, UTC)
        except FileNotFoundError:
            return None
    if isinstance(storage, S3Storage):
        head = storage.client.head_object(Bucket=storage.bucket, Key=key)
        modified: datetime = head["LastModified"]
        return modified.astimezone(UTC)
    return None


def _echo_keys(label: str, keys: Iterable[str]) -> None:
    for key in keys:
        click.echo(f"{label}: {key}")


def register_reconcile_cli(app: Flask) -> None:
    """Add the `storage-reconcile` command."""

    @app.cli.command("storage-reconcile")
    @click.option("--remove", is_flag=True, help="Delete orphan objects and abort unfinished uploads (never rows).")
    @click.option(
        "--older-than",
        "older_than_minutes",
        type=click.IntRange(min=0),
        default=DEFAULT_GRACE_MINUTES,
        show_default=True,
        help="With --remove, only delete orphans at least this many minutes old; unfinished uploads are reported "
        "(and with --remove aborted) only once this old.",
    )
    def storage_reconcile_command(remove: bool, older_than_minutes: int) -> None:
        """Report stored objects without a row and rows without an object; --remove deletes the orphan objects."""
        result = reconcile(current_storage(), remove=remove, older_than=timedelta(minutes=older_than_minutes))
        _echo_keys("orphan object (no row)", result.orphan_objects)
        _echo_keys("missing object (row has no object)", result.missing_objects)
        _echo_keys("removed orphan object", result.removed)
        _echo_keys(f"kept orphan object (newer than {older_than_minutes} minutes)", result.kept_as_recent)
        for upload in result.unfinished_uploads:
            label = "aborted unfinished upload" if upload in result.aborted_uploads else "unfinished upload"
            click.echo(f"{label} (started {upload.started_at:%Y-%m-%d %H:%M} UTC): {upload.key}")
        left = len(result.orphan_objects) - len(result.removed)
        uploads_left = len(result.unfinished_uploads) - len(result.aborted_uploads)
        click.echo(
            f"{result.objects} objects, {result.rows} rows: {len(result.orphan_objects)} orphan objects "
            f"({len(result.removed)} removed), {len(result.missing_objects)} rows without an object, "
            f"{len(result.unfinished_uploads)} unfinished uploads older than {older_than_minutes} minutes "
            f"({len(result.aborted_uploads)} aborted, {result.uploads_under_way} newer left alone)"
        )
        if left or uploads_left or result.missing_objects:
            click.get_current_context().exit(1)
