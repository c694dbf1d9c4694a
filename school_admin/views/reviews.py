"""Placement reviews (due and overdue, recording one) and the AP lead's site visits."""

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import own_or_404, provider_of_my_school_or_404
from shared.clock import local_now
from shared.forms import DayMonthYearField, MultiCheckboxField, RadiosField, choices_from, single_line
from shared.models import Placement, PlacementReview, SiteVisit
from shared.services.accounts import directory
from shared.services.placements import incidents, progress, reintegration, reviews
from shared.services.placements.reviews import DESTINATIONS, OUTCOMES, ReviewRecord, VisitRecord
from shared.services.providers import lists as provider_lists
from shared.standards_forms import QualityAssuranceFields, quality_record
from shared.web import apply

REVIEW_READERS = (roles.AP_LEAD, roles.HEADTEACHER, roles.SLT, roles.SENDCO, roles.DSL)
REVIEWERS = (roles.AP_LEAD, roles.SENDCO)
# The outcomes as the form offers them: what each leads to.
FORM_OUTCOMES = {
    **OUTCOMES,
    "adjust": "Adjust the placement (then set its new targets)",
    reviews.PHASED: "Start a phased return to school (you write the reintegration plan next)",
}
OUTCOME_MISSING = "Choose the outcome of the review: continue, adjust, a phased return to school or end the placement"
VISIT_READERS = (roles.AP_LEAD, roles.HEADTEACHER, roles.SLT)


def _line(label: str, description: str = "") -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        description=description,
        filters=[single_line],
        validators=[Optional(), Length(max=500, message="Keep this to 500 characters or fewer")],
    )


def _notes(label: str, required: str | None = None, description: str = "") -> TextAreaField:
    validators = [InputRequired(message=required)] if required else [Optional()]
    return TextAreaField(
        label,
        widget=GovTextArea(),
        description=description,
        validators=[*validators, Length(max=5000, message="Keep this to 5000 characters or fewer")],
    )


class ReviewForm(FlaskForm):
    held_on = DayMonthYearField(
        "Date the review was held", validators=[InputRequired(message="Enter the date the review was held")]
    )
    school_attendees = StringField(
        "School staff",
        widget=GovTextInput(),
        description="Names and roles, for example 'J Patel (AP lead), R Khan (SENDCO)'.",
        filters=[single_line],
        validators=[
            InputRequired(message="Enter who attended from the school"),
            Length(max=500, message="Keep this to 500 characters or fewer"),
        ],
    )
    provider_attendees = _line("Provider", "Leave blank if no one from the provider attended.")
    parents_attendees = _line("Parents or carers", "Leave blank if no parent or carer attended.")
    pupil_attendee = _line("The pupil", "For example, 'Attended for the first half'. Leave blank if they did not.")
    attendance_notes = _notes("Attendance", "Write the notes on attendance")
    behaviour = _notes("Behaviour", "Write the notes on behaviour")
    academic_progress = _notes("Academic progress", "Write the notes on academic progress")
    wellbeing = _notes("Wellbeing", "Write the notes on wellbeing")
    pupil_voice = _notes("The pupil's voice", description="What the pupil says about the placement, in their words.")
    outcome = RadiosField(
        "Outcome",
        choices=choices_from(FORM_OUTCOMES),
        invalid_message=OUTCOME_MISSING,
        validators=[InputRequired(message=OUTCOME_MISSING)],
    )
    changes = _notes("If adjusting: what changes", description="For example, the timetable, the support or the site.")
    end_date = DayMonthYearField("If ending: the date the placement ends", validators=[Optional()])
    destination = RadiosField(
        "If ending: where the pupil goes next",
        choices=choices_from(DESTINATIONS),
        invalid_message="Choose where the pupil goes when the placement ends",
        validators=[Optional()],
    )
    next_review_on = DayMonthYearField(
        "Date of the next review",
        description="Not needed if the placement ends or a phased return to school starts.",
        validators=[Optional()],
    )
    submit = SubmitField("Record review", widget=GovSubmitInput())


