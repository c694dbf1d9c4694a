"""Placements, school side: the written plan, the headteacher's decision, the need-to-know summary for the provider,
the risk assessment, and ending a placement.

Who: the AP lead, SENDCO and DSL write and change plans; only the headteacher decides; only the SENDCO or DSL write
what the provider may know; the AP lead, DSL or SENDCO upload the risk assessment; the AP lead ends a placement.
Everyone who may read pupils may read placements.
"""

import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from school_admin import bp
from school_admin.views.ehcp_pack import EHCP_PACK_READERS
from school_admin.views.pupils import PUPIL_EDITORS, PUPIL_READERS
from school_admin.views.reviews import REVIEW_READERS
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import own_or_404
from shared.clock import today as school_today
from shared.forms import DayMonthYearField, MultiCheckboxField, RadiosField, choices_from, single_line
from shared.models import Organisation, Placement, ProgressPhoto, Pupil
from shared.services.placements import ehcp_pack, lists, progress, reintegration, reviews, risk
from shared.services.placements import plans as placement_rules
from shared.services.placements.pupils import YEAR_GROUPS
from shared.uploads.downloads import audited_download
from shared.uploads.policy import DEFAULT_ALLOWED
from shared.uploads.reasons import UploadRefused
from shared.web import apply, submitted

PLACEMENT_READERS = PUPIL_READERS
PLACEMENT_WRITERS = PUPIL_EDITORS
SUMMARY_WRITERS = (roles.SENDCO, roles.DSL)
RISK_ASSESSMENT_UPLOADERS = (roles.AP_LEAD, roles.DSL, roles.SENDCO)
TARGET_SETTERS = (roles.AP_LEAD, roles.SENDCO)
CONSULTED = {"sendco": "The SENDCO", "dsl": "The DSL", "parents": "Parents or carers"}
MONEY = re.compile(r"^\d{1,7}(\.\d{1,2})?$")
HOURS = re.compile(r"^\d{1,2}(\.\d)?$")


def _long_text(label: str, *, required: str | None = None, description: str = "") -> TextAreaField:
    validators = [InputRequired(message=required)] if required else [Optional()]
    validators.append(Length(max=4000, message="Keep this to 4000 characters or fewer"))
    return TextAreaField(label, widget=GovTextArea(), validators=validators, description=description)


class ChooseProviderForm(FlaskForm):
    """Step 1, sent by GET: which approved provider. Changes nothing, so it has no CSRF token."""

    class Meta:
        csrf = False

    provider = RadiosField("Which provider?", invalid_message="Choose one of the school's approved providers")
    next_step = SubmitField("Continue", widget=GovSubmitInput())


