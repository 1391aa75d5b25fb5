"""The floor of the province benchmark: a bare Flask app that runs the inbox SQL and returns JSON.

It is what any web implementation of the inbox must at least pay when served the same way
(gunicorn, 2 sync workers, the same database): parse the request, run the one SELECT of the
inbox page — the statement and parameters the real page sent to the database driver,
captured in-process by `benchmarks/province.py` — and return the same rows as JSON. No
create_app(), no session, no sign-in, no scope rule, no ORM, no template.

    PROVINCE_FLOOR_DATABASE_URL=postgresql+psycopg://... \
    PROVINCE_FLOOR_SQL_FILE=.../floor_sql.json \
    gunicorn -w 2 "benchmarks.floor_app:create_floor_app()"

GET /inbox/<username> answers with the rows of that user's first inbox page.
"""
from __future__ import annotations

import json
import os
from datetime import date, datetime

from flask import Flask, abort, jsonify
from sqlalchemy import create_engine


def encode_parameters(parameters):
    """Driver parameters (a dict for psycopg, a tuple for sqlite3) as JSON-safe values;
    datetimes are tagged so decode_parameters() gives the driver the same types back."""
    def encode(value):
        if isinstance(value, datetime):
            return {"__datetime__": value.isoformat()}
        if isinstance(value, date):
            return {"__date__": value.isoformat()}
        return value

    if isinstance(parameters, dict):
        return {"dict": {name: encode(value) for name, value in parameters.items()}}
    return {"list": [encode(value) for value in parameters]}


def decode_parameters(encoded):
    def decode(value):
        if isinstance(value, dict) and "__datetime__" in value:
            return datetime.fromisoformat(value["__datetime__"])
        if isinstance(value, dict) and "__date__" in value:
            return date.fromisoformat(value["__date__"])
        return value

    if "dict" in encoded:
        return {name: decode(value) for name, value in encoded["dict"].items()}
    return tuple(decode(value) for value in encoded["list"])


def create_floor_app() -> Flask:
    """The bare app; gunicorn calls this in each worker, so each has its own engine and pool."""
    engine = create_engine(os.environ["PROVINCE_FLOOR_DATABASE_URL"])
    with open(os.environ["PROVINCE_FLOOR_SQL_FILE"], encoding="utf-8") as handle:
        statements = {
            username: (entry["sql"], decode_parameters(entry["parameters"]))
            for username, entry in json.load(handle).items()
        }
    app = Flask(__name__)

    @app.route("/inbox/<username>")
    def inbox(username: str):
        if username not in statements:
            abort(404)
        sql, parameters = statements[username]
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(sql, parameters).mappings().all()
        return jsonify([dict(row) for row in rows])

    return app
