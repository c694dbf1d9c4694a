"""Providers measured against DfE's national standards for non-school AP (shared.national_standards): a provider's
self-assessment, each standard linked to evidence already in its vault, and the quality-assurance record a school or
a local authority adds to a site visit (issue 15)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from shared import audit, national_standards
from shared.evidence_catalogue import CATALOGUE
from shared.extensions import db
from shared.models import EvidenceDocument, Organisation, StandardsSelfAssessment, User
from shared.national_standards import Judgement
from shared.services.errors import RuleBroken, RulesBroken
from shared.services.evidence.status import current_documents

NOT_JUDGED = "not_judged"
MAX_ACTIONS = 3
MAX_TEXT = 5000


@dataclass
class QualityAction:
    action: str | None
    due: date | None


@dataclass
class QualityRecord:
    """What the visitor entered: a judgement per standard code (NOT_JUDGED or none for a standard not looked at),
    strengths, and actions with the date each is due."""

    judgements: dict[str, str] = field(default_factory=dict)
    strengths: str | None = None
    actions: list[QualityAction] = field(default_factory=list)


def quality_assurance(record: QualityRecord | None) -> dict[str, Any] | None:
    """The record as stored on the visit (None when nothing was entered); RuleBroken (every problem at once)
    when a judgement is not one of the options, an action has no date or a date has no action."""
    if record is None:
        return None
    problems: list[RuleBroken] = []
    judgements = []
    for standard in national_standards.STANDARDS:
        value = (record.judgements.get(standard.code) or NOT_JUDGED).strip()
        if value == NOT_JUDGED:
            continue
        if value not in set(Judgement):
            problems.append(RuleBroken(f"Select a judgement for {standard.title.lower()}", f"standard_{standard.code}"))
            continue
        judgements.append({"code": standard.code, "title": standard.title, "judgement": value})
    strengths = (record.strengths or "").strip() or None
    if strengths and len(strengths) > MAX_TEXT:
        problems.append(RuleBroken(f"Keep the strengths to {MAX_TEXT} characters or fewer", "strengths"))
    actions = []
    for number, entry in enumerate(record.actions[:MAX_ACTIONS], start=1):
        text = (entry.action or "").strip()
        if not text and entry.due is None:
            continue
        if not text:
            problems.append(RuleBroken(f"Write action {number}, or remove its date", f"action_{number}"))
        elif len(text) > MAX_TEXT:
            problems.append(RuleBroken(f"Keep action {number} to {MAX_TEXT} characters or fewer", f"action_{number}"))
        if entry.due is None:
            if text:
                problems.append(RuleBroken(f"Enter the date action {number} is due by", f"action_{number}_due"))
            continue
        if text:
            actions.append({"action": text, "due": entry.due.isoformat()})
    if problems:
        raise RulesBroken(problems) if len(problems) > 1 else problems[0]
    if not judgements and not strengths and not actions:
        return None
    return {
        "version": national_standards.VERSION,
        "judgements": judgements,
        "strengths": strengths,
        "actions": actions,
    }


# --- the provider's self-assessment ----------------------------------------------------------------------------------

MAX_EXPLANATION = 2000


@dataclass
class SelfAssessmentEntry:
    judgement: str | None
    explanation: str | None
    document_ids: list[str] = field(default_factory=list)


@dataclass
class AssessedStandard:
    """One standard of a self-assessment, for a page: its judgement, explanation and the evidence linked."""

    code: str
    title: str
    judgement: str
    judgement_label: str
    tag_class: str
    explanation: str
    documents: list[EvidenceDocument]


def vault_documents(provider_id: uuid.UUID) -> list[EvidenceDocument]:
    """The provider's current evidence documents (the newest version of each type, not superseded), in the
    catalogue's order: what a self-assessment may link to."""
    documents = current_documents(provider_id)
    return [documents[kind.code] for kind in CATALOGUE if kind.code in documents]


