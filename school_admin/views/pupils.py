"""The school's pupils: list, record, create, edit and import from CSV.

Who: the AP lead, SENDCO and DSL keep the records (create, edit, import); the headteacher, attendance lead and SLT
read them. Governors and the school administrator (who manages accounts) do not see pupils.
"""

import uuid

from flask import Response, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import own_or_404
from shared.forms import DayMonthYearField, MultiCheckboxField, RadiosField, choices_from, single_line
from shared.models import Pupil
from shared.services.placements import lists
from shared.services.placements import pupils as pupil_records
from shared.services.placements.reviews import next_reviews_due
from shared.web import submitted

PUPIL_READERS = (roles.AP_LEAD, roles.SENDCO, roles.DSL, roles.HEADTEACHER, roles.ATTENDANCE_LEAD, roles.SLT)
PUPIL_EDITORS = (roles.AP_LEAD, roles.SENDCO, roles.DSL)
FLAGS = {
    "semh": "Social, emotional and mental health (SEMH) needs",
    "looked_after": "Looked after by the local authority",
    "early_help": "Open to Early Help",
}


def _text(label: str, *, required: str | None = None, max_length: int = 100, description: str = "") -> StringField:
    validators = [InputRequired(message=required)] if required else [Optional()]
    validators.append(Length(max=max_length, message=f"{label} must be {max_length} characters or fewer"))
    return StringField(
        label, widget=GovTextInput(), filters=[single_line], validators=validators, description=description
    )


def _email(label: str) -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        filters=[lambda v: v.strip() if v else v],
        validators=[
            Optional(),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
        ],
    )


class PupilForm(FlaskForm):
    upn = _text(
        "Unique pupil number (UPN)",
        required="Enter the UPN",
        max_length=20,
        description="13 characters, starting with the check letter, like A123456789012.",
    )
    first_name = _text("Legal first name", required="Enter the pupil's legal first name")
    last_name = _text("Legal last name", required="Enter the pupil's legal last name")
    preferred_name = _text(
        "Preferred first name (optional)", description="The name the pupil likes to be called, if different."
    )
    date_of_birth = DayMonthYearField(
        "Date of birth",
        description="For example, 14 3 2012",
        validators=[InputRequired(message="Enter the pupil's date of birth")],
    )
    year_group = SelectField(
        "Year group",
        widget=GovSelect(),
        choices=choices_from({"": "Choose a year group"} | pupil_records.YEAR_GROUPS),
        validators=[InputRequired(message="Choose a year group")],
    )
    send_status = RadiosField(
        "Special educational needs and disabilities (SEND)",
        choices=choices_from(pupil_records.SEND_LABELS),
        default="none",
        invalid_message="Choose the pupil's SEND status",
    )
    flags = MultiCheckboxField("Which of these apply?", choices=choices_from(FLAGS))
    child_protection = RadiosField(
        "Child protection",
        choices=choices_from(pupil_records.CHILD_PROTECTION_LABELS),
        default="none",
        invalid_message="Choose none, child in need or child protection plan",
    )
    social_worker_name = _text("Social worker's name (optional)", max_length=200)
    social_worker_email = _email("Social worker's email address (optional)")
    yot_worker = _text(
        "Youth offending team (YOT) worker (optional)",
        max_length=200,
        description="Their name and how to contact them.",
    )
    welfare_officer_name = _text(
        "Pupil welfare officer's name (optional)",
        max_length=200,
        description="If the pupil is open to the pupil welfare (attendance) service.",
    )
    welfare_officer_email = _email("Pupil welfare officer's email address (optional)")
    other_agencies = TextAreaField(
        "Other agencies involved (optional)",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=2000, message="Keep this to 2000 characters or fewer")],
    )
    submit = SubmitField("Save pupil", widget=GovSubmitInput())

    def details(self) -> pupil_records.PupilDetails:
        flags = set(self.flags.data or [])
        return pupil_records.PupilDetails(
            upn=self.upn.data,
            first_name=self.first_name.data,
            last_name=self.last_name.data,
            preferred_name=self.preferred_name.data,
            date_of_birth=self.date_of_birth.data,
            year_group=self.year_group.data,
            send_status=self.send_status.data,
            semh="semh" in flags,
            looked_after="looked_after" in flags,
            child_protection=self.child_protection.data,
            social_worker_name=self.social_worker_name.data,
            social_worker_email=self.social_worker_email.data,
            yot_worker=self.yot_worker.data,
            welfare_officer_name=self.welfare_officer_name.data,
            welfare_officer_email=self.welfare_officer_email.data,
            early_help="early_help" in flags,
            other_agencies=self.other_agencies.data,
        )


