"""Child-protection policies between the school and its providers.

- The school's child protection and safeguarding policy, in versions: each provider's DSL confirms, per version,
  that it has been received and will be followed; a new version asks every provider again (KCSIE and the school's
  AP policy: providers receive and adhere to the school's child-protection policy).
- Each person at the provider who works with pupils (its staff, DSL and manager) reads each version and confirms
  it themselves; the provider's DSL (and manager) sees who has and who has not.
- The provider's own child protection policy (its `safeguarding_policy` evidence document) is reviewed by a school
  DSL, with an outcome and comments the provider reads.

The school's policy is not safeguarding content about a child: it is stored as an ordinary upload (not encrypted).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from sqlalchemy import func, select

from shared import audit
from shared.extensions import db
from shared.links import Link, absolute_url_of
from shared.models import (
    EvidenceDocument,
    Membership,
    MembershipRole,
    Organisation,
    PolicyConfirmation,
    PolicyReading,
    ProviderPolicyReview,
    SchoolPolicy,
    SchoolProvider,
    User,
    utcnow,
)
from shared.notifications import in_app, people_with_role, queue_email, tell_roles
from shared.roles import PROVIDER_DSL, PROVIDER_MANAGER, PROVIDER_STAFF
from shared.services.errors import RuleBroken
from shared.services.evidence.status import current_documents
from shared.uploads.pipeline import store_upload

# Everyone at a provider reads and confirms the school's policy: each of them may work with its pupils.
READERS = (PROVIDER_STAFF, PROVIDER_DSL, PROVIDER_MANAGER)
# A policy is a document to read: PDF or Word, nothing else.
POLICY_EXTENSIONS = frozenset({"pdf", "docx"})
# The provider's own policy, as the evidence catalogue names it (shared/evidence_catalogue.py).
PROVIDER_POLICY_CODE = "safeguarding_policy"
REVIEW_OUTCOMES = {"meets_expectations": "Meets our expectations", "changes_needed": "Changes needed"}
COMMENTS_MAX = 2000  # the column's size


# --- the school's policy -------------------------------------------------------------------------------------------


def current_policy(school_id: uuid.UUID) -> SchoolPolicy | None:
    """The newest version of the school's policy (the one providers confirm), or None before the first upload."""
    return db.session.scalar(
        select(SchoolPolicy).where(SchoolPolicy.school_id == school_id).order_by(SchoolPolicy.version.desc()).limit(1)
    )


def policy_versions(school_id: uuid.UUID) -> list[SchoolPolicy]:
    """Every version, newest first."""
    return list(
        db.session.scalars(
            select(SchoolPolicy).where(SchoolPolicy.school_id == school_id).order_by(SchoolPolicy.version.desc())
        )
    )


def uploaders(versions: list[SchoolPolicy]) -> list[User]:
    """Who uploaded each version (from the session when already loaded), leaving out anyone since removed."""
    return [user for user in (db.session.get(User, v.uploaded_by_id) for v in versions) if user is not None]


def upload_policy(school: Organisation, stream: IO[bytes], filename: str, *, by: User) -> SchoolPolicy:
    """Take a new version of the school's policy through the upload pipeline (PDF or Word only) and ask every
    provider's DSL to confirm it. Raises UploadRefused, leaving nothing behind."""
    with store_upload(stream, filename, organisation_id=school.id, allowed_extensions=POLICY_EXTENSIONS) as stored:
        # Two DSLs uploading at once queue here, so each version number is taken once.
        db.session.execute(select(Organisation.id).where(Organisation.id == school.id).with_for_update())
        latest = db.session.scalar(select(func.max(SchoolPolicy.version)).where(SchoolPolicy.school_id == school.id))
        policy = SchoolPolicy(
            school_id=school.id,
            version=(latest or 0) + 1,
            storage_key=stored.key,
            display_name=stored.display_name,
            content_type=stored.content_type,
            size_bytes=stored.size,
            sha256=stored.sha256,
            virus_scanned=stored.virus_scanned,
            uploaded_by_id=by.id,
        )
        db.session.add(policy)
        db.session.flush()
        audit.record("policy.uploaded", organisation=school, obj=policy, actor=by, version=policy.version)
        for link in school_providers(school.id):
            # Everyone who works with the school's pupils reads it and confirms it themselves (told once each).
            tell_roles(
                link.provider,
                READERS,
                text=(
                    f"{school.name} has uploaded a new version of its child protection and safeguarding policy. "
                    "Read it and confirm that you will follow it."
                ),
                link=Link.to("portal.school_policy", school=link.school_arg),
                subject="AP Portal: a new school policy is waiting for your confirmation",
            )
        db.session.commit()
    return policy


