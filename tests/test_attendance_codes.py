"""The one mapping from a provider's AM/PM mark to the statutory code for the school's register."""

import pytest

from shared.attendance_codes import (
    AUTHORISED_ABSENCE,
    UNAUTHORISED_ABSENCE,
    AbsenceReason,
    LegalBasis,
    MarkKind,
    absence_needs_the_school,
    counts_as_possible_session,
    is_unauthorised_absence,
    register_code,
)

B, K, D = LegalBasis.SCHOOL_ARRANGED, LegalBasis.LA_ARRANGED, LegalBasis.DUAL_REGISTRATION


# Every legal basis x every mark and absence reason, and the code the school's register gets.
EXPECTED = {
    # basis: present, late, illness, medical appointment, excluded, unexplained, other
    B: ("B", "B", "I", "M", "E", "N", "N"),
    K: ("K", "K", "I", "M", "E", "N", "N"),
    D: ("D", "D", "D", "D", "D", "D", "D"),  # dual registration: the other school keeps the attendance record
}
MARKS = [
    (MarkKind.PRESENT, None),
    (MarkKind.LATE, None),
    (MarkKind.ABSENT, AbsenceReason.ILLNESS),
    (MarkKind.ABSENT, AbsenceReason.MEDICAL_APPOINTMENT),
    (MarkKind.ABSENT, AbsenceReason.EXCLUDED),
    (MarkKind.ABSENT, AbsenceReason.UNEXPLAINED),
    (MarkKind.ABSENT, AbsenceReason.OTHER),  # the school decides whether to authorise it
]


@pytest.mark.parametrize(
    ("basis", "kind", "reason", "code"),
    [(basis, kind, reason, EXPECTED[basis][i]) for basis in EXPECTED for i, (kind, reason) in enumerate(MARKS)],
)
def test_marks_map_to_the_register_code(basis, kind, reason, code):
    assert register_code(basis, kind, reason) == code


def test_the_table_covers_every_basis_and_reason():
    assert set(EXPECTED) == set(LegalBasis)
    assert {reason for _, reason in MARKS if reason} == set(AbsenceReason)


@pytest.mark.parametrize("reason", list(AbsenceReason))
def test_whether_the_school_is_told_depends_on_the_reason_not_on_the_basis(reason):
    """An unexplained absence from a dual-registration placement is coded D, but the school still hears of it."""
    assert absence_needs_the_school(reason) is (reason in (AbsenceReason.UNEXPLAINED, AbsenceReason.OTHER))


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
    # Dual registered: the other school records the session, so it is not a possible session in this register.
    assert not counts_as_possible_session("D")
