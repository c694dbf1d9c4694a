"""Onboarding approval: the checklist computed from the data, the provider's submission, and the AP lead's
decision (approve with notes, or return with requests), recorded with a snapshot of the checklist.

Each school decides for itself: the checklist, the submission and the decision are per SchoolProvider (one school's
relationship with one provider), over what the provider entered once for every school.
Only approved providers can receive placements (the placements issue checks `is_approved`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from shared import audit
from shared.clock import today as school_today
from shared.evidence_catalogue import ProviderType, required_evidence
from shared.extensions import db
from shared.links import Link
from shared.models import (
    ApprovalDecision,
    DocumentStatus,
    ProviderProfile,
    ProviderStatus,
    SchoolProvider,
    User,
    utcnow,
)
from shared.notifications import tell_role
from shared.roles import AP_LEAD, PROVIDER_MANAGER
from shared.services.errors import RuleBroken
from shared.services.evidence import reliance
from shared.services.evidence.staff_flags import open_flags, open_flags_summary
from shared.services.evidence.staff_list import active_staff, current_confirmation
from shared.services.evidence.status import current_documents
from shared.services.providers.onboarding import contacts_complete, details_complete, dsl_training_needs_renewing
from shared.services.safeguarding.policies import confirmation_checklist_state

POLICY_CONFIRMED = "The DSL has confirmed the school's current child protection policy"
STAFF_FLAGS = "Staff checks: no open flags"


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    done: bool
    detail: str = ""
    key: str = ""  # which part of onboarding it is (the portal's submit page links each missing one to its page)


def approval_checklist(link: SchoolProvider, today: date | None = None) -> list[ChecklistItem]:
    """The checklist as `link`'s school sees it."""
    today = today or school_today()
    profile = link.profile
    items = [
        ChecklistItem("Organisation details", details_complete(profile), key="organisation"),
        ChecklistItem("Teaching sites listed", bool(profile.sites), f"{len(profile.sites)} site(s)", "sites"),
        _dsl_item(profile, today),
    ]
    documents = current_documents(profile.organisation_id)
    reliance.load_decisions(documents.values())
    kind = ProviderType(profile.provider_type) if profile.provider_type else None
    for evidence in required_evidence(kind):
        document = documents.get(evidence.code)
        key = f"document:{evidence.code}"
        if document is None:
            items.append(ChecklistItem(evidence.name, False, "Not uploaded", key))
        elif document.status == DocumentStatus.UPLOADED:
            items.append(ChecklistItem(evidence.name, False, "Uploaded", key))
        else:
            # Whose verification the item rests on: the school's own, or one it relies on (reliance).
            for_school = reliance.for_school(link.school, document, today)
            items.append(ChecklistItem(evidence.name, for_school.done, for_school.detail, key))
    staff = active_staff(profile.organisation_id)
    items.append(ChecklistItem("Staff list", bool(staff), f"{len(staff)} people", "staff"))
    flags = open_flags(link) if staff else []
    items.append(
        ChecklistItem(STAFF_FLAGS, not flags, open_flags_summary(link) if staff else "No staff listed", "staff")
    )
    confirmation = current_confirmation(profile.organisation_id, link.school_id)
    items.append(
        ChecklistItem(
            "Written confirmation of staff checks, signed and current",
            confirmation is not None,
            f"Signed by {confirmation.typed_name} on {confirmation.signed_at:%-d %B %Y}"
            if confirmation
            else "Not signed",
            "confirmation",
        )
    )
    # Done once the provider's DSL confirms the school's current version; not needed before the first upload.
    items.append(ChecklistItem(POLICY_CONFIRMED, *confirmation_checklist_state(link), key="policy"))
    return items


def provider_checklist(link: SchoolProvider, today: date | None = None) -> list[ChecklistItem]:
    """The checklist as the provider reads it: the school's words about its own checks put in the provider's."""
    school = link.school.name
    items = []
    for item in approval_checklist(link, today):
        detail = item.detail
        if detail.startswith(("Needs your verification", "Reopened by your school")):
            detail = "Awaiting review"
        detail = detail.replace("by your school", f"by {school}")
        items.append(ChecklistItem(item.label, item.done, detail, item.key))
    return items


