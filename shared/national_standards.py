"""DfE's national standards for non-school alternative provision (August 2025; voluntary now, expected to become
mandatory), kept as data in one place, versioned.

The four standards are the four areas DfE published. What each expects is AP Portal's SUMMARY of the standards'
main points, not DfE's text: read the published standards for the full wording. Each standard names the evidence
types (codes in shared.evidence_catalogue) a provider's vault may hold to show it. Change the standards here, and
give a new VERSION when their content changes: self-assessments and visits keep the version they were made against.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.evidence_catalogue import BY_CODE as EVIDENCE_TYPES

VERSION = "2025-08"
TITLE = "National standards for non-school alternative provision (DfE, August 2025)"
SUMMARY_NOTE = "A summary of what each standard expects, not DfE's wording: read the published standards for it."


class Judgement(enum.StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_YET_MET = "not_yet_met"


JUDGEMENT_LABELS = {
    Judgement.MET: "Met",
    Judgement.PARTLY_MET: "Partly met",
    Judgement.NOT_YET_MET: "Not yet met",
}
JUDGEMENT_TAGS = {
    Judgement.MET: "govuk-tag--green",
    Judgement.PARTLY_MET: "govuk-tag--yellow",
    Judgement.NOT_YET_MET: "govuk-tag--red",
}


@dataclass(frozen=True)
class Standard:
    code: str
    title: str
    expects: tuple[str, ...]  # a summary, in AP Portal's words
    evidence_types: tuple[str, ...]  # codes in shared.evidence_catalogue


STANDARDS: tuple[Standard, ...] = (
    Standard(
        code="safeguarding_and_wellbeing",
        title="Safeguarding and wellbeing",
        expects=(
            "Enhanced DBS checks with the barred list for all staff and proprietors, kept on a single central record",
            "Identity, qualifications, right to work, prohibition and section 128 checks",
            "Safeguarding policies in place",
            "A trained designated safeguarding lead",
            "Secure sites",
        ),
        evidence_types=("safeguarding_policy", "dsl_training_certificate", "behaviour_policy"),
    ),
    Standard(
        code="health_and_safety",
        title="Health and safety",
        expects=(
            "A health and safety policy",
            "Risk assessments for sites, activities and each child",
            "First aid",
            "Incident reporting",
            "Fire drills",
        ),
        evidence_types=(
            "health_and_safety_policy",
            "risk_assessment",
            "public_liability_insurance",
            "employers_liability_insurance",
        ),
    ),
    Standard(
        code="admissions_support_and_guidance",
        title="Admissions, support and guidance",
        expects=(
            "Fair admissions",
            "Records of each pupil's needs",
            "Induction with a baseline and an individual learning plan",
            "Session-by-session attendance with prompt follow-up of absence",
        ),
        evidence_types=("behaviour_policy", "registration"),
    ),
    Standard(
        code="quality_of_education",
        title="Quality of education",
        expects=(
            "A curriculum that includes English and maths",
            "Qualified staff, or staff who are supported",
            "Progress tracked",
            "Careers guidance",
            "Reintegration and destinations",
        ),
        evidence_types=("curriculum_offer", "registration"),
    ),
)

BY_CODE = {standard.code: standard for standard in STANDARDS}


def evidence_names(standard: Standard) -> list[str]:
    """The names of the evidence types that may show the standard."""
    return [EVIDENCE_TYPES[code].name for code in standard.evidence_types]


def judgement_label(value: str) -> str:
    try:
        return JUDGEMENT_LABELS[Judgement(value)]
    except ValueError:
        return value


def quality_assurance_rows(record: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Summary-list rows for a site visit's quality-assurance record (none for none), for the pages showing visits:
    a judgement per standard looked at, the strengths, and each action with the date it is due by."""
    if not record:
        return []
    rows: list[dict[str, Any]] = []
    for entry in record.get("judgements") or []:
        rows.append(
            {
                "key": {"text": str(entry.get("title", ""))},
                "value": {"text": judgement_label(str(entry.get("judgement")))},
            }
        )
    if record.get("strengths"):
        rows.append({"key": {"text": "Strengths"}, "value": {"text": str(record["strengths"])}})
    for action in record.get("actions") or []:
        try:
            due = date.fromisoformat(str(action.get("due"))).strftime("%-d %B %Y")
        except ValueError:
            due = "a date not recorded"
        rows.append({"key": {"text": f"Action due by {due}"}, "value": {"text": str(action.get("action", ""))}})
    return rows
