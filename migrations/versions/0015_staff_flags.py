"""The staff list as a single central record: works with pupils, start date; the AP lead's decisions on flags (issue 13)

Revision ID: 0015_staff
Revises: 0015_safeguarding
Create Date: 2026-12-06 14:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

import shared.models.base


# revision identifiers, used by Alembic.
revision = "0015_staff"
down_revision = "0015_safeguarding"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("works_with_pupils", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("start_date", sa.Date(), nullable=True))
    op.create_table(
        "staff_flag_decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("staff_member_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("flag", sa.String(length=60), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=False),
        sa.Column("decided_at", shared.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_staff_flag_decisions_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["organisations.id"], name=op.f("fk_staff_flag_decisions_school_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_members.id"],
            name=op.f("fk_staff_flag_decisions_staff_member_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_flag_decisions")),
    )
    with op.batch_alter_table("staff_flag_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_flag_decisions_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_flag_decisions_staff_member_id"), ["staff_member_id"], unique=False)


def downgrade():
    with op.batch_alter_table("staff_flag_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_flag_decisions_staff_member_id"))
        batch_op.drop_index(batch_op.f("ix_staff_flag_decisions_school_id"))
    op.drop_table("staff_flag_decisions")
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.drop_column("start_date")
        batch_op.drop_column("works_with_pupils")
