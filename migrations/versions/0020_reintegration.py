"""Reintegration plans (issue 15): a phased return to school, week by week.

- reintegration_plans: one per placement, the weeks (provider, school and neither sessions), who supports the
  return, and the review that chose it.
- placements.timetable_weeks: the provider's sessions of each week of a phased return, which the register and the
  double-booking check read in place of the timetable for those weeks.

Revision ID: 0020_reintegration
Revises: 0019_progress
Create Date: 2026-12-06 19:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = "0020_reintegration"
down_revision = "0019_progress"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timetable_weeks", sa.JSON(), nullable=True))
    op.create_table(
        "reintegration_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("placement_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("weeks", sa.JSON(), nullable=False),
        sa.Column("school_support", sa.Text(), nullable=False),
        sa.Column("provider_support", sa.Text(), nullable=True),
        sa.Column("family_support", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("written_by_id", sa.Uuid(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["placement_id"], ["placements.id"], name=op.f("fk_reintegration_plans_placement_id_placements")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["organisations.id"], name=op.f("fk_reintegration_plans_school_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["organisations.id"], name=op.f("fk_reintegration_plans_provider_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["placement_reviews.id"], name=op.f("fk_reintegration_plans_review_id_placement_reviews")
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"], ["users.id"], name=op.f("fk_reintegration_plans_written_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"], name=op.f("fk_reintegration_plans_changed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reintegration_plans")),
    )
    with op.batch_alter_table("reintegration_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reintegration_plans_placement_id"), ["placement_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_reintegration_plans_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reintegration_plans_provider_id"), ["provider_id"], unique=False)


def downgrade():
    with op.batch_alter_table("reintegration_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reintegration_plans_provider_id"))
        batch_op.drop_index(batch_op.f("ix_reintegration_plans_school_id"))
        batch_op.drop_index(batch_op.f("ix_reintegration_plans_placement_id"))
    op.drop_table("reintegration_plans")
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_column("timetable_weeks")
