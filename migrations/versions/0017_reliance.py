"""Verification once, trusted by many (issue 14): each organisation's own decision on a version of a provider's
evidence, and the name a school typed when it invited a provider already on AP Portal.

- evidence_verifications: one row per document and organisation (school or local authority) that verified or
  rejected it; filled from every reviewed version (reviewed_by_organisation_id): a version with a rejection reason
  was rejected, any other reviewed one verified (with its checklist and dates). A version reopened since (awaiting
  review again) has no decision.
- school_providers.invited_name.

Revision ID: 0017_reliance
Revises: 0017_la_side
Create Date: 2026-12-06 17:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = "0017_reliance"
down_revision = "0017_la_side"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "evidence_verifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["evidence_documents.id"],
            name=op.f("fk_evidence_verifications_document_id_evidence_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_evidence_verifications_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_evidence_verifications_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_verifications")),
        sa.UniqueConstraint("document_id", "organisation_id", name=op.f("uq_evidence_verifications_document_id")),
    )
    with op.batch_alter_table("evidence_verifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_verifications_document_id"), ["document_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evidence_verifications_organisation_id"), ["organisation_id"], unique=False
        )
    # One decision per reviewed version, so the document's id serves as the row's id (no id generation in SQL).
    op.execute(
        "INSERT INTO evidence_verifications (id, document_id, organisation_id, decision, decided_by_id, decided_at, "
        "reason, checklist, issue_date, expiry_date, review_date) "
        "SELECT id, id, reviewed_by_organisation_id, "
        "CASE WHEN rejection_reason IS NOT NULL THEN 'rejected' ELSE 'verified' END, "
        "reviewed_by_id, COALESCE(reviewed_at, uploaded_at), rejection_reason, checklist, issue_date, expiry_date, "
        "review_date FROM evidence_documents "
        "WHERE reviewed_by_organisation_id IS NOT NULL "
        "AND status IN ('verified', 'rejected', 'expired', 'superseded')"
    )
    with op.batch_alter_table("school_providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invited_name", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("school_providers", schema=None) as batch_op:
        batch_op.drop_column("invited_name")
    with op.batch_alter_table("evidence_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_verifications_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_verifications_document_id"))
    op.drop_table("evidence_verifications")
