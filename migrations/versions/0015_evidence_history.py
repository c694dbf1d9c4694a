"""Evidence history and several files to one version: evidence_events (who uploaded, verified, rejected or reopened
each version, and why) and evidence_files (a version's second and later files) (issue 13)

Revision ID: 0015_evidence
Revises: 0015_staff
Create Date: 2026-12-06 14:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_evidence"
down_revision = "0015_staff"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "evidence_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_evidence_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["evidence_documents.id"], name=op.f("fk_evidence_events_document_id_evidence_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_events")),
    )
    with op.batch_alter_table("evidence_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_events_document_id"), ["document_id"], unique=False)
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("virus_scanned", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["evidence_documents.id"], name=op.f("fk_evidence_files_document_id_evidence_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_evidence_files_storage_key")),
    )
    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_files_document_id"), ["document_id"], unique=False)

    # The history of what was there before: each version's upload, and its review (who and when, the rejection's
    # reason) from the document's own columns. Ids are made here, one per row, on both databases.
    import uuid

    bind = op.get_bind()
    # Typed, so both databases hand back datetimes and UUIDs (SQLite keeps them as text).
    documents_table = sa.table(
        "evidence_documents",
        *(sa.column(c, sa.Uuid()) for c in ("id", "uploaded_by_id", "reviewed_by_id")),
        *(sa.column(c, sa.DateTime(timezone=True)) for c in ("uploaded_at", "reviewed_at")),
        sa.column("status", sa.String()),
        sa.column("rejection_reason", sa.Text()),
    )
    documents = bind.execute(sa.select(documents_table)).all()
    events = sa.table(
        "evidence_events",
        sa.column("id", sa.Uuid()),
        sa.column("document_id", sa.Uuid()),
        sa.column("sequence", sa.Integer()),
        sa.column("happened_at", sa.DateTime(timezone=True)),
        sa.column("action", sa.String()),
        sa.column("actor_id", sa.Uuid()),
        sa.column("reason", sa.Text()),
    )
    rows = []
    for document in documents:
        rows.append(
            {
                "id": uuid.uuid4(),
                "document_id": document.id,
                "sequence": 0,
                "happened_at": document.uploaded_at,
                "action": "uploaded",
                "actor_id": document.uploaded_by_id,
                "reason": None,
            }
        )
        if document.reviewed_at is not None and document.status in ("verified", "rejected", "expired", "superseded"):
            action = "rejected" if document.rejection_reason else "verified"
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "document_id": document.id,
                    "sequence": 1,
                    "happened_at": document.reviewed_at,
                    "action": action,
                    "actor_id": document.reviewed_by_id,
                    "reason": document.rejection_reason,
                }
            )
    if rows:
        op.bulk_insert(events, rows)


def downgrade():
    with op.batch_alter_table("evidence_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_files_document_id"))
    op.drop_table("evidence_files")
    with op.batch_alter_table("evidence_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_events_document_id"))
    op.drop_table("evidence_events")
