"""An absence alert whose mark the provider amended is marked corrected, and when (issue 13)

Revision ID: 0015_integrity
Revises: 0014
Create Date: 2026-12-06 14:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_integrity"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attendance_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("attendance_alerts", schema=None) as batch_op:
        batch_op.drop_column("corrected_at")
