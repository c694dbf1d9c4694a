"""The data model. The schema itself comes only from the migrations (tests/test_migrations.py checks they agree)."""

from shared.models.audit import AuditEvent
from shared.models.base import utcnow
from shared.models.calendar import InsetDay, SchoolTerm
from shared.models.evidence import (
    DbsCheckResult,
    DocumentStatus,
    EvidenceDocument,
    EvidenceReminder,
    KcsieConfirmation,
    StaffMember,
)
from shared.models.organisation import (
    ApprovalDecision,
    Organisation,
    OrganisationKind,
    ProviderProfile,
    ProviderSite,
    ProviderStatus,
)
from shared.models.outbox import Notification, OutboxEmail
from shared.models.pupil import Placement, PlacementStatus, Pupil
from shared.models.user import (
    Invitation,
    Membership,
    MembershipRole,
    PasswordReset,
    RecoveryCode,
    User,
    UserSession,
)

__all__ = [
    "ApprovalDecision",
    "AuditEvent",
    "DbsCheckResult",
    "DocumentStatus",
    "EvidenceDocument",
    "EvidenceReminder",
    "InsetDay",
    "SchoolTerm",
    "KcsieConfirmation",
    "Notification",
    "OutboxEmail",
    "ProviderSite",
    "StaffMember",
    "Invitation",
    "Membership",
    "MembershipRole",
    "Organisation",
    "OrganisationKind",
    "PasswordReset",
    "Placement",
    "PlacementStatus",
    "ProviderProfile",
    "ProviderStatus",
    "Pupil",
    "RecoveryCode",
    "User",
    "UserSession",
    "utcnow",
]
