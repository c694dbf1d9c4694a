"""Providers measured against DfE's national standards for non-school AP (shared.national_standards): the
quality-assurance record a school or a local authority adds to a site visit (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared import national_standards
from shared.national_standards import Judgement
from shared.services.errors import RuleBroken, RulesBroken

NOT_JUDGED = "not_judged"
MAX_ACTIONS = 3
MAX_TEXT = 5000


@dataclass
class QualityAction:
    action: str | None
    due: date | None


@dataclass
class QualityRecord:
    """What the visitor entered: a judgement per standard code (NOT_JUDGED or none for a standard not looked at),
    strengths, and actions with the date each is due."""

    judgements: dict[str, str] = field(default_factory=dict)
    strengths: str | None = None
    actions: list[QualityAction] = field(default_factory=list)


def quality_assurance(record: QualityRecord | None) -> dict[str, Any] | None:
    """The record as stored on the visit (None when nothing was entered); RuleBroken (every problem at once)
    when a judgement is not one of the options, an action has no date or a date has no action."""
    if record is None:
        return None
    problems: list[RuleBroken] = []
    judgements = []
    for standard in national_standards.STANDARDS:
        value = (record.judgements.get(standard.code) or NOT_JUDGED).strip()
        if value == NOT_JUDGED:
            continue
        if value not in set(Judgement):
            problems.append(RuleBroken(f"Select a judgement for {standard.title.lower()}", f"standard_{standard.code}"))
            continue
        judgements.append({"code": standard.code, "title": standard.title, "judgement": value})
    strengths = (record.strengths or "").strip() or None
    if strengths and len(strengths) > MAX_TEXT:
        problems.append(RuleBroken(f"Keep the strengths to {MAX_TEXT} characters or fewer", "strengths"))
    actions = []
    for number, entry in enumerate(record.actions[:MAX_ACTIONS], start=1):
        text = (entry.action or "").strip()
        if not text and entry.due is None:
            continue
        if not text:
            problems.append(RuleBroken(f"Write action {number}, or remove its date", f"action_{number}"))
        elif len(text) > MAX_TEXT:
            problems.append(RuleBroken(f"Keep action {number} to {MAX_TEXT} characters or fewer", f"action_{number}"))
        if entry.due is None:
            if text:
                problems.append(RuleBroken(f"Enter the date action {number} is due by", f"action_{number}_due"))
            continue
        if text:
            actions.append({"action": text, "due": entry.due.isoformat()})
    if problems:
        raise RulesBroken(problems) if len(problems) > 1 else problems[0]
    if not judgements and not strengths and not actions:
        return None
    return {
        "version": national_standards.VERSION,
        "judgements": judgements,
        "strengths": strengths,
        "actions": actions,
    }
