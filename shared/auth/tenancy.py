"""Organisation-scoped loading: every object a view loads from a URL id comes through one of these, so another
organisation's object is a 404, exactly like one that does not exist.

The signed-in person's organisation is the tenant: a school sees its own rows and the providers it has a
relationship with (SchoolProvider); a provider sees its own rows and what the schools it works with share with it.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from shared.extensions import db
from shared.models import (
    EvidenceDocument,
    Membership,
    Organisation,
    OrganisationKind,
    ProviderProfile,
    SchoolPolicy,
    SchoolProvider,
    StaffMember,
    User,
)

M = TypeVar("M")


def own_or_404(model: type[M], object_id: uuid.UUID, *, owner: str = "organisation_id") -> M:
    """A row of the signed-in person's organisation, or 404 for another organisation's, so it looks exactly like
    one that does not exist. `owner` names the row's column for the organisation: `organisation_id` for the
    provider's own records, `school_id` or `provider_id` for rows both sides share (placements, incidents)."""
    row = db.session.get(model, object_id)
    if row is None or getattr(row, owner) != current_user.organisation_id:
        abort(404)
    return row


def member_or_404(user_id: uuid.UUID, organisation: Organisation) -> User:
    """A user of this organisation, or 404 (for another organisation's user too)."""
    user = db.session.scalar(
        select(User).join(Membership).where(User.id == user_id, Membership.organisation_id == organisation.id)
    )
    if user is None:
        abort(404)
    return user


def provider_of_my_school_or_404(provider_id: uuid.UUID) -> SchoolProvider:
    """School side: this school's relationship with one of its providers (its `.profile` is the provider's own
    details), or 404 for a provider this school has no relationship with."""
    link = db.session.scalar(
        select(SchoolProvider).where(
            SchoolProvider.provider_id == provider_id, SchoolProvider.school_id == current_user.organisation_id
        )
    )
    if link is None:
        abort(404)
    return link


def school_of_my_provider_or_404(school_id: uuid.UUID) -> SchoolProvider:
    """Provider side: this provider's relationship with one of the schools it works with, or 404."""
    link = db.session.scalar(
        select(SchoolProvider).where(
            SchoolProvider.school_id == school_id, SchoolProvider.provider_id == current_user.organisation_id
        )
    )
    if link is None:
        abort(404)
    return link


def chosen_school_of_my_provider(value: str | None) -> SchoolProvider:
    """Provider side, on a page about one school (its agreement, its policy, its approval): the school chosen by
    `?school=<id>` among those this provider works with (404 for any other), or the first it started working with."""
    if value:
        try:
            return school_of_my_provider_or_404(uuid.UUID(value))
        except ValueError:
            abort(404)
    profile = db.session.scalar(
        select(ProviderProfile).where(ProviderProfile.organisation_id == current_user.organisation_id)
    )
    if profile is None or not profile.schools:
        abort(404)
    return profile.schools[0]


def _school_provider_ids() -> list[uuid.UUID]:
    """School side: the organisation ids of this school's providers."""
    return list(
        db.session.scalars(
            select(SchoolProvider.provider_id).where(SchoolProvider.school_id == current_user.organisation_id)
        )
    )


def document_of_my_providers_or_404(document_id: uuid.UUID) -> EvidenceDocument:
    """School side: a document of one of this school's providers, or 404 (another school's looks like one that
    doesn't exist)."""
    document = db.session.get(EvidenceDocument, document_id)
    if document is None or document.organisation_id not in _school_provider_ids():
        abort(404)
    return document


def staff_member_or_404(member_id: uuid.UUID) -> StaffMember:
    """Provider side: a member of this provider's staff list not removed from it, or 404."""
    member = own_or_404(StaffMember, member_id)
    if member.removed_at is not None:
        abort(404)
    return member


def staff_member_of_provider_or_404(profile: ProviderProfile, member_id: uuid.UUID) -> StaffMember:
    """School side: a member of the staff list of `profile` (the .profile of provider_of_my_school_or_404's answer),
    not removed from it, or 404."""
    member = db.session.get(StaffMember, member_id)
    if member is None or member.organisation_id != profile.organisation_id or member.removed_at is not None:
        abort(404)
    return member


def policy_of_my_school_or_404(policy_id: uuid.UUID) -> SchoolPolicy:
    """Provider side: a version of the policy of a school this provider works with; any other school's looks like
    one that does not exist."""
    policy = db.session.get(SchoolPolicy, policy_id)
    if policy is None:
        abort(404)
    school_of_my_provider_or_404(policy.school_id)
    return policy


# --- the local authority side ----------------------------------------------------------------------------------------


def _used_by_my_areas_schools(provider_id: uuid.UUID) -> bool:
    """LA side: whether at least one school of this local authority works with the provider."""
    return (
        db.session.scalar(
            select(SchoolProvider.id)
            .join(Organisation, Organisation.id == SchoolProvider.school_id)
            .where(
                SchoolProvider.provider_id == provider_id,
                Organisation.kind == OrganisationKind.SCHOOL,
                Organisation.local_authority_id == current_user.organisation_id,
            )
            .limit(1)
        )
        is not None
    )


def provider_of_my_areas_schools_or_404(provider_id: uuid.UUID) -> ProviderProfile:
    """LA side: a provider that at least one of this local authority's schools works with, or 404 (any other
    provider, even one teaching in the area, looks like one that does not exist)."""
    profile = db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == provider_id))
    if profile is None or not _used_by_my_areas_schools(provider_id):
        abort(404)
    return profile


def document_of_my_areas_providers_or_404(document_id: uuid.UUID) -> EvidenceDocument:
    """LA side: an evidence document of a provider this local authority's schools use, or 404."""
    document = db.session.get(EvidenceDocument, document_id)
    if document is None or not _used_by_my_areas_schools(document.organisation_id):
        abort(404)
    return document
