""" "Needs your attention": the home page's task list for each role, on both sides. Read-only.

A task says how many things wait, where to act, and how long the oldest has waited: never what they are about. A
safeguarding task is a count and a link, nothing of a concern's or notice's content and no pupil's name (the home
page is the first thing on the screen when someone signs in, often in a shared office).

Every list is a fixed number of set-based queries whatever the size of the school (issue 6: at most 20 for a list;
tests/test_attention.py counts them). The rules of what is due are the other services' (reviews.next_review_due,
the attendance "today" overview, the evidence catalogue), applied here to rows loaded in bulk.

"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared import roles
from shared.links import Link
from shared.models import RiskAssessment

URGENT, TODAY, SOON, FOR_INFORMATION = 1, 2, 3, 4
URGENCY_TAGS = {
    URGENT: ("Urgent", "govuk-tag--red"),
    TODAY: ("Today", "govuk-tag--orange"),
    SOON: ("Soon", "govuk-tag--blue"),
    FOR_INFORMATION: ("For information", "govuk-tag--grey"),
}

# How far ahead each list looks (issue 6).
EVIDENCE_LAPSING_DAYS = 60
# The AP lead: reviews overdue or due within a week (shared.services.placements.reviews.DUE_SOON_DAYS).
REVIEW_DUE_DAYS = 7
PROVIDER_REVIEW_DAYS = 14  # the provider: reviews to attend in the next fortnight
REINTEGRATION_WEEKS = 4
# Every provider with pupils placed is visited at least once a half-term (about six weeks): the policy asks the AP
# lead to visit sites to review pupils' progress and sets no interval, so this is the school's choice (config).
VISIT_EVERY_DAYS = 42
UNDELIVERED_AFTER = timedelta(minutes=15)  # an absence alert's e-mail should have gone by then

# What someone can do when nothing needs them, by role (the first of their roles that has a line).
QUIET_LINES = {
    roles.DSL: "You can share a safeguarding notice with a provider or read the concerns you have dealt with.",
    roles.ATTENDANCE_LEAD: "You can look at today's attendance or the attendance percentages.",
    roles.AP_LEAD: "You can look at your providers, placements and reviews.",
    roles.SENDCO: "You can look at placements and their need-to-know summaries.",
    roles.HEADTEACHER: "You can look at placements, incidents and attendance.",
    roles.PROVIDER_MANAGER: "You can look at your pupils, your evidence and your staff list.",
    roles.PROVIDER_DSL: "You can look at the safeguarding notices and concerns you have dealt with.",
    roles.PROVIDER_STAFF: "You can take attendance or report an incident.",
}


@dataclass(frozen=True)
class Task:
    """One line of the list: how urgent, what waits (with a count), where to act, since when."""

    key: str  # what it counts, so a person with two roles sees it once
    urgency: int
    text: str
    link: Link  # where to act: the view makes it a URL
    oldest: datetime | None = None

    @property
    def tag(self) -> tuple[str, str]:
        return URGENCY_TAGS[self.urgency]

    def age(self, now: datetime) -> str | None:
        """How long the oldest has waited, in words ("oldest 3 hours")."""
        if self.oldest is None:
            return None
        minutes = max(0, int((now - self.oldest).total_seconds() // 60))
        if minutes < 1:
            return "just now"
        if minutes < 60:
            amount = (minutes, "minute")
        elif minutes < 48 * 60:
            amount = (minutes // 60, "hour")
        else:
            amount = (minutes // (24 * 60), "day")
        return f"oldest {amount[0]} {amount[1]}{'' if amount[0] == 1 else 's'}"


def how_many(n: int, one: str, many: str) -> str:
    return f"1 {one}" if n == 1 else f"{n} {many}"


def is_are(n: int) -> str:
    return "is" if n == 1 else "are"


def ordered(tasks: Iterable[Task]) -> list[Task]:
    """Each thing once, most urgent first, then the longest waiting."""
    unique: dict[str, Task] = {}
    for task in tasks:
        unique.setdefault(task.key, task)
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted(unique.values(), key=lambda t: (t.urgency, t.oldest or far_future, t.text))


def quiet_line(user_roles: Iterable[str]) -> str:
    held = set(user_roles)
    for role, line in QUIET_LINES.items():
        if role in held:
            return line
    return "You can use the menu to find what you need."


def aware(moment: datetime | str | None) -> datetime | None:
    """A timestamp from a scalar subquery comes back without UTCDateTime's processing (naive on SQLite)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def risk_assessments_to_review(reopened: list[RiskAssessment], key: str, side: str) -> list[Task]:
    """Risk assessments reopened after a serious incident or a concern, until both DSLs have signed again: a count
    and a link to the oldest (a safeguarding task: no pupil's name on the home page)."""
    if not reopened:
        return []
    text = (
        how_many(len(reopened), "risk assessment", "risk assessments")
        + f" reopened after a serious incident or a concern {is_are(len(reopened))} waiting for review and signing"
    )
    link = Link.to(f"{side}.risk_assessment_page", placement_id=reopened[0].placement_id)
    return [Task(f"{key}.risk_assessments", URGENT, text, link, reopened[0].reopened_at)]