class PlacementForm(FlaskForm):
    """Step 2: the written plan, for the provider chosen in step 1 (checked again by the service)."""

    provider = HiddenField()
    sites = MultiCheckboxField(
        "Where will the pupil be taught?",
        invalid_message="Choose sites from the list",
        validators=[InputRequired(message="Choose the site or sites where the pupil will be taught")],
    )
    legal_basis = RadiosField(
        "Legal basis",
        choices=choices_from(placement_rules.LEGAL_BASIS_LABELS),
        invalid_message="Choose the legal basis of the placement",
    )
    primary_reason = RadiosField(
        "Main reason for the placement",
        choices=choices_from(placement_rules.PRIMARY_REASONS),
        invalid_message="Choose the main reason for the placement",
    )
    start_date = DayMonthYearField(
        "Start date", description="For example, 7 9 2026", validators=[InputRequired(message="Enter the start date")]
    )
    max_end_date = DayMonthYearField(
        "Maximum end date",
        description="The latest the placement can run without a new decision.",
        validators=[InputRequired(message="Enter the latest date the placement can run to")],
    )
    timetable = MultiCheckboxField(
        "Weekly timetable",
        choices=choices_from(placement_rules.SLOT_LABELS),
        invalid_message="Choose sessions from Monday to Friday, morning or afternoon",
        validators=[InputRequired(message="Choose the sessions the pupil will be at the provider each week")],
    )
    hours_per_week = StringField(
        "Hours a week",
        widget=GovTextInput(),
        description="For example, 12 or 12.5",
        validators=[InputRequired(message="Enter the hours a week")],
    )
    cost = StringField(
        "Cost in pounds (optional)",
        widget=GovTextInput(),
        description="For example, 45.50",
        filters=[lambda v: v.replace("£", "").replace(",", "").strip() if v else v],
        validators=[Optional()],
    )
    cost_period = RadiosField(
        "The cost is", choices=choices_from(placement_rules.COST_PERIODS), validators=[Optional()]
    )
    rationale = _long_text("Why this placement", required="Write why this placement is right for the pupil")
    intended_outcomes = _long_text("Intended outcomes", required="Write the outcomes the placement is meant to achieve")
    review_arrangements = _long_text(
        "Review arrangements",
        required="Write how the placement will be reviewed",
        description="Who meets, how often, and how the pupil's views are heard.",
    )
    reintegration_criteria = _long_text(
        "Reintegration criteria", required="Write what needs to happen for the pupil to come back"
    )
    review_interval_weeks = RadiosField(
        "Review every",
        choices=choices_from({str(weeks): f"{weeks} weeks" for weeks in placement_rules.REVIEW_INTERVALS}),
        invalid_message="Reviews are every 6, 7 or 8 weeks",
    )
    consulted = MultiCheckboxField("Who was consulted?", choices=choices_from(CONSULTED))
    consulted_professionals = _long_text(
        "Other professionals consulted (optional)", description="For example, the pupil's social worker."
    )
    parents_notified_on = DayMonthYearField("Date parents or carers were told (optional)")
    parents_notified_how = StringField(
        "How they were told (optional)",
        widget=GovTextInput(),
        filters=[single_line],
        description="For example, letter and phone call.",
        validators=[Optional(), Length(max=100, message="Keep this to 100 characters or fewer")],
    )
    la_informed_on = DayMonthYearField("Date the local authority was told (optional)")
    submit = SubmitField("Save plan and send for decision", widget=GovSubmitInput())

    def validate_hours_per_week(self, field) -> None:
        if not HOURS.match((field.data or "").strip()):
            raise ValidationError("Enter the hours a week as a number, like 12 or 12.5")

    def validate_cost(self, field) -> None:
        if field.data and not MONEY.match(field.data):
            raise ValidationError("Enter the cost in pounds and pence, like 45.50")

    def plan(self) -> placement_rules.PlacementPlan:
        consulted = set(self.consulted.data or [])
        return placement_rules.PlacementPlan(
            provider_id=_uuid(self.provider.data),
            site_ids=list(self.sites.data or []),
            legal_basis=self.legal_basis.data,
            primary_reason=self.primary_reason.data,
            start_date=self.start_date.data,
            max_end_date=self.max_end_date.data,
            timetable=list(self.timetable.data or []),
            hours_per_week=_read(lambda: Decimal(self.hours_per_week.data.strip())),
            cost_pence=_read(lambda: int(Decimal(self.cost.data) * 100)) if self.cost.data else None,
            cost_period=self.cost_period.data or None,
            rationale=self.rationale.data,
            intended_outcomes=self.intended_outcomes.data,
            review_arrangements=self.review_arrangements.data,
            reintegration_criteria=self.reintegration_criteria.data,
            review_interval_weeks=_read(lambda: int(self.review_interval_weeks.data)),
            consulted_sendco="sendco" in consulted,
            consulted_dsl="dsl" in consulted,
            consulted_parents="parents" in consulted,
            consulted_professionals=self.consulted_professionals.data,
            parents_notified_on=self.parents_notified_on.data,
            parents_notified_how=self.parents_notified_how.data,
            la_informed_on=self.la_informed_on.data,
        )


def _read(convert: Callable[[], Any]) -> Any:
    """A value the form's own checks may have refused already (it has its message): None if it cannot be read,
    so the plan's other rules can still be checked in the same pass."""
    try:
        return convert()
    except (ArithmeticError, ValueError, TypeError, AttributeError):
        return None


