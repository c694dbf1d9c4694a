"""The DBS Update Service status check, behind an interface.

The live service (a status check by certificate number, the holder's current surname and date of birth, the
organisation and the checker's name) cannot be reached from here, so the app ships a fake for tests and the demo.
A live client slots in behind `DbsUpdateService` and `dbs_client_from_config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from shared.models import DbsCheckResult


@dataclass(frozen=True)
class StatusCheckRequest:
    certificate_number: str
    surname: str
    date_of_birth: date
    organisation_name: str
    checker_name: str


class DbsUpdateService(Protocol):
    def status_check(self, request: StatusCheckRequest) -> DbsCheckResult: ...


class FakeDbsUpdateService:
    """Answers by the certificate number's last digit, so tests and the demo can produce every answer:
    ...0 NEW_INFO, ...9 NON_BLANK_NO_NEW_INFO, ...8 NO_MATCH_FOUND, anything else BLANK_NO_NEW_INFO."""

    ANSWERS = {
        "0": DbsCheckResult.NEW_INFO,
        "9": DbsCheckResult.NON_BLANK_NO_NEW_INFO,
        "8": DbsCheckResult.NO_MATCH_FOUND,
    }

    def status_check(self, request: StatusCheckRequest) -> DbsCheckResult:
        return self.ANSWERS.get(request.certificate_number[-1:], DbsCheckResult.BLANK_NO_NEW_INFO)


def dbs_client_from_config(config: Mapping[str, Any]) -> DbsUpdateService:
    kind = config.get("DBS_CLIENT", "fake")
    if kind == "fake":
        return FakeDbsUpdateService()
    raise ValueError(f"DBS_CLIENT={kind!r} is not available in this build (only 'fake')")
