"""One error shape for every API answer: {"code", "status", "message", "errors"?}.

`code` is the HTTP status as a number, `status` its name, `message` a sentence for people
(translated), and `errors` — present for validation problems — maps a field name to a list of
messages (nested objects for nested fields).

Who produces which error:
* flask-smorest/webargs answer a body or query that fails its schema with 422;
* the views raise ApiError (api_abort / from_service_error) for 400/401/403/404/409;
* Flask-Limiter's 429, unknown routes (404) and crashes (500) reach the page-level handlers in
  app_setup, which already answer JSON under /api/ in the same shape;
* CSRF failures of cookie sessions are answered here.

ApiError deliberately does not subclass werkzeug's NotFound/Forbidden: the page-level handlers
registered for those codes would otherwise replace the API's specific message with a generic
one. It reaches the HTTPException handler installed below instead.
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Callable, TypeVar

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.records import EditConflict

T = TypeVar("T")

API_PREFIX = "/api/"


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, message: str, errors: dict | None = None) -> dict:
    body = {"code": status, "status": status_phrase(status), "message": str(message)}
    if errors:
        body["errors"] = errors
    return body


class ApiError(HTTPException):
    """An error answer of the API with a specific message and, optionally, field errors."""

    def __init__(self, status: int, message, errors: dict | None = None):
        super().__init__(description=str(message))
        self.code = status
        self.data = {"message": str(message)}
        if errors:
            self.data["errors"] = errors

    @property
    def name(self) -> str:
        return status_phrase(self.code)


def api_abort(status: int, message, errors: dict | None = None):
    """Stop the request with an API error (raises)."""
    raise ApiError(status, message, errors)


def from_service_error(exc: ServiceError) -> ApiError:
    """A service's refusal as an API error; a named field becomes a per-field error."""
    message = str(exc.message)
    errors = {exc.field: [message]} if exc.field else None
    return ApiError(exc.status_code, message, errors)


def from_edit_conflict(exc: EditConflict | None = None) -> ApiError:
    """409 for a body based on an older version of the record than the one stored."""
    stored = getattr(getattr(exc, "record", None), "version", None)
    message = _("Someone else changed this record since you loaded it. "
                "Load it again, then re-apply your change.")
    errors = None
    if stored is not None:
        errors = {"version": [_("The record is now at version %(version)s.", version=stored)]}
    return ApiError(409, message, errors)


def commit_service_call(action: Callable[[], T]) -> T:
    """Run a service call and commit; on refusal roll back (nothing is half-saved) and raise
    the matching API error. StaleDataError is the database noticing a concurrent writer that
    committed between our read and our write: the same conflict as a stale submitted version."""
    try:
        result = action()
        db.session.commit()
    except EditConflict as exc:
        db.session.rollback()
        raise from_edit_conflict(exc) from None
    except StaleDataError:
        db.session.rollback()
        raise from_edit_conflict() from None
    except ServiceError as exc:
        db.session.rollback()
        raise from_service_error(exc) from None
    return result


def documents_errors(blueprint, *statuses: int):
    """Decorator documenting the error answers of an operation (all share the Error schema)."""

    def decorate(view):
        for status in statuses:
            # flask-smorest registers one response component per status, named like
            # HTTPStatus (NOT_FOUND, ...), each referencing the "Error" schema component.
            view = blueprint.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return decorate


def _is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def _flatten_locations(errors):
    """webargs nests validation messages by location ({"json": {...}}); clients want fields."""
    if not isinstance(errors, dict):
        return errors
    locations = {"json", "query", "querystring", "form", "headers", "cookies", "files", "path",
                 "view_args", "json_or_form"}
    if errors and set(errors) <= locations:
        merged: dict = {}
        for field_errors in errors.values():
            if isinstance(field_errors, dict):
                merged.update(field_errors)
            else:  # about the body as a whole, e.g. "Invalid JSON body."
                merged.setdefault("_schema", []).extend(field_errors)
        return merged
    return errors


def csrf_failure_message() -> str:
    return _("The CSRF token is missing or invalid. Pages send it in the X-CSRFToken header; "
             "API clients use the Authentication-Token header instead of a session.")


def install(app: Flask) -> None:
    """Answer HTTP errors under /api/ in the stable shape; other paths keep their handlers."""
    from workbench.extensions import api

    default_handler = api.handle_http_exception

    def _http_error(error: HTTPException):
        if not _is_api_request():
            return default_handler(error)
        data = getattr(error, "data", None) or {}
        message = data.get("message") or error.description or status_phrase(error.code)
        if "messages" in data and not data.get("message"):
            # Raised by webargs while parsing: its own text is English and generic.
            if error.code == 400:
                message = _("The request body is not valid JSON.")
            else:
                message = _("The request has invalid values; see the errors of each field.")
        errors = data.get("errors") or data.get("messages")
        body = error_body(error.code, message, _flatten_locations(errors) if errors else None)
        headers = {}
        if error.code == 405:
            allowed = [value for name, value in error.get_headers() if name == "Allow"]
            if allowed:
                headers["Allow"] = allowed[0]
        headers.update(data.get("headers") or {})
        return jsonify(body), error.code, headers

    # Replaces flask-smorest's own HTTPException handler (registered by api.init_app).
    app.register_error_handler(HTTPException, _http_error)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        if _is_api_request():
            return jsonify(error_body(400, csrf_failure_message())), 400
        return render_template("error.html", status=400, message=error.description), 400
