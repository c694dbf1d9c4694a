"""The local authority's directory of providers (issue 14): site visits a school shares with the other schools using
the provider and the local authority.

- site_visits.shared: the recording school ticked "share with the other schools using this provider and the local
  authority" (default off: a visit stays the recording school's only). A visit the local authority records (its
  organisation in site_visits.school_id, the recording organisation) is always shared with its schools.

Revision ID: 0017_la_directory
Revises: 0016_many_schools
Create Date: 2026-12-06 17:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = "0017_la_directory"
down_revision = "0016_many_schools"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("site_visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("site_visits", schema=None) as batch_op:
        batch_op.drop_column("shared")
