"""Provider onboarding: the organisation's details, teaching sites and contacts, and the task list they make.

The provider manager fills these in on the portal; the AP lead sees the same data on the provider's page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from shared import audit
from shared.clock import today as school_today
from shared.display import plural
from shared.evidence_catalogue import REGISTERED_TYPES, ProviderType, required_evidence
from shared.extensions import db
from shared.models import Invitation, PlacementSite, ProviderProfile, ProviderSite, SchoolProvider, User
from shared.notifications import people_with_role
from shared.roles import PROVIDER_DSL
from shared.services.errors import Problems, RuleBroken
from shared.services.evidence.staff_flags import open_flags, open_flags_summary
from shared.services.evidence.staff_list import active_staff, current_confirmation
from shared.services.evidence.status import GOOD_STANDINGS, Standing, current_documents, standing_of
from shared.services.safeguarding.policies import confirmation_checklist_state, current_policy

URN_RE = re.compile(r"^\d{6}$")  # GIAS unique reference number
UKPRN_RE = re.compile(r"^1\d{7}$")  # UK Register of Learning Providers: 8 digits starting with 1
COMPANY_RE = re.compile(r"^(\d{8}|[A-Z]{2}\d{6})$")  # Companies House: 8 digits, or 2 letters and 6 digits
CHARITY_RE = re.compile(r"^\d{6,8}$")  # Charity Commission register numbers
# UK postcode, including the outward-only forms people rarely type; spaces normalised before matching.
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})$")
PHONE_RE = re.compile(r"^\+?[\d ()-]{10,20}$")


class OnboardingError(RuleBroken):
    """A rule about the provider's details was broken; always names its field."""


def normalise_postcode(raw: str) -> str:
    cleaned = re.sub(r"\s+", "", (raw or "").upper())
    match = POSTCODE_RE.match(cleaned)
    if not match:
        raise OnboardingError("Enter a real postcode, like SW1A 1AA", "postcode")
    return f"{match.group(1)} {match.group(2)}"


def _digits(raw: str | None) -> str:
    return re.sub(r"\s+", "", raw or "").upper()


@dataclass
class OrganisationDetails:
    provider_type: str
    urn: str | None
    ukprn: str | None
    setting_type: str | None
    company_number: str | None
    charity_number: str | None
    address_line_1: str
    address_line_2: str | None
    town: str
    postcode: str


def check_organisation_details(
    details: OrganisationDetails,
) -> tuple[ProviderType, str, str, str | None, str, str, str]:
    """Every rule about the organisation's details at once (RulesBroken lists them all): the type, URN, UKPRN,
    setting, company and charity numbers and postcode as they will be stored."""
    found = Problems()
    kind: ProviderType | None = None
    try:
        kind = ProviderType(details.provider_type)
    except ValueError:
        found.add("Select the type of provider", "provider_type")
    urn, ukprn = _digits(details.urn), _digits(details.ukprn)
    setting_type = None
    if kind in REGISTERED_TYPES:
        if not urn and not ukprn:
            found.add("Enter your URN or your UKPRN", "urn")
        if urn and not URN_RE.match(urn):
            found.add("A URN is 6 digits, like 123456", "urn")
        if ukprn and not UKPRN_RE.match(ukprn):
            found.add("A UKPRN is 8 digits starting with 1, like 10012345", "ukprn")
    elif kind is not None:
        setting_type = (details.setting_type or "").strip()
        if not setting_type:
            found.add("Describe your setting, for example 'farm-based vocational provision'", "setting_type")
        urn = ukprn = ""
    company, charity = _digits(details.company_number), _digits(details.charity_number)
    if company and not COMPANY_RE.match(company):
        found.add("A company number is 8 characters, like 01234567 or SC123456", "company_number")
    if charity and not CHARITY_RE.match(charity):
        found.add("A charity number is 6 to 8 digits", "charity_number")
    if not (details.address_line_1 or "").strip():
        found.add("Enter the first line of your address", "address_line_1")
    if not (details.town or "").strip():
        found.add("Enter the town or city", "town")
    postcode = found.attempt(lambda: normalise_postcode(details.postcode))
    found.raise_any()
    assert kind is not None and postcode is not None
    return kind, urn, ukprn, setting_type, company, charity, postcode


def save_organisation_details(profile: ProviderProfile, details: OrganisationDetails, *, by: User) -> None:
    kind, urn, ukprn, setting_type, company, charity, postcode = check_organisation_details(details)

    old_type = profile.provider_type
    profile.provider_type = kind.value
    profile.urn, profile.ukprn, profile.setting_type = urn or None, ukprn or None, setting_type
    profile.company_number, profile.charity_number = company or None, charity or None
    profile.address_line_1 = details.address_line_1.strip()
    profile.address_line_2 = (details.address_line_2 or "").strip() or None
    profile.town, profile.postcode = details.town.strip(), postcode
    audit.record(
        "provider.details_saved",
        organisation=profile.organisation,
        obj=profile.organisation,
        actor=by,
        old_type=old_type,
        new_type=kind.value,
    )
    db.session.commit()


