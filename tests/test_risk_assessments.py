"""The joint risk assessment (issue 15): the school writes, the provider's DSL adds its measures, both DSLs sign;
an edit after a signature voids both; a serious incident or a concern sent about the pupil reopens it; the
placement cannot start unsigned without the headteacher's recorded decision. Encrypted at rest."""

import pytest
from sqlalchemy import select, text

from shared.extensions import db
from shared.models import AuditEvent, Concern, Organisation, Placement, ProviderStatus, RiskAssessment, User
from shared.services.errors import RuleBroken
from shared.services.placements import risk
from shared.services.placements.incidents import IncidentReport, report
from shared.services.safeguarding import concerns


@pytest.fixture
def setting(world):
    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning", ProviderStatus.APPROVED)
    site = world.site(provider, "Workshop site")
    pupil = world.pupil(school, first_name="Jayden", last_name="Marsh")
    placement = world.placement(school, provider, pupil)
    return {
        "school": school,
        "provider": provider,
        "site": site,
        "placement": placement,
        "dsl": world.user(school, ["dsl"]),
        "head": world.user(school, ["headteacher"]),
        "provider_dsl": world.user(provider, ["provider_dsl"]),
        "staff": world.user(provider, ["provider_staff"]),
    }


def _written(setting):
    placement = db.session.get(Placement, setting["placement"])
    dsl = db.session.get(User, setting["dsl"].id)
    assessment = risk.save_school_part(
        placement,
        {"exploitation": ("Seen with older youths near the station", "Collected by taxi, never walks alone")},
        by=dsl,
    )
    return placement, assessment


def _signed_by_both(setting):
    placement, assessment = _written(setting)
    risk.save_provider_part(
        assessment, {"exploitation": "Staff walk him to the taxi"}, by=db.session.get(User, setting["provider_dsl"].id)
    )
    risk.sign(assessment, "provider", "Pat Provider", by=db.session.get(User, setting["provider_dsl"].id))
    risk.sign(assessment, "school", "Dee Esel", by=db.session.get(User, setting["dsl"].id))
    return placement, assessment


def test_both_dsls_sign_and_the_parts_are_encrypted_at_rest(ctx, setting):
    placement, assessment = _signed_by_both(setting)
    assert assessment.signed
    assert assessment.school_signed_name == "Dee Esel" and assessment.provider_signed_name == "Pat Provider"
    section = risk.sections(assessment)[0]
    assert section.risk == "Seen with older youths near the station"
    assert section.provider_measures == "Staff walk him to the taxi"
    assert risk.why_cannot_start(placement) is None
    raw = db.session.execute(
        text("SELECT school_part, provider_part FROM risk_assessments WHERE id = :id"),
        {"id": assessment.id.hex} if db.session.get_bind().dialect.name == "sqlite" else {"id": assessment.id},
    ).one()
    assert raw[0].startswith("sg1:") and raw[1].startswith("sg1:")
    assert "station" not in raw[0] and "taxi" not in raw[1]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(assessment.id))).all()
    assert actions.count("risk_assessment.signed") == 2


def test_signing_needs_a_typed_name_and_a_written_assessment(ctx, setting):
    placement = db.session.get(Placement, setting["placement"])
    empty = RiskAssessment(
        placement_id=placement.id,
        school_id=placement.school_id,
        provider_id=placement.provider_id,
        pupil_id=placement.pupil_id,
    )
    with pytest.raises(RuleBroken, match="has not written"):
        risk.sign(empty, "school", "Dee", by=db.session.get(User, setting["dsl"].id))
    _, assessment = _written(setting)
    with pytest.raises(RuleBroken, match="Type your full name"):
        risk.sign(assessment, "school", "  ", by=db.session.get(User, setting["dsl"].id))
    with pytest.raises(RuleBroken, match="at least one section"):
        risk.save_school_part(placement, {}, by=db.session.get(User, setting["dsl"].id))


def test_an_edit_after_a_signature_voids_both(ctx, setting):
    placement, assessment = _signed_by_both(setting)
    risk.save_provider_part(
        assessment,
        {"exploitation": "Staff walk him to the taxi and wait"},
        by=db.session.get(User, setting["provider_dsl"].id),
    )
    assert assessment.school_signed_at is None and assessment.provider_signed_at is None
    assert assessment.school_signed_name is None
    assert risk.why_cannot_start(placement) is not None
    voided = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "risk_assessment.signatures_voided")
    ).all()
    assert [e.details for e in voided] == [{"why": "edited"}]


def test_saving_the_same_words_again_keeps_the_signatures(ctx, setting):
    placement, assessment = _signed_by_both(setting)
    risk.save_school_part(
        placement,
        {"exploitation": ("Seen with older youths near the station", "Collected by taxi, never walks alone")},
        by=db.session.get(User, setting["dsl"].id),
    )
    assert assessment.signed


def test_the_gate_and_the_headteachers_decision_to_proceed(ctx, setting):
    placement, _ = _written(setting)
    assert "cannot start" in risk.why_cannot_start(placement)
    with pytest.raises(RuleBroken, match="Say why"):
        risk.proceed_unsigned(placement, "  ", by=db.session.get(User, setting["head"].id))
    risk.proceed_unsigned(
        placement, "Provider DSL off sick; signed next week", by=db.session.get(User, setting["head"].id)
    )
    db.session.commit()
    assert risk.why_cannot_start(placement) is None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "risk_assessment.proceed_unsigned")).one()
    assert event.actor_user_id == setting["head"].id


@pytest.mark.parametrize("severity, reopens", [("medium", False), ("high", True), ("serious", True)])
def test_a_serious_incident_reopens_it(ctx, setting, severity, reopens):
    from datetime import date

    placement, assessment = _signed_by_both(setting)
    report(
        db.session.get(Organisation, setting["provider"]),
        IncidentReport(
            occurred_on=date(2026, 1, 5),
            occurred_time="10:00",
            site_id=str(setting["site"]),
            location="Hall",
            placement_ids=[str(placement.id)],
            incident_type="damage_to_property",
            severity=severity,
            description="Threw a chair",
            actions_taken="Calmed down",
            physical_intervention=False,
            injury=False,
            parents_informed=True,
            suspension=False,
        ),
        by=db.session.get(User, setting["staff"].id),
    )
    db.session.refresh(assessment)
    assert (assessment.reopened_at is not None) is reopens
    assert assessment.signed is not reopens
    if reopens:
        assert [a.id for a in risk.reopened(school_id=setting["school"])] == [assessment.id]
        assert [a.id for a in risk.reopened(provider_id=setting["provider"])] == [assessment.id]
        # signing again by both takes it off the lists
        risk.sign(assessment, "school", "Dee Esel", by=db.session.get(User, setting["dsl"].id))
        assert risk.reopened(school_id=setting["school"])
        risk.sign(assessment, "provider", "Pat Provider", by=db.session.get(User, setting["provider_dsl"].id))
        assert risk.reopened(school_id=setting["school"]) == []


def test_a_concern_sent_to_the_school_reopens_it(ctx, world, setting):
    placement, assessment = _signed_by_both(setting)
    concern_id = world.concern(placement.id, status="raised")
    concern = db.session.get(Concern, concern_id)
    concerns.send_to_school(concern, by=db.session.get(User, setting["provider_dsl"].id))
    db.session.refresh(assessment)
    assert assessment.reopened_because == "concern" and not assessment.signed
