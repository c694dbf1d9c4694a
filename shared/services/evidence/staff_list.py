"""The provider's staff list (a single-central-record view) and the KCSIE written confirmation.

KCSIE: the school obtains written confirmation that the provider has made the checks on its staff that the school
would make, and that the provider will tell the school of changes that could put a child at risk. Any change to the
staff list makes the confirmation lapse until it is signed again, and the AP leads of the schools it was given to
are told. A confirmation is given to each school (or to all at once: one row per school).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import date

from flask import current_app
from sqlalchemy import select

from shared import audit
from shared.clock import today as school_today
from shared.dbs import StatusCheckRequest, dbs_client_from_config
from shared.extensions import db
from shared.links import Link
from shared.models import (
    DbsCheckResult,
    KcsieConfirmation,
    ProviderProfile,
    ProviderStatus,
    SchoolProvider,
    StaffMember,
    User,
    utcnow,
)
from shared.notifications import tell_role
from shared.roles import AP_LEAD
from shared.services.errors import Problems, RuleBroken
from shared.services.evidence import staff_flags

DBS_NUMBER_RE = re.compile(r"^\d{12}$")
RESULT_TEXT = {
    DbsCheckResult.BLANK_NO_NEW_INFO: "clear, no new information",
    DbsCheckResult.NON_BLANK_NO_NEW_INFO: "the certificate has information on it, no new information; the school "
    "has been told",
    DbsCheckResult.NEW_INFO: "the DBS has new information about this person since their certificate was issued, so "
    "the certificate can no longer be relied on. Do not let them work with the school's pupils until the school's "
    "AP lead has decided; the school has been told. Apply for a new certificate",
    DbsCheckResult.NO_MATCH_FOUND: "no match found; check the details you entered. The school has been told",
}
PROHIBITION_CHOICES = {"done": "Done", "not_relevant": "Not relevant to the role"}

# The statement the provider manager signs. Changing the words means a new version: keep the old ones here so
# a stored confirmation can always be read against the text it was signed under.
CONFIRMATION_VERSION = "2026-1"
CONFIRMATION_STATEMENT = (
    "I confirm that every member of staff on this list who works with pupils placed by the school has had the "
    "checks the school would make on its own staff: an enhanced DBS certificate with a check of the children's "
    "barred list, a check of their identity and of their right to work in the UK, and, where relevant, a "
    "prohibition from teaching check. I confirm that we will tell the school straight away of any change, "
    "including new staff, that could put a child at risk."
)


@dataclass
class StaffDetails:
    name: str
    role: str
    dbs_certificate_number: str
    dbs_issue_date: date | None
    enhanced_with_barred_list: bool
    update_service_subscribed: bool
    identity_checked: bool
    right_to_work_checked: bool
    prohibition_check: str
    works_with_pupils: bool = True
    start_date: date | None = None


def active_staff(organisation_id: uuid.UUID) -> list[StaffMember]:
    return list(
        db.session.scalars(
            select(StaffMember)
            .where(StaffMember.organisation_id == organisation_id, StaffMember.removed_at.is_(None))
            .order_by(StaffMember.name)
        )
    )


def current_confirmation(organisation_id: uuid.UUID, school_id: uuid.UUID) -> KcsieConfirmation | None:
    """The provider's current confirmation given to this school."""
    return db.session.scalar(
        select(KcsieConfirmation)
        .where(
            KcsieConfirmation.organisation_id == organisation_id,
            KcsieConfirmation.school_id == school_id,
            KcsieConfirmation.lapsed_at.is_(None),
        )
        .order_by(KcsieConfirmation.signed_at.desc())
        .limit(1)
    )


def current_confirmations(organisation_id: uuid.UUID) -> dict[uuid.UUID, KcsieConfirmation]:
    """The provider's current confirmation for each school it has given one to."""
    rows = db.session.scalars(
        select(KcsieConfirmation)
        .where(KcsieConfirmation.organisation_id == organisation_id, KcsieConfirmation.lapsed_at.is_(None))
        .order_by(KcsieConfirmation.signed_at)
    )
    return {row.school_id: row for row in rows}


