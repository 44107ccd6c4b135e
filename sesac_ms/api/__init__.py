"""The versioned JSON API, /api/v1, described by an OpenAPI 3.1 document.

flask-smorest builds the document from the same marshmallow schemas that validate each
request and shape each response (schemas.py), so the two cannot drift apart. Errors are
RFC 9457 problem details (problems.py); callers authenticate with personal access tokens
(tokens.py, guard.py); lists are cursor-paged (paging.py). Every write calls the same
service functions as the pages and the CLI.
"""

from __future__ import annotations

import http
import threading
from collections.abc import Callable
from typing import Any

import flask_smorest
from flask import Flask
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser

from ..extensions import csrf, limiter
from .guard import authenticate_request, finish_response, rate_key, rate_limit
from .schemas import ProblemSchema

VERSION_PREFIX = "/api/v1"
# Answers any API operation may give besides its own: no or a dead token, a role or token
# that does not allow it, too many requests, the database away for a moment.
COMMON_ERRORS = (401, 403, 429, 503)


class SesacApi(flask_smorest.Api):
    """flask-smorest's Api with problem details as the documented error shape. Its own
    error handlers and documentation blueprint are left out: errors.py answers API errors
    with problems, and docs.py serves the document and its page under the permissions."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists the errors it can answer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._undocumented: list[tuple[Any, Any]] = []
        self._documenting = threading.Lock()
        super().__init__(*args, **kwargs)

    def _register_error_handlers(self) -> None:
        return None

    def _register_doc_blueprint(self) -> None:
        return None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, "application/problem+json")
            self.spec.components.response(status.name, response, lazy=True)

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """As flask-smorest's, with the area's title (not its code name) as its tag, and the
        area written into the document only when the document is first asked for: every
        app (a gunicorn worker, each test) would otherwise pay for it at start-up."""
        self._app.extensions["flask-smorest"]["blp_name_to_api"][blp.name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, parameters))

    def document(self) -> Any:
        """The OpenAPI document (an apispec APISpec), completed on first use."""
        with self._documenting:  # threads of one worker ask at once: write it once
            while self._undocumented:
                blp, parameters = self._undocumented.pop(0)
                blp.register_views_in_doc(
                    self, self._app, self.spec, name=blp.name, parameters=parameters
                )
                self.spec.tag({"name": blp.title, "description": blp.description})
        return self.spec


def spec_of(app: Flask) -> Any:
    """The app's OpenAPI document (an apispec APISpec)."""
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"].document()


class StrictParser(FlaskParser):
    """Unknown query parameters are refused like unknown body fields: a misspelt filter
    would otherwise be ignored and answer with everything."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None}


class Blueprint(flask_smorest.Blueprint):
    """An API area: limited per token, outside CSRF (cookies never authenticate it)."""

    ARGUMENTS_PARSER = StrictParser()

    def __init__(self, name: str, import_name: str, *, title: str, **kwargs: Any) -> None:
        super().__init__(name, import_name, url_prefix=VERSION_PREFIX, **kwargs)
        self.title = title  # the area's heading in the document
        csrf.exempt(self)
        limiter.limit(rate_limit, key_func=rate_key)(self)

    def route(self, rule: str, *, parameters: Any = None, tags: Any = None, **options: Any) -> Any:
        return super().route(rule, parameters=parameters, tags=tags or [self.title], **options)

    def errors(self, *codes: int) -> Callable[[Any], Any]:
        """Document the common errors and these of an operation."""

        def decorator(view: Any) -> Any:
            for code in (*COMMON_ERRORS, *codes):
                view = self.alt_response(code, response=http.HTTPStatus(code).name)(view)
            return view

        return decorator


def init_api(app: Flask) -> None:
    """Register the API's areas, its authentication (before anything reads current_user)
    and its response headers."""
    from .. import MAX_DATABASE_ID, DatabaseIdConverter
    from . import applications, docs, placements, resources, roster, sessions

    app.config.setdefault("API_TITLE", "SeSAC MS API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": (
                    "The JSON API of SeSAC MS. Send a personal access token, made on your "
                    "account page, as `Authorization: Bearer <token>`. Errors are RFC 9457 "
                    "problem details; lists are cursor-paged; times are ISO 8601 in Asia/Seoul."
                )
            },
            "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
            "security": [{"token": []}],
        },
    )
    api = SesacApi(app)  # one per app: tests build several apps in one process
    api.register_converter(
        DatabaseIdConverter,
        lambda converter: {"type": "integer", "minimum": 0, "maximum": MAX_DATABASE_ID},
    )
    for blueprint in (
        *resources.BLUEPRINTS,
        applications.blp,
        roster.blp,
        sessions.blp,
        placements.blp,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.bp)
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate_request)
    app.after_request(finish_response)
