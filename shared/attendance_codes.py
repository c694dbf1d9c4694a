"""Statutory attendance codes (Working together to improve school attendance, 2024; the School Attendance (Pupil
Registration) (England) Regulations 2024) and the one mapping from a provider's AM/PM mark to the code for the
school's register. Nothing else in the product decides a code.

A provider reports what happened; the school's register needs a national code. The placement's legal basis decides
the code for attendance: B (off-site educational activity the school arranged), K (education arranged by the local
authority) or D (dual registered: the other school keeps the attendance record, so every session is D here).
Absence is coded by its reason. Whether an absence is authorised is the school's decision, so an absence whose
reason the school has not yet accepted is N (no reason yet), which is unauthorised until the attendance lead says
otherwise.
"""

from __future__ import annotations

import enum


class LegalBasis(enum.StrEnum):
    SCHOOL_ARRANGED = "school_arranged"
    LA_ARRANGED = "la_arranged"
    DUAL_REGISTRATION = "dual_registration"


class MarkKind(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"


class AbsenceReason(enum.StrEnum):
    ILLNESS = "illness"
    MEDICAL_APPOINTMENT = "medical_appointment"
    EXCLUDED = "excluded"  # excluded or suspended
    UNEXPLAINED = "unexplained"
    OTHER = "other"  # with the provider's words; the school decides how to code it


ATTENDING_CODE = {LegalBasis.SCHOOL_ARRANGED: "B", LegalBasis.LA_ARRANGED: "K", LegalBasis.DUAL_REGISTRATION: "D"}
ABSENCE_CODE = {
    AbsenceReason.ILLNESS: "I",
    AbsenceReason.MEDICAL_APPOINTMENT: "M",
    AbsenceReason.EXCLUDED: "E",
    AbsenceReason.UNEXPLAINED: "N",
    AbsenceReason.OTHER: "N",
}

# The national code sets, for reports and alerts.
ATTENDING = frozenset({"/", "\\", "L", "B", "K"})
AUTHORISED_ABSENCE = frozenset({"C1", "C2", "C", "M", "J1", "S", "T", "R", "I", "E", "X"})
UNAUTHORISED_ABSENCE = frozenset({"G", "N", "O", "U"})
# D (dual registered: the other school keeps the attendance record) is not a possible session in this register.
NOT_COUNTED = frozenset({"D", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "Z", "#"})


def register_code(basis: LegalBasis, kind: MarkKind, reason: AbsenceReason | None = None) -> str:
    """The code for the school's register for one session's mark at a provider.

    Late at the provider is still attendance at the off-site activity (B/K/D); the minutes are kept with the mark.
    """
    if basis == LegalBasis.DUAL_REGISTRATION:
        return "D"
    if kind in (MarkKind.PRESENT, MarkKind.LATE):
        return ATTENDING_CODE[basis]
    if reason is None:
        raise ValueError("an absence needs a reason")
    return ABSENCE_CODE[reason]


# Absences whose reason the school has not accepted (coded N unless dual registered).
UNACCEPTED_REASONS = frozenset(reason for reason, code in ABSENCE_CODE.items() if code in UNAUTHORISED_ABSENCE)
# Attendance at the provider is judged by what the provider reported, whatever the register code (under dual
# registration every session is D in this school's register, present or not).
ATTENDED_KINDS = frozenset({MarkKind.PRESENT.value, MarkKind.LATE.value})


def absence_needs_the_school(reason: AbsenceReason) -> bool:
    """Whether an absence is one the school has not accepted a reason for (unexplained, or a reason only the school
    can judge), so its attendance lead must be told at once. Decided by the reason, not the code: under dual
    registration every session is D, yet the school must still hear of an unexplained absence."""
    return reason in UNACCEPTED_REASONS


def is_unauthorised_absence(code: str) -> bool:
    return code in UNAUTHORISED_ABSENCE


def counts_as_possible_session(code: str) -> bool:
    """Sessions that count towards the attendance percentage (everything but the 'not counted' codes)."""
    return code not in NOT_COUNTED


# What the school may decide for an absence the provider could not explain (code N until then): the school's
# attendance lead accepts a reason (authorised) or records it as unauthorised. The provider never chooses these.
SCHOOL_DECISIONS = {
    "C": "Authorised: exceptional circumstances (C)",
    "I": "Authorised: illness (I)",
    "M": "Authorised: medical or dental appointment (M)",
    "R": "Authorised: religious observance (R)",
    "E": "Authorised: suspended or excluded (E)",
    "O": "Unauthorised: no acceptable reason (O)",
    "G": "Unauthorised: holiday not agreed (G)",
    "N": "No reason yet (N)",
}
