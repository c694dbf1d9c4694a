"""The joint risk assessment of a placement (issue 15): encrypted school and provider parts, both DSLs' signatures,
reopening after a serious incident or concern, and the headteacher's decision to start unsigned.

Revision ID: 0018_risk
Revises: 0017_reliance
Create Date: 2026-12-06 18:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = "0018_risk"
down_revision = "0017_reliance"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "risk_assessments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("placement_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column("school_part", sa.Text(), nullable=True),
        sa.Column("provider_part", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("school_signed_by_id", sa.Uuid(), nullable=True),
        sa.Column("school_signed_name", sa.String(length=200), nullable=True),
        sa.Column("school_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_signed_by_id", sa.Uuid(), nullable=True),
        sa.Column("provider_signed_name", sa.String(length=200), nullable=True),
        sa.Column("provider_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_because", sa.String(length=20), nullable=True),
        sa.Column("proceed_unsigned_by_id", sa.Uuid(), nullable=True),
        sa.Column("proceed_unsigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proceed_unsigned_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["placement_id"], ["placements.id"], name=op.f("fk_risk_assessments_placement_id_placements")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["organisations.id"], name=op.f("fk_risk_assessments_school_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["organisations.id"], name=op.f("fk_risk_assessments_provider_id_organisations")
        ),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_risk_assessments_pupil_id_pupils")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_risk_assessments_updated_by_id_users")),
        sa.ForeignKeyConstraint(
            ["school_signed_by_id"], ["users.id"], name=op.f("fk_risk_assessments_school_signed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_signed_by_id"], ["users.id"], name=op.f("fk_risk_assessments_provider_signed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["proceed_unsigned_by_id"], ["users.id"], name=op.f("fk_risk_assessments_proceed_unsigned_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessments")),
    )
    with op.batch_alter_table("risk_assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_assessments_placement_id"), ["placement_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_risk_assessments_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_assessments_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_assessments_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_assessments_reopened_at"), ["reopened_at"], unique=False)


def downgrade():
    op.drop_table("risk_assessments")
