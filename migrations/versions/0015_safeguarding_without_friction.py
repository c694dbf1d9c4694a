"""Safeguarding without friction (issue 13): a safeguarding form sent with a stale security code is kept,
encrypted, on the session record until the code is given again; each person at a provider confirms each version
of the school's child-protection policy themselves

Revision ID: 0015_safeguarding
Revises: 0015_integrity
Create Date: 2026-12-06 14:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_safeguarding"
down_revision = "0015_integrity"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_form", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("pending_form_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "policy_readings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["school_policies.id"], name=op.f("fk_policy_readings_policy_id_school_policies")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["organisations.id"], name=op.f("fk_policy_readings_provider_id_organisations")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_policy_readings_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_readings")),
        sa.UniqueConstraint("policy_id", "user_id", name=op.f("uq_policy_readings_policy_id")),
    )
    with op.batch_alter_table("policy_readings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_readings_policy_id"), ["policy_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_readings_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_readings_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("policy_readings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_readings_user_id"))
        batch_op.drop_index(batch_op.f("ix_policy_readings_provider_id"))
        batch_op.drop_index(batch_op.f("ix_policy_readings_policy_id"))
    op.drop_table("policy_readings")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("pending_form_at")
        batch_op.drop_column("pending_form")
