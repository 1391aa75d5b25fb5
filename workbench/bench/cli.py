"""`workbench bench …`: the benchmark data generator (`bench seed`), registered from
workbench/cli.py."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("bench")
def bench_group():
    """Benchmark data: a province of reproducible, seeded records."""


@bench_group.command("seed")
@click.option("--scale", type=float, required=True,
              help="1 ≈ a province: 5,000 users, 200,000 customers, 2,000,000 to-dos …; 0.1 and 0.3 shrink all of it.")
@click.option("--seed", "seed_value", type=int, default=None, help="Random seed (default: a fixed one).")
@click.option("--reset", is_flag=True, help="Drop the whole schema and the search index first.")
@click.option("--no-index", is_flag=True, help="Do not index customers and knowledge articles for search.")
@with_appcontext
def seed_command(scale: float, seed_value: int | None, reset: bool, no_index: bool):
    """Fill the configured database (WORKBENCH_DATABASE_URL / WORKBENCH_DATA_DIR) at SCALE."""
    from workbench.bench.seed import DEFAULT_SEED, SeedRefused, seed_database

    if scale <= 0 or scale > 10:
        raise click.BadParameter("give a scale above 0 and at most 10", param_hint="--scale")
    app = current_app._get_current_object()
    try:
        seed_database(app, scale=scale, seed=DEFAULT_SEED if seed_value is None else seed_value, reset=reset,
                      index=not no_index, echo=click.echo)
    except SeedRefused as exc:
        raise click.ClickException(str(exc)) from exc
