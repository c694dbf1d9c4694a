"""school calendar

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 04:16:57.397998

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "inset_days",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["organisations.id"], name=op.f("fk_inset_days_school_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inset_days")),
        sa.UniqueConstraint("school_id", "day", name=op.f("uq_inset_days_school_id")),
    )
    with op.batch_alter_table("inset_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inset_days_school_id"), ["school_id"], unique=False)

    op.create_table(
        "school_terms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["organisations.id"], name=op.f("fk_school_terms_school_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_terms")),
    )
    with op.batch_alter_table("school_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_terms_school_id"), ["school_id"], unique=False)


def downgrade():

    with op.batch_alter_table("school_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_terms_school_id"))

    op.drop_table("school_terms")
    with op.batch_alter_table("inset_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inset_days_school_id"))

    op.drop_table("inset_days")
