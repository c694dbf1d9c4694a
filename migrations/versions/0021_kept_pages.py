"""Kept pages (issue 16): organisation_changes, and the triggers that write it.

A page kept as HTML (shared/kept_pages.py) is drawn again as soon as anything it shows has changed. What it shows
comes from eight tables; a trigger on each writes a row to organisation_changes, in the same transaction as the
change, for every organisation whose pages could show the row (the old row's and the new row's):

- attendance_marks: the mark's provider and school;
- placements: its provider, its school and the school's local authority;
- pupils: their school, the school's local authority and the providers of their placements;
- school_terms, inset_days (a school's calendar): the school and the providers it works with or placed pupils with;
- provider_profiles: the provider and the local authorities of the schools it works with or has pupils from;
- organisations: itself, its local authority, the providers it works with (they show a school's name) and, for a
  provider, the local authorities of its schools;
- school_providers: the school, the provider and the school's local authority.

The triggers are the database's own (row triggers on SQLite and on PostgreSQL, from the same SQL), so nothing that
changes these tables can go past them. SQLite drops a table's triggers when a migration rebuilds the table (a batch
alter): tests/test_kept_pages.py checks every trigger is there after the migrations.

Revision ID: 0021_kept_pages
Revises: 0020_reintegration
Create Date: 2026-12-07 04:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


revision = "0021_kept_pages"
down_revision = "0020_reintegration"
branch_labels = None
depends_on = None


# The organisations whose pages could show a row of each table: SELECTs of one column, `R` the row (NEW or OLD).
_LA_OF_SCHOOL = "SELECT local_authority_id FROM organisations WHERE id = {school}"
_PROVIDERS_OF_SCHOOL = (
    "SELECT provider_id FROM school_providers WHERE school_id = {school}",
    "SELECT provider_id FROM placements WHERE school_id = {school}",
)
_LAS_OF_PROVIDER = (
    "SELECT o.local_authority_id FROM school_providers sp JOIN organisations o ON o.id = sp.school_id"
    " WHERE sp.provider_id = {provider}",
    "SELECT o.local_authority_id FROM placements pl JOIN organisations o ON o.id = pl.school_id"
    " WHERE pl.provider_id = {provider}",
)

FAN_OUT: dict[str, tuple[str, ...]] = {
    "attendance_marks": ("SELECT R.provider_id", "SELECT R.school_id"),
    "placements": ("SELECT R.provider_id", "SELECT R.school_id", _LA_OF_SCHOOL.format(school="R.school_id")),
    "pupils": (
        "SELECT R.school_id",
        _LA_OF_SCHOOL.format(school="R.school_id"),
        "SELECT provider_id FROM placements WHERE pupil_id = R.id",
    ),
    "school_terms": ("SELECT R.school_id", *(q.format(school="R.school_id") for q in _PROVIDERS_OF_SCHOOL)),
    "inset_days": ("SELECT R.school_id", *(q.format(school="R.school_id") for q in _PROVIDERS_OF_SCHOOL)),
    "provider_profiles": (
        "SELECT R.organisation_id",
        *(q.format(provider="R.organisation_id") for q in _LAS_OF_PROVIDER),
    ),
    "organisations": (
        "SELECT R.id",
        "SELECT R.local_authority_id",
        *(q.format(school="R.id") for q in _PROVIDERS_OF_SCHOOL),
        *(q.format(provider="R.id") for q in _LAS_OF_PROVIDER),
    ),
    "school_providers": ("SELECT R.school_id", "SELECT R.provider_id", _LA_OF_SCHOOL.format(school="R.school_id")),
}


def _log(table: str, row: str) -> str:
    """One INSERT of a change for each organisation (once each) whose pages could show `row` (NEW or OLD)."""
    first, *rest = (select.replace("R.", f"{row}.") for select in FAN_OUT[table])
    union = " UNION ".join([f"{first} AS organisation_id", *rest])
    # The SQL is this migration's own (FAN_OUT), with no value from outside.
    picked = f"SELECT organisation_id, 1 FROM ({union}) AS changed WHERE organisation_id IS NOT NULL"  # noqa: S608
    return f"INSERT INTO organisation_changes (organisation_id, weight) {picked}"


def upgrade():
    op.create_table(
        "organisation_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_changes")),
    )
    op.create_index("ix_organisation_changes_organisation", "organisation_changes", ["organisation_id", "weight"])
    if op.get_bind().dialect.name == "postgresql":
        for table in FAN_OUT:
            op.execute(
                f"CREATE FUNCTION kept_pages_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "BEGIN\n"
                f"  IF TG_OP <> 'INSERT' THEN {_log(table, 'OLD')}; END IF;\n"
                f"  IF TG_OP <> 'DELETE' THEN {_log(table, 'NEW')}; END IF;\n"
                "  RETURN NULL;\n"
                "END $$"
            )
            op.execute(
                f"CREATE TRIGGER kept_pages_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION kept_pages_{table}()"
            )
    else:
        for table in FAN_OUT:
            op.execute(
                f"CREATE TRIGGER kept_pages_{table}_insert AFTER INSERT ON {table} BEGIN {_log(table, 'NEW')}; END"
            )
            op.execute(
                f"CREATE TRIGGER kept_pages_{table}_update AFTER UPDATE ON {table} "
                f"BEGIN {_log(table, 'OLD')}; {_log(table, 'NEW')}; END"
            )
            op.execute(
                f"CREATE TRIGGER kept_pages_{table}_delete AFTER DELETE ON {table} BEGIN {_log(table, 'OLD')}; END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in FAN_OUT:
            op.execute(f"DROP TRIGGER IF EXISTS kept_pages_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS kept_pages_{table}()")
    else:
        for table in FAN_OUT:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS kept_pages_{table}_{event}")
    op.drop_index("ix_organisation_changes_organisation", table_name="organisation_changes")
    op.drop_table("organisation_changes")
