"""A school asks a provider already on AP Portal to work with it (the AP lead's "Invite a provider" with the address
of one of its managers): a SchoolProvider in status invited, carrying the name the school typed. The provider's
managers accept it in their existing account (no second account, no upload again: the school then sees what the
provider entered once) or decline it. Until they accept, the school sees nothing of the provider's."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from shared import audit
from shared.extensions import db
from shared.links import Link
from shared.models import Organisation, ProviderStatus, SchoolProvider, User, utcnow
from shared.notifications import tell_role
from shared.roles import AP_LEAD, PROVIDER_MANAGER
from shared.services.errors import RuleBroken


def ask(school: Organisation, provider: Organisation, *, typed_name: str, by: User) -> SchoolProvider | None:
    """`school` asks `provider` to work with it; its managers are told (in the app and by e-mail, naming the school).
    None when the school already asked (nothing changes, nothing is sent again). The caller commits."""
    existing = db.session.scalar(
        select(SchoolProvider).where(SchoolProvider.school_id == school.id, SchoolProvider.provider_id == provider.id)
    )
    if existing is not None:
        if existing.is_request:
            return None
        raise RuleBroken("This provider already works with your school", "email")
    link = SchoolProvider(
        school_id=school.id, provider_id=provider.id, status=ProviderStatus.INVITED, invited_name=typed_name
    )
    db.session.add(link)
    audit.record("provider.asked_by_school", organisation=provider, obj=provider, actor=by, school=school.name)
    tell_role(
        provider,
        PROVIDER_MANAGER,
        text=f"{school.name} has asked to work with {provider.name} on AP Portal. Accept it in your account: "
        "there is no new account to make and nothing to upload again.",
        link=Link.to("portal.school_requests"),
        subject=f"AP Portal: {school.name} has asked to work with you",
    )
    return link


def requests_of(provider_id: uuid.UUID) -> list[SchoolProvider]:
    """The schools waiting for the provider's answer, oldest first."""
    return list(
        db.session.scalars(
            select(SchoolProvider)
            .where(
                SchoolProvider.provider_id == provider_id,
                SchoolProvider.status == ProviderStatus.INVITED,
                SchoolProvider.invited_name.is_not(None),
            )
            .options(joinedload(SchoolProvider.school))
            .order_by(SchoolProvider.created_at)
        )
    )


def request_of(provider_id: uuid.UUID, school_id: uuid.UUID) -> SchoolProvider | None:
    return next((link for link in requests_of(provider_id) if link.school_id == school_id), None)


def relationship_of(provider_id: uuid.UUID, school_id: uuid.UUID) -> SchoolProvider | None:
    """The provider's relationship with a school it already works with (not a request), if any."""
    link = db.session.scalar(
        select(SchoolProvider).where(SchoolProvider.provider_id == provider_id, SchoolProvider.school_id == school_id)
    )
    return None if link is None or link.is_request else link


def accept(link: SchoolProvider, *, by: User) -> None:
    """The provider works with the school from now on: onboarding for it starts, with what it already entered."""
    if not link.is_request:
        raise RuleBroken("This school is not waiting for your answer")
    link.status, link.status_changed_at, link.invited_name = ProviderStatus.ONBOARDING, utcnow(), None
    audit.record(
        "provider.request_accepted", organisation=link.provider, obj=link.provider, actor=by, school=link.school.name
    )
    audit.record(
        "provider.status_changed",
        organisation=link.school,
        obj=link.provider,
        actor=by,
        old=ProviderStatus.INVITED.value,
        new=ProviderStatus.ONBOARDING.value,
        why="the provider accepted the school's invitation",
    )
    tell_role(
        link.school,
        AP_LEAD,
        text=f"{link.provider.name} has accepted your invitation. You can now see its details and evidence.",
        link=Link.to("school_admin.provider_page", provider_id=link.provider_id),
        subject="AP Portal: a provider has accepted your invitation",
    )
    db.session.commit()


def decline(link: SchoolProvider, *, by: User) -> None:
    """The provider does not work with the school: the request goes (the school is told)."""
    if not link.is_request:
        raise RuleBroken("This school is not waiting for your answer")
    school, typed = link.school, link.invited_name
    audit.record(
        "provider.request_declined", organisation=link.provider, obj=link.provider, actor=by, school=school.name
    )
    db.session.delete(link)
    tell_role(
        school,
        AP_LEAD,
        text=f"The provider you invited as {typed} has declined your invitation.",
        link=Link.to("school_admin.providers"),
        subject="AP Portal: a provider has declined your invitation",
    )
    db.session.commit()
