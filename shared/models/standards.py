"""A provider's self-assessments against DfE's national standards for non-school AP (issue 15)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.extensions import Model
from shared.models.base import created_at, uuid_pk


class StandardsSelfAssessment(Model):
    """One submitted version of a provider's self-assessment (each submission a new version; the latest is the one
    its schools and local authority see). `entries`: [{"code", "title", "judgement", "explanation",
    "document_ids": [evidence document ids in the provider's vault]}], one per standard of `standards_version`."""

    __tablename__ = "standards_self_assessments"
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    standards_version: Mapped[str] = mapped_column(String(20), nullable=False)
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    submitted_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    submitted_at: Mapped[datetime] = created_at()
