"""A review that ends a placement sets a follow-up of the pupil's destination (issue 15).

- placement_reviews.follow_up_on: when the AP lead checks where the pupil went (six weeks after the end).
- placement_reviews.followed_up_at / followed_up_by_id / follow_up_notes: the follow-up, once recorded.

Revision ID: 0019_outcomes
Revises: 0018_standards
Create Date: 2026-12-06 18:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = "0019_outcomes"
down_revision = "0018_standards"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("placement_reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("followed_up_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("followed_up_by_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("follow_up_notes", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_placement_reviews_followed_up_by_id_users"), "users", ["followed_up_by_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("placement_reviews", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_placement_reviews_followed_up_by_id_users"), type_="foreignkey")
        batch_op.drop_column("follow_up_notes")
        batch_op.drop_column("followed_up_by_id")
        batch_op.drop_column("followed_up_at")
        batch_op.drop_column("follow_up_on")
