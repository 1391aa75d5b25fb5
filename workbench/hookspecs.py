"""THE contract between the core shell and plugins.

Every hook is named workbench_*, is called with keyword arguments, and returns objects from
workbench.contracts (never HTML strings, never a mix of None and generators). An
implementation may declare fewer arguments than its hookspec, never other ones. The core
implements the same hooks for its own features (workbench/*/hooks.py).

docs/plugins.md explains each hook with an example; tests/workbench/plugins/test_hook_contract.py
fails when a hook here has no docstring, no section in docs/plugins.md or no test.
"""
from __future__ import annotations

import pluggy

PROJECT = "workbench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def workbench_manifest():
    """Return the plugin's Manifest (name, title, version, depends). Every plugin implements it.

    Called once at start-up, right after the plugin is registered. `name` must equal the
    entry-point name; every name in `depends` must be an enabled plugin, or start-up stops.
    """


@hookspec
def workbench_init_app(app):
    """Set the plugin up on the Flask `app` once, inside create_app: after the database,
    Babel, CSRF and the rate limiter are initialised and every plugin's contributions are
    collected; before Flask-Security and the blueprints are set up.

    Use it for template filters, context processors, config defaults (`app.config.setdefault`)
    and signal handlers. Return nothing; an exception stops start-up naming the plugin.
    """


@hookspec
def workbench_blueprints():
    """Return a list of Flask Blueprints (pages, HTMX fragments) and flask-smorest Blueprints
    (JSON API under /api/v1, CSRF-exempt because the API checks it itself) to register.

    Called once at start-up. Name a blueprint after the plugin; a name clash stops start-up.
    """


@hookspec
def workbench_menu_items():
    """Return a list of MenuItem for the main navigation, collected once at start-up.

    Items are sorted by `order` and shown only to users holding their `permission`; keys
    must be unique across the core and all plugins.
    """


@hookspec
def workbench_permissions():
    """Return a list of Permission the plugin checks with `user.can(name)`, each with the
    built-in roles that receive it when roles are created or brought up to date.

    Collected once at start-up; names must be unique (use `<plugin>.<action>`).
    """


@hookspec
def workbench_todo_kinds():
    """Return a list of TodoKind the plugin opens in the unified inbox.

    Collected once at start-up. workbench.inbox.services.open_todo refuses a kind nobody
    declared; keys must be unique (use `<plugin>.<kind>`).
    """


@hookspec
def workbench_homepage_widgets():
    """Return a list of Widget the user may place on the homepage.

    Collected once at start-up. Each widget renders lazily from /homepage/widgets/<key>;
    when its `render()` raises, that card alone shows an error and the failure is logged.
    """


@hookspec
def workbench_customer_sections():
    """Return a list of CustomerSection shown on the customer page (客户视图).

    Collected once at start-up and sorted by `order`. Each section renders lazily with
    `render(customer)` for a customer already in the reader's scope; a raising section shows
    an error card and the rest of the page works.
    """


@hookspec
def workbench_cli_commands():
    """Return a list of click commands or groups added under the `workbench` command.

    Called once at start-up. Decorate commands with flask.cli.with_appcontext when they
    touch the database; a name clash with another command stops start-up.
    """


@hookspec
def workbench_beat_schedule():
    """Return a list of ScheduledJob: jobs to enqueue on a schedule (reminder scans, digests,
    warning scans). Collected once at start-up; names must be unique.

    `workbench beat` sends them when WORKBENCH_REDIS_URL is set; the embedded default runs
    them from an in-process scheduler. Each run is enqueued once, however many web processes
    or workers there are.
    """


@hookspec
def workbench_search_sources():
    """Return a list of SearchSource: the document types the plugin offers to global search.

    Collected once at start-up; keys must be unique. Every commit that inserts, updates or
    deletes a row of a source's `model` re-indexes that record afterwards (through the one
    index writer), and `workbench search rebuild` re-creates them all. A result is shown only
    to users holding the source's `permission` (if any) and whose data scope includes its
    record — checked against the database for every hit, so a stale index never leaks.
    """


@hookspec
def workbench_handle_event(event):
    """React to an Event emitted by the core or another plugin (workbench.events.emit).

    Called for every event once the emitting transaction has committed (never for one that
    rolled back), so check `event.name` first and return when it is not yours. Each call runs
    in its own transaction in a fresh app context, in the system scope, acting for
    `event.actor_id`: load records by the ids in `event.payload`; what the handler changes
    is committed after it returns. An exception is logged and rolls back this handler's work
    only; the emitter and the other handlers are unaffected. Return nothing.

    Decorate the implementation with `workbench.events.slow_handler` to receive events as a
    background job instead (one job per event and handler, retried on failure, never run
    twice for the same event). Decorate it with `workbench.events.batch_handler` to receive
    events emitted together (`emit_batch`) as one `EventBatch` per 1,000 in one transaction,
    to write their rows set-wise; other handlers get them one by one.
    """


@hookspec
def workbench_help_contexts():
    """Return a list of HelpContext: the places in the plugin's pages where related knowledge
    helps ("opportunity.survey_review"). Collected once at start-up; keys must be unique.

    The page shows the panels for its context with `{{ context_panels("<key>") }}` in a
    template; curators choose among the declared contexts when they tag knowledge for one.
    """


@hookspec
def workbench_context_panels(context_key):
    """Return a list of ContextPanel to show beside the pages of help context `context_key`
    (a knowledge base returns the articles tagged for it), or None when there is nothing.

    Called while a page renders, for the signed-in user; each panel's `render()` runs in the
    user's data scope and fails alone (the page shows the rest and logs the error).
    """


@hookspec
def workbench_seed_demo(demo):
    """Add the plugin's demo records to `workbench demo`, given a DemoData (the demo accounts,
    org units and customers the core created, and a seeded random generator).

    Called once, in the system scope, after the core's demo data and after the demo data of
    the plugins this one depends on; the caller commits. Make the data tell a story a user can
    follow (records in every state, some overdue), and keep it the same on every run.
    """


@hookspec
def workbench_bench_seed(seeder):
    """Fill the plugin's tables for `workbench bench seed --scale S`, given a
    workbench.bench.seed.Seeder: the scale and `count(base_at_scale_1)`, `random(name)` (a
    generator derived from the seed and the name, so the rows do not depend on plugin
    order), `insert(table, rows)` (bulk: COPY on PostgreSQL), `new_ids(table, n)`, the
    people, units and customers the core made with lookups (`account_managers()`,
    `customers_of(am)`, `lead_of(unit)`, `nearest(role, unit)`), `now` / `today`, and
    `report(name, count)` for the progress lines and the summary.

    Called once, in the system scope, after the core's rows and after the plugins this one
    depends on; the caller commits. Write rows that obey the scope rule (a record's unit is
    its owner's) and the plugin's own invariants (an open record has its open to-do).
    """


@hookspec(firstresult=True)
def workbench_resolve_sso_user(claims):
    """Map verified ID-token claims (a dict) to an SsoIdentity, or return None to pass.

    The first non-None result wins; the core's claim-based default runs last, so a plugin
    only needs to handle the identity providers it knows.
    """
