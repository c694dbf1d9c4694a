"""Demo data for the national standards (issue 15): Northside's self-assessment, linked to its evidence, and Demo
Academy's site visit to Northside with a judgement per standard, strengths and a dated action. Safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from shared import national_standards
from shared.clock import local_now
from shared.extensions import db
from shared.models import Organisation, SiteVisit, User
from shared.services.placements import reviews
from shared.services.providers import standards
from shared.services.providers.standards import QualityAction, QualityRecord, SelfAssessmentEntry

SELF_ASSESSMENT = {
    "safeguarding_and_wellbeing": ("met", "All staff have enhanced DBS checks on our single central record."),
    "health_and_safety": ("partly_met", "Site and activity risk assessments are done; fire drills move to termly."),
    "admissions_support_and_guidance": ("met", "Every pupil has an induction, a baseline and a learning plan."),
    "quality_of_education": ("partly_met", "English and maths every day; careers guidance starts next term."),
}


def seed_standards(school: Organisation, northside: Organisation) -> None:
    manager = db.session.scalar(select(User).where(User.email == "manager@northside.example"))
    lead = db.session.scalar(select(User).where(User.email == "ap.lead@demo-academy.example"))
    assert manager is not None and lead is not None  # made by seed_demo before this
    if standards.latest_self_assessment(northside.id) is None:
        documents = standards.vault_documents(northside.id)
        entries = {}
        for standard in national_standards.STANDARDS:
            judgement, explanation = SELF_ASSESSMENT[standard.code]
            linked = [str(d.id) for d in documents if d.evidence_type in standard.evidence_types]
            entries[standard.code] = SelfAssessmentEntry(judgement, explanation, linked)
        standards.submit_self_assessment(northside, entries, by=manager)
    visited = db.session.scalar(
        select(SiteVisit.id).where(
            SiteVisit.school_id == school.id,
            SiteVisit.provider_id == northside.id,
            SiteVisit.quality_assurance.is_not(None),
        )
    )
    if visited is None:
        today = local_now().date()
        sites = reviews.sites_of_provider(northside.id)
        reviews.record_visit(
            school,
            northside.id,
            reviews.VisitRecord(
                visited_on=today - timedelta(days=7),
                site_id=str(sites[0].id) if sites else None,
                placement_ids=[],
                findings="Calm, well-supervised workshop; pupils on task in English and maths.",
                actions=None,
                shared=True,
                quality=QualityRecord(
                    judgements={
                        "safeguarding_and_wellbeing": "met",
                        "health_and_safety": "partly_met",
                        "quality_of_education": "met",
                    },
                    strengths="Staff know every pupil well; strong relationships.",
                    actions=[QualityAction("Send the termly fire drill log", today + timedelta(days=21))],
                ),
            ),
            by=lead,
        )
