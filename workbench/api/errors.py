"""One error shape for every API answer: {"code", "status", "message", "errors"?}.

flask-smorest already answers its own errors this way; this makes ServiceError, 404 of
out-of-scope records, CSRF failures and rate limits under /api/ use the same shape.
"""
from __future__ import annotations

from flask import Flask, jsonify, request
from flask_wtf.csrf import CSRFError


def error_body(status: int, message: str, errors: dict | None = None) -> dict:
    from http import HTTPStatus

    body = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    return body


def install(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        from flask import render_template

        if request.path.startswith("/api/"):
            return jsonify(error_body(400, error.description)), 400
        return render_template("error.html", status=400, message=error.description), 400
