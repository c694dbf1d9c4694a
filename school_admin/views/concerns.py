"""The school DSL's safeguarding concern queue and record: acknowledge, discussions, decisions with their rationale
(a decision not to refer included), referrals, what is shared back with the provider's DSL, and closing. Nothing is
edited or deleted. Every page needs a security code given in the last 15 minutes and every opening is audited.

The DSL leads: only DSLs (and deputies) act. The headteacher, told when a concern is escalated, may read an
escalated concern (and only those), so they can see what is waiting and chase it; they record nothing."""

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import Form, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation, recent_mfa_required
from shared.auth.tenancy import own_or_404
from shared.forms import RadiosField, choices_from, single_line
from shared.models import Concern
from shared.services.accounts import directory
from shared.services.placements.incidents import names_of
from shared.services.safeguarding import concerns
from shared.services.safeguarding.concerns import CATEGORIES, DECISIONS, ENTRY_KINDS, REFERRED_TO, SCHOOL_STATES
from shared.uploads.downloads import audited_download
from shared.web import apply

READERS = (roles.DSL, roles.HEADTEACHER)


def _text(label: str, description: str = "", *, field_id: str | None = None) -> TextAreaField:
    # Required-ness is the service's rule (so the messages are the same everywhere); the form only limits length.
    # Several forms share the page, so fields with the same name get ids of their own (each label finds its box).
    return TextAreaField(
        label,
        id=field_id,
        widget=GovTextArea(),
        description=description,
        validators=[Optional(), Length(max=5000, message="Keep this to 5000 characters or fewer")],
    )


class AcknowledgeForm(FlaskForm):
    submit = SubmitField("Acknowledge", id="acknowledge-submit", widget=GovSubmitInput())


class DiscussionForm(FlaskForm):
    body = _text("Record a discussion", "Who you spoke to, when, and what was agreed.", field_id="discussion-body")
    submit = SubmitField("Record discussion", id="discussion-submit", widget=GovSubmitInput())


class OptionalRadiosField(RadiosField):
    """Radios that may be left unanswered (the service says when they are needed)."""

    def pre_validate(self, form: Form) -> None:
        if self.data:
            super().pre_validate(form)


class DecisionForm(FlaskForm):
    """The one way to refer: the decision "Refer" says who to, in the same step."""

    decision = RadiosField("Decision", choices=choices_from(DECISIONS), invalid_message="Choose the decision")
    referred_to = OptionalRadiosField(
        "If you refer: who to",
        choices=choices_from(REFERRED_TO),
        description="Only for a decision to refer.",
        invalid_message="Choose who the referral was made to",
    )
    reference = StringField(
        "Referral reference (optional)",
        widget=GovTextInput(),
        filters=[single_line],
        validators=[Optional(), Length(max=100, message="Keep the reference to 100 characters or fewer")],
    )
    body = _text(
        "Reason for the decision", "Required, including for a decision not to refer.", field_id="decision-body"
    )
    submit = SubmitField("Record decision", id="decision-submit", widget=GovSubmitInput())


class ReferralForm(FlaskForm):
    """What came of the referral, once known."""

    outcome = _text("Outcome of the referral", "What the agency decided or did. It is added, dated, to the time line.")
    submit = SubmitField("Record the outcome", id="referral-submit", widget=GovSubmitInput())


class ShareBackForm(FlaskForm):
    shared_text = _text(
        "Share with the provider's DSL",
        "Only what they need to know to keep the child safe. They are told there is an update, not what it says.",
    )
    submit = SubmitField("Share with the provider", id="share-submit", widget=GovSubmitInput())


class CloseForm(FlaskForm):
    submit = SubmitField("Close concern", id="close-submit", widget=GovSubmitInput())


def _is_dsl() -> bool:
    return current_user.has_role(roles.DSL)


def _own(concern_id: uuid.UUID) -> Concern:
    concern = own_or_404(Concern, concern_id, owner="school_id")
    if concern.status == "raised":  # still with the provider's DSL: the school cannot see it yet
        abort(404)
    return concern


def _readable(concern: Concern) -> bool:
    return _is_dsl() or concern.escalated_at is not None


def _not_escalated():
    flash("Only the DSLs can open a concern until it is escalated to you.")
    return redirect(url_for("school_admin.concerns_queue"))


@bp.get("/concerns")
@access(roles=READERS)
@recent_mfa_required
def concerns_queue():
    rows = concerns.school_queue(current_organisation().id, escalated_only=not _is_dsl())
    providers = directory.organisation_names(c.provider_id for c in rows)
    return render_template(
        "school_admin/concerns/queue.html",
        concerns=rows,
        pupils=concerns.pupils_of(rows),
        providers=providers,
        states=SCHOOL_STATES,
        local=concerns.local,
        is_dsl=_is_dsl(),
    )