class FollowUpForm(FlaskForm):
    notes = _notes(
        "What you found",
        "Write what you found: where the pupil is now and how it is going",
        description="Where the pupil is now, whether the destination held, and anything the school will do.",
    )
    submit = SubmitField("Record the follow-up", widget=GovSubmitInput())


class VisitForm(QualityAssuranceFields, FlaskForm):  # type: ignore[misc,valid-type]
    visited_on = DayMonthYearField(
        "Date of the visit", validators=[InputRequired(message="Enter the date of the visit")]
    )
    site_id = RadiosField("Site visited", invalid_message="Choose the site you visited", validators=[Optional()])
    placement_ids = MultiCheckboxField(
        "Pupils seen", invalid_message="Select only pupils placed with this provider", validators=[Optional()]
    )
    findings = _notes("Findings", "Write what you found")
    actions = _notes("Actions", description="What the provider or the school will do, and by when.")
    shared = BooleanField(
        "Share with the other schools using this provider and the local authority",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Record visit", widget=GovSubmitInput())


def _today():
    return local_now().date()


# --- reviews -------------------------------------------------------------------------------------------------------


@bp.get("/reviews")
@access(roles=REVIEW_READERS)
def reviews_list():
    due = reviews.due_reviews(current_organisation().id, _today())
    follow_ups = [
        (r, reviews.placement_reviewed(r)) for r in reviews.follow_ups_due(current_organisation().id, _today())
    ]
    to_write = reintegration.plans_to_write(current_organisation().id)
    return render_template(
        "school_admin/reviews/list.html",
        due=due,
        follow_ups=follow_ups,
        to_write=to_write,
        destinations=DESTINATIONS,
        providers=directory.organisation_names(
            [r.placement.provider_id for r in due]
            + [p.provider_id for _, p in follow_ups]
            + [p.provider_id for p in to_write]
        ),
        can_record=current_user.has_role(*REVIEWERS),
    )


@bp.route("/placements/<uuid:placement_id>/reviews/new", methods=["GET", "POST"])
@access(roles=REVIEWERS)
def record_review(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    last = reviews.last_review_of(placement.id)
    today = _today()
    form = ReviewForm()
    if request.method == "GET":
        form.held_on.data = today
        form.next_review_on.data = reviews.suggested_next_review(placement, today)
    if form.validate_on_submit():
        details = ReviewRecord(
            **{name: form.data[name] for name in ReviewRecord.__dataclass_fields__},
        )
        saved = {}
        if apply(
            form,
            lambda: saved.update(review=reviews.record_review(placement, details, by=current_user, today=today)),
            field="held_on",
        ):
            if details.outcome == reviews.PHASED:
                flash("Review recorded. Now write the reintegration plan: the phased return to school, week by week.")
                return redirect(url_for("school_admin.reintegration_plan", placement_id=placement.id))
            if details.outcome == "adjust":
                # Adjusted with new targets: the AP lead sets them now, so the provider reports against them.
                flash("Review recorded. Now set the new targets agreed at the review.")
                return redirect(url_for("school_admin.placement_targets", placement_id=placement.id))
            ended = " The placement has ended." if details.outcome == "cease" else ""
            flash(f"Review recorded.{ended}")
            return redirect(url_for("school_admin.review_detail", review_id=saved["review"].id))
    return render_template(
        "school_admin/reviews/new.html",
        form=form,
        placement=placement,
        provider=directory.organisation(placement.provider_id),
        last=last,
        due_on=reviews.next_review_due(placement, last),
        figures=reviews.figures(placement, last, today),
        running=placement.status.value == "active",
        since_review={
            "baseline": progress.baseline_of(placement.id),
            "baseline_fields": progress.BASELINE_FIELDS,
            "targets": progress.targets_of(placement),
            "reports": progress.reports_since_review(placement.id, last.held_on if last else None),
            "ratings": progress.RATINGS,
        },
    )


def _review_page(review: PlacementReview, follow_up_form: FollowUpForm):
    placement = reviews.placement_reviewed(review)
    return render_template(
        "school_admin/reviews/detail.html",
        review=review,
        placement=placement,
        provider=directory.organisation(placement.provider_id),
        outcomes=OUTCOMES,
        destinations=DESTINATIONS,
        names=incidents.names_of([i for i in (review.recorded_by_id, review.followed_up_by_id) if i]),
        local=incidents.local,
        form=follow_up_form,
        follow_up_due=review.follow_up_on is not None and review.follow_up_on <= _today(),
        has_ended=review.end_date is not None and review.end_date < _today(),
        can_follow_up=current_user.has_role(*REVIEWERS),
    )


@bp.get("/reviews/<uuid:review_id>")
@access(roles=REVIEW_READERS)
def review_detail(review_id: uuid.UUID):
    review = own_or_404(PlacementReview, review_id, owner="school_id")
    return _review_page(review, FollowUpForm())


@bp.post("/reviews/<uuid:review_id>/follow-up")
@access(roles=REVIEWERS)
def record_follow_up(review_id: uuid.UUID):
    review = own_or_404(PlacementReview, review_id, owner="school_id")
    form = FollowUpForm()
    if form.validate_on_submit() and apply(
        form, lambda: reviews.record_follow_up(review, form.notes.data, by=current_user), field="notes"
    ):
        flash("Follow-up recorded.")
        return redirect(url_for("school_admin.review_detail", review_id=review.id))
    return _review_page(review, form)


# --- site visits ---------------------------------------------------------------------------------------------------


@bp.get("/visits")
@access(roles=VISIT_READERS)
def visits_list():
    visits = reviews.visits_of_school(current_organisation().id)
    sites = reviews.site_names(v.site_id for v in visits if v.site_id)
    return render_template(
        "school_admin/reviews/visits.html",
        visits=visits,
        providers=directory.organisation_names(v.provider_id for v in visits),
        sites=sites,
        record_for=provider_lists.provider_names_of_school(current_organisation().id),
    )


@bp.route("/providers/<uuid:provider_id>/visits/new", methods=["GET", "POST"])
@access(roles={roles.AP_LEAD})
def record_visit(provider_id: uuid.UUID):
    link = provider_of_my_school_or_404(provider_id)
    profile = link.profile
    school = current_organisation()
    sites = reviews.sites_of_provider(provider_id)
    placements = reviews.placements_at(school.id, provider_id)
    form = VisitForm()
    form.site_id.choices = choices_from({str(s.id): s.name for s in sites})
    form.placement_ids.choices = choices_from({str(p.id): p.pupil.named for p in placements})
    if request.method == "GET":
        form.visited_on.data = _today()
        if len(sites) == 1:
            form.site_id.data = str(sites[0].id)
    if form.validate_on_submit():
        details = VisitRecord(
            visited_on=form.visited_on.data,
            site_id=form.site_id.data,
            placement_ids=list(form.placement_ids.data or []),
            findings=form.findings.data,
            actions=form.actions.data,
            shared=bool(form.shared.data),
            quality=quality_record(form),
        )
        saved = {}
        if apply(
            form,
            lambda: saved.update(visit=reviews.record_visit(school, provider_id, details, by=current_user)),
            field="findings",
        ):
            flash(f"Visit to {profile.organisation.name} recorded")
            return redirect(url_for("school_admin.visit_detail", visit_id=saved["visit"].id))
    return render_template(
        "school_admin/reviews/new_visit.html", form=form, provider=profile.organisation, has_sites=bool(sites)
    )


@bp.get("/visits/<uuid:visit_id>")
@access(roles=VISIT_READERS)
def visit_detail(visit_id: uuid.UUID):
    visit = own_or_404(SiteVisit, visit_id, owner="school_id")
    seen = reviews.placements_seen(visit)
    return render_template(
        "school_admin/reviews/visit.html",
        visit=visit,
        provider=directory.organisation(visit.provider_id),
        site=reviews.site_visited(visit),
        pupils=sorted(p.pupil.named for p in seen),
        names=incidents.names_of([visit.recorded_by_id]),
        local=incidents.local,
    )
