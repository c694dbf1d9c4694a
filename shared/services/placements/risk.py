"""The joint risk assessment of a placement (issue 15).

The school (a DSL or the AP lead) writes each section's risk as assessed and the measures agreed; the provider's DSL
adds the provider's own measures. A school DSL and the provider's DSL each sign with their typed name; any change
to either part after a signature voids both signatures (audited), so what is signed is what both read.

A serious incident (graded high or serious, or with a physical intervention or an injury) or a concern sent to the
school about the pupil reopens the assessment: the signatures are voided and it waits on both DSLs' lists until both
have signed again. The placement cannot start unsigned without the headteacher's recorded decision (`why_cannot_start`,
`proceed_unsigned`). Every opening is logged like a concern's (`record_opening`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from shared import audit
from shared.extensions import db
from shared.models import Organisation, Placement, RiskAssessment, User, utcnow
from shared.services.errors import RuleBroken

SECTIONS: dict[str, str] = {
    "exploitation": "Exploitation (criminal, sexual, county lines)",
    "online": "Online safety",
    "health": "Health and medication",
    "physical_intervention": "Physical intervention",
    "triggers": "Behaviour triggers",
    "travel": "Travel to and from the site, and collection",
    "off_site": "Being off site",
    "collection": "Who may collect the pupil",
}
MAX_TEXT = 5000
REOPENING_SEVERITIES = frozenset({"high", "serious"})


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    risk: str
    measures: str
    provider_measures: str


def _org(organisation_id: object) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    assert organisation is not None, "a risk assessment's organisations exist"
    return organisation


def of_placement(placement: Placement) -> RiskAssessment | None:
    return db.session.scalar(select(RiskAssessment).where(RiskAssessment.placement_id == placement.id))


def _get_or_make(placement: Placement) -> RiskAssessment:
    assessment = of_placement(placement)
    if assessment is None:
        assessment = RiskAssessment(
            placement_id=placement.id,
            school_id=placement.school_id,
            provider_id=placement.provider_id,
            pupil_id=placement.pupil_id,
        )
        db.session.add(assessment)
        db.session.flush()
    return assessment


def _load(value: str | None) -> dict[str, object]:
    return json.loads(value) if value else {}


def sections(assessment: RiskAssessment | None) -> list[Section]:
    school = _load(assessment.school_part) if assessment else {}
    provider = _load(assessment.provider_part) if assessment else {}
    out = []
    for key, label in SECTIONS.items():
        part = school.get(key) or {}
        assert isinstance(part, dict)
        out.append(
            Section(key, label, str(part.get("risk", "")), str(part.get("measures", "")), str(provider.get(key, "")))
        )
    return out


def is_written(assessment: RiskAssessment | None) -> bool:
    return any(s.risk or s.measures for s in sections(assessment))


def _clean(value: str | None, field: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise RuleBroken(f"Keep each box to {MAX_TEXT} characters or fewer", field)
    return text


def _void(assessment: RiskAssessment, *, by: User | None, why: str) -> bool:
    """Clear both signatures (audited); True when there was one to void."""
    if assessment.school_signed_at is None and assessment.provider_signed_at is None:
        return False
    for side in ("school", "provider"):
        setattr(assessment, f"{side}_signed_at", None)
        setattr(assessment, f"{side}_signed_by_id", None)
        setattr(assessment, f"{side}_signed_name", None)
    audit.record(
        "risk_assessment.signatures_voided", organisation=_org(assessment.school_id), obj=assessment, actor=by, why=why
    )
    return True


def save_school_part(
    placement: Placement, values: dict[str, tuple[str | None, str | None]], *, by: User, now: datetime | None = None
) -> RiskAssessment:
    """The school's part: section key -> (risk as assessed, measures agreed). Commits; voids signatures on a change."""
    part = {}
    for key in SECTIONS:
        risk, measures = values.get(key, (None, None))
        part[key] = {"risk": _clean(risk, f"{key}_risk"), "measures": _clean(measures, f"{key}_measures")}
    if not any(p["risk"] or p["measures"] for p in part.values()):
        raise RuleBroken("Write the risk and the measures agreed for at least one section", "exploitation_risk")
    assessment = _get_or_make(placement)
    if _load(assessment.school_part) != part:
        assessment.school_part = json.dumps(part)
        assessment.updated_at = now or utcnow()
        assessment.updated_by_id = by.id
        _void(assessment, by=by, why="edited")
        audit.record(
            "risk_assessment.updated", organisation=_org(placement.school_id), obj=assessment, actor=by, part="school"
        )
    db.session.commit()
    return assessment


