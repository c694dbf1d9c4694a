"""The safeguarding exchange between the provider's DSL and the school's DSL: concerns (provider -> school), the
school DSL's record of what it did, notices (school -> provider), and the child-protection policies.

Every word of safeguarding content is encrypted at rest (shared.crypto, AES-GCM, the key id in each value): the
text of concerns, notices and DSL decisions, even a concern's category and place, and attachments' names. What
stays plain is what the product needs to route and time things: who, which pupil, which organisations, when, and
the state. Nothing here is ever deleted by the app (safeguarding records are kept).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.crypto import encrypted
from shared.extensions import Model
from shared.models.base import UTCDateTime, created_at, uuid_pk
from shared.models.organisation import Organisation


class Concern(Model):
    """A safeguarding concern about a placed pupil, raised at the provider.

    raised (by provider staff, waiting for their DSL) -> sent (to the school's DSLs) -> acknowledged -> closed."""

    __tablename__ = "concerns"

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    placement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placements.id"), nullable=False, index=True)
    pupil_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pupils.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="raised", index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    location: Mapped[str] = mapped_column(encrypted("Concern", "location"), nullable=False)
    category: Mapped[str] = mapped_column(encrypted("Concern", "category"), nullable=False)
    what_happened: Mapped[str] = mapped_column(encrypted("Concern", "what_happened"), nullable=False)
    childs_words: Mapped[str | None] = mapped_column(encrypted("Concern", "childs_words"))
    actions_taken: Mapped[str] = mapped_column(encrypted("Concern", "actions_taken"), nullable=False)
    who_told: Mapped[str | None] = mapped_column(encrypted("Concern", "who_told"))
    raised_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    raised_at: Mapped[datetime] = created_at()
    sent_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))  # the provider DSL
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # to the headteacher, unacknowledged
    shared_back: Mapped[str | None] = mapped_column(encrypted("Concern", "shared_back"))  # what the provider DSL sees
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    entries: Mapped[list[ConcernEntry]] = relationship(back_populates="concern", order_by="ConcernEntry.recorded_at")
    attachments: Mapped[list[SafeguardingFile]] = relationship(
        foreign_keys="SafeguardingFile.concern_id", viewonly=True, order_by="SafeguardingFile.uploaded_at"
    )


class ConcernEntry(Model):
    """One step of the school DSL's work on a concern: a discussion, a decision (with its rationale, including a
    decision not to refer), a referral (to whom, reference, outcome), or a note. Kept in time order, never edited."""

    __tablename__ = "concern_entries"

    id: Mapped[uuid.UUID] = uuid_pk()
    concern_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("concerns.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # discussion | decision | referral | note
    decision: Mapped[str | None] = mapped_column(String(30))  # refer | no_referral | early_help | monitor
    referred_to: Mapped[str | None] = mapped_column(String(30))  # social_care | police | early_help | other
    body: Mapped[str] = mapped_column(encrypted("ConcernEntry", "body"), nullable=False)  # what, or the rationale
    reference: Mapped[str | None] = mapped_column(encrypted("ConcernEntry", "reference"))
    outcome: Mapped[str | None] = mapped_column(encrypted("ConcernEntry", "outcome"))
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    recorded_at: Mapped[datetime] = created_at()

    concern: Mapped[Concern] = relationship(back_populates="entries")


class Notice(Model):
    """Safeguarding information the school DSL shares about one pupil with the DSLs of one provider where the pupil
    is placed (one row per provider). Only the provider's DSL role can open it; others never see it exists."""

    __tablename__ = "notices"

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    pupil_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pupils.id"), nullable=False, index=True)
    placement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("placements.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # operation_encompass | police_report | ...
    # Operation Encompass: the police reference, when and where, whether the child was present.
    police_reference: Mapped[str | None] = mapped_column(encrypted("Notice", "police_reference"))
    incident_details: Mapped[str | None] = mapped_column(encrypted("Notice", "incident_details"))
    child_present: Mapped[str | None] = mapped_column(encrypted("Notice", "child_present"))
    provider_text: Mapped[str] = mapped_column(encrypted("Notice", "provider_text"), nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shared_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    shared_at: Mapped[datetime] = created_at()
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    chased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SafeguardingFile(Model):
    """An attachment to a concern or a notice: the stored object is encrypted (shared.crypto.encrypt_bytes), and
    so is its file name."""

    __tablename__ = "safeguarding_files"

    id: Mapped[uuid.UUID] = uuid_pk()
    concern_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("concerns.id"), index=True)
    notice_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("notices.id"), index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    storage_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    key_id: Mapped[str] = mapped_column(String(20), nullable=False)  # the key the stored object is encrypted under
    display_name: Mapped[str] = mapped_column(encrypted("SafeguardingFile", "display_name"), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    virus_scanned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    uploaded_at: Mapped[datetime] = created_at()


class SchoolPolicy(Model):
    """A version of the school's child-protection and safeguarding policy (a document every provider's DSL
    confirms they have received and will follow)."""

    __tablename__ = "school_policies"

    id: Mapped[uuid.UUID] = uuid_pk()
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    storage_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    virus_scanned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    uploaded_at: Mapped[datetime] = created_at()

    school: Mapped[Organisation] = relationship(foreign_keys=[school_id])


class PolicyConfirmation(Model):
    """A provider DSL's confirmation that a version of the school's policy was received and will be followed."""

    __tablename__ = "policy_confirmations"

    id: Mapped[uuid.UUID] = uuid_pk()
    policy_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("school_policies.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    confirmed_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    confirmed_at: Mapped[datetime] = created_at()


class PolicyReading(Model):
    """One person at a provider has read this version of the school's policy and will follow it (each person who
    works with pupils confirms each version themselves; the provider's DSL sees who has)."""

    __tablename__ = "policy_readings"
    __table_args__ = (UniqueConstraint("policy_id", "user_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    policy_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("school_policies.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False, index=True)
    read_at: Mapped[datetime] = created_at()


class ProviderPolicyReview(Model):
    """A school DSL's review of the provider's own child-protection policy (an evidence document)."""

    __tablename__ = "provider_policy_reviews"

    id: Mapped[uuid.UUID] = uuid_pk()
    document_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("evidence_documents.id"), nullable=False, index=True
    )
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)  # meets_expectations | changes_needed
    comments: Mapped[str] = mapped_column(String(2000), nullable=False)  # for the provider to read
    reviewed_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    reviewed_at: Mapped[datetime] = created_at()


class AuditChainHead(Model):
    """The newest link of the audit log's hash chain (one row): locked while events are chained, so two
    transactions never claim the same place in the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