def _tell_ap_leads(profile: ProviderProfile, text: str) -> None:
    """Every school the provider works with: the staff list is shared, so each school's AP leads are told."""
    for link in profile.schools:
        tell_role(
            link.school,
            AP_LEAD,
            text=text,
            link=Link.to("school_admin.provider_staff", provider_id=profile.organisation_id),
            subject=f"AP Portal: {profile.organisation.name} needs your attention",
        )


def lapse_confirmation(profile: ProviderProfile, reason: str, *, by: User, tell_school: bool = True) -> None:
    """The staff list changed: every school's confirmation lapses, and each school's AP leads are told."""
    lapsed = list(current_confirmations(profile.organisation_id).values())
    for confirmation in lapsed:
        confirmation.lapsed_at = utcnow()
        confirmation.lapse_reason = reason
        audit.record("kcsie.lapsed", organisation=profile.organisation, obj=confirmation, actor=by, reason=reason)
    if not tell_school:
        return
    schools = {link.school_id: link.school for link in profile.schools}
    for confirmation in lapsed:
        school = schools.get(confirmation.school_id)
        if school is None:
            continue
        # The message says what changed in general terms only; the audit event keeps the detail.
        tell_role(
            school,
            AP_LEAD,
            text=f"{profile.organisation.name}'s written confirmation of staff checks has lapsed because its staff "
            "list changed. It needs to be signed again before new placements.",
            link=Link.to("school_admin.provider_staff", provider_id=profile.organisation_id),
            subject=f"AP Portal: {profile.organisation.name} needs your attention",
        )


def _validated(details: StaffDetails, today: date) -> StaffDetails:
    """The details tidied, or every rule they break at once (RulesBroken when several)."""
    found = Problems()
    number = re.sub(r"\s+", "", details.dbs_certificate_number or "")
    if not DBS_NUMBER_RE.match(number):
        found.add("A DBS certificate number is 12 digits, like 001234567890", "dbs_certificate_number")
    if details.dbs_issue_date is None:
        found.add("Enter the date the DBS certificate was issued", "dbs_issue_date")
    elif details.dbs_issue_date > today:
        found.add("The DBS certificate's issue date must be today or in the past", "dbs_issue_date")
    if details.prohibition_check not in PROHIBITION_CHOICES:
        found.add("Say whether a prohibition check was done", "prohibition_check")
    if details.start_date is not None and details.start_date > today:
        found.add("Their start date must be today or in the past", "start_date")
    found.raise_any()
    details.dbs_certificate_number = number
    details.name, details.role = details.name.strip(), details.role.strip()
    return details


def check_staff_member(details: StaffDetails, today: date | None = None) -> None:
    """Every rule about a new member of staff at once, without saving (for a form with problems of its own)."""
    _validated(replace(details), today or school_today())


def add_staff_member(
    profile: ProviderProfile, details: StaffDetails, *, by: User, today: date | None = None
) -> StaffMember:
    details = _validated(details, today or school_today())
    member = StaffMember(organisation_id=profile.organisation_id, **vars(details))
    db.session.add(member)
    db.session.flush()
    audit.record("staff.added", organisation=profile.organisation, obj=member, actor=by)
    lapse_confirmation(profile, f"{member.name} was added to the staff list", by=by)
    db.session.commit()
    return member


def remove_staff_member(profile: ProviderProfile, member: StaffMember, *, by: User) -> None:
    member.removed_at = utcnow()
    audit.record("staff.removed", organisation=profile.organisation, obj=member, actor=by)
    lapse_confirmation(profile, f"{member.name} was removed from the staff list", by=by)
    db.session.commit()


