"""The daily evidence job: lapsed documents become expired, provider managers are reminded 60, 30 and 7 days
before a document lapses, and the AP lead is told when a required item lapses for an approved provider (the
provider is then "at risk"; the AP lead decides whether to suspend)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from shared.clock import today as school_today
from shared.evidence_catalogue import BY_CODE, ProviderType
from shared.extensions import db
from shared.links import Link
from shared.models import (
    DocumentStatus,
    EvidenceDocument,
    EvidenceReminder,
    Organisation,
    ProviderProfile,
    ProviderStatus,
    SchoolProvider,
)
from shared.notifications import tell_role
from shared.roles import AP_LEAD, PROVIDER_MANAGER

# Issue 3 (evidence expiry): remind the provider manager 60, 30 and 7 days ahead.
from shared.services.evidence import documents as evidence
from shared.services.providers import approval

REMINDER_DAYS = (60, 30, 7)


def send_expiry_reminders(today: date) -> int:
    """One reminder per document and threshold: the most urgent one due, never repeated. Returns how many."""
    horizon = today + timedelta(days=max(REMINDER_DAYS))
    documents = db.session.scalars(
        select(EvidenceDocument).where(
            EvidenceDocument.status == DocumentStatus.VERIFIED,
            EvidenceDocument.expiry_date > today,
            EvidenceDocument.expiry_date <= horizon,
        )
    ).all()
    sent = 0
    for document in documents:
        assert document.expiry_date is not None, "the query asks for an expiry date after today"
        days_left = (document.expiry_date - today).days
        due = [d for d in REMINDER_DAYS if days_left <= d]
        already = set(
            db.session.scalars(select(EvidenceReminder.days_before).where(EvidenceReminder.document_id == document.id))
        )
        if min(due) in already:
            continue
        # Record every threshold passed, so a missed run never sends an older, less urgent reminder later.
        for threshold in set(due) - already:
            db.session.add(EvidenceReminder(document_id=document.id, days_before=threshold))
        provider = db.session.get(Organisation, document.organisation_id)
        assert provider is not None, "a foreign key"
        name = BY_CODE[document.evidence_type].name
        tell_role(
            provider,
            PROVIDER_MANAGER,
            text=f"Your {name.lower()} runs out on {document.expiry_date:%-d %B %Y} ({days_left} days). "
            "Upload a current one so the school can check it in time.",
            link=Link.to("portal.onboarding_tasks"),
            subject=f"AP Portal: your {name.lower()} runs out in {days_left} days",
        )
        sent += 1
    db.session.commit()
    return sent


def run_daily(today: date | None = None) -> dict[str, int]:
    today = today or school_today()
    lapsed = evidence.expire_lapsed(today)
    at_risk = 0
    for document in lapsed:
        profile = db.session.scalar(
            select(ProviderProfile).where(ProviderProfile.organisation_id == document.organisation_id)
        )
        # Only providers upload evidence, and each is made with its profile (people.invite_provider).
        assert profile is not None, "evidence belongs to a provider, which has a profile"
        kind = BY_CODE[document.evidence_type]
        required = profile.provider_type and kind.required(ProviderType(profile.provider_type))
        if not required:
            continue
        # Every school that has approved the provider is told (the evidence is shared by them all).
        for link in profile.schools:
            if link.status != ProviderStatus.APPROVED:
                continue
            at_risk += 1
            tell_role(
                link.school,
                AP_LEAD,
                text=f"{profile.organisation.name} is at risk: its {kind.name.lower()} has lapsed. "
                "Decide whether to suspend placements.",
                link=Link.to("school_admin.provider_page", provider_id=profile.organisation_id),
                subject="AP Portal: a provider is at risk",
            )
    db.session.commit()
    reminders = send_expiry_reminders(today)
    return {"expired": len(lapsed), "at_risk_alerts": at_risk, "reminders": reminders}


def is_at_risk(link: SchoolProvider, today: date | None = None) -> bool:
    """A provider approved by `link`'s school with any required item no longer verified and in date for it."""
    return link.status == ProviderStatus.APPROVED and not all(
        item.done for item in approval.approval_checklist(link, today)
    )
