"""Safeguarding notices from the school, for the provider's DSL only. Everyone else at the provider gets a 404 on
every notice URL, so they cannot tell that notices exist; the menus and pages they see never mention them."""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from portal import bp
from shared import roles
from shared.auth.access import access, current_organisation, recent_mfa_required
from shared.auth.tenancy import own_or_404
from shared.models import Notice
from shared.services.accounts import directory
from shared.services.placements import lists
from shared.services.placements.incidents import local
from shared.services.providers.lists import school_labels
from shared.services.safeguarding import notices
from shared.services.safeguarding.notices import CHILD_PRESENT, NOTICE_KINDS
from shared.uploads.downloads import audited_download
from shared.web import apply


class AcknowledgeForm(FlaskForm):
    submit = SubmitField("I have read this notice", widget=GovSubmitInput())


@bp.get("/notices")
@access(roles={roles.PROVIDER_DSL}, hidden=True)
@recent_mfa_required
def notices_list():
    rows = notices.notices_for_provider(current_organisation().id)
    return render_template(
        "portal/notices/list.html",
        notices=rows,
        pupils=notices.pupils_by_id(rows),
        schools=notices.organisations_by_id(n.school_id for n in rows),
        several=bool(school_labels(current_organisation().id)),
        kinds=NOTICE_KINDS,
        local=local,
        expired=notices.is_expired,
    )


def _page(notice: Notice, form: AcknowledgeForm):
    expired = notices.is_expired(notice)
    return render_template(
        "portal/notices/detail.html",
        notice=notice,
        expired=expired,
        pupil=lists.pupil(notice.pupil_id),
        school=directory.organisation(notice.school_id),
        attachment=None if expired else notices.attachment_of(notice),
        names=notices.names_of([notice.acknowledged_by_id]),
        kinds=NOTICE_KINDS,
        child_present=CHILD_PRESENT,
        local=local,
        form=form,
    )


@bp.get("/notices/<uuid:notice_id>")
@access(roles={roles.PROVIDER_DSL}, hidden=True)
@recent_mfa_required
def notice_detail(notice_id: uuid.UUID):
    notice = own_or_404(Notice, notice_id, owner="provider_id")
    notices.record_opened(notice, by=current_user)
    return _page(notice, AcknowledgeForm(formdata=None))


@bp.post("/notices/<uuid:notice_id>/acknowledge")
@access(roles={roles.PROVIDER_DSL}, hidden=True)
@recent_mfa_required
def acknowledge_notice(notice_id: uuid.UUID):
    notice = own_or_404(Notice, notice_id, owner="provider_id")
    form = AcknowledgeForm()
    if form.validate_on_submit() and apply(form, lambda: notices.acknowledge(notice, by=current_user), field="submit"):
        flash("Notice acknowledged. The school's DSL can see that you have read it.")
    for message in form.submit.errors:
        flash(message, "error")
    return redirect(url_for("portal.notice_detail", notice_id=notice.id))


@bp.get("/notices/<uuid:notice_id>/file")
@access(roles={roles.PROVIDER_DSL}, hidden=True)
@recent_mfa_required
def notice_file(notice_id: uuid.UUID):
    notice = own_or_404(Notice, notice_id, owner="provider_id")
    attachment = None if notices.is_expired(notice) else notices.attachment_of(notice)
    if attachment is None:
        flash("There is no document to download for this notice", "error")
        return redirect(url_for("portal.notice_detail", notice_id=notice.id))
    return audited_download(
        attachment, "notice.attachment_downloaded", organisation=current_user.organisation, obj=notice
    )
