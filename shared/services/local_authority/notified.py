"""The school telling its local authority of a placement it commissions (DfE's 2025 guidance: schools should tell
the LA of every placement in alternative provision). AP Portal does it when the headteacher agrees the placement:
the LA's officers get an in-app notification and an e-mail, and the placement keeps the moment (`la_notified_at`).

The e-mail names the school, the provider and the start date, never the pupil: the officer reads who on the LA's
placements page, after signing in with two steps.
"""

from __future__ import annotations

from shared import audit
from shared.extensions import db
from shared.links import Link
from shared.models import Organisation, Placement, User, utcnow
from shared.notifications import tell_role
from shared.roles import LA_OFFICER


def tell_local_authority(placement: Placement, *, by: User) -> bool:
    """Tell the school's local authority of an agreed placement, in the caller's transaction; whether it was told.
    Once per placement: a plan changed and agreed again keeps the first date the LA was told. A school with no
    local authority tells no one."""
    school = placement.school
    if placement.la_notified_at is not None or school.local_authority_id is None:
        return False
    authority = db.session.get(Organisation, school.local_authority_id)
    if authority is None:
        return False
    placement.la_notified_at = utcnow()
    officers = tell_role(
        authority,
        LA_OFFICER,
        text=(
            f"{school.name} has placed a pupil at {placement.provider.name} from "
            f"{placement.start_date.strftime('%-d %B %Y')}; see AP Portal."
        ),
        link=Link.to("local_authority.placements", school=school.id),
        subject=f"AP Portal: {school.name} has told you of a placement",
    )
    audit.record(
        "placement.la_notified",
        organisation=school,
        obj=placement,
        actor=by,
        local_authority=str(authority.id),
        officers=officers,
    )
    return True
