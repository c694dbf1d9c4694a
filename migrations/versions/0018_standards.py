"""The national standards for non-school AP (issue 15): a quality-assurance record against them on a site visit.

- site_visits.quality_assurance: JSON, a judgement per standard, strengths and actions with dates (or null).

Revision ID: 0018_standards
Revises: 0017_reliance
Create Date: 2026-12-06 18:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = "0018_standards"
down_revision = "0017_reliance"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("site_visits", sa.Column("quality_assurance", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("site_visits", "quality_assurance")
