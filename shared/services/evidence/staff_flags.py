"""Weak checks on a provider's staff list, flagged instead of taken as done, and the school's AP lead's decisions.

A flag is raised by the data, never by hand: no enhanced DBS check with the children's barred list for someone who
works with pupils, no right-to-work or identity check, one DBS certificate number for two people, and a DBS Update
Service status check that did not come back clear (new information above all). Both sides see the flags. While a
flag is open the provider cannot sign the KCSIE written confirmation and the AP lead cannot approve the provider;
it closes only when the AP lead accepts it with a reason (or, for a status check, records that they risk assessed
it), or when the person leaves the list. "Asked the provider" is recorded and keeps the flag open. Every decision is
an audit event.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from shared import audit
from shared.extensions import db
from shared.links import Link
from shared.models import DbsCheckResult, SchoolProvider, StaffFlagDecision, StaffMember, User, utcnow
from shared.notifications import tell_role
from shared.roles import PROVIDER_MANAGER
from shared.services.errors import RuleBroken

ACCEPTED, ASKED_PROVIDER, REMOVED = "accepted", "asked_provider", "removed"
OUTCOMES = (ACCEPTED, ASKED_PROVIDER, REMOVED)

# A status check's answer in plain words, for both sides. Never "new info" or "blank no new info".
CHECK_RESULT_WORDS = {
    DbsCheckResult.BLANK_NO_NEW_INFO: "Clear: no new information since the certificate was issued",
    DbsCheckResult.NON_BLANK_NO_NEW_INFO: "The certificate has information on it; nothing new since it was issued",
    DbsCheckResult.NEW_INFO: "Warning: the DBS has new information about this person since the certificate was "
    "issued. The certificate can no longer be relied on",
    DbsCheckResult.NO_MATCH_FOUND: "No match found: the certificate could not be checked",
}
_CHECK_FLAGS = {
    DbsCheckResult.NEW_INFO: (
        "dbs_new_info",
        "The DBS Update Service has new information about this person since their certificate was issued",
    ),
    DbsCheckResult.NO_MATCH_FOUND: ("dbs_no_match", "The DBS status check found no match for this certificate"),
    DbsCheckResult.NON_BLANK_NO_NEW_INFO: (
        "dbs_not_blank",
        "The DBS certificate has information on it (convictions, cautions or police information)",
    ),
}


@dataclass(frozen=True)
class StaffFlag:
    member_id: uuid.UUID
    key: str  # names the check, and the status check's date for a status check's flag
    text: str
    urgent: bool = False  # new information from the DBS
    decision: StaffFlagDecision | None = None  # the latest decision on this flag, if any

    @property
    def is_status_check(self) -> bool:
        return self.key.startswith("dbs_") and ":" in self.key

    @property
    def open(self) -> bool:
        return self.decision is None or self.decision.outcome != ACCEPTED


def _raw_flags(member: StaffMember, shared_numbers: dict[str, list[StaffMember]]) -> list[StaffFlag]:
    flags = []
    if member.works_with_pupils and not member.enhanced_with_barred_list:
        flags.append(
            StaffFlag(
                member.id,
                "not_enhanced",
                "Works with pupils without an enhanced DBS check of the children's barred list",
            )
        )
    if not member.right_to_work_checked:
        flags.append(StaffFlag(member.id, "no_right_to_work", "No right-to-work check"))
    if not member.identity_checked:
        flags.append(StaffFlag(member.id, "no_identity", "No identity check"))
    others = [m.name for m in shared_numbers.get(member.dbs_certificate_number, []) if m.id != member.id]
    if others:
        flags.append(
            StaffFlag(
                member.id,
                # How many share it is in the key: a third person with the same number raises it again.
                f"shared_dbs_number_{len(others) + 1}",
                f"The same DBS certificate number as {', '.join(others)}: a certificate belongs to one person",
            )
        )
    result, checked_on = member.last_status_check_result, member.last_status_check_date
    if result in _CHECK_FLAGS and checked_on is not None:
        code, text = _CHECK_FLAGS[result]
        flags.append(
            StaffFlag(
                member.id,
                f"{code}:{checked_on.isoformat()}",
                f"{text} (status check on {checked_on:%-d %B %Y})",
                urgent=result == DbsCheckResult.NEW_INFO,
            )
        )
    return flags


def flags_of_staff(staff: list[StaffMember], school_id: uuid.UUID) -> dict[uuid.UUID, list[StaffFlag]]:
    """Every flag of these (active) staff, with the school's latest decision on each. Two queries at most, whatever
    the number of providers the staff belong to."""
    by_org: dict[uuid.UUID, dict[str, list[StaffMember]]] = defaultdict(lambda: defaultdict(list))
    for member in staff:
        by_org[member.organisation_id][member.dbs_certificate_number].append(member)
    latest: dict[tuple[uuid.UUID, str], StaffFlagDecision] = {}
    for decision in db.session.scalars(
        select(StaffFlagDecision)
        .where(
            StaffFlagDecision.school_id == school_id,
            StaffFlagDecision.staff_member_id.in_([m.id for m in staff]),
        )
        .order_by(StaffFlagDecision.decided_at)
    ):
        latest[(decision.staff_member_id, decision.flag)] = decision
    result: dict[uuid.UUID, list[StaffFlag]] = {}
    for member in staff:
        result[member.id] = [
            StaffFlag(flag.member_id, flag.key, flag.text, flag.urgent, latest.get((member.id, flag.key)))
            for flag in _raw_flags(member, by_org[member.organisation_id])
        ]
    return result


def active_staff_of(organisation_ids: list[uuid.UUID]) -> list[StaffMember]:
    if not organisation_ids:
        return []
    return list(
        db.session.scalars(
            select(StaffMember)
            .where(StaffMember.organisation_id.in_(organisation_ids), StaffMember.removed_at.is_(None))
            .order_by(StaffMember.name)
        )
    )


def flags_of(link: SchoolProvider) -> dict[uuid.UUID, list[StaffFlag]]:
    return flags_of_staff(active_staff_of([link.provider_id]), link.school_id)


def open_flags(link: SchoolProvider) -> list[StaffFlag]:
    return [flag for flags in flags_of(link).values() for flag in flags if flag.open]


def open_flags_summary(link: SchoolProvider) -> str:
    """The open flags in a sentence, for the checklist and the refusal to sign."""
    flags = open_flags(link)
    count = len(flags)
    if not count:
        return "No open flags"
    people = len({flag.member_id for flag in flags})
    return (
        f"{count} open {'flag' if count == 1 else 'flags'} on {people} {'person' if people == 1 else 'people'}: "
        "the school's AP lead must decide on each"
    )


def find_flag(link: SchoolProvider, member: StaffMember, key: str) -> StaffFlag | None:
    return next((flag for flag in flags_of(link).get(member.id, []) if flag.key == key), None)


def decide_flag(
    link: SchoolProvider, member: StaffMember, key: str, *, outcome: str, reason: str, by: User
) -> StaffFlagDecision:
    """The AP lead's decision on one flag, with a reason, audited. REMOVED takes the person off the staff list for
    the school's pupils (the written confirmation lapses) and tells the provider's manager."""
    from shared.services.evidence.staff_list import lapse_confirmation

    flag = find_flag(link, member, key)
    if flag is None or member.organisation_id != link.provider_id or member.removed_at is not None:
        raise RuleBroken("This flag is no longer open: the staff list has changed", "outcome")
    if outcome not in OUTCOMES:
        raise RuleBroken("Choose what you decided", "outcome")
    if not reason.strip():
        raise RuleBroken("Give your reason: it is kept in the record", "reason")
    decision = StaffFlagDecision(
        staff_member_id=member.id,
        school_id=link.school_id,
        flag=key,
        outcome=outcome,
        reason=reason.strip(),
        decided_by_id=by.id,
    )
    db.session.add(decision)
    db.session.flush()
    audit.record(
        "staff.flag_decided",
        organisation=link.school,
        obj=member,
        actor=by,
        provider=str(link.provider_id),
        flag=key,
        outcome=outcome,
    )
    if outcome == REMOVED:
        member.removed_at = utcnow()
        audit.record("staff.removed_by_school", organisation=link.provider, obj=member, actor=by, flag=key)
        lapse_confirmation(link.profile, "the school removed a person from the staff list", by=by, tell_school=False)
        tell_role(
            link.provider,
            PROVIDER_MANAGER,
            text=f"{link.school.name} has removed a person from your staff list: they may not work with its pupils. "
            "Sign the written confirmation again.",
            link=Link.to("portal.staff_list_page"),
            subject="AP Portal: the school has changed your staff list",
        )
    db.session.commit()
    return decision


@dataclass(frozen=True)
class OpenFlags:
    count: int
    new_information: int
    provider_ids: frozenset[uuid.UUID]


def open_flags_of_school(school_id: uuid.UUID, provider_ids: list[uuid.UUID]) -> OpenFlags:
    """For the AP lead's list: open flags at the school's providers, how many are DBS new information, and the
    providers they are at. Two queries."""
    members = active_staff_of(provider_ids)
    flags = flags_of_staff(members, school_id)
    open_ = [flag for member_flags in flags.values() for flag in member_flags if flag.open]
    staff = {m.id: m.organisation_id for m in members}
    return OpenFlags(len(open_), sum(flag.urgent for flag in open_), frozenset(staff[flag.member_id] for flag in open_))


def masked_dbs_number(number: str) -> str:
    """Only the last four digits: enough to match the certificate the provider holds."""
    return f"ending {number[-4:]}"
