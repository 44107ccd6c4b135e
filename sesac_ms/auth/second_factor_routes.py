"""Routes of the second step of a sign-in, its set-up and the account's security page."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, logout_user

from ..api.guard import is_token_request
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import show_domain_error
from ..models import User
from ..models.mail import Channel
from ..notify.preferences import channel_label
from ..permissions import AUTHENTICATED, PUBLIC, acting_user, require
from ..rate_limits import login_limit
from . import bp, half_signed_in, passkeys, second_factor
from .forms import ButtonForm, CodeForm, PasskeyForm, PasskeySignInForm
from .safe_next import safe_next

# What a logged-in user whose second step is due may still reach.
REACHABLE_BEFORE_SECOND_STEP = frozenset({"auth.logout", "auth.switch_locale", "static"})


def _only_posts() -> bool:
    return request.method != "POST"


@bp.before_app_request
def second_step_due() -> ResponseReturnValue | None:
    """A session that did not go through the second step (one restored from a remember-me
    cookie, or older than the policy) goes through it now, or sets one up."""
    if is_token_request():
        return None  # the API: its token was made behind the second factor, and stands alone
    passed = half_signed_in.passed()
    if request.endpoint in REACHABLE_BEFORE_SECOND_STEP or passed == half_signed_in.FACTOR:
        return None
    # An exempt session stays so, without a query, while the policy leaves its role out.
    if passed == half_signed_in.EXEMPT and not second_factor.role_required(
        half_signed_in.exempt_role()
    ):
        return None
    if not current_user.is_authenticated:
        return None
    user = acting_user()
    required = second_factor.is_required(user)
    factors = second_factor.factors_of(user)
    if not factors.any and not required:
        half_signed_in.mark_exempt(user.role.value)
        return None
    going = request.full_path if request.method == "GET" else ""
    logout_user()
    half_signed_in.start(user, next_url=going, remember=False, enrol=not factors.any)
    return redirect(_second_step_url(enrol=not factors.any))


def _second_step_url(*, enrol: bool) -> str:
    return url_for("auth.setup_second_factor" if enrol else "auth.second_factor")


def after_password(user: User, *, next_url: str, remember: bool) -> ResponseReturnValue | None:
    """After a right password: the second step's page, or None when none is due."""
    factors = second_factor.factors_of(user)
    if not factors.any and not second_factor.is_required(user):
        return None
    half_signed_in.start(user, next_url=next_url, remember=remember, enrol=not factors.any)
    return redirect(_second_step_url(enrol=not factors.any))


def _finish(user: User) -> ResponseReturnValue:
    going = half_signed_in.finish(user)
    flash(gettext("Welcome, %(name)s.", name=user.name), "success")
    return redirect(safe_next(going) or url_for("main.dashboard"))


def _expired() -> ResponseReturnValue:
    flash(gettext("The log-in took too long. Log in again."), "warning")
    return redirect(url_for("auth.login"))


@bp.route("/second-factor", methods=["GET", "POST"], endpoint="second_factor")
@require(PUBLIC)
@limiter.limit(login_limit, exempt_when=_only_posts)
def second_factor_step() -> ResponseReturnValue:
    user = half_signed_in.user(enrol=False)
    if user is None:
        return _expired()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            second_factor.check_code(user, form.code.data)
        except DomainError as error:
            db.session.commit()  # keep the failure count
            show_domain_error(form, error)
        else:
            db.session.commit()
            return _finish(user)
    return _second_step_page(user, form)


def _second_step_page(user: User, form: CodeForm, passkey_error: str | None = None) -> str:
    return render_template(
        "auth/second_factor.html",
        form=form,
        user=user,
        factors=second_factor.factors_of(user),
        passkey_form=PasskeySignInForm(formdata=None),
        passkey_options=passkeys.authentication_options(user),
        passkey_error=passkey_error,
    )


@bp.post("/second-factor/passkey")
@require(PUBLIC)
@limiter.limit(login_limit)
def second_factor_passkey() -> ResponseReturnValue:
    user = half_signed_in.user(enrol=False)
    if user is None:
        return _expired()
    form = PasskeySignInForm()
    if form.validate_on_submit():
        try:
            passkeys.check_assertion(user, form.credential.data)
        except DomainError as error:
            db.session.commit()  # keep the failure count
            return _second_step_page(user, CodeForm(formdata=None), error.message)
        db.session.commit()
        return _finish(user)
    return _second_step_page(user, CodeForm(formdata=None))


def _setup_user() -> User | None:
    """Who is setting up a second factor: a logged-in user, or one half signed in whose
    role requires one."""
    if current_user.is_authenticated:
        return acting_user()
    return half_signed_in.user(enrol=True)


