"""The OpenAPI document is written on first read (workbench.api.lazy_spec.LazySpecApi) and is
exactly the document flask-smorest's own eager Api writes at blueprint registration."""
from __future__ import annotations

import json
import threading

import pytest
from flask_smorest import Api

from workbench import app_setup, create_app, extensions
from workbench.api import lazy_spec
from workbench.api import views as api_views


class EagerApi(Api):
    """flask-smorest's own Api, documenting at registration as the workbench did before the
    document became lazy; `document_later` runs the step at once, where `_document()` used to
    be called."""

    def document_later(self, step, *, what=None):
        step()


def _config(tmp_path, name: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATA_DIR": str(tmp_path / name),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / name}.db",
        "RATELIMIT_STORAGE_URI": "memory://",
    }


def _eager_document(tmp_path, monkeypatch) -> dict:
    eager = EagerApi()
    for module in (extensions, app_setup, api_views):
        monkeypatch.setattr(module, "api", eager)
    app = create_app(_config(tmp_path, "eager"))
    monkeypatch.undo()
    with app.test_request_context():
        return eager.spec.to_dict()


def test_the_lazy_document_equals_the_eager_one_key_for_key_and_in_order(tmp_path, monkeypatch):
    eager = _eager_document(tmp_path, monkeypatch)
    assert isinstance(extensions.api, lazy_spec.LazySpecApi)
    lazy_app = create_app(_config(tmp_path, "lazy"))
    served = lazy_app.test_client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    lazy = served.get_json()

    assert len(eager["paths"]) >= 10 and eager["components"]["schemas"], "a real document is compared"
    assert sorted(lazy) == sorted(eager)
    for section in eager:
        assert lazy[section] == eager[section], f"the {section!r} section differs"
    # Same order too: `workbench openapi print` and the JSON answer stay byte-identical.
    assert json.dumps(lazy) == json.dumps(eager)


def test_create_app_leaves_the_document_unwritten_until_it_is_read(tmp_path):
    api = extensions.api
    create_app(_config(tmp_path, "app"))
    assert api.has_pending_documentation
    assert api._spec.to_dict()["paths"] == {}, "no operation documented at start-up"

    document = api.spec.to_dict()
    assert not api.has_pending_documentation
    assert "/api/v1/todos" in document["paths"]
    assert document["info"]["description"].startswith("JSON API of the account-manager workbench")
    assert set(document["components"]["securitySchemes"]) == {"token", "session"}
    # A second read writes nothing twice.
    assert api.spec.to_dict() == document


def test_threads_reading_at_once_all_get_the_whole_document(tmp_path):
    api = extensions.api
    create_app(_config(tmp_path, "app"))
    results: list = []
    start = threading.Barrier(4)

    def read():
        start.wait()
        results.append(json.dumps(api.spec.to_dict()))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert "/api/v1/todos" in json.loads(results[0])["paths"]


def test_a_new_app_starts_a_new_document(tmp_path):
    api = extensions.api
    create_app(_config(tmp_path, "first"))
    first_spec = api._spec
    second = create_app(_config(tmp_path, "second"))
    assert api._spec is not first_spec
    document = second.test_client().get("/api/v1/openapi.json").get_json()
    # Each operation once: the first app's queued steps were dropped, not run into this one.
    assert len(document["tags"]) == len({tag["name"] for tag in document["tags"]})
    assert first_spec.to_dict()["paths"] == {}


def test_a_failing_step_names_what_it_was_documenting(tmp_path):
    api = extensions.api
    create_app(_config(tmp_path, "app"))

    def broken():
        raise ValueError("no schema")

    api.document_later(broken, what="API blueprint 'probe'")
    with pytest.raises(lazy_spec.OpenApiDocumentError, match="API blueprint 'probe'.*no schema"):
        api.spec  # noqa: B018 - reading runs the queued steps
    assert not api.has_pending_documentation, "no step runs twice"
    with pytest.raises(lazy_spec.OpenApiDocumentError, match="API blueprint 'probe'"):
        api.spec  # noqa: B018 - a later reader is not handed the half-written document
    # A new app starts a new, healthy document.
    create_app(_config(tmp_path, "next"))
    assert "/api/v1/todos" in api.spec.to_dict()["paths"]
