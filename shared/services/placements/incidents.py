"""Behaviour incidents reported by a provider about pupils placed with it, and the school's response.

- A provider reports only about its own placed pupils (an active placement at it); anything else is refused.
- A suspension at the provider is recorded only with the school's agreement noted (who agreed, and when).
- Every incident appears on the school's list until someone acknowledges it; the AP lead records the course of
  action decided with SLT or the headteacher, and the provider sees both.
- A serious incident tells the school's AP lead(s) at once. The notice says only that an incident is waiting and
  from which provider: never what happened or who was involved (no sensitive content in e-mails).

Safeguarding concerns are not incidents: they go through the secure concern route, never this one.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from shared import audit, roles
from shared.clock import local_now, school_zone
from shared.extensions import db
from shared.links import Link
from shared.models import (
    Incident,
    IncidentPupil,
    Organisation,
    Placement,
    PlacementStatus,
    ProviderSite,
    Pupil,
    User,
    utcnow,
)
from shared.notifications import tell_role
from shared.services.errors import RuleBroken
from shared.services.placements import risk
from shared.text import checked, clean

INCIDENT_TYPES: dict[str, str] = {
    "physical_assault_pupil": "Physical assault on a pupil",
    "physical_assault_adult": "Physical assault on an adult",
    "verbal_abuse": "Verbal abuse",
    "threatening_behaviour": "Threatening behaviour",
    "damage_to_property": "Damage to property",
    "disruption": "Disruption",
    "absconding": "Absconding (left without permission)",
    "substance_misuse": "Substance misuse",
    "bullying": "Bullying",
    "discriminatory_behaviour": "Discriminatory behaviour",
    "other": "Other",
}

SEVERITIES: dict[str, str] = {"low": "Low", "medium": "Medium", "high": "High", "serious": "Serious"}

MAX_TEXT = 5000


def is_serious(incident: Incident) -> bool:
    """Whether the AP lead is told at once. Graded "serious" by the provider, or any incident with a physical
    intervention or an injury whatever its grade: force used on a child, or anyone hurt, is something the
    commissioning school must know about the same day to decide its response (and answer parents), not when
    someone next opens the list."""
    return incident.severity == "serious" or incident.physical_intervention or incident.injury


@dataclass
class IncidentReport:
    """What the provider says happened. Times are school-local; yes/no answers are booleans (None: not answered)."""

    occurred_on: date | None
    occurred_time: str | None
    site_id: str | None  # a site id, or "elsewhere"
    location: str | None
    placement_ids: list[str] = field(default_factory=list)
    incident_type: str | None = None
    severity: str | None = None
    description: str | None = None
    actions_taken: str | None = None
    physical_intervention: bool | None = None
    physical_intervention_details: str | None = None
    injury: bool | None = None
    injury_details: str | None = None
    parents_informed: bool | None = None
    suspension: bool | None = None
    school_agreement: str | None = None


# --- what a provider may report about --------------------------------------------------------------------------


def reportable_placements(provider_id: uuid.UUID) -> list[Placement]:
    """The provider's pupils, by placement: only running placements at this provider."""
    return list(
        db.session.scalars(
            select(Placement)
            .join(Pupil, Pupil.id == Placement.pupil_id)
            .where(Placement.provider_id == provider_id, Placement.status == PlacementStatus.ACTIVE)
            .order_by(Pupil.last_name, Pupil.first_name)
        )
    )


def provider_sites(provider_id: uuid.UUID) -> list[ProviderSite]:
    return list(
        db.session.scalars(
            select(ProviderSite).where(ProviderSite.organisation_id == provider_id).order_by(ProviderSite.name)
        )
    )


_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\s*$", re.IGNORECASE)


def parse_time(text: str | None) -> time:
    """A time of day as people write it: 14:30, 14.30, 2:30pm, 2pm."""
    match = _TIME.match(text or "")
    if not match:
        raise RuleBroken("Enter the time of the incident, like 14:30 or 2:30pm", "occurred_time")
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            raise RuleBroken("Enter a real time, like 14:30 or 2:30pm", "occurred_time")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59 or (not half and match.group(2) is None):
        raise RuleBroken("Enter the time of the incident, like 14:30 or 2:30pm", "occurred_time")
    return time(hour, minute)


def _required(value: str | None, message: str, field_name: str) -> str:
    return checked(value, field_name, required=message, limit=MAX_TEXT)


