"""Progress the school can see (issue 15): the baseline, the placement's targets and half-termly progress reports.

Revision ID: 0019_progress
Revises: 0019_outcomes
Create Date: 2026-12-06 18:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = "0019_progress"
down_revision = "0019_outcomes"
branch_labels = None
depends_on = None


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade():
    op.create_table(
        "placement_baselines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("placement_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("english", sa.Text(), nullable=False),
        sa.Column("maths", sa.Text(), nullable=False),
        sa.Column("engagement", sa.Text(), nullable=False),
        sa.Column("attendance", sa.Text(), nullable=False),
        sa.Column("pupil_voice", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        _fk("placement_baselines", "placement_id", "placements"),
        _fk("placement_baselines", "school_id", "organisations"),
        _fk("placement_baselines", "provider_id", "organisations"),
        _fk("placement_baselines", "recorded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_baselines")),
    )
    with op.batch_alter_table("placement_baselines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placement_baselines_placement_id"), ["placement_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_placement_baselines_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placement_baselines_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "placement_targets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("placement_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("placement_targets", "placement_id", "placements"),
        _fk("placement_targets", "school_id", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_targets")),
    )
    with op.batch_alter_table("placement_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placement_targets_placement_id"), ["placement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placement_targets_school_id"), ["school_id"], unique=False)

    op.create_table(
        "progress_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("placement_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("period_name", sa.String(length=200), nullable=False),
        sa.Column("against_targets", sa.JSON(), nullable=False),
        sa.Column("attendance_percent", sa.Float(), nullable=True),
        sa.Column("units_achieved", sa.Text(), nullable=True),
        sa.Column("pupil_voice", sa.Text(), nullable=True),
        sa.Column("written_by_id", sa.Uuid(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        _fk("progress_reports", "placement_id", "placements"),
        _fk("progress_reports", "school_id", "organisations"),
        _fk("progress_reports", "provider_id", "organisations"),
        _fk("progress_reports", "written_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_reports")),
        sa.UniqueConstraint("placement_id", "period_start", name="uq_progress_reports_placement_period"),
    )
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_reports_placement_id"), ["placement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_reports_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_reports_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "progress_photos",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("placement_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("key_id", sa.String(length=20), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("virus_scanned", sa.Boolean(), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        _fk("progress_photos", "report_id", "progress_reports"),
        _fk("progress_photos", "placement_id", "placements"),
        _fk("progress_photos", "school_id", "organisations"),
        _fk("progress_photos", "provider_id", "organisations"),
        _fk("progress_photos", "uploaded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_photos")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_progress_photos_storage_key")),
    )
    with op.batch_alter_table("progress_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_photos_report_id"), ["report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_photos_placement_id"), ["placement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_photos_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_photos_provider_id"), ["provider_id"], unique=False)


def downgrade():
    op.drop_table("progress_photos")
    op.drop_table("progress_reports")
    op.drop_table("placement_targets")
    op.drop_table("placement_baselines")
