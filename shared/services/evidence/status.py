"""Where a provider's evidence stands, type by type: the current document of each required type and what to call
its state. Read-only: the state changes are shared.services.evidence.documents's."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from shared.clock import today as school_today
from shared.evidence_catalogue import EvidenceType, ProviderType, required_evidence
from shared.extensions import db
from shared.models import DocumentStatus, EvidenceDocument, ProviderProfile


class Standing(enum.StrEnum):
    NOT_UPLOADED = "not_uploaded"
    AWAITING_REVIEW = "awaiting_review"
    VERIFIED = "verified"
    REJECTED = "rejected"
    EXPIRED = "expired"


# GOV.UK tag colours by standing.
TAG_CLASSES = {
    Standing.NOT_UPLOADED: "govuk-tag--grey",
    Standing.AWAITING_REVIEW: "",  # the default tag is blue
    Standing.VERIFIED: "govuk-tag--green",
    Standing.REJECTED: "govuk-tag--red",
    Standing.EXPIRED: "govuk-tag--orange",
}
# Counts towards finishing onboarding's documents task.
GOOD_STANDINGS = frozenset({Standing.AWAITING_REVIEW, Standing.VERIFIED})


@dataclass(frozen=True)
class EvidenceLine:
    """One required type and where it stands."""

    kind: EvidenceType
    document: EvidenceDocument | None
    standing: Standing
    tag: str  # the GOV.UK tag's text
    tag_class: str
    detail: str | None = None  # the reviewer's reason, for a rejection


def current_documents(organisation_id: uuid.UUID) -> dict[str, EvidenceDocument]:
    """The newest version of each evidence type that is still in play (not superseded), by type code."""
    documents = db.session.scalars(
        select(EvidenceDocument)
        .where(
            EvidenceDocument.organisation_id == organisation_id,
            EvidenceDocument.status != DocumentStatus.SUPERSEDED,
        )
        .order_by(EvidenceDocument.version)
    )
    return {document.evidence_type: document for document in documents}


def standing_of(document: EvidenceDocument | None, today: date) -> Standing:
    if document is None:
        return Standing.NOT_UPLOADED
    if document.status == DocumentStatus.VERIFIED:
        # The daily job marks lapsed evidence expired; until it runs, a past date already counts.
        if document.expiry_date is not None and document.expiry_date <= today:
            return Standing.EXPIRED
        return Standing.VERIFIED
    return {
        DocumentStatus.UPLOADED: Standing.AWAITING_REVIEW,
        DocumentStatus.AWAITING_REVIEW: Standing.AWAITING_REVIEW,
        DocumentStatus.REJECTED: Standing.REJECTED,
        DocumentStatus.EXPIRED: Standing.EXPIRED,
    }.get(document.status, Standing.NOT_UPLOADED)


def line_for(kind: EvidenceType, document: EvidenceDocument | None, today: date) -> EvidenceLine:
    standing = standing_of(document, today)
    tag = {
        Standing.NOT_UPLOADED: "Not uploaded",
        Standing.AWAITING_REVIEW: "Awaiting review",
        Standing.VERIFIED: "Verified",
        Standing.REJECTED: "Rejected",
        Standing.EXPIRED: "Expired",
    }[standing]
    detail = None
    # standing_of says NOT_UPLOADED when there is no document, so a verified or rejected standing has one.
    if standing == Standing.VERIFIED and document is not None and document.expiry_date is not None:
        tag = f"Verified until {document.expiry_date.day} {document.expiry_date:%B %Y}"
    if standing == Standing.REJECTED and document is not None:
        detail = document.rejection_reason
    return EvidenceLine(kind, document, standing, tag, TAG_CLASSES[standing], detail)


def evidence_lines(profile: ProviderProfile, today: date | None = None) -> list[EvidenceLine]:
    """Every evidence type this provider must give, in catalogue order, with where each stands."""
    today = today or school_today()
    provider_type = ProviderType(profile.provider_type) if profile.provider_type else None
    current = current_documents(profile.organisation_id)
    return [line_for(kind, current.get(kind.code), today) for kind in required_evidence(provider_type)]
