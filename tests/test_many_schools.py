"""Many schools, one provider, and the local authority (issue 14): a provider is independent of any school; what
is per school hangs on its SchoolProvider; the migration keeps every provider with its one school."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shared.extensions import db
from shared.models import KcsieConfirmation, ProviderStatus, SchoolProvider
from tests.support import database, legacy
from tests.support.app import make_app
from tests.support.client import Browser, html
from tests.support.world import link_of


def _id(value) -> str:
    """A uuid as read with raw SQL (a string of 32 hex digits on SQLite, a UUID on PostgreSQL), as str(uuid)."""
    return str(uuid.UUID(str(value)))


# --- the migration --------------------------------------------------------------------------------------------------


def test_the_migration_keeps_each_provider_with_its_one_school_and_downgrade_restores_it(
    tmp_path, smtp_server, database_url
):
    """0016 on a populated database: every provider's one school becomes its first relationship (same status and
    dates), who verified each document and whom each confirmation was given to are filled in; a downgrade with a
    provider shared by two schools is refused (it would lose one), and otherwise restores the columns."""
    from flask_migrate import downgrade, upgrade

    scratch = make_app(database.scratch_url(database_url, tmp_path), smtp_server[0].port, tmp_path)
    with scratch.app_context():
        upgrade(revision="0015_evidence")
        hillside, riverside = legacy.school("Hillside School"), legacy.school("Riverside School")
        northside = legacy.provider(hillside, "Northside", status="approved", provider_type="unregistered_ap")
        eastgate = legacy.provider(hillside, "Eastgate", status="submitted")
        westway = legacy.provider(riverside, "Westway", status="suspended")
        lead, manager = legacy.user(hillside, ["ap_lead"]), legacy.user(northside, ["provider_manager"])
        reviewed = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
        document, confirmation = uuid.uuid4(), uuid.uuid4()
        db.session.execute(
            sa.table(
                "evidence_documents",
                *(sa.column(c, sa.Uuid()) for c in ("id", "organisation_id", "uploaded_by_id", "reviewed_by_id")),
                *(sa.column(c) for c in ("evidence_type", "version", "status", "storage_key", "display_name")),
                *(sa.column(c) for c in ("content_type", "size_bytes", "sha256", "virus_scanned")),
                sa.column("checklist", sa.JSON()),
                *(sa.column(c, sa.DateTime(timezone=True)) for c in ("uploaded_at", "reviewed_at")),
            )
            .insert()
            .values(
                id=document,
                organisation_id=northside,
                uploaded_by_id=manager,
                reviewed_by_id=lead,
                evidence_type="behaviour_policy",
                version=1,
                status="verified",
                storage_key=f"{northside}/old",
                display_name="Behaviour.pdf",
                content_type="application/pdf",
                size_bytes=10,
                sha256="0" * 64,
                virus_scanned=True,
                checklist={},
                uploaded_at=reviewed,
                reviewed_at=reviewed,
            )
        )
        db.session.execute(
            sa.table(
                "kcsie_confirmations",
                *(sa.column(c, sa.Uuid()) for c in ("id", "organisation_id", "signed_by_id")),
                *(sa.column(c) for c in ("typed_name", "signer_role", "statement_version", "statement_text")),
                sa.column("signed_at", sa.DateTime(timezone=True)),
            )
            .insert()
            .values(
                id=confirmation,
                organisation_id=northside,
                signed_by_id=manager,
                typed_name="Morgan",
                signer_role="Manager",
                statement_version="2026-1",
                statement_text="...",
                signed_at=reviewed,
            )
        )
        db.session.commit()

        upgrade(revision="0016_many_schools")
        rows = db.session.execute(
            sa.text("SELECT school_id, provider_id, status FROM school_providers ORDER BY status")
        ).all()
        assert sorted((_id(s), _id(p), status) for s, p, status in rows) == sorted(
            [
                (str(hillside), str(northside), "approved"),
                (str(hillside), str(eastgate), "submitted"),
                (str(riverside), str(westway), "suspended"),
            ]
        )
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("provider_profiles")}
        assert not columns & {"school_id", "status", "status_changed_at"}
        db.session.close()
        upgrade()  # the later revisions too, so the models match the tables
        # The models read the migrated rows: the relationship, who verified, whom the confirmation was given to.
        link = link_of(northside)
        assert (link.school_id, link.status) == (hillside, ProviderStatus.APPROVED)
        assert [school.school_id for school in link.profile.schools] == [hillside]
        verified_by = db.session.execute(
            sa.text("SELECT reviewed_by_organisation_id FROM evidence_documents")
        ).scalar_one()
        assert _id(verified_by) == str(hillside)
        assert db.session.get(KcsieConfirmation, confirmation).school_id == hillside
        db.session.close()

        # A provider working with a second school cannot go back to one school without losing one: refused.
        db.session.add(SchoolProvider(school_id=riverside, provider_id=northside, status=ProviderStatus.INVITED))
        db.session.commit()
        from alembic import command

        config = scratch.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError, match="a provider works with more than one school"):
            command.downgrade(config, "0015_evidence")
        db.session.rollback()
        db.session.close()
        db.session.execute(
            sa.delete(SchoolProvider).where(
                SchoolProvider.school_id == riverside, SchoolProvider.provider_id == northside
            )
        )
        db.session.commit()
        db.session.close()

        downgrade(revision="0015_evidence")
        restored = db.session.execute(sa.text("SELECT organisation_id, school_id, status FROM provider_profiles")).all()
        assert sorted((_id(p), _id(s), status) for p, s, status in restored) == sorted(
            [
                (str(northside), str(hillside), "approved"),
                (str(eastgate), str(hillside), "submitted"),
                (str(westway), str(riverside), "suspended"),
            ]
        )
        assert "school_providers" not in sa.inspect(db.engine).get_table_names()
        db.session.close()


# --- one provider, two schools --------------------------------------------------------------------------------------


@pytest.fixture
def shared_provider(world):
    """Northside, approved by Hillside, and invited by Riverside (in the same local authority); Elmwood, in
    another, has nothing to do with it."""
    la = world.local_authority("Demo Borough Council")
    hillside = world.school("Hillside School", local_authority_id=la)
    riverside = world.school("Riverside School", local_authority_id=la)
    elmwood = world.school("Elmwood School", local_authority_id=world.local_authority("Other Council"))
    northside = world.provider(hillside, "Northside Learning", ProviderStatus.APPROVED, provider_type="unregistered_ap")
    world.works_with(riverside, northside, ProviderStatus.ONBOARDING)
    return {"la": la, "hillside": hillside, "riverside": riverside, "elmwood": elmwood, "northside": northside}


def _signed_in(app, world, org, roles) -> Browser:
    browser = Browser(app.test_client())
    browser.sign_in(world.user(org, roles))
    return browser


def test_a_provider_sees_each_school_it_works_with_and_its_own_name_in_the_header(app, world, shared_provider):
    manager = _signed_in(app, world, shared_provider["northside"], ["provider_manager"])
    page = html(manager.get("/portal/"))
    header = page.split('class="govuk-generic-header__homepage-link">', 1)[1].split("<", 1)[0]
    assert header.strip() == "Northside Learning"
    schools = page.split("Schools you work with", 1)[1]
    assert "Hillside School" in schools and "Riverside School" in schools and "Elmwood School" not in page
    assert "Approved" in schools and "Onboarding" in schools
    # The task list is per school: Riverside's, chosen by ?school=, links to Hillside's.
    tasks = html(manager.get(f"/portal/onboarding?school={shared_provider['riverside']}"))
    assert "This page is about <strong>Riverside School</strong>" in tasks
    assert f"/portal/onboarding?school={shared_provider['hillside']}" in tasks
    assert "Check your answers and submit them to Riverside School" in tasks
    # A school it does not work with is not one it can choose.
    assert manager.get(f"/portal/onboarding?school={shared_provider['elmwood']}").status_code == 404
    assert manager.get("/portal/onboarding?school=not-an-id").status_code == 404


def test_each_school_sees_its_own_status_and_a_school_it_does_not_work_with_gets_a_404(app, world, shared_provider):
    northside = shared_provider["northside"]
    hillside = _signed_in(app, world, shared_provider["hillside"], ["ap_lead"])
    riverside = _signed_in(app, world, shared_provider["riverside"], ["ap_lead"])
    elmwood = _signed_in(app, world, shared_provider["elmwood"], ["ap_lead"])
    assert "Approved" in html(hillside.get(f"/school/providers/{northside}")).split("</h1>", 1)[0]
    assert "Onboarding" in html(riverside.get(f"/school/providers/{northside}")).split("</h1>", 1)[0]
    assert "Northside Learning" in html(riverside.get("/school/providers"))
    assert elmwood.get(f"/school/providers/{northside}").status_code == 404
    assert "Northside Learning" not in html(elmwood.get("/school/providers"))
    # Approval stays each school's decision: Hillside's does not make Riverside's.
    with app.app_context():
        assert link_of(northside, shared_provider["riverside"]).status == ProviderStatus.ONBOARDING


def test_the_written_confirmation_is_given_to_each_school_at_once(app, world, shared_provider):
    northside = shared_provider["northside"]
    world.staff_member(northside)
    manager = _signed_in(app, world, northside, ["provider_manager"])
    page = html(manager.get("/portal/onboarding/confirmation"))
    assert "Signing gives this confirmation to each school you work with: Hillside School, Riverside School" in page
    response = manager.submit(
        "/portal/onboarding/confirmation",
        {"agreed": "yes", "typed_name": "Morgan Manager", "signer_role": "Manager"},
    )
    assert response.status_code == 302
    with app.app_context():
        given = db.session.scalars(sa.select(KcsieConfirmation).where(KcsieConfirmation.organisation_id == northside))
        assert sorted(c.school_id for c in given) == sorted([shared_provider["hillside"], shared_provider["riverside"]])


def test_a_local_authority_officer_signs_in_with_a_security_code_and_sees_only_its_schools(app, world, shared_provider):
    officer = world.user(shared_provider["la"], ["la_officer"])
    assert officer.totp_secret is not None  # two-step sign-in is required on the LA side
    browser = Browser(app.test_client())
    browser.sign_in(officer)
    page = html(browser.get("/la/"))
    assert "Hillside School" in page and "Riverside School" in page and "Elmwood School" not in page
    # Not the school side's pages, nor the portal's.
    assert browser.get("/school/").status_code in (403, 404)
    assert browser.get("/portal/").status_code in (403, 404)
