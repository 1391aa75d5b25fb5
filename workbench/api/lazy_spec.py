"""A flask-smorest Api that writes the OpenAPI document when it is first needed.

flask-smorest documents a blueprint's operations the moment the blueprint is registered:
it deep-copies every view's doc, resolves every marshmallow schema and adds the paths. That
is a third of create_app, paid by every gunicorn worker, every `workbench` CLI call and every
test, although only /api/v1/openapi.json (and `workbench openapi print`) ever reads the
document. LazySpecApi registers the routes at once (requests work as before) and queues the
documentation steps, in registration order; the first read of `api.spec` runs them. The
resulting document is the one the eager Api builds, key for key and in the same order
(tests/workbench/api/test_lazy_spec.py compares the two).

Other start-up code that adds to the document (security schemes, the description) queues
its step with `document_later` so that it runs after the blueprints, as it did when it ran
at the end of start-up.

The Api object is a process-wide singleton bound to the app last initialised (flask-smorest's
own rule): a new init_app starts a new document and drops the steps queued for the previous
app, whose document flask-smorest would have replaced anyway.
"""
from __future__ import annotations

import threading
from typing import Callable

from flask_smorest import Api


class OpenApiDocumentError(RuntimeError):
    """A queued documentation step failed; the message names the blueprint or step."""


class LazySpecApi(Api):
    """flask_smorest.Api whose `spec` is completed on first read (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        self._spec = None
        self._pending_steps: list[tuple[str, Callable[[], None]]] = []
        # Reentrant: a step may itself read `api.spec`; other threads wait for the whole
        # document instead of reading a half-written one.
        self._document_lock = threading.RLock()
        self._documenting = False
        self._document_failure: OpenApiDocumentError | None = None
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        if self._pending_steps:
            self._run_pending_steps()
        if self._document_failure is not None:
            # Every reader learns the document is broken, not only the first one.
            raise self._document_failure
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        # flask-smorest assigns a fresh APISpec in init_app (and None in __init__): steps
        # queued for an earlier app would write into a document nobody reads any more.
        with self._document_lock:
            self._spec = value
            self._pending_steps = []
            self._document_failure = None

    @property
    def has_pending_documentation(self) -> bool:
        """True while queued steps have not yet been written into the document."""
        return bool(self._pending_steps)

    def document_later(self, step: Callable[[], None], *, what: str | None = None) -> None:
        """Queue `step` to run on the document after the steps queued before it."""
        self._pending_steps.append((what or getattr(step, "__qualname__", repr(step)), step))

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register the blueprint's routes now and queue its documentation.

        The same steps as flask_smorest.Api.register_blueprint, in the same order; only the
        two that write into the spec are queued.
        """
        blp_name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][blp_name] = self
        self._app.register_blueprint(blp, **options)
        app = self._app

        def document_blueprint() -> None:
            spec = self._spec
            blp.register_views_in_doc(self, app, spec, name=blp_name, parameters=parameters)
            spec.tag({"name": blp_name, "description": blp.description})

        self.document_later(document_blueprint, what=f"API blueprint {blp_name!r}")

    def _run_pending_steps(self) -> None:
        with self._document_lock:
            if self._documenting or not self._pending_steps:
                # Either this thread is inside a step that reads api.spec, or another
                # thread finished the document while this one waited for the lock.
                return
            self._documenting = True
            try:
                # Steps stay queued until all have run, so no thread can see the list empty
                # while the document is still being written.
                for what, step in self._pending_steps:
                    try:
                        step()
                    except Exception as exc:
                        failure = OpenApiDocumentError(
                            f"cannot add {what} to the OpenAPI document: {type(exc).__name__}: {exc}")
                        self._document_failure = failure
                        raise failure from exc
            finally:
                # Whatever happened, no step runs twice (a second run would add duplicate
                # paths and schemas); after a failure every read raises it (see `spec`).
                self._pending_steps = []
                self._documenting = False