@dataclass
class SiteDetails:
    name: str
    address_line_1: str
    address_line_2: str | None
    town: str
    postcode: str
    activities: str


def check_site(site: SiteDetails) -> str:
    """Every rule about a teaching site at once; the postcode as it will be stored."""
    found = Problems()
    messages = {
        "name": "Enter a name for the site, like 'Main building'",
        "address_line_1": "Enter the first line of the site's address",
        "town": "Enter the town or city",
        "activities": "Say what happens at this site",
    }
    for field, message in messages.items():
        if not (getattr(site, field) or "").strip():
            found.add(message, field)
    postcode = found.attempt(lambda: normalise_postcode(site.postcode))
    found.raise_any()
    assert postcode is not None
    return postcode


def add_site(profile: ProviderProfile, site: SiteDetails, *, by: User) -> ProviderSite:
    postcode = check_site(site)
    row = ProviderSite(
        profile=profile,
        organisation_id=profile.organisation_id,
        name=site.name.strip(),
        address_line_1=site.address_line_1.strip(),
        address_line_2=(site.address_line_2 or "").strip() or None,
        town=site.town.strip(),
        postcode=postcode,
        activities=site.activities.strip(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record("provider.site_added", organisation=profile.organisation, obj=row, actor=by)
    db.session.commit()
    return row


def placements_at(site: ProviderSite) -> int:
    """How many placements' plans (any status: an ended plan is the record) name the site."""
    return db.session.scalar(select(func.count()).where(PlacementSite.site_id == site.id)) or 0


def why_site_stays(site: ProviderSite) -> str | None:
    """Why the site cannot be removed, or None."""
    named = placements_at(site)
    if named:
        return (
            f"The school's placement plans name {site.name} ({plural(named, 'placement')}), so it stays on the "
            "record. If you no longer teach there, tell the school's AP lead so they can change the plans."
        )
    return None


def remove_site(site: ProviderSite, *, by: User) -> None:
    """Remove a site the manager added by mistake or no longer uses; a site a placement's plan names stays."""
    reason = why_site_stays(site)
    if reason:
        raise OnboardingError(reason, "submit")
    profile = site.profile
    audit.record("provider.site_removed", organisation=profile.organisation, obj=site, actor=by)
    db.session.delete(site)
    db.session.commit()


@dataclass
class Contacts:
    manager_name: str
    manager_email: str
    manager_phone: str
    dsl_name: str
    dsl_email: str
    dsl_phone: str
    dsl_training_date: date | None


def check_contacts(contacts: Contacts, today: date | None = None) -> None:
    """Every rule about the contacts at once."""
    today = today or school_today()
    found = Problems()
    for field, message in (
        ("manager_phone", "Enter the manager's phone number, like 01632 960 001"),
        ("dsl_phone", "Enter the DSL's phone number, like 01632 960 001"),
    ):
        if not PHONE_RE.match((getattr(contacts, field) or "").strip()):
            found.add(message, field)
    if contacts.dsl_training_date is None:
        found.add("Enter the date of the DSL's last safeguarding training", "dsl_training_date")
    elif contacts.dsl_training_date > today:
        found.add("The DSL's training date must be today or in the past", "dsl_training_date")
    found.raise_any()


def save_contacts(profile: ProviderProfile, contacts: Contacts, *, by: User, today: date | None = None) -> None:
    check_contacts(contacts, today)
    profile.manager_name, profile.manager_email = contacts.manager_name.strip(), contacts.manager_email.strip().lower()
    profile.manager_phone = contacts.manager_phone.strip()
    profile.dsl_name, profile.dsl_email = contacts.dsl_name.strip(), contacts.dsl_email.strip().lower()
    profile.dsl_phone, profile.dsl_training_date = contacts.dsl_phone.strip(), contacts.dsl_training_date
    audit.record("provider.contacts_saved", organisation=profile.organisation, obj=profile.organisation, actor=by)
    db.session.commit()


# --- the task list -------------------------------------------------------------------------------------------------

COMPLETED, INCOMPLETE, CANNOT_START = "Completed", "Incomplete", "Cannot start yet"


@dataclass(frozen=True)
class Task:
    key: str
    title: str
    status: str
    hint: str = ""


def details_complete(profile: ProviderProfile) -> bool:
    return bool(profile.provider_type and profile.address_line_1 and profile.postcode)


def contacts_complete(profile: ProviderProfile) -> bool:
    return bool(profile.manager_name and profile.dsl_name and profile.dsl_phone and profile.dsl_training_date)


DSL_TRAINING_YEARS = 2


def dsl_training_needs_renewing(profile: ProviderProfile, today: date) -> bool:
    """A DSL's safeguarding training is renewed at least every two years (KCSIE): older training is not done."""
    trained = profile.dsl_training_date
    if trained is None:
        return False
    try:
        renew_by = trained.replace(year=trained.year + DSL_TRAINING_YEARS)
    except ValueError:  # 29 February
        renew_by = trained.replace(year=trained.year + DSL_TRAINING_YEARS, day=28)
    return renew_by < today


NOT_NEEDED_YET = "Not needed yet"
POLICY_TASK = "Your DSL confirms the school's child protection policy"


def dsl_account_missing(profile: ProviderProfile) -> str | None:
    """What to tell the manager when no one at the provider can act as its designated safeguarding lead in AP
    Portal (only the DSL role confirms the school's policy and reads the school's safeguarding notices), or None."""
    if people_with_role(profile.organisation, PROVIDER_DSL):
        return None
    pending = db.session.scalar(
        select(Invitation)
        .where(
            Invitation.organisation_id == profile.organisation_id,
            Invitation.accepted_at.is_(None),
            Invitation.roles.contains(PROVIDER_DSL),
        )
        .order_by(Invitation.created_at.desc())
        .limit(1)
    )
    if pending is not None:
        return (
            f"Your designated safeguarding lead was invited on {pending.created_at:%-d %B %Y} and has not accepted "
            "yet. Until they do, no one can confirm the school's child protection policy or read its safeguarding "
            "notices."
        )
    return (
        "No one at your organisation has the designated safeguarding lead (DSL) role. Invite your DSL: only they "
        "can confirm the school's child protection policy and read its safeguarding notices."
    )


def onboarding_tasks(link: SchoolProvider) -> list[Task]:
    """The GOV.UK task list for the provider as `link`'s school needs it: what is done and what is left, in the
    order to do it. Details, sites, contacts, documents and the staff list are shared by every school; staff flags,
    the written confirmation and the child protection policy are each school's."""
    profile = link.profile
    details = details_complete(profile)
    training_old = dsl_training_needs_renewing(profile, school_today())
    tasks = [
        Task("organisation", "Organisation details", COMPLETED if details else INCOMPLETE),
        Task(
            "sites",
            "Teaching sites",
            COMPLETED if profile.sites else INCOMPLETE,
            "Every place where you would teach the school's pupils",
        ),
        Task(
            "contacts",
            "Contacts",
            COMPLETED if contacts_complete(profile) and not training_old else INCOMPLETE,
            "Your DSL's safeguarding training needs renewing (every two years): enter the new date"
            if training_old
            else "Your manager and designated safeguarding lead",
        ),
    ]
    if details and profile.provider_type:
        required = required_evidence(ProviderType(profile.provider_type))
        current = current_documents(profile.organisation_id)
        standings = [standing_of(current.get(kind.code), school_today()) for kind in required]
        in_hand = sum(standing in GOOD_STANDINGS for standing in standings)
        needs_new = sum(standing in (Standing.REJECTED, Standing.EXPIRED) for standing in standings)
        documents_hint = f"{len(required)} documents for your type of provider: {in_hand} uploaded"
        if needs_new:
            documents_hint += f"; {needs_new} {'needs' if needs_new == 1 else 'need'} a new version"
        documents_status = COMPLETED if in_hand == len(required) else INCOMPLETE
    else:
        documents_hint, documents_status = "Tell us your type of provider first", CANNOT_START
    tasks.append(Task("documents", "Documents", documents_status, documents_hint))
    has_staff = bool(active_staff(profile.organisation_id))
    flagged = bool(has_staff and open_flags(link))
    tasks.append(
        Task(
            "staff",
            "Staff list",
            COMPLETED if has_staff and not flagged else INCOMPLETE,
            f"{open_flags_summary(link)}. See your staff list"
            if flagged
            else "Everyone who would work with the school's pupils, with their DBS checks",
        )
    )
    signed = current_confirmation(profile.organisation_id, link.school_id) is not None
    tasks.append(
        Task(
            "confirmation",
            "Written confirmation of staff checks",
            COMPLETED if signed else (INCOMPLETE if has_staff else CANNOT_START),
            "Signed again whenever the staff list changes",
        )
    )
    no_dsl = dsl_account_missing(profile)
    tasks.append(
        Task(
            "dsl_account",
            "Invite your designated safeguarding lead",
            COMPLETED if no_dsl is None else INCOMPLETE,
            "Only someone with the DSL role can confirm the school's policy and read its safeguarding notices",
        )
    )
    confirmed, detail = confirmation_checklist_state(link)
    if current_policy(link.school_id) is None:
        policy_status = NOT_NEEDED_YET
    elif confirmed:
        policy_status = COMPLETED
    else:
        policy_status = INCOMPLETE if no_dsl is None else CANNOT_START
        detail += ". Your DSL confirms it on the school's policy page" if no_dsl is None else ". Invite your DSL first"
    tasks.append(Task("policy", POLICY_TASK, policy_status, detail))
    return tasks
