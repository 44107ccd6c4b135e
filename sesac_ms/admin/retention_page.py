"""The admin's page of retention: the table of periods, what a month will destroy, the last run."""

from __future__ import annotations

from datetime import date, datetime

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Optional, Regexp

from .. import retention
from ..clock import today_in_seoul
from ..permissions import require
from ..retention.job import last_run, next_month
from . import bp


class RetentionMonthForm(FlaskForm):
    """The month to forecast, read from the query string so the view can be linked."""

    class Meta:
        csrf = False

    month = StringField(
        _l("Month"),
        validators=[
            Optional(),
            Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Give a month as YYYY-MM.")),
        ],
    )


def _month_asked(form: RetentionMonthForm, today: date) -> date:
    """The month asked for, else next month; a month already over is refused beside the field."""
    if form.validate() and form.month.data:
        month = datetime.strptime(form.month.data, "%Y-%m").date()
        if month >= today.replace(day=1):
            return month
        form.month.errors = [gettext("Choose this month or a later one.")]
    return next_month(today)


@bp.get("/retention")
@require("retention.view")
def retention_overview() -> ResponseReturnValue:
    today = today_in_seoul()
    form = RetentionMonthForm(request.args)
    month = _month_asked(form, today)
    problem = None
    forecast: dict[str, int] = {}
    try:
        forecast = retention.month_forecast(month, today)
        rows = [(each, each.period(), forecast[each.key]) for each in retention.CATEGORIES]
    except retention.RetentionSettingError as error:
        problem = str(error)
        rows = []
    if not form.month.errors:
        form = RetentionMonthForm(formdata=None, month=f"{month:%Y-%m}")
    return render_template(
        "admin/retention.html",
        rows=rows,
        month=month,
        form=form,
        problem=problem,
        last=last_run(),
        labels={each.key: each.label for each in retention.CATEGORIES},
    )
