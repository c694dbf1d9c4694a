"""A provider's staff list as the school sees it (a single-central-record view), its flags, and the AP lead's
decision on each flag."""

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from school_admin import bp
from shared import roles
from shared.auth.access import access
from shared.auth.tenancy import provider_of_my_school_or_404, staff_member_of_provider_or_404
from shared.forms import RadiosField, choices_from
from shared.services.evidence import staff_flags, staff_list
from shared.web import apply

# Who sees the staff list: the people who decide whether the school can trust the provider with its pupils.
STAFF_LIST_READERS = {roles.AP_LEAD, roles.DSL, roles.HEADTEACHER}


class FlagDecisionForm(FlaskForm):
    outcome = RadiosField(
        "What have you done?",
        choices=[],
        invalid_message="Choose what you have done",
        validators=[InputRequired(message="Choose what you have done")],
    )
    reason = TextAreaField(
        "Your reason",
        widget=GovTextArea(),
        description="What you found and why you decided this. It is kept in the record; the provider does not see it.",
        validators=[
            InputRequired(message="Give your reason: it is kept in the record"),
            Length(max=4000, message="Keep your reason to 4000 characters or fewer"),
        ],
    )
    submit = SubmitField("Record your decision", widget=GovSubmitInput())


def _outcome_labels(flag: staff_flags.StaffFlag) -> dict[str, str]:
    return {
        staff_flags.ACCEPTED: "I have risk assessed it: they may keep working with our pupils"
        if flag.is_status_check
        else "I accept it: they may work with our pupils",
        staff_flags.ASKED_PROVIDER: "I have asked the provider about it (the flag stays open)",
        staff_flags.REMOVED: "Remove them from the staff list: they may not work with our pupils",
    }


@bp.get("/providers/<uuid:provider_id>/staff")
@access(roles=STAFF_LIST_READERS)
def provider_staff(provider_id: uuid.UUID):
    link = provider_of_my_school_or_404(provider_id)
    profile = link.profile
    staff = staff_list.active_staff(profile.organisation_id)
    flags = staff_flags.flags_of_staff(staff, link.school_id)
    return render_template(
        "school_admin/provider_staff.html",
        profile=profile,
        organisation=profile.organisation,
        staff=staff,
        flags=flags,
        open_count=sum(flag.open for member_flags in flags.values() for flag in member_flags),
        confirmation=staff_list.current_confirmation(profile.organisation_id, link.school_id),
        check_words=staff_flags.CHECK_RESULT_WORDS,
        masked=staff_flags.masked_dbs_number,
        outcomes={staff_flags.ASKED_PROVIDER: "Asked the provider", staff_flags.REMOVED: "Removed"},
        can_decide=current_user.has_role(roles.AP_LEAD),
    )


@bp.route("/providers/<uuid:provider_id>/staff/<uuid:member_id>/flags/<flag_key>", methods=["GET", "POST"])
@access(roles={roles.AP_LEAD})
def staff_flag_decision(provider_id: uuid.UUID, member_id: uuid.UUID, flag_key: str):
    link = provider_of_my_school_or_404(provider_id)
    profile = link.profile
    member = staff_member_of_provider_or_404(profile, member_id)
    flag = staff_flags.find_flag(link, member, flag_key)
    if flag is None:
        abort(404)
    form = FlagDecisionForm()
    form.outcome.choices = choices_from(_outcome_labels(flag))
    if form.validate_on_submit() and apply(
        form,
        lambda: staff_flags.decide_flag(
            link, member, flag_key, outcome=form.outcome.data, reason=form.reason.data, by=current_user
        ),
        field="outcome",
    ):
        done = {
            staff_flags.ACCEPTED: "accepted",
            staff_flags.ASKED_PROVIDER: "recorded; the flag stays open",
            staff_flags.REMOVED: f"recorded; {member.name} is off the staff list",
        }[form.outcome.data]
        flash(f"Your decision on {member.name}'s flag is {done}")
        return redirect(url_for("school_admin.provider_staff", provider_id=provider_id))
    return render_template(
        "school_admin/staff_flag_decision.html",
        profile=profile,
        organisation=profile.organisation,
        member=member,
        flag=flag,
        form=form,
        check_words=staff_flags.CHECK_RESULT_WORDS,
        masked=staff_flags.masked_dbs_number,
    )