def _yes_no(value: bool | None, message: str, field_name: str) -> bool:
    if value is None:
        raise RuleBroken(message, field_name)
    return value


# --- reporting ---------------------------------------------------------------------------------------------------


def report(provider: Organisation, details: IncidentReport, *, by: User, now: datetime | None = None) -> Incident:
    """Record an incident for the provider (commits). Raises RuleBroken with the field it is about."""
    now = now or utcnow()
    if details.occurred_on is None:
        raise RuleBroken("Enter the date of the incident", "occurred_on")
    local_time = parse_time(details.occurred_time)
    occurred_at = datetime.combine(details.occurred_on, local_time, tzinfo=school_zone()).astimezone(UTC)
    if occurred_at > now:
        raise RuleBroken("The date and time of the incident must be in the past", "occurred_on")

    # Where: one of the provider's own sites, or somewhere else in the provider's words.
    where = clean(details.location)
    site = None
    if details.site_id and details.site_id != "elsewhere":
        site = next((s for s in provider_sites(provider.id) if str(s.id) == details.site_id), None)
        if site is None:
            raise RuleBroken("Choose one of your sites, or somewhere else", "site_id")
    elif details.site_id != "elsewhere":
        raise RuleBroken("Choose where the incident happened", "site_id")
    elif where is None:
        raise RuleBroken("Say where the incident happened", "location")
    location = f"{site.name}: {where}" if site and where else (site.name if site else where)
    assert location is not None, "without a site, `where` was asked for above"
    if len(location) > 200:
        raise RuleBroken("Keep where it happened to 200 characters or fewer", "location")

    # Who: only pupils placed with this provider now. A made-up or another provider's placement is refused.
    allowed = {str(p.id): p for p in reportable_placements(provider.id)}
    chosen = list(dict.fromkeys(details.placement_ids or []))
    if not chosen:
        raise RuleBroken("Select the pupil or pupils involved", "placement_ids")
    if any(pid not in allowed for pid in chosen):
        raise RuleBroken("Select only pupils placed with you", "placement_ids")
    placements = [allowed[pid] for pid in chosen]
    schools = {p.school_id for p in placements}
    if len(schools) != 1:
        raise RuleBroken("Report pupils from different schools as separate incidents", "placement_ids")

    if details.incident_type not in INCIDENT_TYPES:
        raise RuleBroken("Choose the type of incident", "incident_type")
    if details.severity not in SEVERITIES:
        raise RuleBroken("Choose how serious the incident was", "severity")
    description = _required(details.description, "Say what happened", "description")
    actions = _required(details.actions_taken, "Say what actions were taken", "actions_taken")
    intervention = _yes_no(
        details.physical_intervention, "Say whether there was a physical intervention", "physical_intervention"
    )
    intervention_details = (
        _required(
            details.physical_intervention_details,
            "Describe the physical intervention: who, what hold, and for how long",
            "physical_intervention_details",
        )
        if intervention
        else None
    )
    injury = _yes_no(details.injury, "Say whether anyone was injured", "injury")
    injury_details = (
        _required(details.injury_details, "Describe the injury and any first aid given", "injury_details")
        if injury
        else None
    )
    parents = _yes_no(details.parents_informed, "Say whether parents or carers have been told", "parents_informed")
    suspension = _yes_no(details.suspension, "Say whether the pupil has been suspended", "suspension")
    agreement = None
    if suspension:
        agreement = _required(
            details.school_agreement,
            "A suspension at the provider is recorded only with the school's agreement noted. "
            "Say who at the school agreed the suspension, and when",
            "school_agreement",
        )

    incident = Incident(
        school_id=schools.pop(),
        provider_id=provider.id,
        site_id=site.id if site else None,
        occurred_at=occurred_at,
        location=location,
        incident_type=details.incident_type,
        severity=details.severity,
        description=description,
        actions_taken=actions,
        physical_intervention=intervention,
        physical_intervention_details=intervention_details,
        injury=injury,
        injury_details=injury_details,
        parents_informed=parents,
        suspension=suspension,
        school_agreement=agreement,
        reported_by_id=by.id,
        reported_at=now,
    )
    db.session.add(incident)
    db.session.flush()
    for placement in placements:
        db.session.add(IncidentPupil(incident_id=incident.id, placement_id=placement.id))
    audit.record(
        "incident.reported",
        organisation=provider,
        obj=incident,
        actor=by,
        severity=incident.severity,
        pupils=len(placements),
    )
    if incident.severity in risk.REOPENING_SEVERITIES or is_serious(incident):
        risk.reopen([p.id for p in placements], because="incident", now=now)
    if is_serious(incident):
        school = _school(incident)
        # Only that something is waiting, and from whom: no description, no names, nothing from the report.
        tell_role(
            school,
            roles.AP_LEAD,
            text=f"A serious incident has been reported by {provider.name}.",
            link=Link.to("school_admin.incident_detail", incident_id=incident.id),
            subject=f"Serious incident reported by {provider.name}",
            urgent=True,
        )
    db.session.commit()
    return incident


