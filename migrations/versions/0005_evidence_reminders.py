"""evidence reminders

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 03:31:54.050441

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "evidence_reminders",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["evidence_documents.id"],
            name=op.f("fk_evidence_reminders_document_id_evidence_documents"),
        ),
        sa.PrimaryKeyConstraint("document_id", "days_before", name=op.f("pk_evidence_reminders")),
    )


def downgrade():

    op.drop_table("evidence_reminders")
