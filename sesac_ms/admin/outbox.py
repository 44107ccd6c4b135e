"""The admin's view of the mail outbox: mail given up or waiting, and putting it back."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_timedelta, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import DataRequired, NumberRange

from .. import audit, mail, paging
from ..auth.forms import ButtonForm
from ..extensions import db
from ..forms import attempt, finish
from ..mail.sender import give_up_after
from ..models import OutboxMessage
from ..models.types import utcnow
from ..notify.preferences import channel_label
from ..permissions import acting_user, require
from . import bp

PAGE_SIZE = 50


class RequeueForm(FlaskForm):
    """The re-queue button of one message: the button itself carries the message's id."""

    message_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)])


# The outbox's tabs, as the access log names them.
STATE_LABELS = {
    mail.FAILED: _l("Given up"),
    mail.PENDING: _l("Waiting"),
    mail.FELL_BACK: _l("Fell back"),
}


def _state() -> str:
    state = request.args.get("state", "")
    return state if state in mail.STATES else ""


def _back() -> str:
    """The outbox page the button was pressed on (same filter, same page)."""
    page = request.args.get("page", type=int)
    return url_for("admin.outbox", state=_state() or None, page=page if page and page > 1 else None)


@bp.get("/mail")
@require("mail.view")
def outbox() -> ResponseReturnValue:
    state = _state()
    page = paging.numbered(mail.outbox_query(state), per_page=PAGE_SIZE)
    audit.log_list_access(
        acting_user(),
        "admin.outbox",
        {"showing": STATE_LABELS.get(state), "page": page.page if page.page > 1 else None},
        len(page.items),
    )
    html = render_template(
        "admin/outbox.html",
        page=page,
        state=state,
        counts=mail.outbox_counts(),
        now=utcnow(),
        give_up_after=format_timedelta(give_up_after(), threshold=1.5),
        channel_label=channel_label,
    )
    db.session.commit()  # the access-log entry, once the page is built
    return html


@bp.post("/mail/requeue")
@require("mail.manage")
def requeue_mail() -> ResponseReturnValue:
    form = RequeueForm()
    if not form.validate_on_submit():
        flash(gettext("Choose the message to send again."), "danger")
        return redirect(_back())
    message = db.get_or_404(OutboxMessage, form.message_id.data)
    error = attempt(lambda: mail.requeue_message(message))
    return finish(
        error,
        gettext(
            "The message to %(recipient)s will be sent again shortly.", recipient=message.recipient
        ),
        _back(),
    )


@bp.post("/mail/requeue-failed")
@require("mail.manage")
def requeue_failed_mail() -> ResponseReturnValue:
    if not ButtonForm().validate_on_submit():
        abort(400)
    count = mail.requeue_failed()
    db.session.commit()
    if count:
        flash(
            ngettext(
                "%(num)d given-up message is back in the queue.",
                "%(num)d given-up messages are back in the queue.",
                count,
            ),
            "success",
        )
    else:
        flash(gettext("No message was given up."), "info")
    return redirect(_back())
