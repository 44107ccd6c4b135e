"""Routes of the auth blueprint."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, refresh
from flask_login import current_user, login_user, logout_user

from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import show_domain_error
from ..permissions import AUTHENTICATED, PUBLIC, acting_user, require
from ..rate_limits import login_limit
from . import bp, half_signed_in, services
from .forms import ChangePasswordForm, ForgotPasswordForm, LocaleForm, LoginForm, SetPasswordForm
from .safe_next import safe_next
from .second_factor_routes import after_password


def _only_posts() -> bool:
    return request.method != "POST"


@bp.route("/login", methods=["GET", "POST"])
@require(PUBLIC)
@limiter.limit(login_limit, exempt_when=_only_posts)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.LoginRefused as refused:
            db.session.commit()  # keep the failure count
            form.password.errors.append(refused.message)
        else:
            second_step = after_password(
                user, next_url=form.next.data or "", remember=form.remember.data
            )
            if second_step is not None:
                db.session.commit()
                return second_step
            services.signed_in(user)
            db.session.commit()
            session.clear()
            session.permanent = True
            login_user(user, remember=form.remember.data)
            session["locale"] = user.locale
            half_signed_in.mark_exempt(user.role.value)
            refresh()  # building the form fixed this request's language: greet in the user's
            flash(gettext("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(form.next.data) or url_for("main.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@require(AUTHENTICATED)
def logout() -> ResponseReturnValue:
    services.logout(acting_user())
    db.session.commit()
    logout_user()
    session.clear()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@require(AUTHENTICATED)
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = acting_user()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            # Other sessions end; this one goes on with the new session version.
            login_user(user)
            flash(gettext("Your password was changed. Other sessions were logged out."), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@require(PUBLIC)
@limiter.limit(login_limit, exempt_when=_only_posts)
def set_password(token: str) -> ResponseReturnValue:
    if services.find_valid_token(token) is None:
        return render_template("auth/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.set_password_with_token(token, form.password.data)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(gettext("Your password is set. Log in with it now."), "success")
            return redirect(url_for("auth.login", email=user.email))
    return render_template("auth/set_password.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
@require(PUBLIC)
@limiter.limit(login_limit, exempt_when=_only_posts)
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            gettext(
                "If the address belongs to an account, a link to set a new password is on its way."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.post("/locale")
@require(PUBLIC)
def switch_locale() -> ResponseReturnValue:
    form = LocaleForm()
    locale = form.locale.data if form.validate_on_submit() else None
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            services.set_locale(acting_user(), locale)
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("main.dashboard"))
