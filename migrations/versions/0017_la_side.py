"""The local authority told of each placement (issue 14): placements.la_notified_at, when AP Portal told the school's
local authority on the headteacher's agreement. Placements agreed before this are left NULL (the LA's pages say they
were agreed before AP Portal told the local authority).

Revision ID: 0017_la_side
Revises: 0017_la_directory
Create Date: 2026-12-06 17:10:00.000000

"""

from alembic import op
import sqlalchemy as sa

import shared.models.base


revision = "0017_la_side"
down_revision = "0017_la_directory"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("la_notified_at", shared.models.base.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_column("la_notified_at")
