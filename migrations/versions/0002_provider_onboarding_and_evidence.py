"""provider onboarding and evidence

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 03:14:26.542639

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "evidence_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("evidence_type", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "uploaded",
                "awaiting_review",
                "verified",
                "rejected",
                "expired",
                "superseded",
                name="document_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("virus_scanned", sa.Boolean(), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("reviewed_by_id", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_evidence_documents_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_evidence_documents_reviewed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_evidence_documents_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_evidence_documents_storage_key")),
    )
    with op.batch_alter_table("evidence_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_documents_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "kcsie_confirmations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("signed_by_id", sa.Uuid(), nullable=False),
        sa.Column("typed_name", sa.String(length=200), nullable=False),
        sa.Column("signer_role", sa.String(length=200), nullable=False),
        sa.Column("statement_version", sa.String(length=20), nullable=False),
        sa.Column("statement_text", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lapsed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lapse_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_kcsie_confirmations_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["signed_by_id"], ["users.id"], name=op.f("fk_kcsie_confirmations_signed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kcsie_confirmations")),
    )
    with op.batch_alter_table("kcsie_confirmations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kcsie_confirmations_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "staff_members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("dbs_certificate_number", sa.String(length=12), nullable=False),
        sa.Column("dbs_issue_date", sa.Date(), nullable=False),
        sa.Column("enhanced_with_barred_list", sa.Boolean(), nullable=False),
        sa.Column("update_service_subscribed", sa.Boolean(), nullable=False),
        sa.Column("last_status_check_date", sa.Date(), nullable=True),
        sa.Column(
            "last_status_check_result",
            sa.Enum(
                "NO_MATCH_FOUND",
                "BLANK_NO_NEW_INFO",
                "NON_BLANK_NO_NEW_INFO",
                "NEW_INFO",
                name="dbs_check_result",
                native_enum=False,
                length=30,
            ),
            nullable=True,
        ),
        sa.Column("identity_checked", sa.Boolean(), nullable=False),
        sa.Column("right_to_work_checked", sa.Boolean(), nullable=False),
        sa.Column("prohibition_check", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_staff_members_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_members")),
    )
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_members_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "provider_sites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address_line_1", sa.String(length=200), nullable=False),
        sa.Column("address_line_2", sa.String(length=200), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("activities", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_provider_sites_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["provider_profiles.id"], name=op.f("fk_provider_sites_profile_id_provider_profiles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_sites")),
    )
    with op.batch_alter_table("provider_sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provider_sites_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_provider_sites_profile_id"), ["profile_id"], unique=False)

    with op.batch_alter_table("provider_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_type", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("urn", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("ukprn", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("setting_type", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("company_number", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("charity_number", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("address_line_1", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("address_line_2", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("town", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("postcode", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("manager_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("manager_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("manager_phone", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("dsl_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("dsl_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("dsl_phone", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("dsl_training_date", sa.Date(), nullable=True))


def downgrade():

    with op.batch_alter_table("provider_profiles", schema=None) as batch_op:
        batch_op.drop_column("dsl_training_date")
        batch_op.drop_column("dsl_phone")
        batch_op.drop_column("dsl_email")
        batch_op.drop_column("dsl_name")
        batch_op.drop_column("manager_phone")
        batch_op.drop_column("manager_email")
        batch_op.drop_column("manager_name")
        batch_op.drop_column("postcode")
        batch_op.drop_column("town")
        batch_op.drop_column("address_line_2")
        batch_op.drop_column("address_line_1")
        batch_op.drop_column("charity_number")
        batch_op.drop_column("company_number")
        batch_op.drop_column("setting_type")
        batch_op.drop_column("ukprn")
        batch_op.drop_column("urn")
        batch_op.drop_column("provider_type")

    with op.batch_alter_table("provider_sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_sites_profile_id"))
        batch_op.drop_index(batch_op.f("ix_provider_sites_organisation_id"))

    op.drop_table("provider_sites")
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_members_organisation_id"))

    op.drop_table("staff_members")
    with op.batch_alter_table("kcsie_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kcsie_confirmations_organisation_id"))

    op.drop_table("kcsie_confirmations")
    with op.batch_alter_table("evidence_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_documents_organisation_id"))

    op.drop_table("evidence_documents")
