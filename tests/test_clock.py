"""One clock: the school's today is London's date, not the server's (UTC) date."""

from datetime import UTC, date, datetime

from freezegun import freeze_time

from shared import clock


@freeze_time("2026-06-15 23:30:00")  # 00:30 on the 16th in London (BST)
def test_today_is_the_schools_date_not_the_servers(ctx):
    assert date.today() == date(2026, 6, 15)  # the server's (UTC) date
    assert clock.today() == date(2026, 6, 16)
    assert clock.local_now().hour == 0


@freeze_time("2026-12-15 23:30:00")  # GMT in winter: London and UTC agree
def test_in_winter_london_is_utc(ctx):
    assert clock.today() == date(2026, 12, 15)


def test_a_school_day_begins_at_london_midnight(ctx):
    assert clock.school_midnight(date(2026, 6, 16)) == datetime(2026, 6, 15, 23, 0, tzinfo=UTC)
    assert clock.school_midnight(date(2026, 12, 16)) == datetime(2026, 12, 16, 0, 0, tzinfo=UTC)


def test_evidence_lapses_at_london_midnight_not_the_servers(world, app, ctx):
    """Expiry asks the school's clock: at 00:30 London time on the 16th a document whose expiry date is the 16th has
    lapsed, though the server's date is still the 15th."""
    from shared.extensions import db
    from shared.models import DocumentStatus, EvidenceDocument
    from shared.services.evidence import expiry

    school = world.school()
    provider = world.provider(school)
    document_id = world.document_row(provider, status="verified")
    document = db.session.get(EvidenceDocument, document_id)
    document.expiry_date = date(2026, 6, 16)
    db.session.commit()
    with freeze_time("2026-06-15 23:30:00"):
        expiry.run_daily()
    db.session.expire_all()
    assert db.session.get(EvidenceDocument, document_id).status == DocumentStatus.EXPIRED
