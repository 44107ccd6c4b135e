"""Importing attendance marks from a file: upload → preview → confirm (attendance_import*.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from .. import spreadsheet_out
from ..applications.forms import UploadForm
from ..auth.forms import ButtonForm
from ..downloads import file_response
from ..errors import DomainError
from ..extensions import db
from ..imports import upload_pages
from ..models import UploadedFile
from ..permissions import acting_user, require
from . import attendance_import, attendance_import_writer, bp
from .attendance_import_rows import ATTENDANCE_COLUMNS
from .roster import attendance_label

PAGE = "cohorts.import_attendance"


def _render(
    form: UploadForm,
    preview: attendance_import.Preview | None = None,
    upload: UploadedFile | None = None,
) -> str:
    return render_template(
        "cohorts/attendance_import.html",
        form=form,
        preview=preview,
        upload=upload,
        columns=ATTENDANCE_COLUMNS,
        confirm_form=ButtonForm(formdata=None),
        attendance_label=attendance_label,
        shown_rows=200,
    )


@bp.route("/attendance/import", methods=["GET", "POST"])
@require("attendance.import")
def import_attendance() -> ResponseReturnValue:
    form = UploadForm()
    if not form.validate_on_submit():
        return _render(form)
    preview, upload = upload_pages.preview_posted_file(
        form,
        acting_user(),
        attendance_import.UPLOAD_KIND,
        lambda filename, content: attendance_import.preview_attendance(
            filename, content, actor=acting_user()
        ),
    )
    return _render(form, preview, upload)


@bp.post("/attendance/import/<int:upload_id>/confirm")
@require("attendance.import")
def confirm_attendance_import(upload_id: int) -> ResponseReturnValue:
    upload = upload_pages.load_upload(upload_id, (attendance_import.UPLOAD_KIND,), acting_user())
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        result = attendance_import_writer.import_upload(acting_user(), upload)
    except attendance_import.ImportRefused as error:  # the file or what is stored changed
        db.session.rollback()
        flash(error.message, "danger")
        preview = attendance_import.Preview(
            attendance_import.UPLOAD_KIND, upload.filename, errors=error.errors
        )
        return _render(UploadForm(formdata=None), preview)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for(PAGE))
    db.session.commit()
    upload_pages.flash_imported(upload.filename, result)
    return redirect(url_for(PAGE))


@bp.get("/attendance/import/template.csv")
@require("attendance.import")
def attendance_import_template() -> ResponseReturnValue:
    """An empty file with the Korean headers, as Excel opens it (UTF-8 with a BOM)."""
    return file_response(
        spreadsheet_out.csv_bytes([column.korean for column in ATTENDANCE_COLUMNS], []),
        spreadsheet_out.CSV_MIMETYPE,
        "attendance.csv",
    )