def save_provider_part(
    assessment: RiskAssessment, values: dict[str, str | None], *, by: User, now: datetime | None = None
) -> None:
    """The provider DSL's measures, section by section. Commits; voids signatures on a change."""
    if not is_written(assessment):
        raise RuleBroken("The school has not written the risk assessment yet", "exploitation")
    part = {key: _clean(values.get(key), key) for key in SECTIONS}
    if _load(assessment.provider_part) != part:
        assessment.provider_part = json.dumps(part)
        assessment.updated_at = now or utcnow()
        assessment.updated_by_id = by.id
        _void(assessment, by=by, why="edited")
        audit.record(
            "risk_assessment.updated",
            organisation=_org(assessment.provider_id),
            obj=assessment,
            actor=by,
            part="provider",
        )
    db.session.commit()


def sign(
    assessment: RiskAssessment, side: str, typed_name: str | None, *, by: User, now: datetime | None = None
) -> None:
    """A school DSL (side "school") or the provider's DSL (side "provider") signs with their typed name. Commits."""
    assert side in ("school", "provider")
    if not is_written(assessment):
        raise RuleBroken("The school has not written the risk assessment yet", "typed_name")
    name = " ".join((typed_name or "").split())
    if not name:
        raise RuleBroken("Type your full name to sign", "typed_name")
    if len(name) > 200:
        raise RuleBroken("Keep your name to 200 characters or fewer", "typed_name")
    if getattr(assessment, f"{side}_signed_at") is not None:
        raise RuleBroken("This risk assessment is already signed for your side", "typed_name")
    setattr(assessment, f"{side}_signed_at", now or utcnow())
    setattr(assessment, f"{side}_signed_by_id", by.id)
    setattr(assessment, f"{side}_signed_name", name)
    if assessment.signed:
        assessment.reopened_at = None
        assessment.reopened_because = None
    organisation = _org(assessment.school_id if side == "school" else assessment.provider_id)
    audit.record("risk_assessment.signed", organisation=organisation, obj=assessment, actor=by, side=side)
    db.session.commit()


def why_cannot_start(placement: Placement) -> str | None:
    """Why the placement cannot start yet, in words for the page; None when it can (signed by both DSLs, or the
    headteacher has recorded the decision to proceed unsigned)."""
    assessment = of_placement(placement)
    if assessment is not None and (assessment.signed or assessment.proceed_unsigned_at is not None):
        return None
    return (
        "The risk assessment has not been signed by a school DSL and the provider's DSL, so the placement cannot "
        "start. Ask both DSLs to sign it, or record your decision to proceed without it and why."
    )


def proceed_unsigned(placement: Placement, reason: str | None, *, by: User, now: datetime | None = None) -> None:
    """The headteacher's decision to let the placement start before the risk assessment is signed. Flushes (the
    caller commits with its own change)."""
    why = (reason or "").strip()
    if not why:
        raise RuleBroken(
            "Say why the placement can start before the risk assessment is signed", "proceed_unsigned_reason"
        )
    if len(why) > 2000:
        raise RuleBroken("Keep the reason to 2000 characters or fewer", "proceed_unsigned_reason")
    assessment = _get_or_make(placement)
    assessment.proceed_unsigned_at = now or utcnow()
    assessment.proceed_unsigned_by_id = by.id
    assessment.proceed_unsigned_reason = why
    audit.record("risk_assessment.proceed_unsigned", organisation=_org(placement.school_id), obj=assessment, actor=by)
    db.session.flush()


def reopen(placement_ids: list[object], *, because: str, now: datetime | None = None) -> int:
    """After a serious incident or a concern: void the signatures of these placements' assessments and put them
    on both DSLs' lists. Flushes (the caller commits); returns how many were reopened."""
    if not placement_ids:
        return 0
    rows = db.session.scalars(select(RiskAssessment).where(RiskAssessment.placement_id.in_(placement_ids))).all()
    for assessment in rows:
        _void(assessment, by=None, why=because)
        assessment.reopened_at = now or utcnow()
        assessment.reopened_because = because
        audit.record(
            "risk_assessment.reopened", organisation=_org(assessment.school_id), obj=assessment, because=because
        )
    db.session.flush()
    return len(rows)


def reopened(*, school_id: object = None, provider_id: object = None) -> list[RiskAssessment]:
    query = select(RiskAssessment).where(RiskAssessment.reopened_at.is_not(None))
    if school_id is not None:
        query = query.where(RiskAssessment.school_id == school_id)
    if provider_id is not None:
        query = query.where(RiskAssessment.provider_id == provider_id)
    return list(db.session.scalars(query.order_by(RiskAssessment.reopened_at)))
