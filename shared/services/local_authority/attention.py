"""The local authority officer's home: what needs attention across the schools in its area (issue 14). Counts and
where to look, never who: placements the schools told the LA of in the last fortnight, placements over or near the
DfE's intended limits on unregistered provision, and providers over the independent school registration line."""

from __future__ import annotations

import uuid
from datetime import datetime

from shared.clock import today as school_today
from shared.links import Link
from shared.models import Placement
from shared.services.attention.tasks import FOR_INFORMATION, SOON, TODAY, URGENT, Task, how_many, is_are
from shared.services.local_authority import placements, providers
from shared.services.local_authority.limits import APPROACHING_WEEKS, Limits


def la_tasks(la_id: uuid.UUID, now: datetime) -> list[Task]:
    """Four queries whatever the size of the area."""
    today, limits = school_today(now), Limits.configured()
    tasks = []
    told = placements.recently_told_count(la_id, today)
    if told:
        tasks.append(
            Task(
                "la.told",
                FOR_INFORMATION,
                f"{how_many(told, 'placement', 'placements')} notified by schools in the last "
                f"{placements.RECENT_DAYS} days",
                Link.to("local_authority.placements", show=placements.SHOW_RECENT),
            )
        )
    counts = placements.limit_counts(Placement.school_id.in_(placements.schools_in(la_id)), today, limits)
    link = Link.to("local_authority.placements", show=placements.SHOW_LIMITS)
    if counts.over:
        tasks.append(
            Task(
                "la.limits_over",
                URGENT,
                f"{how_many(counts.over, 'placement', 'placements')} at unregistered providers "
                f"{is_are(counts.over)} beyond the DfE's intended limits",
                link,
            )
        )
    if counts.approaching:
        tasks.append(
            Task(
                "la.limits_approaching",
                SOON,
                f"{how_many(counts.approaching, 'full-time placement', 'full-time placements')} at unregistered "
                f"providers {is_are(counts.approaching)} within {APPROACHING_WEEKS} weeks of the DfE's intended limit",
                link,
            )
        )
    over = providers.over_threshold_count(la_id)
    if over:
        tasks.append(
            Task(
                "la.registration",
                TODAY,
                f"{how_many(over, 'provider your schools use is', 'providers your schools use are')} over the line "
                "where it must register as an independent school",
                Link.to("local_authority.providers", show=providers.SHOW_THRESHOLD),
            )
        )
    return tasks
