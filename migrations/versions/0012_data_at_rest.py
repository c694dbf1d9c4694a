"""data at rest: TOTP secrets, a pupil's child-protection status and the social worker's and welfare officer's
names and addresses become ciphertext (issue 12)

The columns widen to text and every existing value is encrypted in place with the app's keyring (SAFEGUARDING_KEYS,
or the development key derived from SECRET_KEY), under the same purposes as the models' EncryptedText columns, so
`keys-rotate` covers them from then on. Run through `flask db upgrade` (the app's keyring is needed: without it the
migration stops rather than leave plaintext). Values already encrypted are left alone, so a re-run is harmless.
Downgrade decrypts them back.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 13:10:00

"""

from alembic import op
import sqlalchemy as sa
from flask import current_app, has_app_context

from shared.crypto import PREFIX, decrypt_text, encrypt_text


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# table -> (model name, [(column, type before)])
COLUMNS = {
    "users": (
        "User",
        [("totp_secret", sa.String(length=64)), ("pending_totp_secret", sa.String(length=64))],
    ),
    "pupils": (
        "Pupil",
        [
            (
                "child_protection",
                sa.Enum(
                    "none",
                    "child_in_need",
                    "child_protection_plan",
                    name="child_protection_status",
                    native_enum=False,
                    length=30,
                ),
            ),
            ("social_worker_name", sa.String(length=200)),
            ("social_worker_email", sa.String(length=254)),
            ("welfare_officer_name", sa.String(length=200)),
            ("welfare_officer_email", sa.String(length=254)),
        ],
    ),
}


def _require_keyring() -> None:
    if not has_app_context() or "keyring" not in current_app.extensions:
        raise RuntimeError(
            "migration 0012 encrypts existing rows with the app's keyring: run it with `flask db upgrade` "
            "(SAFEGUARDING_KEYS configured in production); nothing was changed"
        )


def _recode(table_name: str, columns: list[str], change) -> None:
    """Rewrite each non-null value of `columns` with change(value, column), one row at a time."""
    bind = op.get_bind()
    table = sa.table(table_name, sa.column("id", sa.Uuid()), *(sa.column(c, sa.Text()) for c in columns))
    for row in bind.execute(sa.select(table)).mappings().all():
        values = {c: change(row[c], c) for c in columns if row[c] is not None}
        values = {c: v for c, v in values.items() if v != row[c]}
        if values:
            bind.execute(table.update().where(table.c.id == row["id"]).values(values))


def upgrade():
    _require_keyring()
    for table_name, (model, columns) in COLUMNS.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for column, before in columns:
                # child_protection's old server default ('none') would be plaintext: the model gives every new
                # row its (encrypted) value instead.
                default = {"server_default": None} if column == "child_protection" else {}
                batch_op.alter_column(column, existing_type=before, type_=sa.Text(), **default)
        _recode(
            table_name,
            [c for c, _ in columns],
            lambda value, column, model=model: (
                value if value.startswith(f"{PREFIX}:") else encrypt_text(value, f"{model}.{column}")
            ),
        )


def downgrade():
    _require_keyring()
    for table_name, (model, columns) in COLUMNS.items():
        _recode(
            table_name,
            [c for c, _ in columns],
            lambda value, column, model=model: (
                decrypt_text(value, f"{model}.{column}") if value.startswith(f"{PREFIX}:") else value
            ),
        )
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for column, before in columns:
                default = {"server_default": "none"} if column == "child_protection" else {}
                batch_op.alter_column(column, existing_type=sa.Text(), type_=before, **default)
