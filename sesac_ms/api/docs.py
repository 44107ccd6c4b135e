"""The API's OpenAPI document and its documentation page (Swagger UI, vendored)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue

from ..permissions import PUBLIC, require
from ..security import CONTENT_SECURITY_POLICY

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

# Swagger UI styles some elements with inline style attributes.
DOCS_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


@bp.get("/openapi.json")
@require(PUBLIC)
def openapi_json() -> ResponseReturnValue:
    """The OpenAPI 3.1 document, generated from the code that validates and shapes requests."""
    from . import spec_of

    response = jsonify(spec_of(current_app).to_dict())
    response.cache_control.max_age = 300
    return response


@bp.get("/docs")
@require(PUBLIC)
def docs_page() -> ResponseReturnValue:
    return render_template("api/docs.html"), 200, {"Content-Security-Policy": DOCS_POLICY}
