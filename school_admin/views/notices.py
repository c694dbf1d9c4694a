"""Safeguarding notices the school DSL shares with the DSLs of the providers where a pupil is placed. Only the
school's DSLs (and deputies) reach these pages, with a security code given in the last 15 minutes."""

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation, recent_mfa_required
from shared.auth.tenancy import own_or_404
from shared.forms import DayMonthYearField, MultiCheckboxField, RadiosField, choices_from, single_line
from shared.models import Notice
from shared.services.placements import lists
from shared.services.placements.incidents import local
from shared.services.safeguarding import notices
from shared.services.safeguarding.notices import CHILD_PRESENT, NOTICE_KINDS, NoticeDraft
from shared.uploads.downloads import audited_download
from shared.uploads.policy import DEFAULT_ALLOWED
from shared.uploads.reasons import UploadRefused
from shared.web import apply


class ChoosePupilForm(FlaskForm):
    """Step 1, sent by GET: which pupil. Changes nothing, so it has no CSRF token."""

    class Meta:
        csrf = False

    pupil = RadiosField("Which pupil is the notice about?", invalid_message="Choose a pupil placed with a provider")
    next_step = SubmitField("Continue", widget=GovSubmitInput())


class NoticeForm(FlaskForm):
    kind = RadiosField(
        "What are you sharing?",
        choices=choices_from(NOTICE_KINDS),
        invalid_message="Choose what kind of notice this is",
        validators=[InputRequired(message="Choose what kind of notice this is")],
    )
    police_reference = StringField(
        "Police reference",
        widget=GovTextInput(),
        filters=[single_line],
        validators=[Optional(), Length(max=100, message="Keep the police reference to 100 characters or fewer")],
    )
    incident_on = DayMonthYearField("Date of the incident", description="For example, 29 11 2026")
    incident_time = StringField(
        "Time of the incident",
        widget=GovTextInput(),
        description="For example, 22:15 or 10:15pm",
        filters=[single_line],
        validators=[Optional(), Length(max=10)],
    )
    incident_place = StringField(
        "Where it happened",
        widget=GovTextInput(),
        description="For example, the family home.",
        filters=[single_line],
        validators=[Optional(), Length(max=200, message="Keep where it happened to 200 characters or fewer")],
    )
    child_present = RadiosField(
        "Was the child present?",
        choices=choices_from(CHILD_PRESENT),
        invalid_message="Say whether the child was present",
        validators=[Optional()],
    )
    provider_text = TextAreaField(
        "What the provider needs to know",
        widget=GovTextArea(),
        description="Need-to-know only: what the provider's DSL needs to keep the child safe and supported today. "
        "This is what they read.",
        validators=[
            InputRequired(message="Write what the provider needs to know"),
            Length(max=5000, message="Keep this to 5000 characters or fewer"),
        ],
    )
    attach = BooleanField("Attach the original document", widget=GovCheckboxInput())
    file = FileField("The original document", widget=GovFileInput())
    expires_on = DayMonthYearField(
        "Expiry date (optional)",
        description="After this date the provider can no longer open the notice. Leave blank for no expiry.",
    )
    provider_ids = MultiCheckboxField(
        "Share with",
        invalid_message="Select only providers where the pupil is placed",
        validators=[InputRequired(message="Select at least one provider")],
    )
    submit = SubmitField("Share notice", widget=GovSubmitInput())

    def draft(self) -> NoticeDraft:
        upload = self.file.data
        has_file = upload is not None and getattr(upload, "filename", None)
        return NoticeDraft(
            kind=self.kind.data,
            provider_text=self.provider_text.data,
            provider_ids=list(self.provider_ids.data or []),
            police_reference=self.police_reference.data,
            incident_on=self.incident_on.data,
            incident_time=self.incident_time.data,
            incident_place=self.incident_place.data,
            child_present=self.child_present.data,
            expires_on=self.expires_on.data,
            attach=bool(self.attach.data),
            file=upload.stream if has_file else None,
            filename=upload.filename if has_file else None,
        )


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _choose_pupil_page(error: str | None = None):
    pupils = notices.pupils_to_share_about(current_organisation().id)
    form = ChoosePupilForm(formdata=None)
    form.pupil.choices = choices_from(
        {str(p.id): f"{p.named} ({p.year_label})" if p.year_label else p.named for p in pupils}
    )
    if error:
        form.pupil.errors = [error]
    return render_template("school_admin/notices/choose_pupil.html", form=form, pupils=pupils)