# --- the school's response ---------------------------------------------------------------------------------------


def _school(incident: Incident) -> Organisation:
    school = db.session.get(Organisation, incident.school_id)
    assert school is not None, "a foreign key"
    return school


def acknowledge(incident: Incident, *, by: User, now: datetime | None = None) -> None:
    if incident.acknowledged_at is not None:
        raise RuleBroken("This incident has already been acknowledged", "submit")
    incident.acknowledged_at = now or utcnow()
    incident.acknowledged_by_id = by.id
    audit.record("incident.acknowledged", organisation=_school(incident), obj=incident, actor=by)
    db.session.commit()


def record_course_of_action(incident: Incident, text: str | None, *, by: User, now: datetime | None = None) -> None:
    """The AP lead's record of what the school decided with SLT or the headteacher. Recording it acknowledges the
    incident too, if no one had yet."""
    if incident.course_of_action is not None:
        raise RuleBroken("The course of action for this incident is already recorded", "course_of_action")
    text = _required(text, "Write the course of action decided with SLT or the headteacher", "course_of_action")
    now = now or utcnow()
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
        incident.acknowledged_by_id = by.id
        audit.record("incident.acknowledged", organisation=_school(incident), obj=incident, actor=by)
    incident.course_of_action = text
    incident.course_decided_at = now
    incident.course_decided_by_id = by.id
    audit.record("incident.course_recorded", organisation=_school(incident), obj=incident, actor=by)
    db.session.commit()


# --- reading -----------------------------------------------------------------------------------------------------


def incidents_for_provider(provider_id: uuid.UUID) -> list[Incident]:
    return list(
        db.session.scalars(
            select(Incident).where(Incident.provider_id == provider_id).order_by(Incident.occurred_at.desc())
        )
    )


def incidents_for_school(school_id: uuid.UUID) -> list[Incident]:
    """Not yet acknowledged first, then newest first."""
    return list(
        db.session.scalars(
            select(Incident)
            .where(Incident.school_id == school_id)
            .order_by(Incident.acknowledged_at.is_not(None), Incident.occurred_at.desc())
        )
    )


def pupils_of(incidents: Iterable[Incident]) -> dict[uuid.UUID, list[Pupil]]:
    """The pupils of each incident (by its placements), in one query."""
    ids = [i.id for i in incidents]
    out: dict[uuid.UUID, list[Pupil]] = defaultdict(list)
    if not ids:
        return out
    rows = db.session.execute(
        select(IncidentPupil.incident_id, Pupil)
        .join(Placement, Placement.id == IncidentPupil.placement_id)
        .join(Pupil, Pupil.id == Placement.pupil_id)
        .where(IncidentPupil.incident_id.in_(ids))
        .order_by(Pupil.last_name, Pupil.first_name)
    )
    for incident_id, pupil in rows:
        out[incident_id].append(pupil)
    return out


def names_of(user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).tuples().all())


def local(moment: datetime | None) -> datetime | None:
    """A stored UTC time on the school's clock, for showing."""
    return local_now(moment) if moment is not None else None


def count_for_placement(placement_id: uuid.UUID, start: datetime, end: datetime) -> int:
    """Incidents about a placement's pupil that happened from start (inclusive) to end (exclusive)."""
    return len(
        db.session.scalars(
            select(Incident.id)
            .join(IncidentPupil, IncidentPupil.incident_id == Incident.id)
            .where(
                IncidentPupil.placement_id == placement_id,
                Incident.occurred_at >= start,
                Incident.occurred_at < end,
            )
        ).all()
    )
