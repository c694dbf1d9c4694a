"""Many schools, one provider, and the local authority (issue 14): a provider is independent of any school.

- school_providers: one row per school and provider (status and when it changed); every provider's one school
  becomes its first relationship. provider_profiles loses school_id, status and status_changed_at.
- organisations: a school's URN, local authority and trust, and whose verifications it relies on; kind may now be
  'local_authority'.
- evidence_documents.reviewed_by_organisation_id: who (which school or LA) verified or rejected a version; filled
  from the school the provider had.
- kcsie_confirmations.school_id: the school a confirmation was given to; filled the same way.
- compliance_breaches: unique per school as well as provider, term and period.

The downgrade refuses to run when a provider has more than one school (it could not keep both without loss).

Revision ID: 0016_many_schools
Revises: 0015_evidence
Create Date: 2026-12-06 16:50:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = "0016_many_schools"
down_revision = "0015_evidence"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urn", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("local_authority_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("trust_name", sa.String(length=200), nullable=True))
        for name in ("relies_on_la", "relies_on_trust", "relies_on_any_school"):
            batch_op.add_column(sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_organisations_local_authority_id_organisations"),
            "organisations",
            ["local_authority_id"],
            ["id"],
        )
        batch_op.create_index(batch_op.f("ix_organisations_local_authority_id"), ["local_authority_id"], unique=False)

    op.create_table(
        "school_providers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["organisations.id"], name=op.f("fk_school_providers_school_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["organisations.id"], name=op.f("fk_school_providers_provider_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_providers")),
        sa.UniqueConstraint("school_id", "provider_id", name=op.f("uq_school_providers_school_id")),
    )
    with op.batch_alter_table("school_providers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_providers_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_school_providers_provider_id"), ["provider_id"], unique=False)

    # Every provider keeps its one school as its first relationship: same status, same dates. The profile's id is
    # unique and a uuid, so it serves as the relationship's id (no id generation in SQL on either database).
    op.execute(
        "INSERT INTO school_providers (id, school_id, provider_id, status, status_changed_at, created_at) "
        "SELECT id, school_id, organisation_id, status, status_changed_at, created_at FROM provider_profiles"
    )

    with op.batch_alter_table("evidence_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_by_organisation_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_documents_reviewed_by_organisation_id_organisations"),
            "organisations",
            ["reviewed_by_organisation_id"],
            ["id"],
        )
    op.execute(
        "UPDATE evidence_documents SET reviewed_by_organisation_id = (SELECT p.school_id FROM provider_profiles p "
        "WHERE p.organisation_id = evidence_documents.organisation_id) WHERE reviewed_by_id IS NOT NULL"
    )

    with op.batch_alter_table("kcsie_confirmations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE kcsie_confirmations SET school_id = (SELECT p.school_id FROM provider_profiles p "
        "WHERE p.organisation_id = kcsie_confirmations.organisation_id)"
    )
    with op.batch_alter_table("kcsie_confirmations", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_kcsie_confirmations_school_id_organisations"), "organisations", ["school_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_kcsie_confirmations_school_id"), ["school_id"], unique=False)

    with op.batch_alter_table("compliance_breaches", schema=None) as batch_op:
        batch_op.drop_constraint("uq_compliance_breaches_provider_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_compliance_breaches_school_id"), ["school_id", "provider_id", "term_key", "period_start"]
        )

    with op.batch_alter_table("provider_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_provider_profiles_school_id")
        batch_op.drop_constraint("fk_provider_profiles_school_id_organisations", type_="foreignkey")
        batch_op.drop_column("school_id")
        batch_op.drop_column("status")
        batch_op.drop_column("status_changed_at")


def downgrade():
    bind = op.get_bind()
    shared = bind.execute(
        sa.text("SELECT provider_id FROM school_providers GROUP BY provider_id HAVING COUNT(*) > 1")
    ).first()
    if shared is not None:
        raise RuntimeError(
            "Cannot downgrade: a provider works with more than one school, and before this revision a provider "
            "had exactly one. End the extra relationships first."
        )
    orphan = bind.execute(
        sa.text(
            "SELECT p.id FROM provider_profiles p WHERE NOT EXISTS "
            "(SELECT 1 FROM school_providers r WHERE r.provider_id = p.organisation_id)"
        )
    ).first()
    if orphan is not None:
        raise RuntimeError("Cannot downgrade: a provider has no school, and before this revision each had one.")

    with op.batch_alter_table("provider_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True))
    for statement in (
        "UPDATE provider_profiles SET school_id = (SELECT r.school_id FROM school_providers r "
        "WHERE r.provider_id = provider_profiles.organisation_id)",
        "UPDATE provider_profiles SET status = (SELECT r.status FROM school_providers r "
        "WHERE r.provider_id = provider_profiles.organisation_id)",
        "UPDATE provider_profiles SET status_changed_at = (SELECT r.status_changed_at FROM school_providers r "
        "WHERE r.provider_id = provider_profiles.organisation_id)",
    ):
        op.execute(statement)
    with op.batch_alter_table("provider_profiles", schema=None) as batch_op:
        batch_op.alter_column("school_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("status", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("status_changed_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_provider_profiles_school_id_organisations"), "organisations", ["school_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_provider_profiles_school_id"), ["school_id"], unique=False)

    with op.batch_alter_table("compliance_breaches", schema=None) as batch_op:
        batch_op.drop_constraint("uq_compliance_breaches_school_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_compliance_breaches_provider_id"), ["provider_id", "term_key", "period_start"]
        )

    with op.batch_alter_table("kcsie_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kcsie_confirmations_school_id"))
        batch_op.drop_constraint(batch_op.f("fk_kcsie_confirmations_school_id_organisations"), type_="foreignkey")
        batch_op.drop_column("school_id")

    with op.batch_alter_table("evidence_documents", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_evidence_documents_reviewed_by_organisation_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_column("reviewed_by_organisation_id")

    op.drop_table("school_providers")

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_local_authority_id"))
        batch_op.drop_constraint(batch_op.f("fk_organisations_local_authority_id_organisations"), type_="foreignkey")
        for name in (
            "relies_on_any_school",
            "relies_on_trust",
            "relies_on_la",
            "trust_name",
            "local_authority_id",
            "urn",
        ):
            batch_op.drop_column(name)
