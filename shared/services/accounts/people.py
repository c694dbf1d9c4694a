"""Accounts: creating people, their roles, invitations, password changes and resets, deactivation."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import TypeVar

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, lazyload

from shared import audit, tokens
from shared.auth.sessions import end_user_sessions
from shared.extensions import begin_transaction_now, db, savepoint
from shared.links import Link, absolute_url_of
from shared.mail import send_email
from shared.models import (
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    PasswordReset,
    ProviderProfile,
    ProviderStatus,
    SchoolProvider,
    User,
    utcnow,
)
from shared.notifications import queue_email
from shared.passwords import check_password_policy, hash_password, verify_password
from shared.roles import LA_OFFICER, PROVIDER_MANAGER, roles_for
from shared.services.errors import RuleBroken
from shared.services.providers import requests

log = logging.getLogger(__name__)

# The rows a signed link can point at.
_Linked = TypeVar("_Linked", Invitation, PasswordReset)


class AccountError(RuleBroken):
    """A rule about accounts was broken; the message is shown to the user as it is."""


class ResetLinkUsed(Exception):
    """The reset link was used, or voided by another link or a change of password, before this one was sent.
    Not a form error: the page says the link is used, as it does when the link is opened again."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def organisation_people(organisation: Organisation) -> list[User]:
    return list(
        db.session.scalars(
            select(User).join(Membership).where(Membership.organisation_id == organisation.id).order_by(User.name)
        )
    )


def pending_invitations(organisation: Organisation) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.organisation_id == organisation.id, Invitation.accepted_at.is_(None))
            .order_by(Invitation.created_at.desc())
        )
    )


def _check_roles(organisation: Organisation, roles: list[str]) -> list[str]:
    allowed = roles_for(organisation.kind)
    chosen = sorted(set(roles))
    if not chosen:
        raise AccountError("Select at least one role", field="roles")
    unknown = [r for r in chosen if r not in allowed]
    if unknown:
        raise AccountError("Select roles from the list", field="roles")
    return chosen


