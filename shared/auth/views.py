"""Sign-in, two-step (MFA), sign-out, invitations, password reset and the account page (both sides)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import NoReturn

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from shared import audit, mfa
from shared.auth.access import PUBLIC, SIGNED_IN, SignInRequired, access, safe_next
from shared.auth.principal import SignedInUser
from shared.auth.sessions import (
    end_current_session,
    end_user_sessions,
    mark_current_session_mfa_verified,
    open_sessions,
    replay_pending_form,
    start_session,
)
from shared.auth.throttle import TooManyAttempts, ip_ceiling, throttle
from shared.display import plural
from shared.extensions import db
from shared.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    CodeForm,
    ConfirmForm,
    NewPasswordForm,
    ReauthenticateForm,
    ResetRequestForm,
    SetUpCodeForm,
    SignInForm,
)
from shared.models import OrganisationKind, User
from shared.passwords import hash_password, needs_rehash, verify_password
from shared.roles import ROLE_LABELS, mfa_required, role_names
from shared.services.accounts import people as accounts
from shared.tokens import TokenError, TokenProblem
from shared.web import apply

bp = Blueprint("auth", __name__)

SIGN_IN_ERROR = "Enter a correct email address and password"
CODE_ERROR = "Enter a correct security code"


HOMES = {
    OrganisationKind.SCHOOL: "school_admin.home",
    OrganisationKind.PROVIDER: "portal.home",
    OrganisationKind.LOCAL_AUTHORITY: "local_authority.home",
}


def home_for(user: User | SignedInUser) -> str:
    """The home page of the person's side."""
    return url_for(HOMES[user.organisation_kind or OrganisationKind.PROVIDER])


LAYOUTS = {
    OrganisationKind.SCHOOL: "school_admin/base.html",
    OrganisationKind.PROVIDER: "portal/base.html",
    OrganisationKind.LOCAL_AUTHORITY: "local_authority/base.html",
}


def _layout() -> str:
    if current_user.is_authenticated:
        return LAYOUTS[current_user.organisation_kind]
    return "base.html"


bp.add_app_template_filter(role_names, "role_names")


@bp.record_once
def _layout_globals(state: BlueprintSetupState) -> None:
    """The account pages' layout (the signed-in person's side's) and the roles' names, as template globals: set once
    when the app is made rather than worked out for every page rendered."""
    state.app.add_template_global(_layout, "account_layout")
    state.app.jinja_env.globals["role_labels"] = ROLE_LABELS


def _too_many(retry_after: int, kind: str, user: User | None) -> NoReturn:
    audit.record("sign_in.throttled", organisation=user.organisation if user else None, obj=user, actor=user, kind=kind)
    db.session.commit()
    raise TooManyAttempts(retry_after)


# --- pending sign-in: password accepted, the security code still to come ---------------------------------------


def _set_pending(user: User, next_url: str | None) -> None:
    session.clear()
    session["pending_sign_in"] = {"user_id": str(user.id), "at": time.time(), "next": next_url}


def _pending_user() -> User | None:
    pending = session.get("pending_sign_in")
    if not pending:
        return None
    if time.time() - pending.get("at", 0) > current_app.config["PENDING_SIGN_IN_MINUTES"] * 60:
        session.pop("pending_sign_in", None)
        return None
    user = db.session.get(User, uuid.UUID(pending["user_id"]))
    return user if user is not None and user.active else None


def _finish_sign_in(user: User, *, mfa_used: bool, message: str | None = None) -> Response:
    next_url = (session.get("pending_sign_in") or {}).get("next")
    start_session(user, mfa_verified=mfa_used)
    if message:
        flash(message)  # after start_session, which starts a clean cookie
    audit.record("sign_in.succeeded", organisation=user.organisation, obj=user, actor=user, mfa=mfa_used)
    db.session.commit()
    return redirect(safe_next(next_url) or home_for(user))


