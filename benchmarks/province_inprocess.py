"""The in-process half of the province benchmark: the pages, their SQL statement counts, the floor's SQL.

`benchmarks/province.py` runs this once per scale in a subprocess (a fresh interpreter, so
each scale gets its own create_app() and nothing stays connected to the database between
scales), with WORKBENCH_DATABASE_URL pointing at that scale's database:

    python -m benchmarks.province_inprocess --data-dir DIR --seed-json DIR/bench_seed.json --out FILE

For the typical account manager and the lead named in bench_seed.json it writes to FILE:
- the pages from `workbench.bench.pages.pages_for(user)`, each with its concrete request
  paths ({customer_id} and {query} filled with every value bench_seed.json gives the user);
- the SQL statements each page issues, counted with a `before_cursor_execute` listener on
  requests made after one warm-up request (so per-process caches are not counted), for up to
  ten of its customers or search terms (largest and smallest count), and its status code;
- the inbox page's own SELECT of its first page of to-dos, exactly as the page handed it to
  the database driver (statement and parameters), for the floor app to run.
"""
from __future__ import annotations

import argparse
import json
from urllib.parse import quote

from sqlalchemy import event, select

from benchmarks.floor_app import encode_parameters

# Statements are counted for this many customers (or search terms) per page: a section may
# issue one more statement for a customer that has records of its kind, so the count reported
# is the largest seen, with the smallest beside it.
STATEMENT_COUNT_SAMPLE = 10


def concrete_paths(path: str, customer_ids: list[int], search_terms: list[str]) -> list[str]:
    """One request path per value of the page's placeholder (or the path itself)."""
    if "{customer_id}" in path:
        return [path.replace("{customer_id}", str(customer_id)) for customer_id in customer_ids]
    if "{query}" in path:
        return [path.replace("{query}", quote(term)) for term in search_terms]
    return [path]


def is_inbox_page_select(statement: str) -> bool:
    """The inbox page's SELECT of its rows (not the pager's count, not the counts by kind)."""
    flat = " ".join(statement.split())
    return flat.startswith("SELECT todo_item.id") and " LIMIT " in flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--seed-json", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.seed_json, encoding="utf-8") as handle:
        seed = json.load(handle)

    from workbench import create_app
    from workbench.auth.models import User
    from workbench.bench.pages import pages_for
    from workbench.extensions import db
    from workbench.org.scope import system_scope

    # CSRF and the sign-in rate limit are off here only: they change no page's SQL.
    app = create_app({"DATA_DIR": args.data_dir, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
    result: dict = {"users": {}}
    for role, username in (("typical AM", seed["typical_account_manager"]), ("lead", seed["lead"])):
        with app.app_context(), system_scope():
            user = db.session.execute(select(User).where(User.username == username)).scalar_one()
            pages = pages_for(user)
        client = app.test_client()
        signed_in = client.post("/login", data={"username": username, "password": seed["password"]})
        if signed_in.status_code != 302:
            raise SystemExit(f"cannot sign in as {username}: HTTP {signed_in.status_code}")
        customer_ids = seed["customer_ids"].get(username) or []
        measured = []
        for page in pages:
            paths = concrete_paths(page.path, customer_ids, seed["search_terms"])
            client.get(paths[0])
            counts, statuses = [], set()
            for path in paths[:STATEMENT_COUNT_SAMPLE]:
                statements.clear()
                statuses.add(client.get(path).status_code)
                counts.append(len(statements))
            measured.append({"name": page.name, "path": page.path, "kind": page.kind, "paths": paths,
                             "status": max(statuses), "statements": max(counts),
                             "statements_min": min(counts)})
        statements.clear()
        client.get("/inbox/")
        page_selects = [(sql, params) for sql, params in statements if is_inbox_page_select(sql)]
        if not page_selects:
            raise SystemExit("the inbox page issued no SELECT of to-dos with a LIMIT; "
                             "is_inbox_page_select() needs updating")
        sql, parameters = page_selects[0]
        result["users"][username] = {
            "role": role, "pages": measured,
            "floor": {"sql": sql, "parameters": encode_parameters(parameters)},
        }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
