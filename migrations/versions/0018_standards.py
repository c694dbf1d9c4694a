"""The national standards for non-school AP (issue 15): providers' self-assessments against them, and a
quality-assurance record against them on a site visit.

- standards_self_assessments: each submitted version of a provider's self-assessment (entries as JSON).
- site_visits.quality_assurance: JSON, a judgement per standard, strengths and actions with dates (or null).

Revision ID: 0018_standards
Revises: 0018_risk
Create Date: 2026-12-06 18:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = "0018_standards"
down_revision = "0018_risk"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "standards_self_assessments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("standards_version", sa.String(length=20), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.Column("submitted_by_id", sa.Uuid(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_standards_self_assessments_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_standards_self_assessments_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards_self_assessments")),
        sa.UniqueConstraint("organisation_id", "version", name=op.f("uq_standards_self_assessments_organisation_id")),
    )
    op.create_index(
        op.f("ix_standards_self_assessments_organisation_id"), "standards_self_assessments", ["organisation_id"]
    )
    op.add_column("site_visits", sa.Column("quality_assurance", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("site_visits", "quality_assurance")
    op.drop_index(op.f("ix_standards_self_assessments_organisation_id"), table_name="standards_self_assessments")
    op.drop_table("standards_self_assessments")