def _dsl_item(profile: ProviderProfile, today: date) -> ChecklistItem:
    label = "DSL named, with phone and training date"
    if not contacts_complete(profile):
        return ChecklistItem(label, False, profile.dsl_name or "No DSL named", "contacts")
    if dsl_training_needs_renewing(profile, today):
        assert profile.dsl_training_date is not None, "contacts_complete checks it"
        last = f"{profile.dsl_training_date:%-d %B %Y}"
        return ChecklistItem(label, False, f"{profile.dsl_name}: training needs renewing (last {last})", "contacts")
    return ChecklistItem(label, True, profile.dsl_name or "", "contacts")


def submit_for_approval(link: SchoolProvider, *, by: User) -> None:
    """The provider sends its onboarding to `link`'s school for approval."""
    if link.is_request:
        raise RuleBroken(f"Accept {link.school.name}'s invitation first")
    if link.status not in (ProviderStatus.ONBOARDING, ProviderStatus.INVITED):
        raise RuleBroken(f"Your organisation has already been submitted to {link.school.name}")
    missing = [item.label for item in approval_checklist(link) if not item.done and not _awaiting_review(item)]
    if missing:
        raise RuleBroken(f"Finish these first: {', '.join(missing)}")
    _set_status(link, ProviderStatus.SUBMITTED, by=by, why="submitted by the provider")
    tell_role(
        link.school,
        AP_LEAD,
        text=f"{link.provider.name} has submitted its onboarding for approval.",
        link=Link.to("school_admin.provider_page", provider_id=link.provider_id),
        subject="AP Portal: a provider is waiting for approval",
    )
    db.session.commit()


def _awaiting_review(item: ChecklistItem) -> bool:
    # A provider can submit while the school is still checking documents: that is the school's part.
    return item.detail == "Awaiting review" or item.detail.startswith(
        ("Needs your verification", "Reopened by your school")
    )


def _set_status(link: SchoolProvider, status: ProviderStatus, *, by: User, why: str) -> None:
    old = link.status
    link.status, link.status_changed_at = status, utcnow()
    audit.record(
        "provider.status_changed",
        organisation=link.school,
        obj=link.provider,
        actor=by,
        old=old.value,
        new=status.value,
        why=why,
    )


def decide(link: SchoolProvider, *, approve: bool, notes: str, by: User) -> ApprovalDecision:
    """The AP lead's decision for their school. Approval needs every checklist item done; returning needs the
    requests written."""
    if link.status != ProviderStatus.SUBMITTED:
        raise RuleBroken("Only a submitted provider can be approved or returned")
    checklist = approval_checklist(link)
    if approve and not all(item.done for item in checklist):
        raise RuleBroken("Every item on the checklist must be done before approval", "notes")
    if not notes.strip():
        raise RuleBroken("Write notes for the record" if approve else "Say what the provider needs to do", "notes")
    decision = ApprovalDecision(
        organisation_id=link.provider_id,
        school_id=link.school_id,
        decision="approved" if approve else "returned",
        notes=notes.strip(),
        checklist=[asdict(item) for item in checklist],
        decided_by_id=by.id,
    )
    db.session.add(decision)
    db.session.flush()
    audit.record("provider.decision", organisation=link.school, obj=decision, actor=by, decision=decision.decision)
    school = link.school.name
    if approve:
        _set_status(link, ProviderStatus.APPROVED, by=by, why="approved by the AP lead")
        text = f"{school} has approved your organisation for placements."
    else:
        _set_status(link, ProviderStatus.ONBOARDING, by=by, why="returned to the provider")
        text = f"{school} has returned your onboarding with requests. See your task list."
    tell_role(
        link.provider,
        PROVIDER_MANAGER,
        text=text,
        link=Link.to("portal.onboarding_tasks", school=link.school_arg),
        subject="AP Portal: a school has reviewed your onboarding",
    )
    db.session.commit()
    return decision


def is_approved(link: SchoolProvider) -> bool:
    return link.status == ProviderStatus.APPROVED
