"""Rules with no web in them: the NCSC password policy, UPN check letters, audit schema."""

import pytest
from argon2 import extract_parameters, profiles

from shared.config import Config
from shared.passwords import MAX_LENGTH, PasswordRejected, check_password_policy, hash_password, verify_password
from shared.upn import InvalidUPN, check_letter, validate_upn


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "12 characters or more"),
        ("x" * (MAX_LENGTH + 1), "128 characters or fewer"),
        ("password1234", "too common"),
        ("PASSWORD1234", "too common"),
        ("baseball123456!!", "too common"),  # a common word padded with digits and symbols
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("Demo Academy staff 2026", "organisation's name"),
        ("jo.bloggs-secure-1", "e-mail address"),
    ],
)
def test_password_policy_refuses_with_a_reason(password, message):
    with pytest.raises(PasswordRejected, match=message):
        check_password_policy(password, organisation_name="Demo Academy", email="jo.bloggs@school.example")


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "x7!Qm2#pL9zR", "naïve café résumé", "a b" * 42 + "cd"]
)
def test_password_policy_accepts_long_or_random_passwords_with_no_composition_rules(password):
    assert len(password) <= MAX_LENGTH
    check_password_policy(password, organisation_name="Demo Academy", email="jo.bloggs@school.example")


def test_argon2id_hashes_verify():
    hashed = hash_password("correct horse battery staple")  # outside an app: the production parameters
    assert hashed.startswith("$argon2id$")
    assert extract_parameters(hashed) == profiles.RFC_9106_LOW_MEMORY
    assert verify_password(hashed, "correct horse battery staple")
    assert not verify_password(hashed, "correct horse battery stapler")
    assert not verify_password(None, "anything at all here")


def test_production_hashes_passwords_with_rfc_9106_low_memory_parameters():
    """The tests run with the cheapest argon2 parameters (tests/support/app.py); production's are RFC 9106's."""
    config = Config()
    low_memory = profiles.RFC_9106_LOW_MEMORY
    assert (
        low_memory.time_cost,
        low_memory.memory_cost,
        low_memory.parallelism,
    ) == (config.PASSWORD_HASH_TIME_COST, config.PASSWORD_HASH_MEMORY_COST, config.PASSWORD_HASH_PARALLELISM)


@pytest.mark.parametrize("upn", ["B801200005001", "b801 2000 05001", " B801200005001 "])
def test_valid_upns(upn):
    normalised = validate_upn(upn)
    assert len(normalised) == 13 and normalised == normalised.upper().replace(" ", "")


def test_check_letter_follows_the_dfe_algorithm():
    # Weights 2..13 on characters 2..13, sum mod 23, into A-Z without I, O and S.
    body = "801200005001"
    total = sum(int(c) * w for w, c in zip(range(2, 14), body, strict=True))
    assert check_letter(body) == "ABCDEFGHJKLMNPQRTUVWXYZ"[total % 23] == "B"
    # A temporary UPN's letter in position 13 counts by its place in the same alphabet.
    temporary = "80120000500A"
    assert validate_upn(check_letter(temporary) + temporary).endswith("A")


@pytest.mark.parametrize(
    ("upn", "message"),
    [
        ("A80120000500", "13 characters"),
        ("A8012000050011", "13 characters"),
        ("1801200005001", "start with a letter"),
        ("B8012000X5001", "start with a letter"),
        ("A801200005001", "check letter does not match"),
        ("B80120000500I", "cannot be I, O or S"),
    ],
)
def test_invalid_upns_say_why(upn, message):
    with pytest.raises(InvalidUPN, match=message):
        validate_upn(upn)


def test_audit_schema_refuses_undeclared_actions_and_missing_details(ctx):
    from shared import audit

    with pytest.raises(audit.AuditSchemaError):
        audit.record("made.up", organisation=None)
    with pytest.raises(audit.AuditSchemaError):
        audit.record("user.roles_changed", organisation=None, old=["a"])


def test_a_pupil_cannot_be_stored_with_a_bad_upn(ctx):
    from datetime import date

    from shared.models import Pupil

    with pytest.raises(InvalidUPN):
        Pupil(upn="A801200005001", first_name="A", last_name="B", date_of_birth=date(2012, 1, 1))
    assert Pupil(upn="b801200005001", first_name="A", last_name="B", date_of_birth=date(2012, 1, 1)).upn == (
        "B801200005001"
    )