def create_user(
    organisation: Organisation, *, email: str, name: str, roles: list[str], password: str | None = None
) -> User:
    """Add a user with a membership and roles (no commit). Used by invitations, the CLI and the demo data."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError("There is already an account with this email address", field="email")
    roles = _check_roles(organisation, roles)
    user = User(id=uuid.uuid4(), email=email, name=name.strip(), active=True)
    if password is not None:
        check_password_policy(password, organisation_name=organisation.name, email=email)
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    membership = Membership(user=user, organisation=organisation)
    membership.roles = [MembershipRole(role=r) for r in roles]
    db.session.add_all([user, membership])
    return user


def set_roles(user: User, roles: list[str], *, by: User) -> None:
    organisation = user.organisation
    assert organisation is not None and user.membership is not None, "create_user gives every user a membership"
    roles = _check_roles(organisation, roles)
    old = sorted(user.roles)
    admin = _admin_roles(organisation)
    if user.id == by.id and admin & set(old) and not admin & set(roles):
        raise AccountError("You cannot remove your own permission to manage accounts", field="roles")
    user.membership.roles = [MembershipRole(role=r) for r in roles]
    audit.record("user.roles_changed", organisation=organisation, obj=user, actor=by, old=old, new=roles)
    db.session.commit()


def _admin_roles(organisation: Organisation) -> set[str]:
    if organisation.kind == OrganisationKind.LOCAL_AUTHORITY:
        return {LA_OFFICER}
    return {"school_admin"} if organisation.kind == OrganisationKind.SCHOOL else {PROVIDER_MANAGER}


def deactivate_user(user: User, *, by: User) -> None:
    if user.id == by.id:
        raise AccountError("You cannot deactivate your own account")
    user.active = False
    end_user_sessions(user.id, "deactivated")
    audit.record("user.deactivated", organisation=user.organisation, obj=user, actor=by)
    db.session.commit()


def _inviting_school(invitation: Invitation) -> Organisation | None:
    inviter = invitation.invited_by.organisation if invitation.invited_by is not None else None
    if inviter is not None and inviter.is_school:
        return inviter
    profile = invitation.organisation.provider_profile
    return profile.schools[0].school if profile is not None and profile.schools else None


def _send_invitation(invitation: Invitation) -> None:
    token = tokens.make_token(tokens.INVITATION, str(invitation.id))
    org = invitation.organisation
    link = absolute_url_of(Link.to("auth.invitation", token=token))
    # A provider's people are told which school it works with (the one whose person invited them, else the first):
    # the name they know, so they can trust the e-mail.
    school = org if org.is_school else _inviting_school(invitation)
    joining = (
        f"You have been invited to join {org.name} on AP Portal."
        if school is None or school is org
        else f"You have been invited to join {org.name} on AP Portal, which {school.name} uses to work with "
        f"{org.name} on the placements of its pupils."
    )
    send_email(
        invitation.email,
        f"You have been invited to AP Portal by {school.name if school is not None else org.name}",
        f"Hello {invitation.name},\n\n"
        f"{joining}\n\n"
        f"Open this link to create your account (it works once and expires in 72 hours):\n{link}\n\n"
        "If you were not expecting this, you can ignore this e-mail.\n",
    )


def _tell_owner_of_an_invitation_elsewhere(owner: User, inviting: Organisation) -> None:
    """The address someone invited already has an account in another organisation: tell its owner, and no one else.
    No link: an account belongs to one organisation, so the invitation can never be accepted."""
    send_email(
        owner.email,
        "Someone tried to invite you to AP Portal",
        f"Hello {owner.name},\n\n"
        f"Someone at {inviting.name} tried to invite this e-mail address to AP Portal.\n\n"
        "You already have an AP Portal account with this address, and an account belongs to one organisation, "
        "so nothing has changed: no new account was made and your account is as it was.\n\n"
        f"If you expected this, contact {inviting.name}: they can invite you with a different e-mail address. "
        "If you were not expecting it, you can ignore this e-mail.\n",
    )


def invite(organisation: Organisation, *, name: str, email: str, roles: list[str], by: User) -> Invitation:
    """Invite someone to an organisation. The e-mail is sent before the commit: if it fails, nothing is saved.

    An address with an account in the inviter's own organisation (or the one invited to) is refused with a message.
    One with an account in any other organisation gets exactly the answer a new address gets (the inviter must not
    learn that it has an account elsewhere): the invitation is recorded as sent, but no link is ever sent, so it can
    never be accepted; the address's owner is told someone at the inviter's organisation tried to invite them."""
    email = normalise_email(email)
    existing = find_user_by_email(email)
    inviting = by.organisation or organisation
    if existing is not None and existing.organisation in (organisation, inviting):
        raise AccountError("There is already an account with this email address", field="email")
    roles = _check_roles(organisation, roles)
    invitation = Invitation(
        id=uuid.uuid4(),
        organisation=organisation,
        email=email,
        name=name.strip(),
        roles=" ".join(roles),
        invited_by_id=by.id if by else None,
    )
    db.session.add(invitation)
    audit.record(
        "invitation.sent",
        organisation=organisation,
        obj=invitation,
        actor=by,
        roles=roles,
        organisation_kind=organisation.kind.value,
    )
    if existing is not None:
        audit.record(
            "invitation.for_existing_account",
            organisation=existing.organisation,
            obj=existing,
            actor=None,
            inviting_organisation=inviting.name,
        )
    try:
        db.session.flush()
        if existing is None:
            _send_invitation(invitation)
        else:
            _tell_owner_of_an_invitation_elsewhere(existing, inviting)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return invitation


def _manages_a_provider(user: User) -> bool:
    organisation = user.organisation
    return user.active and organisation is not None and organisation.is_provider and user.has_role(PROVIDER_MANAGER)


def invite_provider(
    school: Organisation, *, provider_name: str, manager_name: str, manager_email: str, by: User
) -> Organisation:
    """The AP lead adds a provider organisation and invites its manager, in one transaction."""
    provider_name = provider_name.strip()
    if not provider_name:
        raise AccountError("Enter the provider's name", field="provider_name")
    existing = find_user_by_email(manager_email)
    if existing is not None and existing.organisation == school:
        # Someone of the AP lead's own school; an account anywhere else gets the answer a new address gets (invite).
        raise AccountError("There is already an account with this email address", field="email")
    known = existing.organisation if existing is not None and _manages_a_provider(existing) else None
    if known is not None:
        # A provider already on AP Portal: the school asks it, its managers accept in their existing account (no
        # second account, nothing uploaded again). The school sees the same page, message and row as for a new
        # address (the name it typed, invited), so it learns nothing about who has an account.
        audit.record("provider.invited", organisation=school, obj=known, actor=by, provider_name=provider_name)
        try:
            requests.ask(school, known, typed_name=provider_name, by=by)
        except RuleBroken as broken:
            db.session.rollback()
            raise AccountError(str(broken), field="email") from broken
        db.session.commit()
        return known
    provider = Organisation(id=uuid.uuid4(), kind=OrganisationKind.PROVIDER, name=provider_name)
    profile = ProviderProfile(organisation=provider)
    link = SchoolProvider(school_id=school.id, provider=provider, status=ProviderStatus.INVITED)
    db.session.add_all([provider, profile, link])
    audit.record("provider.invited", organisation=school, obj=provider, actor=by, provider_name=provider_name)
    try:
        db.session.flush()
    except Exception:
        db.session.rollback()
        raise
    invite(provider, name=manager_name, email=manager_email, roles=[PROVIDER_MANAGER], by=by)
    return provider


def _from_token(purpose: str, model: type[_Linked], token: str) -> _Linked:
    """The row a signed link points at. Raises tokens.TokenError (expired / invalid); callers check "used"."""
    object_id = tokens.read_token(purpose, token)
    try:
        row = db.session.get(model, uuid.UUID(object_id))
    except (ValueError, TypeError) as exc:
        raise tokens.TokenError(tokens.TokenProblem.INVALID) from exc
    if row is None:
        raise tokens.TokenError(tokens.TokenProblem.INVALID)
    return row


def invitation_from_token(token: str) -> Invitation:
    return _from_token(tokens.INVITATION, Invitation, token)


def accept_invitation(invitation: Invitation, *, password: str) -> User:
    if invitation.accepted_at is not None:
        raise AccountError("This invitation has already been used")
    if find_user_by_email(invitation.email) is not None:
        # Made for an address with an account elsewhere (its link was never sent): never a second organisation.
        raise AccountError("This invitation cannot be used")
    org = invitation.organisation
    user = create_user(org, email=invitation.email, name=invitation.name, roles=invitation.role_list, password=password)
    invitation.accepted_at = utcnow()
    invitation.accepted_user_id = user.id
    profile = org.provider_profile
    if profile is not None and PROVIDER_MANAGER in invitation.role_list:
        for link in profile.schools:
            # A school's request waits for the provider's own answer (shared.services.providers.requests).
            if link.status == ProviderStatus.INVITED and not link.is_request:
                link.status, link.status_changed_at = ProviderStatus.ONBOARDING, utcnow()
    audit.record("invitation.accepted", organisation=org, obj=invitation, actor=user, roles=invitation.role_list)
    db.session.commit()
    return user


def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists, is active and has not had its hourly share of links.

    Says nothing either way (no account discovery), and does the same work either way so the time taken tells nothing
    either: one look-up of the address, one count of recent links, one audit event, one commit. The e-mail goes out
    through the outbox (the worker sends it), not while the person waits.
    """
    # The person, their membership and organisation in one query, so a known address makes no extra queries later.
    user = db.session.scalar(
        select(User)
        .options(joinedload(User.membership).options(joinedload(Membership.organisation), lazyload(Membership.roles)))
        .where(User.email == normalise_email(email))
    )
    since = utcnow() - timedelta(hours=1)
    # For an unknown address the count runs for an id no row has, and the link and e-mail are made and thrown away.
    user_id = user.id if user is not None else uuid.uuid4()
    recent = db.session.scalar(
        select(func.count())
        .select_from(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.created_at > since)
    )
    reset_id = uuid.uuid4()
    link = absolute_url_of(Link.to("auth.password_reset", token=tokens.make_token(tokens.RESET, str(reset_id))))
    body = (
        f"Hello {user.name if user else ''},\n\nSomeone asked to reset the password for your AP Portal account.\n\n"
        f"Open this link to choose a new password (it works once and expires in 72 hours):\n{link}\n\n"
        "You will still need your security code to sign in. If you did not ask for this, ignore this e-mail.\n"
    )
    organisation = user.organisation if user is not None else None
    reason = None
    if user is None:
        reason = "unknown_address"
    elif not user.active:
        reason = "inactive"
    elif (recent or 0) >= current_app.config["PASSWORD_RESET_EMAILS_PER_HOUR"]:
        reason = "hourly_limit"
    if user is None or reason is not None:
        # The same audit write (and its lock on the chain head) as a link sent; it also shows someone probing.
        audit.record("password.reset_not_sent", organisation=organisation, obj=user, actor=user, reason=reason)
        db.session.flush()
        _write_and_undo_an_email(body)
        db.session.commit()
        return
    db.session.add(PasswordReset(id=reset_id, user_id=user.id))
    audit.record("password.reset_requested", organisation=organisation, obj=user, actor=user)
    queue_email(user.email, "Reset your AP Portal password", body, organisation=organisation)
    db.session.commit()


