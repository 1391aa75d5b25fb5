"""`workbench bench seed`: the volumes follow the scale, the same seed writes the same rows,
the rows obey the scope rule and the flows' invariants, and the command refuses to mix its
data into a database that holds people (unless --reset), on SQLite and PostgreSQL alike."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from tests.support import databases
from workbench.extensions import db

SEEDED_PLUGINS = ("opportunity", "contract", "worklog", "warning", "knowledge")
pytestmark = pytest.mark.plugins(*SEEDED_PLUGINS)


def table_count(name: str, where: str = "") -> int:
    """Rows of table `name` (optionally "name alias") matching the SQL that follows."""
    table, _, alias = name.partition(" ")
    return db.session.execute(text(f'SELECT COUNT(*) FROM "{table}" {alias} {where}')).scalar_one()


def digest(*tables: str) -> str:
    """A hash of every row of `tables`, in id order."""
    hashed = hashlib.sha256()
    for name in tables:
        table = db.metadata.tables[name]
        for row in db.session.execute(select(table).order_by(table.c.id)):
            hashed.update(repr(tuple(row)).encode())
    return hashed.hexdigest()


def test_bench_seed_writes_volumes_that_follow_the_scale(app, seed):
    summary = seed(0.001)
    assert table_count("customer") == 200
    assert table_count("todo_item", "WHERE kind = 'task'") == 2000
    assert table_count("opportunity_opportunity") == 500
    assert table_count("worklog_log") == 1000
    assert table_count("warning_warning") == 200
    assert table_count("knowledge_article") == 50
    assert 0 < table_count("contract_contract") <= 100
    # most to-dos are closed; every account manager has open ones
    assert table_count("todo_item", "WHERE kind = 'task' AND status = 'open'") < 0.15 * 2000
    assert summary["counts"]["customers"] == 200
    assert summary["counts"]["opportunities"] == 500
    # the org tree keeps its shape however small the scale: cities, counties, grids, people
    levels = dict(db.session.execute(text("SELECT level, COUNT(*) FROM org_unit GROUP BY level")).all())
    assert levels == {"province": 1, "city": 2, "county": 4, "grid": 8}
    roles = dict(db.session.execute(text(
        "SELECT role.name, COUNT(*) FROM roles_users JOIN role ON role.id = roles_users.role_id GROUP BY role.name")).all())
    assert roles["account_manager"] == 16 and roles["lead"] == 4 + 8
    assert {"city_manager", "opportunity_manager", "contract_manager", "knowledge_admin", "province_admin"} <= set(roles)


def test_the_same_bench_seed_writes_the_same_rows_and_another_seed_other_rows(app, seed, wipe):
    tables = ("org_unit", "customer", "todo_item", "opportunity_opportunity", "contract_contract",
              "warning_warning", "worklog_log", "knowledge_article")
    seed(0.0005, seed=7)
    first = digest(*tables)
    wipe()
    seed(0.0005, seed=7)
    assert digest(*tables) == first
    wipe()
    seed(0.0005, seed=8)
    assert digest(*tables) != first


def test_bench_seed_records_belong_to_their_owners_unit_and_customers(app, seed):
    seed(0.001)
    # A record's unit is its owner's (the scope rule), for every owned record the seed writes.
    for table in ("customer", "todo_item", "opportunity_opportunity", "contract_contract", "warning_warning",
                  "worklog_log", "worklog_plan", "knowledge_article"):
        wrong = table_count(table, f'JOIN "user" ON "user".id = "{table}".owner_id '
                                   f'WHERE "user".org_unit_id <> "{table}".org_unit_id')
        assert wrong == 0, table
    assert table_count("todo_item", "WHERE owner_id IS NULL AND assignee_unit_id <> org_unit_id") == 0
    # Business records are about the owner's own customers.
    for table in ("opportunity_opportunity", "contract_contract", "warning_warning", "worklog_log"):
        wrong = table_count(table, f'JOIN customer ON customer.id = "{table}".customer_id '
                                   f'WHERE customer.owner_id <> "{table}".owner_id')
        assert wrong == 0, table
    assert table_count("todo_item", "JOIN customer ON customer.id = todo_item.customer_id "
                                    "WHERE todo_item.kind IN ('task', 'warning.handle', 'worklog.visit') "
                                    "AND todo_item.owner_id IS NOT NULL AND customer.owner_id <> todo_item.owner_id") == 0


def test_bench_seed_leaves_each_open_flow_step_with_its_handlers_open_todo(app, seed):
    seed(0.001)
    open_opportunities = table_count("opportunity_opportunity", "WHERE stage NOT IN ('signed', 'closed')")
    assert open_opportunities > 0
    # every open opportunity: one open to-do, held by its handler — unless its contract order
    # was raised, which closes the "raise the contract" to-do
    assert table_count("opportunity_opportunity o", """
        WHERE stage NOT IN ('signed', 'closed') AND (SELECT COUNT(*) FROM todo_item t
          WHERE t.source_type = 'opportunity_opportunity' AND t.source_id = CAST(o.id AS VARCHAR(64))
            AND t.status = 'open' AND t.owner_id = o.handler_id)
          <> CASE WHEN EXISTS (SELECT 1 FROM contract_contract c WHERE c.opportunity_id = o.id) THEN 0 ELSE 1 END
        """) == 0
    # every open warning: one open to-do for its owner; a handled one has none
    assert table_count("warning_warning w", """
        WHERE (SELECT COUNT(*) FROM todo_item t WHERE t.source_type = 'warning_warning'
          AND t.source_id = CAST(w.id AS VARCHAR(64)) AND t.status = 'open' AND t.owner_id = w.owner_id)
          <> CASE WHEN w.status = 'open' THEN 1 ELSE 0 END""") == 0
    # contracts belong to signed (confirmed ones) or pre-execution opportunities of the same owner
    assert table_count("contract_contract c", """JOIN opportunity_opportunity o ON o.id = c.opportunity_id
        WHERE o.owner_id <> c.owner_id OR o.customer_id <> c.customer_id
           OR (c.state = 'confirmed' AND o.stage <> 'signed')
           OR (c.state <> 'confirmed' AND o.stage <> 'pre_execution')""") == 0


@pytest.fixture
def cli_env(db_backend, tmp_path):
    """Environment for the `workbench` command on an empty database of its own."""
    env = {"WORKBENCH_DATA_DIR": str(tmp_path / "data"), "WORKBENCH_DATABASE_URL": "",
           "WORKBENCH_PLUGINS": ",".join(SEEDED_PLUGINS), "WORKBENCH_SECRET_KEY": "test-secret-key"}
    if db_backend == "sqlite":
        env.pop("WORKBENCH_DATABASE_URL")
        yield env
        return
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(databases.admin_url())
    name = f"workbench_bench_cli_{os.getpid()}"
    try:
        with psycopg.connect(host=base.host, port=base.port or 5432, user=base.username, password=base.password,
                             dbname=base.database or "postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        databases.unavailable(f"PostgreSQL not reachable: {exc}")
    url = str(base.set(database=name).render_as_string(hide_password=False))
    env["WORKBENCH_DATABASE_URL"] = url
    yield env
    databases.drop_database(url)


def run_cli(env, *args):
    from workbench.cli import main

    saved = {key: os.environ.get(key) for key in ("WORKBENCH_DATABASE_URL",)}
    if "WORKBENCH_DATABASE_URL" not in env:
        os.environ.pop("WORKBENCH_DATABASE_URL", None)
    try:
        return CliRunner().invoke(main, ["bench", "seed", *args], env=env, catch_exceptions=False)
    finally:
        for key, value in saved.items():
            if value is not None:
                os.environ[key] = value


def counts_in(env) -> dict:
    from workbench import create_app

    uri = env.get("WORKBENCH_DATABASE_URL") or f"sqlite:///{Path(env['WORKBENCH_DATA_DIR']) / 'workbench.db'}"
    app = create_app({"TESTING": True, "DATA_DIR": env["WORKBENCH_DATA_DIR"], "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": uri, "WORKBENCH_PLUGINS": list(SEEDED_PLUGINS)})
    with app.app_context():
        found = {name: table_count(name) for name in ("user", "customer", "todo_item", "opportunity_opportunity")}
        found["first customer"] = db.session.execute(text("SELECT name FROM customer ORDER BY id LIMIT 1")).scalar()
        db.session.remove()
        db.engine.dispose()
    return found


def test_bench_seed_command_refuses_a_database_with_people_unless_reset(cli_env):
    first = run_cli(cli_env, "--scale", "0.0005", "--no-index", "--seed", "1")
    assert first.exit_code == 0, first.output
    assert "customers" in first.output and "Done in" in first.output
    summary = json.loads((Path(cli_env["WORKBENCH_DATA_DIR"]) / "bench_seed.json").read_text(encoding="utf-8"))
    assert summary["seed"] == 1 and summary["password"] == "workbench"
    assert summary["database"] == ("postgresql" if cli_env.get("WORKBENCH_DATABASE_URL") else "sqlite")
    assert summary["typical_account_manager"].startswith("am") and summary["lead"].startswith("lead")
    assert summary["customer_ids"][summary["typical_account_manager"]]
    assert len(summary["search_terms"]) == 10
    before = counts_in(cli_env)

    refused = run_cli(cli_env, "--scale", "0.0005", "--no-index", "--seed", "2")
    assert refused.exit_code == 1
    assert "already holds users" in refused.output
    assert counts_in(cli_env) == before

    again = run_cli(cli_env, "--scale", "0.0005", "--no-index", "--seed", "2", "--reset")
    assert again.exit_code == 0, again.output
    after = counts_in(cli_env)
    assert after["user"] == before["user"] and after["customer"] == before["customer"]
    assert after["first customer"] != before["first customer"] or after != before
    assert json.loads((Path(cli_env["WORKBENCH_DATA_DIR"]) / "bench_seed.json").read_text())["seed"] == 2


def test_bench_seed_signs_people_in_with_the_summary_password(app, seed, client):
    summary = seed(0.0005)
    for username in (summary["typical_account_manager"], summary["lead"]):
        response = app.test_client().post("/login", data={"username": username, "password": summary["password"]})
        assert response.status_code == 302, username
    assert db.session.execute(select(func.count()).select_from(db.metadata.tables["user"])).scalar_one() > 20