@bp.get("/")
@access(PUBLIC)
def index() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@access(PUBLIC)
@ip_ceiling
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_for(current_user))
    form = SignInForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data)
        attempts = throttle()
        user = accounts.find_user_by_email(email)
        retry = attempts.attempt("password", email)  # counted before the password is checked
        if retry:
            return _too_many(retry, "password", user)
        ok = verify_password(user.password_hash if user else None, form.password.data)
        if not ok or user is None or not user.active:  # no user: never ok (verify_password)
            if user is not None:
                audit.record(
                    "sign_in.failed",
                    organisation=user.organisation,
                    obj=user,
                    actor=user,
                    reason="password" if not ok else "inactive",
                )
                db.session.commit()
            # Known and unknown e-mails, wrong passwords and deactivated accounts all get the same answer.
            form.password.errors.append(SIGN_IN_ERROR)
            return render_template("auth/sign_in.html", form=form, sign_in_failed=True)
        attempts.succeeded("password", email)  # the right password: its attempts start again (codes have their own)
        assert user.password_hash is not None  # the password was just verified against it
        if needs_rehash(user.password_hash):
            # argon2 parameters have moved on since this hash was made: store a fresh one while we have the password.
            user.password_hash = hash_password(form.password.data)
            db.session.commit()
        org = user.organisation
        assert org is not None  # every user is made with a membership (accounts.create_user)
        if user.mfa_enabled or mfa_required(org.kind, user.roles):
            _set_pending(user, safe_next(next_url))
            return redirect(url_for("auth.mfa_challenge" if user.mfa_enabled else "auth.mfa_setup"))
        session.clear()
        return _finish_sign_in(user, mfa_used=False)
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@access(PUBLIC)
@ip_ceiling
def mfa_challenge() -> ResponseReturnValue:
    user = _pending_user()
    if user is None or not user.mfa_enabled:
        flash("Sign in again to continue.")
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        attempts = throttle()
        retry = attempts.attempt("totp", str(user.id))  # counted before the code is checked
        if retry:
            return _too_many(retry, "totp", user)
        if mfa.verify_totp(user, form.code.data):
            attempts.succeeded("totp", str(user.id))
            return _finish_sign_in(user, mfa_used=True)
        if mfa.use_recovery_code(user, form.code.data):
            attempts.succeeded("totp", str(user.id))
            remaining = mfa.remaining_recovery_codes(user)
            audit.record(
                "mfa.recovery_code_used", organisation=user.organisation, obj=user, actor=user, remaining=remaining
            )
            return _finish_sign_in(
                user,
                mfa_used=True,
                message=f"You used a recovery code. You have {remaining} left. If you have lost your phone, "
                "set up two-step sign-in again from your account page.",
            )
        audit.record("sign_in.failed", organisation=user.organisation, obj=user, actor=user, reason="code")
        db.session.commit()
        form.code.errors.append(CODE_ERROR)
    return render_template("auth/mfa_challenge.html", form=form)


@bp.route("/two-step/confirm", methods=["GET", "POST"])
@access(SIGNED_IN)
@ip_ceiling
def mfa_confirm() -> ResponseReturnValue:
    """Signed in, but safeguarding pages want the security code given recently: ask for it again, then go back."""
    user = current_user.record
    target = request.args.get("next")
    target = safe_next(target) or url_for("auth.index")
    if not user.mfa_enabled:
        flash("Set up two-step sign-in first: safeguarding information needs it.")
        return redirect(url_for("auth.mfa_setup"))
    form = CodeForm()
    if form.validate_on_submit():
        attempts = throttle()
        retry = attempts.attempt("totp", str(user.id))  # counted before the code is checked
        if retry:
            return _too_many(retry, "totp", user)
        if mfa.verify_totp(user, form.code.data):
            attempts.succeeded("totp", str(user.id))
            mark_current_session_mfa_verified()
            audit.record("mfa.confirmed", organisation=user.organisation, obj=user, actor=user)
            db.session.commit()
            kept, dropped = replay_pending_form()
            if dropped:
                flash(
                    "What you wrote before you were asked for your security code was more than an hour ago, so it "
                    "was not saved. Write it again.",
                    "error",
                )
            if kept is not None:
                # A safeguarding form sent while the code was stale is saved now: the browser posts again (307
                # keeps the method) to where it was going, and the form kept server-side is what that post reads.
                return redirect(kept, code=307)
            return redirect(target)
        audit.record("sign_in.failed", organisation=user.organisation, obj=user, actor=user, reason="code")
        db.session.commit()
        form.code.errors.append(CODE_ERROR)
    return render_template("auth/mfa_confirm.html", form=form)


