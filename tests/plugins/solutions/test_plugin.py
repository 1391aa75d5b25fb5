"""The solutions plugin as the workbench sees it: contributions, search, the migration, and the
demo data."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workbench import database
from workbench.extensions import db
from workbench.plugins import registry

from plugins.solutions import MANIFEST

pytestmark = [pytest.mark.plugins("solutions")]


def test_the_plugin_loads_with_its_manifest(app):
    plugin = registry().get(MANIFEST.name)
    assert plugin is not None and plugin.enabled


def test_it_declares_menu_permissions_to_dos_widgets_section_search_and_help(app):
    reg = registry()
    assert {"solutions.review", "solutions.refresh"} <= set(reg.todo_kinds)
    assert {"solutions.my_proposals", "solutions.new_material"} <= set(reg.widgets)
    menu = {item.key: item for item in reg.menu_items}
    assert menu["solutions"].group == "knowledge" and menu["solutions"].permission == "solutions.use"
    assert {"solutions.generate", "solutions.curate"} <= set(reg.help_contexts)


def test_account_managers_use_and_knowledge_admins_curate_by_default(app, world):
    from tests.support.factories import make_user

    curator = make_user("knowledge_admin", world.province)
    assert world.am1.can("solutions.use") and world.lead.can("solutions.use")
    assert not world.am1.can("solutions.curate") and curator.can("solutions.curate")


def test_every_table_of_the_plugin_carries_its_prefix(app):
    tables = [m.local_table.name for m in db.Model.registry.mappers if m.class_.__module__.startswith("plugins.solutions")]
    assert tables and all(name.startswith("solutions_") for name in tables)


@pytest.mark.locale("en")
def test_products_and_published_material_are_found_by_search(app, world, library, client_for):
    client = client_for(world.am1)
    found = client.get("/api/v1/search?q=智慧校园").get_json()
    types = {hit["type"] for hit in found["items"]}
    assert "solutions.product" in types


@pytest.mark.locale("en")
def test_a_case_is_found_by_a_word_of_its_text(app, world, library, client_for):
    found = client_for(world.am1).get("/api/v1/search?q=医院专线案例").get_json()
    assert any(hit["type"] == "solutions.piece" for hit in found["items"])


def test_the_migration_builds_the_tables_the_models_describe(app):
    if not str(db.engine.url).startswith("sqlite"):
        pytest.skip("the migration is compared on its own SQLite file")
    from workbench import create_app

    migrated = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{app.config['DATA_DIR']}-migrated.db"})
    database.upgrade(migrated)

    def only_this_plugin(_object, name, type_, _reflected, _compare_to):
        return type_ != "table" or name.startswith("solutions_")

    with migrated.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": only_this_plugin})
        assert compare_metadata(context, db.metadata) == []
    with migrated.app_context():
        db.engine.dispose()


def test_the_large_proposal_page_shows_progress_then_the_sections(app, world, library, client_for, monkeypatch):
    from plugins.solutions import services

    monkeypatch.setattr(services, "LARGE_PROPOSAL", 1)
    client = client_for(world.am1)
    response = client.post("/solutions/new/generate", data={"product": [library.line.id, library.cloud.id],
                                                            "prospect_name": "某单位"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # in-process jobs run at commit: finished by the time the page is read
    assert "集团专线" in page and "wb-sections" in page


def test_the_demo_seeds_products_with_all_pieces_and_two_proposals_for_am1(app):
    from sqlalchemy import func, select

    from workbench.demo import seed_demo
    from workbench.org.scope import system_scope

    from plugins.solutions import services
    from plugins.solutions.models import Piece, Product, Proposal

    seed_demo()
    with system_scope():
        products = db.session.execute(select(Product)).scalars().all()
        assert len(products) == 10
        for product in products:
            assert {p.kind for p in product.pieces if p.live is not None} == {"intro", "functions", "case",
                                                                            "technical", "prices"}
        proposals = db.session.execute(select(Proposal)).scalars().all()
        assert len(proposals) == 2 and {p.owner.username for p in proposals} == {"am1"}
        for proposal in proposals:
            assert all("产品介绍" in s.body_html and s.price_rows for s in proposal.sections)
            assert services.stale_products(proposal) == []
        assert db.session.execute(select(func.count(Piece.id)).where(Piece.state != "published")).scalar_one() == 0
