"""The one mapping from a provider's AM/PM mark to the statutory code for the school's register."""

import pytest

from shared.attendance_codes import (
    AUTHORISED_ABSENCE,
    UNAUTHORISED_ABSENCE,
    AbsenceReason,
    LegalBasis,
    MarkKind,
    counts_as_possible_session,
    is_unauthorised_absence,
    register_code,
)

B, K, D = LegalBasis.SCHOOL_ARRANGED, LegalBasis.LA_ARRANGED, LegalBasis.DUAL_REGISTRATION


@pytest.mark.parametrize(
    ("basis", "kind", "reason", "code"),
    [
        (B, MarkKind.PRESENT, None, "B"),
        (B, MarkKind.LATE, None, "B"),
        (K, MarkKind.PRESENT, None, "K"),
        (K, MarkKind.LATE, None, "K"),
        (D, MarkKind.PRESENT, None, "D"),
        (D, MarkKind.ABSENT, AbsenceReason.UNEXPLAINED, "D"),  # the other school keeps the attendance record
        (B, MarkKind.ABSENT, AbsenceReason.ILLNESS, "I"),
        (B, MarkKind.ABSENT, AbsenceReason.MEDICAL_APPOINTMENT, "M"),
        (K, MarkKind.ABSENT, AbsenceReason.EXCLUDED, "E"),
        (B, MarkKind.ABSENT, AbsenceReason.UNEXPLAINED, "N"),
        (K, MarkKind.ABSENT, AbsenceReason.OTHER, "N"),  # the school decides whether to authorise it
    ],
)
def test_marks_map_to_the_register_code(basis, kind, reason, code):
    assert register_code(basis, kind, reason) == code


def test_an_absence_needs_a_reason():
    with pytest.raises(ValueError, match="needs a reason"):
        register_code(B, MarkKind.ABSENT)


def test_unexplained_and_other_absences_are_unauthorised_until_the_school_decides():
    assert is_unauthorised_absence(register_code(B, MarkKind.ABSENT, AbsenceReason.UNEXPLAINED))
    assert is_unauthorised_absence(register_code(B, MarkKind.ABSENT, AbsenceReason.OTHER))
    assert not is_unauthorised_absence(register_code(B, MarkKind.ABSENT, AbsenceReason.ILLNESS))
    assert not is_unauthorised_absence("B")


def test_the_code_sets_do_not_overlap_and_not_counted_codes_are_excluded():
    assert not AUTHORISED_ABSENCE & UNAUTHORISED_ABSENCE
    assert counts_as_possible_session("N") and counts_as_possible_session("B")
    assert not counts_as_possible_session("Z") and not counts_as_possible_session("Y1")
