"""The schema comes only from the migrations, and they agree with the models; production refuses unsafe settings;
the CLI that `make run` uses."""

import pyotp
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from freezegun import freeze_time

from shared.config import DEFAULT_DEMO_TOTP_SECRET, DEFAULT_SECRET_KEY, ProductionSafetyError
from shared.extensions import db
from shared.models import (
    AttendanceMark,
    Organisation,
    Placement,
    PlacementBaseline,
    PlacementReview,
    PlacementTarget,
    ProgressPhoto,
    ProgressReport,
    Pupil,
    User,
)
from tests.support.app import make_app
from tests.support.demo import DEMO_MOMENT, seed_demo
from tests.support.world import link_of


def test_models_and_migrations_agree(app):
    """The test database was built by `flask db upgrade`; autogenerate must find nothing to add."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"models and migrations disagree: {differences}"


def test_migrations_go_down_and_up_again(tmp_path, smtp_server):
    from flask_migrate import downgrade, upgrade

    controller, _ = smtp_server
    scratch = make_app(f"sqlite:///{tmp_path / 'scratch.sqlite'}", controller.port, tmp_path)
    with scratch.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        assert db.session.query(User).count() == 0


def test_production_refuses_the_default_secret_key(app):
    from shared.app import create_app

    with pytest.raises(ProductionSafetyError, match="SECRET_KEY"):
        create_app({**app.config, "APP_ENV": "production", "SECRET_KEY": DEFAULT_SECRET_KEY, "MAIL_BACKEND": "smtp"})


def test_production_refuses_debug(app):
    from shared.app import create_app

    with pytest.raises(ProductionSafetyError, match="debug"):
        create_app({**app.config, "APP_ENV": "production", "DEBUG": True, "MAIL_BACKEND": "smtp"})


@freeze_time(DEMO_MOMENT)
def test_production_refuses_demo_accounts(app):
    from shared.app import create_app

    seed_demo(app)
    with pytest.raises(ProductionSafetyError, match="demo accounts"):
        create_app(
            {
                **app.config,
                "APP_ENV": "production",
                "MAIL_BACKEND": "smtp",
                "CLAMD_SOCKET": "/x",
                "SAFEGUARDING_KEYS": "k1:" + "A" * 43 + "=",
            }
        )


def test_seed_demo_is_idempotent_and_demo_totp_prints_the_code(app):
    runner = app.test_cli_runner()
    first = runner.invoke(None, ["seed-demo"], catch_exceptions=False)
    assert first.exit_code == 0
    assert "headteacher@demo-academy.example" in first.output and "manager@riverside.example" in first.output
    with app.app_context():
        counts = (
            db.session.query(User).count(),
            db.session.query(Organisation).count(),
            db.session.query(Pupil).count(),
            db.session.query(Placement).count(),
            db.session.query(AttendanceMark).count(),
            *_progress_counts(),
        )
        # Placements at both approved providers, every weekday on the timetable; the pupil with a social worker
        # and the one open to the pupil welfare service are at Northside; a few weeks of marks.
        by_email = {
            pupil.social_worker_email or pupil.welfare_officer_email: placement
            for placement in db.session.query(Placement)
            for pupil in [placement.pupil]
        }
        assert by_email["social.worker@demo-la.example"].provider.name == "Northside Learning Centre"
        assert by_email["welfare.officer@demo-la.example"].provider.name == "Northside Learning Centre"
        assert {p.provider.name for p in db.session.query(Placement)} == {
            "Northside Learning Centre",
            "Riverside Tuition",
        }
        # Issue 14: Hillside (same local authority and trust) places a pupil at Northside too.
        hillside = db.session.query(Organisation).filter_by(name="Hillside School").one()
        assert [p.provider.name for p in db.session.query(Placement).filter_by(school_id=hillside.id)] == [
            "Northside Learning Centre"
        ]
        la = db.session.query(Organisation).filter_by(name="Demo Borough Council").one()
        demo_academy = db.session.query(Organisation).filter_by(name="Demo Academy").one()
        assert hillside.local_authority_id == demo_academy.local_authority_id == la.id and hillside.relies_on_trust
        assert all({slot[:3] for slot in p.timetable} == {"mon", "tue", "wed", "thu", "fri"} for p in by_email.values())
    # Issue 15: two more pupils, whose placements a review ended; four baselines with three targets each, Jamie's
    # report with its photo (and any half-term's that has ended), two reviews each for the ended placements and
    # Priya's first. And Kai Bennett, on a phased return to school: his baseline, targets and two reviews.
    assert counts[:4] == (19, 6, 8, 7) and counts[4] > 0
    assert counts[5:] == (5, 15, counts[7], 1, 7) and counts[7] >= 1
    second = runner.invoke(None, ["seed-demo"], catch_exceptions=False)
    assert second.exit_code == 0
    with app.app_context():
        assert (
            db.session.query(User).count(),
            db.session.query(Organisation).count(),
            db.session.query(Pupil).count(),
            db.session.query(Placement).count(),
            db.session.query(AttendanceMark).count(),
            *_progress_counts(),
        ) == counts
    code = runner.invoke(None, ["demo-totp", "dsl@demo-academy.example"], catch_exceptions=False)
    assert code.exit_code == 0
    assert pyotp.TOTP(DEFAULT_DEMO_TOTP_SECRET).verify(code.output.strip(), valid_window=1)
    missing = runner.invoke(None, ["demo-totp", "nobody@example.com"])
    assert missing.exit_code != 0 and "No account" in missing.output


def _progress_counts() -> tuple[int, ...]:
    return tuple(
        db.session.query(model).count()
        for model in (PlacementBaseline, PlacementTarget, ProgressReport, ProgressPhoto, PlacementReview)
    )


@freeze_time(DEMO_MOMENT)
def test_demo_accounts_sign_in_on_both_sides(app):
    from tests.support.client import Browser, html
    from tests.support.world import Person

    seed_demo(app)
    password = app.config["DEMO_PASSWORD"]
    with app.app_context():
        head = db.session.query(User).filter_by(email="headteacher@demo-academy.example").one()
        manager = db.session.query(User).filter_by(email="manager@northside.example").one()
        head_person = Person(head.id, head.email, password, DEFAULT_DEMO_TOTP_SECRET, head.membership.organisation_id)
        manager_person = Person(manager.id, manager.email, password, None, manager.membership.organisation_id)
    school = Browser(app.test_client())
    school.sign_in(head_person)
    assert "Needs your attention" in html(school.get("/school/"))
    provider = Browser(app.test_client())
    provider.sign_in(manager_person)
    page = html(provider.get("/portal/"))
    assert "Northside Learning Centre" in page and "Approved" in page
    # The demo's approved provider really is complete: every approval checklist item is done.
    with app.app_context():
        from shared.services.providers.approval import approval_checklist

        northside = db.session.query(Organisation).filter_by(name="Northside Learning Centre").one()
        assert all(item.done for item in approval_checklist(link_of(northside.id)))
    school_page = html(school.get(f"/school/providers/{northside.id}"))
    assert "Not yet" not in school_page and "Verified until" in school_page


def test_create_school_and_create_user(app):
    runner = app.test_cli_runner()
    made = runner.invoke(None, ["create-school", "Oak Hill School"], catch_exceptions=False)
    assert made.exit_code == 0 and "Oak Hill School" in made.output
    user = runner.invoke(
        None,
        [
            "create-user",
            "--organisation",
            "Oak Hill School",
            "--email",
            "Head@OakHill.example",
            "--name",
            "Pat Head",
            "--role",
            "headteacher",
            "--role",
            "school_admin",
        ],
        input="quiet meadow lantern river\nquiet meadow lantern river\n",
        catch_exceptions=False,
    )
    assert user.exit_code == 0, user.output
    weak = runner.invoke(
        None,
        [
            "create-user",
            "--organisation",
            "Oak Hill School",
            "--email",
            "two@oakhill.example",
            "--name",
            "Two",
            "--role",
            "dsl",
        ],
        input="password1234\npassword1234\n",
    )
    assert weak.exit_code != 0 and "too common" in weak.output
    with app.app_context():
        person = db.session.query(User).filter_by(email="head@oakhill.example").one()
        assert person.roles == {"headteacher", "school_admin"}
        assert db.session.query(User).filter_by(email="two@oakhill.example").count() == 0


def test_production_refuses_to_run_without_a_virus_scanner(app):
    from shared.app import create_app

    with pytest.raises(ProductionSafetyError, match="no virus scanner"):
        create_app({**app.config, "APP_ENV": "production", "MAIL_BACKEND": "smtp", "CLAMD_SOCKET": None})


def test_production_refuses_to_run_without_safeguarding_keys(app):
    from shared.app import create_app

    with pytest.raises(ProductionSafetyError, match="SAFEGUARDING_KEYS"):
        create_app({**app.config, "APP_ENV": "production", "MAIL_BACKEND": "smtp", "CLAMD_SOCKET": "/x"})