@bp.route("/two-step/set-up", methods=["GET", "POST"])
@access(PUBLIC)
@ip_ceiling
def mfa_setup() -> ResponseReturnValue:
    """Set up an authenticator app: while signing in (pending) or, signed in, from the account page."""
    signed_in = current_user.is_authenticated
    user = current_user.record if signed_in else _pending_user()
    if user is None:
        if request.method == "POST":
            raise SignInRequired
        flash("Sign in again to continue.")
        return redirect(url_for("auth.sign_in"))
    if not signed_in and user.mfa_enabled:
        # A password alone never sets up a new authenticator: that would bypass the one already set up.
        if request.method == "POST":  # another tab finished setting it up before this one was sent
            flash("Two-step sign-in is already set up. Enter a security code from your authenticator app.")
        return redirect(url_for("auth.mfa_challenge"))
    if user.pending_totp_secret is None:
        # The only write a GET makes here: a secret to show, kept until a code from it is confirmed.
        user.pending_totp_secret = mfa.new_secret()
        db.session.commit()
    form = SetUpCodeForm()
    if form.validate_on_submit():
        attempts = throttle()
        retry = attempts.attempt("totp", str(user.id))  # counted before the code is checked
        if retry:
            return _too_many(retry, "totp", user)
        if mfa.confirm_new_secret(user, form.code.data):  # a new secret: steps of the old one do not count
            attempts.succeeded("totp", str(user.id))
            codes = mfa.new_recovery_codes(user)
            audit.record("mfa.enabled", organisation=user.organisation, obj=user, actor=user)
            if signed_in:
                # Other sessions may have been opened with the old authenticator: end them.
                end_user_sessions(user.id, "mfa_reset", keep_id=current_user.session_id)
                mark_current_session_mfa_verified()
                db.session.commit()
                next_url = home_for(user)
            else:
                response = _finish_sign_in(user, mfa_used=True)
                next_url = response.location
            return render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
        db.session.rollback()
        if user.pending_totp_secret is None:
            # Another request (another tab) confirmed this secret meanwhile: it is set up, so ask for a code from it.
            flash("Two-step sign-in is already set up. Enter a security code from your authenticator app.")
            return redirect(url_for("auth.account" if signed_in else "auth.mfa_challenge"))
        form.code.errors.append("Enter the 6-digit code your authenticator app shows now")
    uri = mfa.provisioning_uri(user.pending_totp_secret, user.email)
    organisation = user.organisation
    assert organisation is not None  # every user is made with a membership (accounts.create_user)
    return render_template(
        "auth/mfa_setup.html",
        form=form,
        qr=mfa.qr_code_data_uri(uri),
        manual_key=mfa.format_secret(user.pending_totp_secret),
        required=mfa_required(organisation.kind, user.roles),
    )


@bp.post("/sign-out")
@access(PUBLIC)
def sign_out() -> ResponseReturnValue:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        user = current_user.record
        audit.record("sign_out", organisation=user.organisation, obj=user, actor=user)
        end_current_session("signed_out")
        db.session.commit()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


# --- invitations ------------------------------------------------------------------------------------------------

TOKEN_PAGES: dict[TokenProblem | str, tuple[int, str, str]] = {
    TokenProblem.EXPIRED: (
        410,
        "This link has expired",
        "Links work for 72 hours. Ask the person who invited you to send a new invitation.",
    ),
    TokenProblem.INVALID: (
        404,
        "This link is not valid",
        "Check you copied the whole link from the e-mail. If it still does not work, ask for a new one.",
    ),
    "used": (
        410,
        "This link has already been used",
        "Each link works once. If you have already set up your account, sign in.",
    ),
}
RESET_PAGES: dict[TokenProblem | str, tuple[int, str, str]] = {
    TokenProblem.EXPIRED: (
        410,
        "This password reset link has expired",
        "Links work for 72 hours. Ask for a new password reset link.",
    ),
    TokenProblem.INVALID: TOKEN_PAGES[TokenProblem.INVALID],
    "used": (
        410,
        "This password reset link has already been used",
        "Each link works once. If you still need to reset your password, ask for a new link.",
    ),
}


def _token_page(
    pages: Mapping[TokenProblem | str, tuple[int, str, str]], problem: TokenProblem | str
) -> tuple[str, int]:
    status, title, body = pages[problem]
    return render_template("auth/link_problem.html", title=title, body=body, problem=str(problem)), status


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@access(PUBLIC)
@ip_ceiling
def invitation(token: str) -> ResponseReturnValue:
    try:
        invite = accounts.invitation_from_token(token)
    except TokenError as exc:
        return _token_page(TOKEN_PAGES, exc.problem)
    if invite.accepted_at is not None:
        return _token_page(TOKEN_PAGES, "used")
    form = AcceptInvitationForm()
    if form.validate_on_submit() and apply(
        form, lambda: accounts.accept_invitation(invite, password=form.password.data), field="password"
    ):
        user = db.session.get(User, invite.accepted_user_id)
        assert user is not None and user.organisation is not None  # accept_invitation just made them, a member
        if mfa_required(user.organisation.kind, user.roles):
            _set_pending(user, None)
            flash("Your account is ready. Now set up two-step sign-in.")
            return redirect(url_for("auth.mfa_setup"))
        session.clear()
        return _finish_sign_in(user, mfa_used=False)
    return render_template("auth/invitation.html", form=form, invitation=invite)


