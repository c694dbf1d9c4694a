"""data at rest: a placement's files (risk assessments) are encrypted like safeguarding attachments (issue 12)

Adds placement_documents.key_id (the key a stored object is encrypted under) and encrypts the file names in place
with the app's keyring. Objects already in storage are not rewritten here: a migration's transaction cannot cover
the storage (an object rewritten and then rolled back would be lost), so their key_id stays empty, downloads send
them as they are, and `flask --app wsgi keys-rotate` (run after this upgrade) encrypts them one committed row at a
time, deleting each plaintext object only once its row points at the encrypted one.

Downgrade decrypts the file names; it refuses while any stored risk assessment is encrypted (the older code would
send the ciphertext).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 13:20:00

"""

from alembic import op
import sqlalchemy as sa
from flask import current_app, has_app_context

from shared.crypto import PREFIX, decrypt_text, encrypt_text


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PURPOSE = "PlacementDocument.display_name"
documents = sa.table("placement_documents", sa.column("id", sa.Uuid()), sa.column("display_name"), sa.column("key_id"))


def _require_keyring() -> None:
    if not has_app_context() or "keyring" not in current_app.extensions:
        raise RuntimeError(
            "migration 0013 encrypts existing rows with the app's keyring: run it with `flask db upgrade` "
            "(SAFEGUARDING_KEYS configured in production); nothing was changed"
        )


def _recode(change) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(documents.c.id, documents.c.display_name)).all():
        value = change(row.display_name)
        if value != row.display_name:
            bind.execute(documents.update().where(documents.c.id == row.id).values(display_name=value))


def upgrade():
    _require_keyring()
    with op.batch_alter_table("placement_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=20), nullable=True))
        batch_op.alter_column("display_name", existing_type=sa.String(length=255), type_=sa.Text())
    _recode(lambda name: name if name.startswith(f"{PREFIX}:") else encrypt_text(name, PURPOSE))


def downgrade():
    _require_keyring()
    encrypted = op.get_bind().execute(sa.select(sa.func.count()).where(documents.c.key_id.is_not(None))).scalar()
    if encrypted:
        raise RuntimeError(
            f"{encrypted} stored placement document(s) are encrypted: the code before 0013 cannot read them"
        )
    _recode(lambda name: decrypt_text(name, PURPOSE) if name.startswith(f"{PREFIX}:") else name)
    with op.batch_alter_table("placement_documents", schema=None) as batch_op:
        batch_op.alter_column("display_name", existing_type=sa.Text(), type_=sa.String(length=255))
        batch_op.drop_column("key_id")
