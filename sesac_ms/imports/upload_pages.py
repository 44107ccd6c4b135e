"""What the upload pages of the trainee-records, certifications and attendance imports
share: previewing the posted file and keeping it, loading it back for its confirmation,
and the message once it is imported.

These are the routes' side of uploads.py: they answer 404, flash and commit, as a route
does.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import TYPE_CHECKING

from flask import abort, flash
from flask_babel import gettext

from ..errors import DomainError
from ..extensions import db
from ..forms import show_domain_error
from ..models import UploadedFile, User
from ..permissions import in_scope
from .uploads import store_upload

if TYPE_CHECKING:
    from ..applications.forms import UploadForm
    from ..placements.importing_common import ImportResult, Preview


def preview_posted_file(
    form: UploadForm, actor: User, kind: str, check: Callable[[str, bytes], Preview]
) -> tuple[Preview | None, UploadedFile | None]:
    """The preview of the form's file (by `check`), and the file kept as an upload of
    `kind`, committed, when confirming it would change something: it holds personal data.
    (None, None), the refusal beside the file, when it is not a table at all or is past
    the limits."""
    file = form.file.data
    filename = (file.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    content = file.read()
    try:
        preview = check(filename, content)
    except DomainError as error:
        show_domain_error(form, error)
        return None, None
    upload = None
    if preview.can_import and preview.has_changes:
        upload = store_upload(actor, kind, filename, content)
        db.session.commit()
    return preview, upload


def load_upload(upload_id: int, kinds: Container[str], user: User) -> UploadedFile:
    """The upload a confirm route names: one of `kinds` is its uploader's alone (it has no
    campus); any other kind is scoped by its campus as usual, and then refused by the
    import as not its own. 404 otherwise."""
    upload = db.session.get(UploadedFile, upload_id)
    if upload is None:
        abort(404)
    if upload.kind in kinds:
        if upload.uploaded_by_id != user.id:
            abort(404)
    elif not in_scope(upload, user):
        abort(404)
    return upload


def flash_imported(filename: str, result: ImportResult) -> None:
    flash(
        gettext(
            "%(file)s imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
            file=filename,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        ),
        "success",
    )