def run_status_check(
    profile: ProviderProfile, member: StaffMember, *, surname: str, date_of_birth: date | None, by: User
) -> DbsCheckResult:
    """A DBS Update Service status check. The surname and date of birth are used for the check, never stored.
    Any answer but BLANK_NO_NEW_INFO alerts the school's AP lead."""
    if not member.update_service_subscribed:
        raise RuleBroken(
            "This person's certificate is not on the Update Service, so it cannot be status checked", "surname"
        )
    if not surname.strip():
        raise RuleBroken("Enter the certificate holder's current surname", "surname")
    if date_of_birth is None:
        raise RuleBroken("Enter the certificate holder's date of birth", "date_of_birth")
    client = dbs_client_from_config(current_app.config)
    result = client.status_check(
        StatusCheckRequest(
            certificate_number=member.dbs_certificate_number,
            surname=surname.strip(),
            date_of_birth=date_of_birth,
            organisation_name=profile.organisation.name,
            checker_name=by.name,
        )
    )
    member.last_status_check_date = school_today()
    member.last_status_check_result = result
    audit.record("staff.status_checked", organisation=profile.organisation, obj=member, actor=by, result=result.value)
    if result == DbsCheckResult.NEW_INFO:
        _tell_ap_leads(
            profile,
            f"Warning: a DBS status check for a member of {profile.organisation.name}'s staff found new "
            "information. Open their staff list on AP Portal and record what you did.",
        )
    elif result != DbsCheckResult.BLANK_NO_NEW_INFO:
        _tell_ap_leads(
            profile,
            f"A DBS status check for a member of {profile.organisation.name}'s staff did not "
            "come back clear. Review their staff list before placing pupils there.",
        )
    db.session.commit()
    return result


def schools_to_confirm_to(profile: ProviderProfile) -> list[SchoolProvider]:
    """The schools a confirmation is given to: every school the provider works with (not one that suspended it)."""
    return [link for link in profile.schools if link.status != ProviderStatus.SUSPENDED] or list(profile.schools)


def sign_confirmation(
    profile: ProviderProfile,
    *,
    typed_name: str,
    signer_role: str,
    agreed: bool,
    by: User,
    schools: list[SchoolProvider] | None = None,
) -> list[KcsieConfirmation]:
    """The provider's manager signs the confirmation, given to each of `schools` (every school it works with when
    None): one row per school, so each school's record says it was given to that school."""
    links = schools_to_confirm_to(profile) if schools is None else schools
    if not links:
        raise RuleBroken("You do not work with a school yet: there is no one to give the confirmation to", "typed_name")
    if not active_staff(profile.organisation_id):
        raise RuleBroken("Add the staff who work with placed pupils before you sign", "typed_name")
    if not agreed:
        raise RuleBroken("Confirm that the statement is true", "agreed")
    if not typed_name.strip():
        raise RuleBroken("Type your full name to sign", "typed_name")
    for link in links:
        if staff_flags.open_flags(link):
            raise RuleBroken(
                f"You cannot sign yet: {staff_flags.open_flags_summary(link)} at {link.school.name}. "
                "They are shown on your staff list",
                "typed_name",
            )
    if not signer_role.strip():
        raise RuleBroken("Enter your role", "signer_role")
    made = []
    for link in links:
        confirmation = KcsieConfirmation(
            organisation_id=profile.organisation_id,
            school_id=link.school_id,
            signed_by_id=by.id,
            typed_name=typed_name.strip(),
            signer_role=signer_role.strip(),
            statement_version=CONFIRMATION_VERSION,
            statement_text=CONFIRMATION_STATEMENT,
        )
        db.session.add(confirmation)
        db.session.flush()
        audit.record(
            "kcsie.signed",
            organisation=profile.organisation,
            obj=confirmation,
            actor=by,
            version=CONFIRMATION_VERSION,
            school=str(link.school_id),
        )
        made.append(confirmation)
    db.session.commit()
    return made
