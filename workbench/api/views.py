"""Registration of the core's JSON API (/api/v1) and the parts of its OpenAPI document that
are not per-operation: security schemes, the error conventions, tag descriptions.

The operations live one module per resource: tokens, me, todos, customers, homepage. Plugin
API blueprints arrive through the workbench_blueprints hook and are registered by
app_setup.init_blueprints on the same flask-smorest Api, so they land in the same document.
"""
from __future__ import annotations

from flask import Flask

from workbench.api import auth, customers, homepage, me, todos, tokens
from workbench.auth.login_throttle import limit_failures
from workbench.extensions import api, csrf

CORE_BLUEPRINTS = (tokens.bp, me.bp, todos.bp, customers.bp, homepage.bp)

API_DESCRIPTION = """\
JSON API of the account-manager workbench.

**Authentication.** API clients get a token from `POST /api/v1/auth/token` and send it in the
`Authentication-Token` header of every call (never in a URL: a request under /api/ with
`?auth_token=` is refused). The account needs the `api.use` permission. Pages of the workbench
use the browser session instead; their state-changing calls send the CSRF token in the
`X-CSRFToken` header.

**Data scope.** Every answer is limited to what the caller may see. A record outside the
caller's scope answers 404, exactly like one that does not exist; lists and counts leave it out.

**Errors** always have the shape of the `Error` schema:
`{"code": 404, "status": "Not Found", "message": "...", "errors": {...}}`.
`errors` maps a field to its messages and is present for validation problems (nested fields
nest, list items are keyed by index, and `_schema` holds problems of the body as a whole).

* 400 — a business rule refused the values (the field is named in `errors`), or the CSRF token
  of a browser session is missing;
* 401 — no valid token or session; 403 — not permitted;
* 404 — no such record, or not visible to the caller;
* 409 — the record changed since the caller read it: every change carries the `version` that
  was read, and a stale one changes nothing;
* 422 — the body or query does not fit the schema (wrong type, missing or unknown field);
* 429 — too many failed token requests; wait and retry;
* 500 — a fault on the server (logged).

Times are ISO 8601 in UTC on output; input times need an explicit offset.
Lists are paged with `page` and `per_page` and answer `{items, total, page, per_page, pages}`.
"""


def _document() -> None:
    spec = api.spec
    spec.components.security_scheme(
        "token", {"type": "apiKey", "in": "header", "name": "Authentication-Token",
                  "description": "A token from POST /api/v1/auth/token."})
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "session",
                    "description": "The browser session of the workbench's pages; "
                                   "state-changing calls also need the X-CSRFToken header."})
    spec.options["security"] = [{"token": []}, {"session": []}]
    spec.options.setdefault("info", {})["description"] = API_DESCRIPTION


def register_core_api(app: Flask) -> None:
    for blueprint in CORE_BLUEPRINTS:
        api.register_blueprint(blueprint)
        # Exempt from the form-style CSRF check: api_login_required checks the X-CSRFToken
        # header for cookie sessions, while token clients (no cookie) need none.
        csrf.exempt(blueprint)
    # Failed token requests count against the sign-in form's limits (same counters).
    app.view_functions[tokens.TOKEN_ENDPOINT] = limit_failures(app.view_functions[tokens.TOKEN_ENDPOINT])
    auth.install(app)
    # Queued behind the blueprints' documentation, so it runs last, as it always has.
    api.document_later(_document, what="the API's security schemes and description")
