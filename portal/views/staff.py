"""The staff list (single-central-record view), DBS status checks and the KCSIE written confirmation."""

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal import bp
from portal.forms import ConfirmationForm, StaffMemberForm, StatusCheckForm
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import chosen_school_of_my_provider, staff_member_or_404
from shared.forms import ConfirmForm
from shared.models import DbsCheckResult
from shared.services.evidence import staff_flags, staff_list
from shared.web import apply, submitted


def _profile():
    return current_organisation().provider_profile


@bp.route("/onboarding/staff", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def staff_list_page():
    profile = _profile()
    form = StaffMemberForm()

    def details() -> staff_list.StaffDetails:
        checks = set(form.checks.data or [])
        return staff_list.StaffDetails(
            name=form.name.data or "",
            role=form.role.data or "",
            dbs_certificate_number=form.dbs_certificate_number.data,
            dbs_issue_date=form.dbs_issue_date.data,
            enhanced_with_barred_list=form.enhanced_with_barred_list.data == "yes",
            update_service_subscribed=form.update_service_subscribed.data == "yes",
            identity_checked="identity" in checks,
            right_to_work_checked="right_to_work" in checks,
            prohibition_check=form.prohibition_check.data,
            works_with_pupils=form.works_with_pupils.data == "yes",
            start_date=form.start_date.data,
        )

    added = {}
    if submitted(
        form,
        lambda: added.update(member=staff_list.add_staff_member(profile, details(), by=current_user)),
        check=lambda: staff_list.check_staff_member(details()),
    ):
        flash(f"{added['member'].name} added. Sign the written confirmation again to cover them.")
        return redirect(url_for("portal.staff_list_page"))
    staff = staff_list.active_staff(profile.organisation_id)
    choice = chosen_school_of_my_provider(request.args.get("school"))
    return render_template(
        "portal/onboarding/staff.html",
        form=form,
        staff=staff,
        choice=choice,
        flags=staff_flags.flags_of_staff(staff, choice.school_id),
        check_words=staff_flags.CHECK_RESULT_WORDS,
        confirmation=staff_list.current_confirmation(profile.organisation_id, choice.school_id),
        confirm_form=ConfirmForm(),
    )


@bp.route("/onboarding/staff/<uuid:member_id>/remove", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def remove_staff_member(member_id: uuid.UUID):
    """Asks first: someone is removed only after 'Yes, remove' on this page (one click on the list only opens it)."""
    member = staff_member_or_404(member_id)
    form = ConfirmForm()
    if form.validate_on_submit() and apply(
        form, lambda: staff_list.remove_staff_member(_profile(), member, by=current_user), field="submit"
    ):
        flash(f"{member.name} removed from the staff list")
        return redirect(url_for("portal.staff_list_page"))
    return render_template(
        "portal/onboarding/confirm_remove.html",
        form=form,
        what="Staff list",
        name=member.name,
        consequences=[
            f"{member.name} will no longer be on the staff list the school sees, with their DBS and other checks.",
            "Your written confirmation will need signing again to cover the list without them.",
        ],
        refused=None,
        back=url_for("portal.staff_list_page"),
    )


@bp.route("/onboarding/staff/<uuid:member_id>/status-check", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def status_check(member_id: uuid.UUID):
    member = staff_member_or_404(member_id)
    form = StatusCheckForm()
    outcome = {}
    if form.validate_on_submit() and apply(
        form,
        lambda: outcome.update(
            result=staff_list.run_status_check(
                _profile(),
                member,
                surname=form.surname.data,
                date_of_birth=form.date_of_birth.data,
                by=current_user,
            )
        ),
    ):
        result = outcome["result"]
        flash(
            f"Status check for {member.name}: {staff_list.RESULT_TEXT[result]}",
            "success" if result == DbsCheckResult.BLANK_NO_NEW_INFO else "warning",
        )
        return redirect(url_for("portal.staff_list_page"))
    return render_template("portal/onboarding/status_check.html", form=form, member=member)


@bp.route("/onboarding/confirmation", methods=["GET", "POST"])
@access(roles={roles.PROVIDER_MANAGER})
def confirmation():
    profile = _profile()
    form = ConfirmationForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: staff_list.sign_confirmation(
            profile,
            typed_name=form.typed_name.data,
            signer_role=form.signer_role.data,
            agreed="yes" in (form.agreed.data or []),
            by=current_user,
        ),
        field="typed_name",
    ):
        flash("Written confirmation signed")
        return redirect(url_for("portal.onboarding_tasks"))
    given_to = staff_list.schools_to_confirm_to(profile)
    current = staff_list.current_confirmations(profile.organisation_id)
    return render_template(
        "portal/onboarding/confirmation.html",
        form=form,
        statement=staff_list.CONFIRMATION_STATEMENT,
        staff=staff_list.active_staff(profile.organisation_id),
        given_to=given_to,
        current=next((current[link.school_id] for link in given_to if link.school_id in current), None),
        missing=[link.school.name for link in given_to if link.school_id not in current],
    )
