"""The reintegration plan of a placement: a phased return to school, week by week, written after a review chooses
it (shared.services.placements.reintegration holds the rules)."""

import uuid
from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from school_admin import bp
from school_admin.views.reviews import REVIEW_READERS, REVIEWERS
from shared.auth.access import access
from shared.auth.tenancy import own_or_404
from shared.clock import local_now
from shared.forms import DayMonthYearField
from shared.models import Placement
from shared.models.pupil import TIMETABLE_SLOTS
from shared.services.accounts import directory
from shared.services.placements import reintegration
from shared.services.placements.plans import SLOT_LABELS
from shared.web import apply


def _text(label: str, description: str = "", limit: int = 2000) -> TextAreaField:
    return TextAreaField(
        label,
        widget=GovTextArea(),
        description=description,
        validators=[Optional(), Length(max=limit, message=f"Keep this to {limit} characters or fewer")],
    )


class PlanForm(FlaskForm):
    starts_on = DayMonthYearField(
        "The Monday the phased return starts",
        description="The plan goes week by week from this Monday.",
        validators=[Optional()],
    )
    weeks = HiddenField()  # how many weeks the grid has (its problems are shown on the grid)
    school_support = _text(
        "Who supports the pupil at school",
        "Their key adult, and anyone else: for example 'Ms Okafor (pastoral lead) meets him at the gate each day'.",
    )
    provider_support = _text("Who supports from the provider", "Leave blank if the provider has no part in it.")
    family_support = _text("What the pupil and family agreed to", "Leave blank if nothing was agreed.")
    notes = _text("Anything else agreed", "For example, a check-in every Friday.", limit=5000)
    submit = SubmitField("Save the reintegration plan", widget=GovSubmitInput())


def _week_count(raw: str | None, default: int) -> int:
    try:
        count = int(raw or default)
    except ValueError:
        count = default
    return max(1, min(reintegration.MAX_WEEKS, count))


def _choices_from_request(count: int) -> list[dict[str, str]]:
    return [
        {slot: request.form.get(f"w{number}_{slot}", reintegration.AT_NEITHER) for slot in TIMETABLE_SLOTS}
        for number in range(1, count + 1)
    ]


@bp.route("/placements/<uuid:placement_id>/reintegration", methods=["GET", "POST"])
@access(roles=REVIEW_READERS)
def reintegration_plan(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    today = local_now().date()
    plan = reintegration.plan_of(placement.id)
    choosing = reintegration.review_choosing_it(placement) if plan is None else None
    can_write = current_user.has_role(*REVIEWERS) and (
        (plan is None and choosing is not None) or (plan is not None and reintegration.can_change(plan, today))
    )
    form = PlanForm()
    started = reintegration.weeks_started(plan, today) if plan is not None else 0
    if request.method == "POST":
        if not can_write:
            flash("This reintegration plan cannot be changed.", "error")
            return redirect(url_for("school_admin.reintegration_plan", placement_id=placement.id))
        count = _week_count(form.weeks.data, reintegration.DEFAULT_WEEKS)
        choices = _choices_from_request(count)
        details = reintegration.PlanDetails(
            starts_on=form.starts_on.data,
            weeks=choices,
            school_support=form.school_support.data,
            provider_support=form.provider_support.data,
            family_support=form.family_support.data,
            notes=form.notes.data,
        )
        if form.validate() and apply(
            form,
            lambda: reintegration.save_plan(placement, details, by=current_user, today=today),
            field="weeks",
        ):
            flash(
                "Reintegration plan saved. The provider's register follows it week by week, and the placement ends "
                "on its last day."
            )
            return redirect(url_for("school_admin.reintegration_plan", placement_id=placement.id))
    else:
        default = len(plan.weeks) if plan is not None else reintegration.DEFAULT_WEEKS
        count = max(_week_count(request.args.get("weeks"), default), started)
        if plan is not None:
            choices = reintegration.as_choices(plan)[:count]
            choices += reintegration.default_weeks(placement, count)[len(choices) :]
            form.starts_on.data = plan.starts_on
            form.school_support.data = plan.school_support
            form.provider_support.data = plan.provider_support
            form.family_support.data = plan.family_support
            form.notes.data = plan.notes
        else:
            choices = reintegration.default_weeks(placement, count)
            form.starts_on.data = reintegration.monday_of(today) + timedelta(weeks=1)
    form.weeks.data = str(count)
    starts_on = form.starts_on.data if form.starts_on.data and not form.starts_on.errors else None
    return render_template(
        "school_admin/placements/reintegration.html",
        form=form,
        placement=placement,
        provider=directory.organisation(placement.provider_id),
        plan=plan,
        choosing=choosing,
        can_write=can_write,
        started=started,
        count=count,
        choices=choices,
        starts_on=starts_on if starts_on and starts_on.weekday() == 0 else None,
        slots=TIMETABLE_SLOTS,
        slot_labels=SLOT_LABELS,
        places=reintegration.PLACES,
        max_weeks=reintegration.MAX_WEEKS,
        weeks=plan and reintegration.week_rows(plan),
        timedelta=timedelta,
    )