def school_providers(school_id: uuid.UUID) -> list[SchoolProvider]:
    """Every provider of the school, whatever its status (each one's DSL confirms the policy)."""
    return list(
        db.session.scalars(
            select(SchoolProvider)
            .join(Organisation, Organisation.id == SchoolProvider.provider_id)
            .where(SchoolProvider.school_id == school_id)
            .order_by(Organisation.name)
        )
    )


def confirmation_of(policy: SchoolPolicy, provider_id: uuid.UUID) -> PolicyConfirmation | None:
    return db.session.scalar(
        select(PolicyConfirmation).where(
            PolicyConfirmation.policy_id == policy.id, PolicyConfirmation.provider_id == provider_id
        )
    )


@dataclass(frozen=True)
class ProviderConfirmation:
    """Where one provider stands on the school's current policy."""

    link: SchoolProvider
    confirmation: PolicyConfirmation | None
    confirmed_by: User | None


def confirmations(policy: SchoolPolicy) -> list[ProviderConfirmation]:
    """Every provider of the school and whether its DSL has confirmed this version."""
    rows = {
        row.provider_id: row
        for row in db.session.scalars(select(PolicyConfirmation).where(PolicyConfirmation.policy_id == policy.id))
    }
    out = []
    for link in school_providers(policy.school_id):
        row = rows.get(link.provider_id)
        out.append(ProviderConfirmation(link, row, db.session.get(User, row.confirmed_by_id) if row else None))
    return out


def confirm_policy(provider: Organisation, policy: SchoolPolicy, *, by: User) -> PolicyConfirmation:
    """The provider DSL's confirmation that this version was received and will be followed. Only the school's
    current version can be confirmed, once."""
    current = current_policy(policy.school_id)
    assert current is not None, "the school has at least this policy"
    if current.id != policy.id:
        raise RuleBroken(f"There is a newer version of the school's policy. Confirm version {current.version} instead")
    if confirmation_of(policy, provider.id) is not None:
        raise RuleBroken(f"Your organisation has already confirmed version {policy.version}")
    row = PolicyConfirmation(policy_id=policy.id, provider_id=provider.id, confirmed_by_id=by.id)
    db.session.add(row)
    db.session.flush()
    audit.record("policy.confirmed", organisation=provider, obj=row, actor=by, version=policy.version)
    db.session.commit()
    return row


def reading_of(policy: SchoolPolicy, user_id: uuid.UUID) -> PolicyReading | None:
    return db.session.scalar(
        select(PolicyReading).where(PolicyReading.policy_id == policy.id, PolicyReading.user_id == user_id)
    )


def confirm_reading(provider: Organisation, policy: SchoolPolicy, *, by: User) -> PolicyReading:
    """One person at the provider has read this version and will follow it (commits). The current version only,
    once each."""
    current = current_policy(policy.school_id)
    assert current is not None, "the school has at least this policy"
    if current.id != policy.id:
        raise RuleBroken(f"There is a newer version of the school's policy. Read version {current.version} instead")
    if reading_of(policy, by.id) is not None:
        raise RuleBroken(f"You have already confirmed that you have read version {policy.version}")
    row = PolicyReading(policy_id=policy.id, provider_id=provider.id, user_id=by.id)
    db.session.add(row)
    db.session.flush()
    audit.record("policy.read", organisation=provider, obj=row, actor=by, version=policy.version)
    db.session.commit()
    return row


@dataclass(frozen=True)
class PersonReading:
    """Where one person at the provider stands on a version."""

    person: User
    reading: PolicyReading | None


def readings(provider: Organisation, policy: SchoolPolicy) -> list[PersonReading]:
    """Everyone at the provider who works with pupils and whether they have read and confirmed this version: those
    who have not first, then by name. Three queries."""
    people: dict[uuid.UUID, User] = {}
    for person in db.session.scalars(
        select(User)
        .join(Membership)
        .join(MembershipRole)
        .where(Membership.organisation_id == provider.id, MembershipRole.role.in_(READERS), User.active.is_(True))
        .order_by(User.name)
    ):
        people.setdefault(person.id, person)
    read = {
        row.user_id: row
        for row in db.session.scalars(
            select(PolicyReading).where(PolicyReading.policy_id == policy.id, PolicyReading.provider_id == provider.id)
        )
    }
    out = [PersonReading(person, read.get(person.id)) for person in people.values()]
    return sorted(out, key=lambda r: (r.reading is not None, r.person.name.lower()))


