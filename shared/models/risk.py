"""The joint risk assessment of a placement (issue 15): written by the school, added to by the provider, signed by a
school DSL and the provider's DSL. Safeguarding content: every word is encrypted at rest (shared.crypto); what
stays plain is who, which placement, when and who signed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.crypto import encrypted
from shared.extensions import Model
from shared.models.base import UTCDateTime, created_at, uuid_pk


class RiskAssessment(Model):
    """One per placement. The school's part (each section's risk and measures) and the provider's part (its measures
    per section) are JSON, encrypted. Any change after a signature voids both signatures."""

    __tablename__ = "risk_assessments"

    id: Mapped[uuid.UUID] = uuid_pk()
    placement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("placements.id"), nullable=False, unique=True, index=True
    )
    school_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    pupil_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pupils.id"), nullable=False, index=True)
    school_part: Mapped[str | None] = mapped_column(encrypted("RiskAssessment", "school_part"))
    provider_part: Mapped[str | None] = mapped_column(encrypted("RiskAssessment", "provider_part"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    school_signed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    school_signed_name: Mapped[str | None] = mapped_column(String(200))
    school_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_signed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    provider_signed_name: Mapped[str | None] = mapped_column(String(200))
    provider_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reopened after a serious incident or a concern about the pupil: both DSLs have it on their lists until both
    # have signed again.
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reopened_because: Mapped[str | None] = mapped_column(String(20))  # incident | concern

    # The headteacher's recorded decision to let the placement start before both DSLs have signed.
    proceed_unsigned_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    proceed_unsigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proceed_unsigned_reason: Mapped[str | None] = mapped_column(encrypted("RiskAssessment", "proceed_unsigned_reason"))

    @property
    def signed(self) -> bool:
        return self.school_signed_at is not None and self.provider_signed_at is not None
