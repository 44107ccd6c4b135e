"""Importing trainee records and certification attempts: upload → preview → confirm."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from ..applications.forms import UploadForm
from ..auth.forms import ButtonForm
from ..cohorts.roster import enrollment_status_label
from ..errors import DomainError
from ..extensions import db
from ..imports import upload_pages
from ..models import UploadedFile
from ..permissions import acting_user, require
from . import bp, importing, services
from .forms import OUTCOME_LABELS, exclusion_labels

PAGES = {
    importing.RECORDS: "placements.import_records",
    importing.CERTIFICATIONS: "placements.import_certifications",
}


def _render(
    kind: str,
    form: UploadForm,
    preview: importing.Preview | None = None,
    upload: UploadedFile | None = None,
) -> str:
    return render_template(
        "placements/import.html",
        kind=kind,
        form=form,
        preview=preview,
        upload=upload,
        columns=importing.COLUMNS[kind],
        confirm_form=ButtonForm(formdata=None),
        status_label=enrollment_status_label,
        outcome_labels=OUTCOME_LABELS,
        exclusion_labels=exclusion_labels(services.may_see_health(acting_user())),
        shown_rows=200,
    )


def _upload_page(kind: str) -> ResponseReturnValue:
    form = UploadForm()
    if not form.validate_on_submit():
        return _render(kind, form)
    preview, upload = upload_pages.preview_posted_file(
        form,
        acting_user(),
        kind,
        lambda filename, content: importing.preview(kind, filename, content, actor=acting_user()),
    )
    return _render(kind, form, preview, upload)


@bp.route("/imports/records", methods=["GET", "POST"])
@require("placement.import")
def import_records() -> ResponseReturnValue:
    return _upload_page(importing.RECORDS)


@bp.route("/imports/certifications", methods=["GET", "POST"])
@require("placement.import")
def import_certifications() -> ResponseReturnValue:
    return _upload_page(importing.CERTIFICATIONS)


@bp.post("/imports/<int:upload_id>/confirm")
@require("placement.import")
def confirm_import(upload_id: int) -> ResponseReturnValue:
    upload = upload_pages.load_upload(upload_id, importing.KINDS, acting_user())
    kind = upload.kind if upload.kind in importing.KINDS else importing.RECORDS
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        result = importing.import_upload(acting_user(), upload)
    except importing.ImportRefused as error:  # the file or what is stored changed meanwhile
        db.session.rollback()
        flash(error.message, "danger")
        preview = importing.Preview(kind, upload.filename, errors=error.errors)
        return _render(kind, UploadForm(formdata=None), preview)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for(PAGES[kind]))
    db.session.commit()
    upload_pages.flash_imported(upload.filename, result)
    return redirect(url_for(PAGES[kind]))
