"""The data model. The schema itself comes only from the migrations (tests/test_migrations.py checks they agree)."""

from shared.models.agreement import AgreementDocument, ApBudget, ComplianceBreach, ServiceAgreement
from shared.models.attendance import (
    ApiToken,
    AttendanceAlert,
    AttendanceAlertEmail,
    AttendanceAmendment,
    AttendanceMark,
    Incident,
    IncidentPupil,
    PlacementReview,
    SiteVisit,
)
from shared.models.audit import AuditEvent
from shared.models.base import utcnow
from shared.models.calendar import InsetDay, SchoolTerm
from shared.models.changes import OrganisationChange
from shared.models.evidence import (
    DbsCheckResult,
    DocumentStatus,
    EvidenceDocument,
    EvidenceEvent,
    EvidenceFile,
    EvidenceReminder,
    EvidenceVerification,
    KcsieConfirmation,
    StaffFlagDecision,
    StaffMember,
)
from shared.models.organisation import (
    ApprovalDecision,
    Organisation,
    OrganisationKind,
    ProviderProfile,
    ProviderSite,
    ProviderStatus,
    SchoolProvider,
)
from shared.models.outbox import Notification, OutboxEmail
from shared.models.progress import PlacementBaseline, PlacementTarget, ProgressPhoto, ProgressReport
from shared.models.pupil import (
    ChildProtectionStatus,
    HeadteacherDecision,
    Placement,
    PlacementDocument,
    PlacementSite,
    PlacementStatus,
    Pupil,
    SendStatus,
)
from shared.models.reintegration import ReintegrationPlan
from shared.models.risk import RiskAssessment
from shared.models.safeguarding import (
    AuditChainHead,
    Concern,
    ConcernEntry,
    Notice,
    PolicyConfirmation,
    PolicyReading,
    ProviderPolicyReview,
    SafeguardingFile,
    SchoolPolicy,
)
from shared.models.standards import StandardsSelfAssessment
from shared.models.user import (
    Invitation,
    Membership,
    MembershipRole,
    PasswordReset,
    RecoveryCode,
    User,
    UserSession,
)

# The rows whose stored objects are encrypted (shared.crypto.encrypt_bytes, purpose file_purpose(id, class name)):
# every file about a pupil. Downloads decrypt them; keys-rotate re-encrypts them.
ENCRYPTED_FILE_ROWS: tuple[type[SafeguardingFile] | type[PlacementDocument] | type[ProgressPhoto], ...] = (
    SafeguardingFile,
    PlacementDocument,
    ProgressPhoto,
)

__all__ = [
    "OrganisationChange",
    "ENCRYPTED_FILE_ROWS",
    "ServiceAgreement",
    "AgreementDocument",
    "ApBudget",
    "ComplianceBreach",
    "AuditChainHead",
    "Concern",
    "ConcernEntry",
    "Notice",
    "PolicyConfirmation",
    "PolicyReading",
    "ProviderPolicyReview",
    "PlacementBaseline",
    "PlacementTarget",
    "ProgressPhoto",
    "ProgressReport",
    "ReintegrationPlan",
    "RiskAssessment",
    "SafeguardingFile",
    "SchoolPolicy",
    "ApiToken",
    "AttendanceAlert",
    "AttendanceAlertEmail",
    "AttendanceAmendment",
    "AttendanceMark",
    "ChildProtectionStatus",
    "HeadteacherDecision",
    "Incident",
    "IncidentPupil",
    "PlacementDocument",
    "PlacementReview",
    "PlacementSite",
    "SendStatus",
    "SiteVisit",
    "StandardsSelfAssessment",
    "ApprovalDecision",
    "AuditEvent",
    "DbsCheckResult",
    "DocumentStatus",
    "EvidenceDocument",
    "EvidenceEvent",
    "EvidenceFile",
    "EvidenceReminder",
    "EvidenceVerification",
    "InsetDay",
    "SchoolTerm",
    "KcsieConfirmation",
    "Notification",
    "OutboxEmail",
    "ProviderSite",
    "SchoolProvider",
    "StaffFlagDecision",
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