class DecisionForm(FlaskForm):
    decision = RadiosField(
        "Your decision",
        choices=choices_from({"agree": "Agree the placement", "decline": "Decline the placement"}),
        invalid_message="Choose to agree or decline",
    )
    notes = _long_text("Notes (optional)", description="For the record: what you took into account.")
    # Only on the page when the provider is over the independent school registration line (the service checks).
    confirm_registration = BooleanField(
        "I have checked the registration and the placement can go ahead", widget=GovCheckboxInput()
    )
    registration_reason = _long_text(
        "Why the placement can go ahead",
        description="For example: the provider registered with DfE (give its URN), or why full-time education there "
        "is lawful. This is kept with your decision and in the audit log.",
    )
    # Only on the page when the joint risk assessment is not signed by both DSLs (the service checks).
    proceed_unsigned_reason = _long_text(
        "Why the placement can start before the risk assessment is signed",
        description="Only if you agree. This is kept with the risk assessment and in the audit log.",
    )
    submit = SubmitField("Record decision", widget=GovSubmitInput())


class SummaryForm(FlaskForm):
    summary_send_needs = _long_text("Special educational needs (SEND)", description="What staff need to know.")
    summary_semh_needs = _long_text("Social, emotional and mental health (SEMH) needs")
    summary_support_plan = _long_text("Support plan", description="What works, what to avoid, who to call.")
    summary_interventions = _long_text("Learning mentor or other interventions")
    summary_agencies = _long_text("Agencies involved", description="Say only what the provider needs to know.")
    submit = SubmitField("Save summary for the provider", widget=GovSubmitInput())


class RiskAssessmentForm(FlaskForm):
    file = FileField("Choose a file", widget=GovFileInput(), validators=[FileRequired(message="Select a file")])
    submit = SubmitField("Upload risk assessment", widget=GovSubmitInput())


class EndForm(FlaskForm):
    end_date = DayMonthYearField(
        "Last day of the placement", validators=[InputRequired(message="Enter the date the placement ends")]
    )
    destination = RadiosField(
        "Where does the pupil go next?",
        choices=choices_from(placement_rules.END_DESTINATIONS),
        invalid_message="Choose where the pupil goes next",
    )
    submit = SubmitField("End placement", widget=GovSubmitInput())


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# --- writing the plan ---------------------------------------------------------------------------------------------


def _choose_provider_page(pupil: Pupil, form: ChooseProviderForm | None = None, error: str | None = None):
    providers = placement_rules.approved_providers(pupil.school_id)
    form = form or ChooseProviderForm(formdata=None)
    form.provider.choices = choices_from({str(p.id): p.name for p in providers})
    if error:
        form.provider.errors = [error]
    return render_template("school_admin/placements/choose_provider.html", form=form, pupil=pupil, providers=providers)


def _plan_page(pupil: Pupil, provider: Organisation, form: PlacementForm):
    return render_template(
        "school_admin/placements/plan.html",
        form=form,
        pupil=pupil,
        provider=provider,
        has_sites=bool(form.sites.choices),
    )


def _site_choices(profile) -> list:
    sites = profile.sites if profile else []
    return choices_from({str(site.id): f"{site.name}, {site.town} ({site.postcode})" for site in sites})


@bp.route("/pupils/<uuid:pupil_id>/placements/new", methods=["GET", "POST"])
@access(roles=PLACEMENT_WRITERS)
def new_placement(pupil_id: uuid.UUID):
    pupil = own_or_404(Pupil, pupil_id, owner="school_id")
    school = current_organisation()
    chosen = request.form.get("provider") if request.method == "POST" else request.args.get("provider")
    if request.method == "GET" and chosen is None:
        return _choose_provider_page(pupil)
    profile = placement_rules.provider_profile_of_school(school.id, _uuid(chosen)) if _uuid(chosen) else None
    if request.method == "GET":
        if profile is None or profile.organisation not in placement_rules.approved_providers(school.id):
            return _choose_provider_page(pupil, error="Choose one of the school's approved providers")
        form = PlacementForm(formdata=None, provider=str(profile.organisation_id))
        form.review_interval_weeks.data = str(current_app.config["REVIEW_INTERVAL_WEEKS"])
        form.sites.choices = _site_choices(profile)
        return _plan_page(pupil, profile.organisation, form)
    form = PlacementForm()
    form.sites.choices = _site_choices(profile)
    if profile is None:
        return _choose_provider_page(pupil, error="Choose one of the school's approved providers")
    created = {}
    if submitted(
        form,
        lambda: created.update(placement=placement_rules.create_placement(school, pupil, form.plan(), by=current_user)),
        check=lambda: placement_rules.check_plan(school.id, form.plan()),
        field="rationale",
    ):
        flash("Placement plan saved. The headteacher has been asked for a decision.")
        return redirect(url_for("school_admin.placement_page", placement_id=created["placement"].id))
    if form.provider.errors:
        return _choose_provider_page(pupil, error=form.provider.errors[0])
    return _plan_page(pupil, profile.organisation, form)


