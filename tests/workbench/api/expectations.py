"""Assertions shared by the API tests."""
from __future__ import annotations


def assert_error_shape(response, status: int) -> dict:
    """The stable error body of the API: code, status, message (and errors when present)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert body["code"] == status
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"code", "status", "message", "errors"}
    return body