@bp.get("/notices")
@access(roles={roles.DSL})
@recent_mfa_required
def notices_list():
    rows = notices.notices_for_school(current_organisation().id)
    return render_template(
        "school_admin/notices/list.html",
        notices=rows,
        pupils=notices.pupils_by_id(rows),
        providers=notices.organisations_by_id(n.provider_id for n in rows),
        kinds=NOTICE_KINDS,
        local=local,
        overdue=notices.is_overdue,
    )


@bp.route("/notices/new", methods=["GET", "POST"])
@access(roles={roles.DSL})
@recent_mfa_required
def new_notice():
    school = current_organisation()
    pupil_id = _uuid(request.args.get("pupil"))
    if request.args.get("pupil") is None:
        return _choose_pupil_page()
    pupil = lists.pupil(pupil_id) if pupil_id else None
    if pupil is None or pupil.school_id != school.id:
        return _choose_pupil_page(error="Choose a pupil placed with a provider")
    placements = notices.placements_to_share_with(pupil)
    if not placements:
        return _choose_pupil_page(error="This pupil has no agreed placement, so there is no provider to tell")
    form = NoticeForm() if request.method == "POST" else NoticeForm(formdata=None)
    form.provider_ids.choices = choices_from({str(p.provider_id): p.provider.name for p in placements})
    if request.method == "GET":
        form.provider_ids.data = [str(p.provider_id) for p in placements]  # every provider, unless unticked
    shared = {}
    if request.method == "POST" and form.validate_on_submit():
        try:
            ok = apply(
                form,
                lambda: shared.update(result=notices.share(school, pupil, form.draft(), by=current_user)),
                field="provider_text",
            )
        except UploadRefused as refusal:
            form.file.errors.append(refusal.message)
            ok = False
        if ok:
            rows, untold = shared["result"]
            flash("Notice shared. The provider's DSL has been told a notice is waiting, without any of its content.")
            for provider in untold:
                flash(f"{provider.name} has no DSL on AP Portal, so no one there was told. Phone them.", "error")
            return redirect(url_for("school_admin.notice_detail", notice_id=rows[0].id))
    return render_template(
        "school_admin/notices/new.html",
        form=form,
        pupil=pupil,
        accept=",".join(f".{ext}" for ext in sorted(DEFAULT_ALLOWED)),
    )


@bp.get("/notices/<uuid:notice_id>")
@access(roles={roles.DSL})
@recent_mfa_required
def notice_detail(notice_id: uuid.UUID):
    notice = own_or_404(Notice, notice_id, owner="school_id")
    notices.record_opened(notice, by=current_user)
    providers = notices.organisations_by_id([notice.provider_id])
    return render_template(
        "school_admin/notices/detail.html",
        notice=notice,
        pupil=lists.pupil(notice.pupil_id),
        provider=providers[notice.provider_id],
        attachment=notices.attachment_of(notice),
        names=notices.names_of([notice.shared_by_id, notice.acknowledged_by_id]),
        kinds=NOTICE_KINDS,
        child_present=CHILD_PRESENT,
        local=local,
        expired=notices.is_expired(notice),
        overdue=notices.is_overdue(notice),
        chase_at=local(notices.chase_due_at(notice)),
    )


@bp.get("/notices/<uuid:notice_id>/file")
@access(roles={roles.DSL})
@recent_mfa_required
def notice_file(notice_id: uuid.UUID):
    notice = own_or_404(Notice, notice_id, owner="school_id")
    attachment = notices.attachment_of(notice)
    if attachment is None:
        flash("No document was attached to this notice", "error")
        return redirect(url_for("school_admin.notice_detail", notice_id=notice.id))
    if attachment.school_id != notice.school_id:
        abort(404)
    return audited_download(
        attachment, "notice.attachment_downloaded", organisation=current_user.organisation, obj=notice
    )