def submit_self_assessment(
    provider: Organisation, entries: dict[str, SelfAssessmentEntry], *, by: User
) -> StandardsSelfAssessment:
    """Save a new version of the provider's self-assessment (commits): a judgement and an explanation for every
    standard, each linking only to the provider's current evidence documents. RuleBroken lists every problem."""
    allowed = {str(document.id) for document in vault_documents(provider.id)}
    problems: list[RuleBroken] = []
    stored = []
    for standard in national_standards.STANDARDS:
        entry = entries.get(standard.code) or SelfAssessmentEntry(None, None)
        name = standard.title.lower()
        judgement = (entry.judgement or "").strip()
        if judgement not in set(Judgement):
            problems.append(RuleBroken(f"Select how far you meet {name}", f"judgement_{standard.code}"))
        explanation = (entry.explanation or "").strip()
        if not explanation:
            problems.append(RuleBroken(f"Explain your judgement for {name}", f"explanation_{standard.code}"))
        elif len(explanation) > MAX_EXPLANATION:
            problems.append(
                RuleBroken(
                    f"Keep the explanation for {name} to {MAX_EXPLANATION} characters or fewer",
                    f"explanation_{standard.code}",
                )
            )
        linked = list(dict.fromkeys(entry.document_ids or []))
        if any(document_id not in allowed for document_id in linked):
            problems.append(
                RuleBroken(f"Choose evidence from your current documents for {name}", f"evidence_{standard.code}")
            )
        stored.append(
            {
                "code": standard.code,
                "title": standard.title,
                "judgement": judgement,
                "explanation": explanation,
                "document_ids": linked,
            }
        )
    if problems:
        raise RulesBroken(problems) if len(problems) > 1 else problems[0]
    latest = db.session.scalar(
        select(func.max(StandardsSelfAssessment.version)).where(StandardsSelfAssessment.organisation_id == provider.id)
    )
    assessment = StandardsSelfAssessment(
        organisation_id=provider.id,
        version=(latest or 0) + 1,
        standards_version=national_standards.VERSION,
        entries=stored,
        submitted_by_id=by.id,
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record(
        "standards.self_assessed",
        organisation=provider,
        obj=assessment,
        actor=by,
        version=assessment.version,
        standards_version=assessment.standards_version,
    )
    db.session.commit()
    return assessment


def latest_self_assessment(provider_id: uuid.UUID) -> StandardsSelfAssessment | None:
    """The provider's latest submitted self-assessment, or None."""
    return db.session.scalar(
        select(StandardsSelfAssessment)
        .where(StandardsSelfAssessment.organisation_id == provider_id)
        .order_by(StandardsSelfAssessment.version.desc())
        .limit(1)
    )


def assessed_standards(assessment: StandardsSelfAssessment) -> list[AssessedStandard]:
    """The self-assessment's standards with the evidence each links to (the provider's own documents only)."""
    wanted = set()
    for entry in assessment.entries:
        for value in entry.get("document_ids") or []:
            try:
                wanted.add(uuid.UUID(str(value)))
            except ValueError:
                continue
    documents = (
        {
            str(document.id): document
            for document in db.session.scalars(
                select(EvidenceDocument).where(
                    EvidenceDocument.id.in_(wanted), EvidenceDocument.organisation_id == assessment.organisation_id
                )
            )
        }
        if wanted
        else {}
    )
    rows = []
    for entry in assessment.entries:
        judgement = str(entry.get("judgement", ""))
        try:
            tag = national_standards.JUDGEMENT_TAGS[Judgement(judgement)]
        except ValueError:
            tag = "govuk-tag--grey"
        rows.append(
            AssessedStandard(
                code=str(entry.get("code", "")),
                title=str(entry.get("title", "")),
                judgement=judgement,
                judgement_label=national_standards.judgement_label(judgement),
                tag_class=tag,
                explanation=str(entry.get("explanation", "")),
                documents=[documents[d] for d in entry.get("document_ids") or [] if d in documents],
            )
        )
    return rows
