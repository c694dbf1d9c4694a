"""Annual re-approval (issue 15): providers due, what changed since the last approval, re-approving."""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from school_admin import bp
from school_admin.forms import ReapprovalForm
from shared import roles
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import provider_of_my_school_or_404
from shared.models import SchoolProvider
from shared.models.base import utcnow
from shared.services.providers import approval, reapproval
from shared.web import apply


@bp.get("/providers/re-approval")
@access(roles={roles.AP_LEAD})
def reapprovals_due():
    return render_template(
        "school_admin/reapproval/due.html", due=reapproval.due_reapproval(current_organisation().id, utcnow())
    )


def _page(link: SchoolProvider, form: ReapprovalForm):
    last = reapproval.last_approval(link)
    now = utcnow()
    return render_template(
        "school_admin/reapproval/provider.html",
        link=link,
        organisation=link.provider,
        last=last,
        due=reapproval.is_due(link, now),
        changes=reapproval.changes_since(link, last.decided_at, with_concerns=current_user.has_role(roles.DSL))
        if last
        else None,
        checklist=approval.approval_checklist(link),
        form=form,
    )


@bp.route("/providers/<uuid:provider_id>/re-approval", methods=["GET", "POST"])
@access(roles={roles.AP_LEAD})
def provider_reapproval(provider_id: uuid.UUID):
    link = provider_of_my_school_or_404(provider_id)
    form = ReapprovalForm()
    if form.validate_on_submit() and apply(
        form, lambda: reapproval.reapprove(link, notes=form.notes.data, by=current_user), field="notes"
    ):
        flash(f"{link.provider.name} is re-approved for another year")
        return redirect(url_for("school_admin.provider_page", provider_id=provider_id))
    return _page(link, form)