# --- password reset ---------------------------------------------------------------------------------------------


@bp.route("/password-reset", methods=["GET", "POST"])
@access(PUBLIC)
@ip_ceiling
def password_reset_request() -> ResponseReturnValue:
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        return render_template("auth/reset_sent.html")
    return render_template("auth/reset_request.html", form=form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@access(PUBLIC)
@ip_ceiling
def password_reset(token: str) -> ResponseReturnValue:
    try:
        reset = accounts.reset_from_token(token)
    except TokenError as exc:
        return _token_page(RESET_PAGES, exc.problem)
    if reset.used_at is not None:
        return _token_page(RESET_PAGES, "used")
    form = NewPasswordForm()
    try:
        changed = form.validate_on_submit() and apply(
            form, lambda: accounts.reset_password(reset, form.password.data), field="password"
        )
    except accounts.ResetLinkUsed:  # another of the person's links won the race
        return _token_page(RESET_PAGES, "used")
    if changed:
        if current_user.is_authenticated:
            end_current_session("password_reset")
        flash("Your password has been changed. Sign in with your new password.")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form)


# --- account ----------------------------------------------------------------------------------------------------


def _require_signed_in() -> User:
    if not current_user.is_authenticated:
        raise SignInRequired
    user: User = current_user.record
    return user


def _account_page(user: User, password_form: ChangePasswordForm, mfa_form: ReauthenticateForm | None = None) -> str:
    organisation = user.organisation
    assert organisation is not None  # every user is made with a membership (accounts.create_user)
    return render_template(
        "auth/account.html",
        user=user,
        password_form=password_form,
        mfa_form=mfa_form or ReauthenticateForm(),
        confirm_form=ConfirmForm(),
        sessions=open_sessions(user.id),
        recovery_left=mfa.remaining_recovery_codes(user),
        mfa_is_required=mfa_required(organisation.kind, user.roles),
    )


@bp.get("/account")
@access(SIGNED_IN)
def account() -> ResponseReturnValue:
    return _account_page(_require_signed_in(), ChangePasswordForm())


@bp.post("/account/password")
@access(SIGNED_IN)
def change_password() -> ResponseReturnValue:
    user = _require_signed_in()
    form = ChangePasswordForm()
    mfa_verified = current_user.session_mfa_verified
    if form.validate_on_submit() and apply(
        form,
        lambda: accounts.change_password(user, current=form.current_password.data, new=form.password.data),
        field="password",
    ):
        start_session(user, mfa_verified=mfa_verified)  # every old session ended: carry on in a new one
        db.session.commit()
        flash("Your password has been changed. You have been signed out everywhere else.")
        return redirect(url_for("auth.account"))
    return _account_page(user, form)


@bp.post("/account/two-step/reset")
@access(SIGNED_IN)
def reset_mfa() -> ResponseReturnValue:
    user = _require_signed_in()
    form = ReauthenticateForm()
    if not form.validate_on_submit():
        return _account_page(user, ChangePasswordForm(formdata=None), form)
    if not verify_password(user.password_hash, form.confirm_password.data):
        form.confirm_password.errors.append("Your password is not correct")
        return _account_page(user, ChangePasswordForm(formdata=None), form)
    user.pending_totp_secret = mfa.new_secret()
    audit.record("mfa.reset", organisation=user.organisation, obj=user, actor=user)
    db.session.commit()
    flash("Scan the new code with your authenticator app. Your old codes work until you finish.")
    return redirect(url_for("auth.mfa_setup"))


@bp.post("/account/sessions/end-others")
@access(SIGNED_IN)
def end_other_sessions() -> ResponseReturnValue:
    user = _require_signed_in()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = end_user_sessions(user.id, "ended_by_user", keep_id=current_user.session_id)
    audit.record("session.ended_others", organisation=user.organisation, obj=user, actor=user, count=count)
    db.session.commit()
    flash(f"Signed out of {plural(count, 'other session')}.")
    return redirect(url_for("auth.account"))
