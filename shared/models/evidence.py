"""Evidence documents, the provider's staff list (a single-central-record view) and the KCSIE written confirmation."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.extensions import Model
from shared.models.base import UTCDateTime, created_at, uuid_pk
from shared.models.organisation import Organisation
from shared.models.user import User


class DocumentStatus(enum.StrEnum):
    """uploaded -> awaiting_review -> verified | rejected; verified -> expired; any -> superseded by a newer version.
    The transitions live in shared.services.evidence.documents, nowhere else."""

    UPLOADED = "uploaded"
    AWAITING_REVIEW = "awaiting_review"
    VERIFIED = "verified"
    REJECTED = "rejected"
    REOPENED = "reopened"  # the organisation withdrew its trust in a version others verified: it checks it again
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class EvidenceDocument(Model):
    __tablename__ = "evidence_documents"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    evidence_type: Mapped[str] = mapped_column(String(40), nullable=False)  # a code in shared.evidence_catalogue
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[DocumentStatus] = mapped_column(
        Enum(
            DocumentStatus,
            name="document_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        nullable=False,
        default=DocumentStatus.UPLOADED,
    )
    # The stored object: a random key, never the person's file name (kept only for display).
    storage_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    virus_scanned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = created_at()
    issue_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    review_date: Mapped[date | None] = mapped_column(Date)
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    # Which organisation (a school or a local authority) verified or rejected this version: others may rely on it.
    reviewed_by_organisation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("organisations.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checklist: Mapped[dict[str, bool]] = mapped_column(JSON, nullable=False, default=dict)
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    # A version may hold several files ("registration evidence and latest Ofsted report" is two documents): the
    # first is this row's own (storage_key, display_name, ...), any others are EvidenceFile rows.
    extra_files: Mapped[list[EvidenceFile]] = relationship(
        order_by="EvidenceFile.position", back_populates="document", lazy="selectin"
    )
    events: Mapped[list[EvidenceEvent]] = relationship(
        order_by=lambda: (EvidenceEvent.happened_at, EvidenceEvent.sequence), back_populates="document"
    )
    # Each organisation's own decision on this version (load them with selectinload where many documents are read).
    verifications: Mapped[list[EvidenceVerification]] = relationship(
        order_by=lambda: EvidenceVerification.decided_at, back_populates="document"
    )

    @property
    def file_count(self) -> int:
        return 1 + len(self.extra_files)

    @property
    def total_size_bytes(self) -> int:
        return self.size_bytes + sum(extra.size_bytes for extra in self.extra_files)


class EvidenceVerification(Model):
    """One organisation's own decision (a school's or a local authority's) on one version of a provider's evidence:
    verified, with its checklist and dates, or rejected, with its reason. A school relies on the decisions of the
    organisations it chose (shared.services.evidence.reliance) and records its own for the rest; one organisation's
    decision never changes another's."""

    __tablename__ = "evidence_verifications"
    __table_args__ = (UniqueConstraint("document_id", "organisation_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    document_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("evidence_documents.id"), nullable=False, index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    decision: Mapped[str] = mapped_column(String(20), nullable=False)  # VERIFIED, REJECTED or REOPENED below
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    decided_at: Mapped[datetime] = created_at()
    reason: Mapped[str | None] = mapped_column(Text)  # a rejection's reason, which the provider reads
    checklist: Mapped[dict[str, bool]] = mapped_column(JSON, nullable=False, default=dict)
    issue_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)  # when this organisation's verification lapses
    review_date: Mapped[date | None] = mapped_column(Date)

    VERIFIED = "verified"
    REJECTED = "rejected"
    REOPENED = "reopened"  # the organisation withdrew its trust in a version others verified: it checks it again

    document: Mapped[EvidenceDocument] = relationship(back_populates="verifications")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    decided_by: Mapped[User | None] = relationship()


class EvidenceFile(Model):
    """The second and later files of one evidence document's version, each through the upload pipeline."""

    __tablename__ = "evidence_files"

    id: Mapped[uuid.UUID] = uuid_pk()
    document_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("evidence_documents.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)  # 2, 3, ... (the document's own file is 1)
    storage_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    virus_scanned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    document: Mapped[EvidenceDocument] = relationship(back_populates="extra_files")

    @property
    def organisation_id(self) -> uuid.UUID:
        return self.document.organisation_id


class EvidenceEvent(Model):
    """What happened to one version, by whom and why: uploaded, verified, rejected, reopened, expired, superseded.
    Written by shared.services.evidence.documents.transition, so the school sees every version's history."""

    __tablename__ = "evidence_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    document_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("evidence_documents.id"), nullable=False, index=True
    )
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # order within one instant
    happened_at: Mapped[datetime] = created_at()
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)  # a person's words: why rejected or reopened

    document: Mapped[EvidenceDocument] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class DbsCheckResult(enum.StrEnum):
    """The DBS Update Service status check answers."""

    NO_MATCH_FOUND = "NO_MATCH_FOUND"
    BLANK_NO_NEW_INFO = "BLANK_NO_NEW_INFO"
    NON_BLANK_NO_NEW_INFO = "NON_BLANK_NO_NEW_INFO"
    NEW_INFO = "NEW_INFO"