class ImportForm(FlaskForm):
    file = FileField("Choose a CSV file", widget=GovFileInput(), validators=[FileRequired(message="Select a CSV file")])
    submit = SubmitField("Check and import", widget=GovSubmitInput())


@bp.get("/pupils")
@access(roles=PUPIL_READERS)
def pupils():
    school_id = current_organisation().id
    rows = lists.pupils_of_school(school_id)
    return render_template(
        "school_admin/pupils/list.html",
        pupils=rows,
        year_groups=pupil_records.YEAR_GROUPS,
        can_edit=current_user.has_role(*PUPIL_EDITORS),
    )


@bp.route("/pupils/new", methods=["GET", "POST"])
@access(roles=PUPIL_EDITORS)
def new_pupil():
    form = PupilForm()
    created = {}
    if submitted(
        form,
        lambda: created.update(
            pupil=pupil_records.create_pupil(current_organisation(), form.details(), by=current_user)
        ),
        check=lambda: pupil_records.checked(form.details()),
        field="upn",
    ):
        flash("Pupil added")
        return redirect(url_for("school_admin.pupil_page", pupil_id=created["pupil"].id))
    return render_template("school_admin/pupils/form.html", form=form, pupil=None)


@bp.get("/pupils/<uuid:pupil_id>")
@access(roles=PUPIL_READERS)
def pupil_page(pupil_id: uuid.UUID):
    pupil = own_or_404(Pupil, pupil_id, owner="school_id")
    placements = lists.placements_of_pupil(pupil.id)
    return render_template(
        "school_admin/pupils/pupil.html",
        pupil=pupil,
        placements=placements,
        reviews_due=next_reviews_due(placements),
        year_groups=pupil_records.YEAR_GROUPS,
        send_labels=pupil_records.SEND_LABELS,
        cp_labels=pupil_records.CHILD_PROTECTION_LABELS,
        can_edit=current_user.has_role(*PUPIL_EDITORS),
    )


@bp.route("/pupils/<uuid:pupil_id>/edit", methods=["GET", "POST"])
@access(roles=PUPIL_EDITORS)
def edit_pupil(pupil_id: uuid.UUID):
    pupil = own_or_404(Pupil, pupil_id, owner="school_id")
    form = PupilForm(obj=pupil)
    if not form.is_submitted():
        form.send_status.data = pupil.send_status.value
        form.child_protection.data = pupil.child_protection.value
        form.year_group.data = pupil.year_group or ""
        form.flags.data = [name for name in FLAGS if getattr(pupil, name)]
    changed = []
    if submitted(
        form,
        lambda: changed.extend(pupil_records.update_pupil(pupil, form.details(), by=current_user)),
        check=lambda: pupil_records.checked(form.details()),
        field="upn",
    ):
        flash("Pupil record saved" if changed else "Nothing had changed")
        return redirect(url_for("school_admin.pupil_page", pupil_id=pupil.id))
    return render_template("school_admin/pupils/form.html", form=form, pupil=pupil)


@bp.route("/pupils/import", methods=["GET", "POST"])
@access(roles=PUPIL_EDITORS)
def import_pupils():
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        filename = (upload.filename or "").lower()
        data = upload.stream.read(pupil_records.MAX_IMPORT_BYTES + 1)
        if not filename.endswith(".csv"):
            problems = ["The file must be a CSV file (its name ends in .csv)"]
        else:
            try:
                count = pupil_records.import_pupils(current_organisation(), data, by=current_user)
            except pupil_records.ImportRefused as refusal:
                problems = refusal.problems
            else:
                flash(f"{count} {'pupil' if count == 1 else 'pupils'} imported")
                return redirect(url_for("school_admin.pupils"))
    problems = problems or list(form.file.errors)
    return render_template(
        "school_admin/pupils/import.html",
        import_form=form,
        problems=problems,
        columns=pupil_records.IMPORT_COLUMNS,
        size_limit=f"{pupil_records.MAX_IMPORT_BYTES // (1024 * 1024)} MB",
    )


@bp.get("/pupils/import/example.csv")
@access(roles=PUPIL_EDITORS)
def pupil_import_example():
    response = Response(pupil_records.example_csv(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="pupils-example.csv"'
    return response
