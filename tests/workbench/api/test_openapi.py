"""The OpenAPI document: valid, complete (every /api/v1 route of the app is in it), and the
error answers of each operation reference the one Error schema."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

SPEC_URL = "/api/v1/openapi.json"
SPEC_ENDPOINT = "api-docs.openapi_json"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def spec(app, client):
    response = client.get(SPEC_URL)
    assert response.status_code == 200
    return response.get_json()


def _openapi_path(rule: str) -> str:
    """/api/v1/todos/<int:todo_id> → /api/v1/todos/{todo_id}"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _api_operations(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.endpoint != SPEC_ENDPOINT:
            for method in sorted(rule.methods - IGNORED_METHODS):
                yield _openapi_path(rule.rule), method.lower()


def test_the_document_is_valid_openapi(spec):
    validate(spec)


def test_every_api_route_of_the_app_is_documented(app, spec):
    operations = list(_api_operations(app))
    assert len(operations) >= 10, "the core API routes are registered"
    undocumented = [f"{method.upper()} {path}" for path, method in operations
                    if method not in spec["paths"].get(path, {})]
    assert undocumented == [], "API routes missing from the OpenAPI document"


def test_the_document_describes_nothing_that_is_not_routed(app, spec):
    routed = set(_api_operations(app))
    documented = {(path, method) for path, item in spec["paths"].items()
                  for method in item if method in {"get", "post", "put", "patch", "delete"}}
    assert documented <= routed


def test_the_error_schema_has_the_stable_shape(spec):
    properties = spec["components"]["schemas"]["Error"]["properties"]
    assert {"code", "status", "message", "errors"} <= set(properties)


def test_error_responses_reference_the_error_schema(spec):
    responses = spec["components"]["responses"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")) or status == "default":
                    name = answer["$ref"].rsplit("/", 1)[-1]
                    schema = responses[name]["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"


def test_every_protected_operation_documents_401_and_every_body_documents_422(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            if operation.get("security") != []:
                assert "401" in operation["responses"], f"{method} {path}"
            if "requestBody" in operation:
                assert "422" in operation["responses"], f"{method} {path}"


def test_versioned_changes_document_409(spec):
    assert "409" in spec["paths"]["/api/v1/customers/{customer_id}"]["patch"]["responses"]
    assert "409" in spec["paths"]["/api/v1/todos/{todo_id}/done"]["post"]["responses"]
    assert "409" in spec["paths"]["/api/v1/homepage/layout"]["put"]["responses"]


def test_the_token_endpoint_needs_no_credentials_and_documents_429(spec):
    operation = spec["paths"]["/api/v1/auth/token"]["post"]
    assert operation["security"] == []
    assert "429" in operation["responses"]


def test_the_token_header_is_the_documented_security_scheme(spec):
    scheme = spec["components"]["securitySchemes"]["token"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authentication-Token"}
    assert {"token": []} in spec["security"]