def _setup_page(
    user: User, form: CodeForm | None = None, passkey_form: PasskeyForm | None = None
) -> str:
    return render_template(
        "auth/second_factor_setup.html",
        user=user,
        pending=second_factor.pending_totp(user),
        factors=second_factor.factors_of(user),
        form=form or CodeForm(formdata=None),
        passkey_form=passkey_form or PasskeyForm(formdata=None),
        passkey_options=passkeys.registration_options(user),
        enrolling=not current_user.is_authenticated,
    )


@bp.get("/second-factor/setup")
@require(PUBLIC)
def setup_second_factor() -> ResponseReturnValue:
    user = _setup_user()
    if user is None:
        return _expired()
    return _setup_page(user)


@bp.post("/second-factor/setup/passkey")
@require(PUBLIC)
@limiter.limit(login_limit)
def add_passkey() -> ResponseReturnValue:
    user = _setup_user()
    if user is None:
        return _expired()
    form = PasskeyForm()
    if form.validate_on_submit():
        try:
            codes = passkeys.register(user, form.name.data, form.credential.data)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            if codes:
                return _recovery_codes_page(user, codes)
            return _after_setup(user, gettext("Your passkey is added."))
    if form.credential.errors and not form.name.errors:
        form.name.errors.append(
            gettext("The passkey could not be added. Try again, or use an authenticator app.")
        )
    return _setup_page(user, passkey_form=form)


@bp.post("/second-factor/setup/authenticator")
@require(PUBLIC)
def begin_authenticator() -> ResponseReturnValue:
    user = _setup_user()
    if user is None:
        return _expired()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        second_factor.begin_totp(user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("auth.account"))
    db.session.commit()
    return redirect(url_for("auth.setup_second_factor"))


@bp.post("/second-factor/setup/confirm")
@require(PUBLIC)
@limiter.limit(login_limit)
def confirm_authenticator() -> ResponseReturnValue:
    user = _setup_user()
    if user is None:
        return _expired()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.confirm_totp(user, form.code.data)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            if codes:
                return _recovery_codes_page(user, codes)
            return _after_setup(user, gettext("Your authenticator app is set up."))
    return _setup_page(user, form=form)


def _recovery_codes_page(user: User, codes: list[str]) -> ResponseReturnValue:
    return render_template(
        "auth/recovery_codes.html",
        codes=codes,
        enrolling=not current_user.is_authenticated,
    )


def _after_setup(user: User, done: str | None = None) -> ResponseReturnValue:
    if current_user.is_authenticated:
        flash(done or gettext("Your second factor is set up."), "success")
        return redirect(url_for("auth.account"))
    return _finish(user)


@bp.post("/second-factor/setup/done")
@require(PUBLIC)
def finish_setup() -> ResponseReturnValue:
    """'I have kept my recovery codes': an enrolling user is now signed in."""
    user = _setup_user()
    if user is None:
        return _expired()
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not second_factor.factors_of(user).any:
        return redirect(url_for("auth.setup_second_factor"))
    return _after_setup(user)


@bp.get("/account")
@require(AUTHENTICATED)
def account() -> ResponseReturnValue:
    user = acting_user()
    return render_template(
        "auth/account.html",
        user=user,
        factors=second_factor.factors_of(user),
        passkeys=passkeys.passkeys_of(user),
        required=second_factor.is_required(user),
        message_channel=channel_label(user.notify_channel if user.phone else Channel.EMAIL),
    )


def _remove_from_account(remove: Callable[[User], None], done: str) -> ResponseReturnValue:
    """Run one removal from the account page: its refusal or `done` as a message."""
    user = acting_user()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        remove(user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/passkeys/<int:passkey_id>/remove")
@require(AUTHENTICATED)
def remove_passkey(passkey_id: int) -> ResponseReturnValue:
    return _remove_from_account(
        lambda user: passkeys.remove(user, passkey_id),
        gettext("The passkey is removed from your account."),
    )


@bp.post("/account/authenticator/remove")
@require(AUTHENTICATED)
def remove_authenticator() -> ResponseReturnValue:
    return _remove_from_account(
        second_factor.remove_totp,
        gettext("The authenticator app is removed from your account."),
    )


@bp.post("/account/recovery-codes")
@require(AUTHENTICATED)
def new_recovery_codes() -> ResponseReturnValue:
    user = acting_user()
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not second_factor.factors_of(user).any:
        flash(gettext("Set up an authenticator app or a passkey first."), "warning")
        return redirect(url_for("auth.account"))
    codes = second_factor.new_recovery_codes(user)
    db.session.commit()
    return _recovery_codes_page(user, codes)