# A provider that had confirmed the previous version has this long to confirm a new one before it counts against
# it (so a school updating its policy does not turn every approved provider "at risk" overnight).
NEW_VERSION_GRACE = timedelta(days=14)


def confirmation_checklist_state(link: SchoolProvider, now: datetime | None = None) -> tuple[bool, str]:
    """(done, detail) for `link`'s school's approval checklist. Not needed until the school has uploaded a policy:
    an item the provider cannot do must not hold up its approval. A new version asks again, with
    NEW_VERSION_GRACE for a provider that had confirmed the one before."""
    policy = current_policy(link.school_id)
    if policy is None:
        return True, "Not needed yet: the school has not uploaded its policy"
    row = confirmation_of(policy, link.provider_id)
    if row is not None:
        return True, f"Version {policy.version} confirmed on {row.confirmed_at:%-d %B %Y}"
    previous = db.session.scalar(
        select(SchoolPolicy).where(SchoolPolicy.school_id == link.school_id, SchoolPolicy.version == policy.version - 1)
    )
    due = policy.uploaded_at + NEW_VERSION_GRACE
    if previous is not None and confirmation_of(previous, link.provider_id) and (now or utcnow()) < due:
        confirmed = f"version {previous.version} confirmed"
        return True, f"Version {policy.version} to be confirmed by {due:%-d %B %Y} ({confirmed})"
    return False, f"Version {policy.version} not confirmed yet"


# --- the provider's own policy -------------------------------------------------------------------------------------


def provider_policy_document(provider_id: uuid.UUID) -> EvidenceDocument | None:
    """The provider's current child protection policy (its newest evidence document of that type)."""
    return current_documents(provider_id).get(PROVIDER_POLICY_CODE)


def latest_review(provider_id: uuid.UUID, school_id: uuid.UUID) -> ProviderPolicyReview | None:
    """The latest review of the provider's policy by this school's DSLs (each school reviews for itself)."""
    return db.session.scalar(
        select(ProviderPolicyReview)
        .where(ProviderPolicyReview.provider_id == provider_id, ProviderPolicyReview.school_id == school_id)
        .order_by(ProviderPolicyReview.reviewed_at.desc())
        .limit(1)
    )


def review_provider_policy(link: SchoolProvider, *, outcome: str, comments: str, by: User) -> ProviderPolicyReview:
    """A school DSL's review of the provider's child protection policy; the provider's manager and DSL are told
    (without the comments) and read it on their policies page."""
    document = provider_policy_document(link.provider_id)
    if document is None:
        raise RuleBroken(f"{link.provider.name} has not uploaded its child protection policy yet", "outcome")
    if outcome not in REVIEW_OUTCOMES:
        raise RuleBroken("Choose whether the policy meets your expectations or needs changes", "outcome")
    comments = (comments or "").strip()
    if not comments:
        raise RuleBroken("Write your comments for the provider", "comments")
    if len(comments) > COMMENTS_MAX:
        raise RuleBroken(f"Keep your comments to {COMMENTS_MAX} characters", "comments")
    review = ProviderPolicyReview(
        document_id=document.id,
        school_id=link.school_id,
        provider_id=link.provider_id,
        outcome=outcome,
        comments=comments,
        reviewed_by_id=by.id,
    )
    db.session.add(review)
    db.session.flush()
    audit.record("provider_policy.reviewed", organisation=link.provider, obj=review, actor=by, outcome=outcome)
    _tell_manager_and_dsl(link)
    db.session.commit()
    return review


def _tell_manager_and_dsl(school_provider: SchoolProvider) -> None:
    """tell_role for the provider's managers and DSLs, once each (one person often holds both roles)."""
    provider = school_provider.provider
    text = f"{school_provider.school.name}'s DSL has reviewed your child protection policy."
    link = Link.to("portal.school_policy", school=school_provider.school_arg)
    people = {
        person.id: person for role in (PROVIDER_MANAGER, PROVIDER_DSL) for person in people_with_role(provider, role)
    }
    for person in people.values():
        in_app(provider.id, person.id, text=text, link=link)
        queue_email(
            person.email,
            "AP Portal: the school has reviewed your child protection policy",
            f"Hello {person.name},\n\n{text}\n\nSee it on AP Portal:\n{absolute_url_of(link)}\n",
            organisation=provider,
        )