def _page(concern: Concern, **forms):
    entries = list(concern.entries)
    is_open = _is_dsl() and concern.status != "closed"
    return render_template(
        "school_admin/concerns/detail.html",
        concern=concern,
        pupil=concerns.pupils_of([concern])[concern.id],
        provider=directory.organisation(concern.provider_id),
        entries=entries,
        categories=CATEGORIES,
        decisions=DECISIONS,
        referred_to=REFERRED_TO,
        kinds=ENTRY_KINDS,
        states=SCHOOL_STATES,
        local=concerns.local,
        names=names_of(
            [
                concern.raised_by_id,
                concern.sent_by_id,
                concern.acknowledged_by_id,
                concern.closed_by_id,
                *(e.recorded_by_id for e in entries),
            ]
        ),
        openings=concerns.openings(concern),
        can_act=is_open,
        can_acknowledge=is_open and concern.acknowledged_at is None,
        referral=concerns.referral_made(concern),
        acknowledge_form=forms.get("acknowledge_form") or AcknowledgeForm(),
        discussion_form=forms.get("discussion_form") or DiscussionForm(),
        decision_form=forms.get("decision_form") or DecisionForm(),
        referral_form=forms.get("referral_form") or ReferralForm(),
        share_form=forms.get("share_form") or ShareBackForm(),
        close_form=CloseForm(),
        form=forms.get("form"),
    )


@bp.get("/concerns/<uuid:concern_id>")
@access(roles=READERS)
@recent_mfa_required
def concern_detail(concern_id: uuid.UUID):
    concern = _own(concern_id)
    if not _readable(concern):
        return _not_escalated()
    concerns.record_opened(concern, current_organisation(), by=current_user)
    return _page(concern)


def _back(concern: Concern):
    return redirect(url_for("school_admin.concern_detail", concern_id=concern.id))


@bp.post("/concerns/<uuid:concern_id>/acknowledge")
@access(roles={roles.DSL})
@recent_mfa_required
def acknowledge_concern(concern_id: uuid.UUID):
    concern = _own(concern_id)
    form = AcknowledgeForm()
    if form.validate_on_submit() and apply(
        form, lambda: concerns.acknowledge(concern, by=current_user), field="submit"
    ):
        flash("Concern acknowledged. The provider's DSL can see that you have.")
    for message in form.submit.errors:
        flash(message, "error")
    return _back(concern)


@bp.post("/concerns/<uuid:concern_id>/discussion")
@access(roles={roles.DSL})
@recent_mfa_required
def record_concern_discussion(concern_id: uuid.UUID):
    concern = _own(concern_id)
    form = DiscussionForm()
    if form.validate_on_submit() and apply(
        form, lambda: concerns.record_entry(concern, "discussion", form.body.data, by=current_user), field="body"
    ):
        flash("Discussion recorded.")
        return _back(concern)
    return _page(concern, discussion_form=form, form=form)


@bp.post("/concerns/<uuid:concern_id>/decision")
@access(roles={roles.DSL})
@recent_mfa_required
def record_concern_decision(concern_id: uuid.UUID):
    concern = _own(concern_id)
    form = DecisionForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: concerns.record_entry(
            concern,
            "decision",
            form.body.data,
            decision=form.decision.data,
            referred_to=form.referred_to.data or None,
            reference=form.reference.data,
            by=current_user,
        ),
        field="body",
    ):
        flash("Decision recorded.")
        return _back(concern)
    return _page(concern, decision_form=form, form=form)


@bp.post("/concerns/<uuid:concern_id>/referral")
@access(roles={roles.DSL})
@recent_mfa_required
def record_concern_referral(concern_id: uuid.UUID):
    concern = _own(concern_id)
    form = ReferralForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: concerns.record_referral_outcome(concern, form.outcome.data, by=current_user),
        field="outcome",
    ):
        flash("Referral outcome recorded.")
        return _back(concern)
    return _page(concern, referral_form=form, form=form)


@bp.post("/concerns/<uuid:concern_id>/share-back")
@access(roles={roles.DSL})
@recent_mfa_required
def share_concern_back(concern_id: uuid.UUID):
    concern = _own(concern_id)
    form = ShareBackForm()
    if form.validate_on_submit() and apply(
        form, lambda: concerns.share_back(concern, form.shared_text.data, by=current_user), field="shared_text"
    ):
        flash("Shared with the provider's DSL. They have been told there is an update.")
        return _back(concern)
    return _page(concern, share_form=form, form=form)


@bp.post("/concerns/<uuid:concern_id>/close")
@access(roles={roles.DSL})
@recent_mfa_required
def close_concern(concern_id: uuid.UUID):
    concern = _own(concern_id)
    form = CloseForm()
    if form.validate_on_submit() and apply(form, lambda: concerns.close(concern, by=current_user), field="submit"):
        flash("Concern closed. It is kept, with everything recorded on it.")
    for message in form.submit.errors:
        flash(message, "error")
    return _back(concern)


@bp.get("/concerns/<uuid:concern_id>/files/<uuid:file_id>")
@access(roles=READERS)
@recent_mfa_required
def concern_file(concern_id: uuid.UUID, file_id: uuid.UUID):
    concern = _own(concern_id)
    row = concerns.file_of(concern, file_id)
    if row is None:  # another concern's file is a 404, whoever asks
        abort(404)
    if not _readable(concern):
        return _not_escalated()
    return audited_download(row, "concern.attachment_downloaded", organisation=current_organisation(), obj=concern)