class _Undo(Exception):
    pass


def _write_and_undo_an_email(body: str) -> None:
    """The writes of a link sent, made and rolled back (a SAVEPOINT): no link goes out, but the request takes as long
    as one that sends a link."""
    try:
        with savepoint():
            queue_email("nobody@invalid", "Reset your AP Portal password", body)
            db.session.flush()
            raise _Undo
    except _Undo:
        pass


def _void_reset_links(user: User) -> None:
    """Every reset link the person was sent and has not used stops working (their password has just changed)."""
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )


def reset_from_token(token: str) -> PasswordReset:
    return _from_token(tokens.RESET, PasswordReset, token)


def reset_password(reset: PasswordReset, password: str) -> User:
    """Set a new password from a reset link. It ends every session; MFA is still asked for at sign-in.

    The person's row is locked first and the link read again under the lock, so of two links sent at the same
    moment one sets the password and voids the other, which is then refused (on SQLite the write lock taken at the
    transaction's start does the same)."""
    begin_transaction_now()
    user = db.session.scalars(
        select(User).where(User.id == reset.user_id).with_for_update().execution_options(populate_existing=True)
    ).one()
    db.session.refresh(reset)
    if reset.used_at is not None:
        db.session.rollback()
        raise ResetLinkUsed("This link has already been used")
    assert user.organisation is not None, "create_user gives every user a membership"
    check_password_policy(password, organisation_name=user.organisation.name, email=user.email)
    user.password_hash = hash_password(password)
    _void_reset_links(user)
    user.password_changed_at = reset.used_at = utcnow()
    end_user_sessions(user.id, "password_reset")
    audit.record("password.reset", organisation=user.organisation, obj=user, actor=user)
    db.session.commit()
    return user


def change_password(user: User, *, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError("Your current password is not correct", field="current_password")
    assert user.organisation is not None, "create_user gives every user a membership"
    check_password_policy(new, organisation_name=user.organisation.name, email=user.email)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    _void_reset_links(user)
    # Every session ends, this one included (a copied cookie stops working); the view starts a fresh one.
    end_user_sessions(user.id, "password_changed")
    audit.record("password.changed", organisation=user.organisation, obj=user, actor=user)
    db.session.commit()
