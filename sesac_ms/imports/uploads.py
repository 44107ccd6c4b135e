"""Uploads kept between an import's preview and its confirmation (UploadedFile).

The trainee-records, certifications and attendance imports share them: an upload of
theirs belongs to its uploader alone (it has no target and no campus), is replaced by the
uploader's next one of its kind, and is claimed once when its import is confirmed. The
applicant import keeps its own, as its uploads belong to a cohort. What their pages share
is in upload_pages.py. Services flush, never commit; the caller rolls back after any error.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext

from ..errors import Conflict, NotAllowed
from ..extensions import db
from ..models import UploadedFile, User
from ..models.types import utcnow


def store_upload(actor: User, kind: str, filename: str, content: bytes) -> UploadedFile:
    """Keep an uploaded file until its import is confirmed, replacing the actor's earlier
    unconfirmed upload of the same kind (personal data is kept no longer than needed)."""
    db.session.execute(
        sa.delete(UploadedFile)
        .where(
            UploadedFile.kind == kind,
            UploadedFile.uploaded_by_id == actor.id,
            UploadedFile.imported_at.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    upload = UploadedFile(
        kind=kind,
        filename=filename[:255],
        content=content,
        uploaded_by_id=actor.id,
        target_id=None,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def claim_upload(actor: User, upload: UploadedFile) -> None:
    """Mark the actor's own upload imported, before its import writes anything.

    Raises NotAllowed (another user's upload) or Conflict (already imported). Flushes only.
    """
    if upload.uploaded_by_id != actor.id:
        raise NotAllowed(
            gettext(
                "Only the person who uploaded a file can confirm its import: "
                "upload it again yourself."
            )
        )
    # One conditional UPDATE claims the upload, so a double click cannot import it twice;
    # a refusal after it rolls the claim back with the rest.
    claimed = db.session.execute(
        sa.update(UploadedFile)
        .where(UploadedFile.id == upload.id, UploadedFile.imported_at.is_(None))
        .values(imported_at=utcnow())
    )
    if claimed.rowcount != 1:
        raise Conflict(gettext("This file was already imported."))