class StaffMember(Model):
    """A provider's member of staff who works with placed pupils. Never the DBS certificate's content."""

    __tablename__ = "staff_members"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(200), nullable=False)
    dbs_certificate_number: Mapped[str] = mapped_column(String(12), nullable=False)
    dbs_issue_date: Mapped[date] = mapped_column(Date, nullable=False)
    enhanced_with_barred_list: Mapped[bool] = mapped_column(Boolean, nullable=False)
    update_service_subscribed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    last_status_check_date: Mapped[date | None] = mapped_column(Date)
    last_status_check_result: Mapped[DbsCheckResult | None] = mapped_column(
        Enum(
            DbsCheckResult,
            name="dbs_check_result",
            native_enum=False,
            length=30,
            values_callable=lambda e: [m.value for m in e],
        ),
    )
    identity_checked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    right_to_work_checked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    prohibition_check: Mapped[str] = mapped_column(String(20), nullable=False, default="not_relevant")
    # Whether they work with the school's pupils (regulated activity), and when they started with the provider.
    works_with_pupils: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    start_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at()
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffFlagDecision(Model):
    """What the school's AP lead decided about a weak check on a provider's member of staff (a flag, see
    shared.services.evidence.staff_flags): accepted with a reason, or for a DBS status check that found new
    information, what they did. `flag` is the flag's key, which names the status check it is about, so a later
    check raises the flag again."""

    __tablename__ = "staff_flag_decisions"

    id: Mapped[uuid.UUID] = uuid_pk()
    staff_member_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("staff_members.id"), nullable=False, index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    flag: Mapped[str] = mapped_column(String(60), nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    decided_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    decided_at: Mapped[datetime] = created_at()

    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])


class KcsieConfirmation(Model):
    """The provider manager's written confirmation (KCSIE) that the staff on the list have had the checks the school
    would do, and that the school will be told of changes. The exact statement and its version are kept."""

    __tablename__ = "kcsie_confirmations"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    # The school it was given to (a confirmation given to all schools at once is one row per school).
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    signed_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    typed_name: Mapped[str] = mapped_column(String(200), nullable=False)
    signer_role: Mapped[str] = mapped_column(String(200), nullable=False)
    statement_version: Mapped[str] = mapped_column(String(20), nullable=False)
    statement_text: Mapped[str] = mapped_column(Text, nullable=False)
    signed_at: Mapped[datetime] = created_at()
    # Any change to the staff list makes the confirmation lapse until it is signed again.
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lapse_reason: Mapped[str | None] = mapped_column(String(200))

    signed_by: Mapped[User] = relationship()


class EvidenceReminder(Model):
    """A reminder sent before a document lapses, so each (document, days before) is sent once only."""

    __tablename__ = "evidence_reminders"

    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("evidence_documents.id"), primary_key=True)
    days_before: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = created_at()