# --- changing the plan --------------------------------------------------------------------------------------------


def _plan_form_data(placement: Placement) -> dict:
    """The stored plan in the form's own shapes (pounds, strings, ticked boxes), to start the change from."""
    consulted = [
        name
        for name, ticked in (
            ("sendco", placement.consulted_sendco),
            ("dsl", placement.consulted_dsl),
            ("parents", placement.consulted_parents),
        )
        if ticked
    ]
    return {
        "provider": str(placement.provider_id),
        "sites": [str(site.id) for site in placement.sites],
        "legal_basis": placement.legal_basis,
        "primary_reason": placement.primary_reason,
        "start_date": placement.start_date,
        "max_end_date": placement.max_end_date,
        "timetable": list(placement.timetable or []),
        "hours_per_week": str(placement.hours_per_week) if placement.hours_per_week is not None else "",
        "cost": f"{placement.cost_pence / 100:.2f}" if placement.cost_pence is not None else "",
        "cost_period": placement.cost_period,
        "rationale": placement.rationale,
        "intended_outcomes": placement.intended_outcomes,
        "review_arrangements": placement.review_arrangements,
        "reintegration_criteria": placement.reintegration_criteria,
        "review_interval_weeks": str(placement.review_interval_weeks),
        "consulted": consulted,
        "consulted_professionals": placement.consulted_professionals,
        "parents_notified_on": placement.parents_notified_on,
        "parents_notified_how": placement.parents_notified_how,
        "la_informed_on": placement.la_informed_on,
    }


@bp.route("/placements/<uuid:placement_id>/edit", methods=["GET", "POST"])
@access(roles=PLACEMENT_WRITERS)
def edit_placement(placement_id: uuid.UUID):
    """Change the written plan. The provider stays (shown as text, kept in the hidden field, and the service refuses a
    different one); an ended or cancelled placement's plan is the record and the page says so."""
    placement = own_or_404(Placement, placement_id, owner="school_id")
    refused = placement_rules.why_plan_cannot_change(placement)
    if request.method == "POST" and not refused:
        form = PlacementForm()
    else:
        form = PlacementForm(formdata=None, data=_plan_form_data(placement))
    form.submit.label.text = "Save changes to the plan"
    form.sites.choices = _site_choices(
        placement_rules.provider_profile_of_school(placement.school_id, placement.provider_id)
    )
    changed, was_agreed = [], placement.headteacher_decision.value == "agreed"
    if not refused and submitted(
        form,
        lambda: changed.extend(placement_rules.update_placement(placement, form.plan(), by=current_user)),
        check=lambda: placement_rules.check_plan(placement.school_id, form.plan()),
        field="rationale",
    ):
        if not changed:
            flash("Nothing was changed")
        elif was_agreed and placement.headteacher_decision.value == "pending":
            flash("Plan changed. The headteacher has been asked to decide on the changed plan.")
        else:
            flash("Plan changed")
        return redirect(url_for("school_admin.placement_page", placement_id=placement.id))
    return render_template(
        "school_admin/placements/plan.html",
        form=form,
        pupil=placement.pupil,
        provider=placement.provider,
        placement=placement,
        editing=True,
        refused=refused,
        has_sites=bool(form.sites.choices),
        warning=placement_rules.registration_warning(placement.provider_id),
    )


# --- reading ------------------------------------------------------------------------------------------------------


@bp.get("/placements")
@access(roles=PLACEMENT_READERS)
def placements():
    rows = lists.placements_of_school(current_organisation().id)
    return render_template(
        "school_admin/placements/list.html",
        rows=rows,
        reviews_due=reviews.next_reviews_due([row.Placement for row in rows]),
        today=school_today(),
    )


