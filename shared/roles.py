"""Roles on each side. A user may hold several; which side a user is on follows from their organisation."""

from collections.abc import Iterable

from shared.models.organisation import OrganisationKind

HEADTEACHER = "headteacher"
AP_LEAD = "ap_lead"
DSL = "dsl"
ATTENDANCE_LEAD = "attendance_lead"
SENDCO = "sendco"
SLT = "slt"
GOVERNOR = "governor"
SCHOOL_ADMIN = "school_admin"

PROVIDER_MANAGER = "provider_manager"
PROVIDER_DSL = "provider_dsl"
PROVIDER_STAFF = "provider_staff"

SCHOOL_ROLES: dict[str, str] = {
    HEADTEACHER: "Headteacher",
    AP_LEAD: "AP lead",
    DSL: "Designated safeguarding lead (or deputy)",
    ATTENDANCE_LEAD: "Attendance lead",
    SENDCO: "SENDCO",
    SLT: "Senior leadership team",
    GOVERNOR: "Governor",
    SCHOOL_ADMIN: "School administrator (manages staff accounts)",
}

LA_OFFICER = "la_officer"

PROVIDER_ROLES: dict[str, str] = {
    PROVIDER_MANAGER: "Provider manager",
    PROVIDER_DSL: "Provider designated safeguarding lead",
    PROVIDER_STAFF: "Provider staff",
}

LA_ROLES: dict[str, str] = {
    LA_OFFICER: "Local authority officer",
}

ROLE_LABELS = SCHOOL_ROLES | PROVIDER_ROLES | LA_ROLES


def role_names(roles: Iterable[str]) -> str:
    """The roles' names, in order, for a person to read ("DSL, Headteacher")."""
    return ", ".join(ROLE_LABELS.get(r, r) for r in sorted(roles))


def roles_for(kind: OrganisationKind) -> dict[str, str]:
    if kind == OrganisationKind.SCHOOL:
        return SCHOOL_ROLES
    if kind == OrganisationKind.LOCAL_AUTHORITY:
        return LA_ROLES
    return PROVIDER_ROLES


def mfa_required(kind: OrganisationKind, roles: frozenset[str] | set[str]) -> bool:
    """Every school user can reach children's data, and provider DSLs handle safeguarding: both need MFA.
    Other provider users may turn it on."""
    return kind in (OrganisationKind.SCHOOL, OrganisationKind.LOCAL_AUTHORITY) or PROVIDER_DSL in roles
