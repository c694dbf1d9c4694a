"""The evidence a provider must give the school, kept as data in one place (KCSIE; DfE alternative provision
statutory guidance; the school's AP policy, section 7 "Commissioning Alternative Provision").

Each entry says which provider types need it, whether it carries an expiry or review date, who may verify it,
and the checklist the reviewer works through. Change the rules here, nowhere else. A local authority officer may
verify what a school's AP lead may (schools that rely on their LA take its word); the child protection policy stays
the school DSL's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from shared.roles import AP_LEAD, DSL, LA_OFFICER


class ProviderType(enum.StrEnum):
    REGISTERED_SCHOOL = "registered_school"
    PRU = "pru"
    FE_COLLEGE = "fe_college"
    INDEPENDENT_SCHOOL = "independent_school"
    UNREGISTERED_AP = "unregistered_ap"
    TUTOR = "tutor"


PROVIDER_TYPE_LABELS = {
    ProviderType.REGISTERED_SCHOOL: "Registered school",
    ProviderType.PRU: "Pupil referral unit (PRU)",
    ProviderType.FE_COLLEGE: "Further education (FE) college",
    ProviderType.INDEPENDENT_SCHOOL: "Registered independent school",
    ProviderType.UNREGISTERED_AP: "Unregistered alternative provision",
    ProviderType.TUTOR: "Tutor or tuition agency",
}

# Registered providers are inspected and listed in Get Information about Schools (URN) or by the UK Register of
# Learning Providers (UKPRN); unregistered ones give a setting type instead.
REGISTERED_TYPES = frozenset(
    {ProviderType.REGISTERED_SCHOOL, ProviderType.PRU, ProviderType.FE_COLLEGE, ProviderType.INDEPENDENT_SCHOOL}
)
ALL_TYPES = frozenset(ProviderType)


class DateKind(enum.StrEnum):
    NONE = "none"
    EXPIRY = "expiry"  # insurance: lapses on a date printed on the document
    REVIEW = "review"  # policies: reviewed at least every N months
    VALID_FOR = "valid_for"  # certificates: valid for N months from the issue date


@dataclass(frozen=True)
class EvidenceType:
    code: str
    name: str
    required_for: frozenset[ProviderType]
    date_kind: DateKind
    verifier_roles: frozenset[str]
    checklist: tuple[str, ...]
    months: int | None = None  # for REVIEW (maximum interval) and VALID_FOR (validity)
    hint: str = ""

    def required(self, provider_type: ProviderType | None) -> bool:
        return provider_type is not None and provider_type in self.required_for


CATALOGUE: tuple[EvidenceType, ...] = (
    EvidenceType(
        code="registration",
        name="Registration evidence and latest Ofsted report",
        required_for=REGISTERED_TYPES,
        date_kind=DateKind.NONE,
        verifier_roles=frozenset({AP_LEAD, LA_OFFICER}),
        checklist=(
            "The URN or UKPRN matches the provider's details",
            "The report is the latest one published",
            "The overall judgement and any safeguarding concerns are noted",
        ),
        hint="Your registration certificate and your latest inspection report.",
    ),
    EvidenceType(
        code="safeguarding_policy",
        name="Child protection and safeguarding policy",
        required_for=ALL_TYPES,
        date_kind=DateKind.REVIEW,
        months=12,
        # KCSIE: the school's DSL reviews the provider's own child protection policy.
        verifier_roles=frozenset({DSL}),
        checklist=(
            "Reviewed within the last 12 months",
            "Names the provider's DSL and deputy, with contact details",
            "Follows the current Keeping Children Safe in Education",
            "Says how concerns reach the school's DSL immediately",
            "Covers allegations against staff, online safety and child-on-child abuse",
        ),
        hint="Reviewed within the last 12 months.",
    ),
    EvidenceType(
        code="health_and_safety_policy",
        name="Health and safety policy",
        required_for=ALL_TYPES,
        date_kind=DateKind.REVIEW,
        months=12,
        verifier_roles=frozenset({AP_LEAD, LA_OFFICER}),
        checklist=("Reviewed within the last 12 months", "Covers every teaching site", "Names who is responsible"),
    ),
    EvidenceType(
        code="behaviour_policy",
        name="Behaviour policy",
        required_for=ALL_TYPES,
        date_kind=DateKind.REVIEW,
        months=12,
        verifier_roles=frozenset({AP_LEAD, LA_OFFICER}),
        checklist=("Reviewed within the last 12 months", "Covers use of reasonable force and how it is recorded"),
    ),
    EvidenceType(
        code="public_liability_insurance",
        name="Public liability insurance",
        required_for=ALL_TYPES,
        date_kind=DateKind.EXPIRY,
        verifier_roles=frozenset({AP_LEAD, LA_OFFICER}),
        checklist=("In the provider's name", "Covers the activities offered", "In date"),
        hint="The certificate showing the expiry date.",
    ),
    EvidenceType(
        code="employers_liability_insurance",
        name="Employer's liability insurance",
        required_for=ALL_TYPES - {ProviderType.TUTOR},
        date_kind=DateKind.EXPIRY,
        verifier_roles=frozenset({AP_LEAD, LA_OFFICER}),
        checklist=("In the provider's name", "At least £5 million cover (the legal minimum)", "In date"),
        hint="The certificate showing the expiry date.",
    ),
    EvidenceType(
        code="risk_assessment",
        name="Risk assessment",
        required_for=ALL_TYPES,
        date_kind=DateKind.REVIEW,
        months=12,
        verifier_roles=frozenset({AP_LEAD, LA_OFFICER}),
        checklist=("Covers every teaching site and activity", "Reviewed within the last 12 months"),
    ),
    EvidenceType(
        code="dsl_training_certificate",
        name="DSL training certificate",
        required_for=ALL_TYPES,
        date_kind=DateKind.VALID_FOR,
        # KCSIE: the DSL's training is updated at least every two years.
        months=24,
        verifier_roles=frozenset({DSL, AP_LEAD, LA_OFFICER}),
        checklist=("In the name of the provider's DSL", "Issued within the last 2 years"),
        hint="Valid for 2 years from the date on the certificate.",
    ),
    EvidenceType(
        code="curriculum_offer",
        name="Curriculum offer",
        required_for=ALL_TYPES,
        date_kind=DateKind.NONE,
        verifier_roles=frozenset({AP_LEAD, LA_OFFICER}),
        checklist=("Suitable and broad for the pupils placed", "Says which qualifications can be taken"),
    ),
)

BY_CODE = {entry.code: entry for entry in CATALOGUE}


def required_evidence(provider_type: ProviderType | None) -> list[EvidenceType]:
    return [entry for entry in CATALOGUE if entry.required(provider_type)]


def verifiable_by(roles: frozenset[str] | set[str]) -> frozenset[str]:
    """The codes of the types someone with these roles may verify (the child protection policy only a DSL)."""
    return frozenset(entry.code for entry in CATALOGUE if entry.verifier_roles & roles)


def only_verifiable_by(role: str) -> frozenset[str]:
    """The codes of the types this role alone may verify: for a DSL, the child protection policy. The DSL's task
    list counts these; types either role may verify (the DSL training certificate) stay on the AP lead's."""
    return frozenset(entry.code for entry in CATALOGUE if entry.verifier_roles == {role})