def _placement_page(placement: Placement, **forms):
    documents = placement_rules.risk_assessments(placement)
    return render_template(
        "school_admin/placements/placement.html",
        placement=placement,
        pupil=placement.pupil,
        provider=placement.provider,
        warning=placement_rules.registration_warning(placement.provider_id),
        la_told_on=school_today(placement.la_notified_at) if placement.la_notified_at else None,
        documents=documents,
        next_review=reviews.next_reviews_due([placement])[placement.id],
        # Ended with an end date still to come (a review's "end" on a later date, or a phased return): it runs until
        # then, so the page says when it ends rather than that it has ended.
        ending=placement.status.value == "ended"
        and placement.end_date is not None
        and placement.end_date >= school_today(),
        reintegration={
            "plan": (plan := reintegration.plan_of(placement.id)),
            "to_write": plan is None and reintegration.review_choosing_it(placement) is not None,
            "can_read": current_user.has_role(*REVIEW_READERS),
        },
        progress={
            "baseline": progress.baseline_of(placement.id),
            "baseline_fields": progress.BASELINE_FIELDS,
            "targets": progress.targets_of(placement),
            "reports": (reports := progress.reports_of(placement.id)),
            "photos": progress.photos_of([report.id for report in reports]),
            "ratings": progress.RATINGS,
        },
        labels={
            "basis": placement_rules.LEGAL_BASIS_LABELS,
            "reason": placement_rules.PRIMARY_REASONS,
            "cost": placement_rules.COST_PERIODS,
            "slot": placement_rules.SLOT_LABELS,
            "destination": placement_rules.END_DESTINATIONS,
            "year": YEAR_GROUPS,
        },
        can={
            "decide": current_user.has_role(roles.HEADTEACHER) and placement.headteacher_decision.value == "pending",
            "summary": current_user.has_role(*SUMMARY_WRITERS),
            "upload": current_user.has_role(*RISK_ASSESSMENT_UPLOADERS),
            "end": current_user.has_role(roles.AP_LEAD) and placement.status.value == "active",
            "targets": current_user.has_role(*TARGET_SETTERS),
            "ehcp_pack": ehcp_pack.has_ehc_plan(placement) and current_user.has_role(*EHCP_PACK_READERS),
            "edit": current_user.has_role(*PLACEMENT_WRITERS)
            and placement_rules.why_plan_cannot_change(placement) is None,
        },
        **forms,
    )


@bp.get("/placements/<uuid:placement_id>")
@access(roles=PLACEMENT_READERS)
def placement_page(placement_id: uuid.UUID):
    return _placement_page(own_or_404(Placement, placement_id, owner="school_id"))


# --- the headteacher's decision -----------------------------------------------------------------------------------


@bp.route("/placements/<uuid:placement_id>/decision", methods=["GET", "POST"])
@access(roles={roles.HEADTEACHER})
def placement_decision(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    form = DecisionForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: placement_rules.decide(
            placement,
            agree=form.decision.data == "agree",
            notes=form.notes.data,
            by=current_user,
            registration_confirmed=bool(form.confirm_registration.data),
            registration_reason=form.registration_reason.data,
            proceed_unsigned_reason=form.proceed_unsigned_reason.data,
        ),
        field="decision",
    ):
        flash("Placement agreed" if form.decision.data == "agree" else "Placement declined")
        return redirect(url_for("school_admin.placement_page", placement_id=placement.id))
    return render_template(
        "school_admin/placements/decision.html",
        form=form,
        placement=placement,
        pupil=placement.pupil,
        warning=placement_rules.registration_warning(placement.provider_id),
        unsigned=placement.status.value == "planned" and risk.why_cannot_start(placement),
        labels={"basis": placement_rules.LEGAL_BASIS_LABELS, "reason": placement_rules.PRIMARY_REASONS},
    )


# --- what the provider may know -----------------------------------------------------------------------------------


