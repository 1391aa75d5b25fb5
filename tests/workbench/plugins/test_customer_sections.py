"""workbench_customer_sections: plugin sections join the customer page (客户视图), render for
a customer in scope, and a failing section shows its error card alone."""
from __future__ import annotations

from workbench.plugins import registry

from tests.workbench.plugins.samples import PROBE

pytestmark = PROBE


def test_workbench_customer_sections_are_sorted_after_the_core_sections(app):
    keys = [section.key for section in registry().customer_sections]
    assert keys.index("core.basic") < keys.index("core.todos") < keys.index("probe.notes") < keys.index("probe.broken")


def test_a_plugin_section_is_on_the_customer_page_and_renders_for_the_customer(app, world, client_for):
    client = client_for(world.am1)
    customer = world.customers["am1"]
    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert 'id="section-probe.notes"' in page
    section = client.get(f"/customers/{customer.id}/sections/probe.notes")
    assert section.status_code == 200
    assert f"Probe notes about {customer.name}" in section.get_data(as_text=True)


def test_a_failing_section_shows_its_error_card_and_the_page_still_works(app, world, client_for):
    client = client_for(world.am1)
    customer_id = world.customers["am1"].id
    broken = client.get(f"/customers/{customer_id}/sections/probe.broken")
    assert broken.status_code == 200
    card = broken.get_data(as_text=True)
    assert 'role="alert"' in card and "Probe broken section" in card  # the error card names it
    assert client.get(f"/customers/{customer_id}").status_code == 200
    assert client.get(f"/customers/{customer_id}/sections/probe.notes").status_code == 200


def test_a_section_of_a_customer_out_of_scope_answers_404(app, world, client_for):
    response = client_for(world.am1).get(f"/customers/{world.customers['am2'].id}/sections/probe.notes")
    assert response.status_code == 404