@bp.route("/placements/<uuid:placement_id>/summary", methods=["GET", "POST"])
@access(roles=SUMMARY_WRITERS)
def placement_summary(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    form = SummaryForm(obj=placement)
    if form.validate_on_submit() and apply(
        form,
        lambda: placement_rules.save_summary(
            placement,
            placement_rules.NeedToKnowSummary(**{name: form.data[name] for name in placement_rules.SUMMARY_FIELDS}),
            by=current_user,
        ),
        field="summary_send_needs",
    ):
        flash("Summary saved. The provider can now see it.")
        return redirect(url_for("school_admin.placement_page", placement_id=placement.id))
    return render_template("school_admin/placements/summary.html", form=form, placement=placement)


# --- targets (issue 15) -------------------------------------------------------------------------------------------


class TargetsForm(FlaskForm):
    targets = TextAreaField(
        "Targets",
        widget=GovTextArea(),
        description="One target a line. The provider reports progress against each one every half-term.",
        validators=[InputRequired(message="Enter at least one target, one a line")],
    )
    submit = SubmitField("Save the targets", widget=GovSubmitInput())


@bp.route("/placements/<uuid:placement_id>/targets", methods=["GET", "POST"])
@access(roles=set(TARGET_SETTERS))
def placement_targets(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    form = TargetsForm()
    if not form.is_submitted():
        form.targets.data = "\n".join(progress.targets_of(placement))
    if form.validate_on_submit() and apply(
        form, lambda: progress.set_targets(placement, form.targets.data, by=current_user), field="targets"
    ):
        flash("Targets saved. The provider reports against them from now on.")
        return redirect(url_for("school_admin.placement_page", placement_id=placement.id))
    return render_template("school_admin/placements/targets.html", form=form, placement=placement)


@bp.get("/placements/<uuid:placement_id>/progress-photos/<uuid:photo_id>")
@access(roles=PLACEMENT_READERS)
def download_progress_photo(placement_id: uuid.UUID, photo_id: uuid.UUID):
    """A photo of the pupil's work from a progress report, to anyone who may read the placement; audited."""
    placement = own_or_404(Placement, placement_id, owner="school_id")
    photo = own_or_404(ProgressPhoto, photo_id, owner="school_id")
    if photo.placement_id != placement.id:
        abort(404)
    return audited_download(photo, "progress.photo_downloaded", organisation=current_organisation(), obj=placement)


# --- the risk assessment ------------------------------------------------------------------------------------------


@bp.route("/placements/<uuid:placement_id>/risk-assessment", methods=["GET", "POST"])
@access(roles=RISK_ASSESSMENT_UPLOADERS)
def upload_risk_assessment(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    form = RiskAssessmentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            placement_rules.store_risk_assessment(placement, upload.stream, upload.filename or "", by=current_user)
        except UploadRefused as refusal:
            form.file.errors.append(refusal.message)
        else:
            flash("Risk assessment uploaded")
            return redirect(url_for("school_admin.placement_page", placement_id=placement.id))
    return render_template(
        "school_admin/placements/risk_assessment.html",
        form=form,
        placement=placement,
        size_limit=f"{current_app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)} MB",
        accept=",".join(f".{extension}" for extension in sorted(DEFAULT_ALLOWED)),
        current=next(iter(placement_rules.risk_assessments(placement)), None),
    )


@bp.get("/placements/<uuid:placement_id>/risk-assessment/download")
@access(roles=PLACEMENT_READERS)
def download_risk_assessment(placement_id: uuid.UUID):
    """The current risk assessment (the newest upload), to anyone who may read the placement."""
    placement = own_or_404(Placement, placement_id, owner="school_id")
    document = next(iter(placement_rules.risk_assessments(placement)), None)
    if document is None:
        flash("No risk assessment has been uploaded for this placement yet", "error")
        return redirect(url_for("school_admin.placement_page", placement_id=placement.id))
    return audited_download(document, "placement.document_downloaded", organisation=placement.school)


# --- ending -------------------------------------------------------------------------------------------------------


@bp.route("/placements/<uuid:placement_id>/end", methods=["GET", "POST"])
@access(roles={roles.AP_LEAD})
def end_placement(placement_id: uuid.UUID):
    placement = own_or_404(Placement, placement_id, owner="school_id")
    form = EndForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: placement_rules.end_placement(
            placement, end_date=form.end_date.data, destination=form.destination.data, by=current_user
        ),
        field="end_date",
    ):
        flash("Placement ended")
        return redirect(url_for("school_admin.placement_page", placement_id=placement.id))
    return render_template("school_admin/placements/end.html", form=form, placement=placement)
