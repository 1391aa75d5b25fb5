"""Concurrent moves on PostgreSQL (one wins, the other is told), documents through the core
file store, and the "Generate contract" link once the work order is in the pre-execution pool."""
from __future__ import annotations

import io
import threading

import pytest

from workbench.errors import Conflict
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

from plugins.ict import services
from tests.plugins.ict.helpers import PLUGINS, act, make_project, project

pytestmark = [pytest.mark.plugins(*PLUGINS), pytest.mark.locale("en")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_an_owner_abandoning_while_the_lead_returns_one_wins_and_the_other_is_told(app, world, database_url):
    if database_url == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL")
    project_id = make_project(world.am1)
    act(world.am1, services.submit_for_review, project_id)
    barrier = threading.Barrier(2)
    outcomes = {}

    def run(user_id, action, reason):
        with app.app_context():
            user = db.session.get(services.User, user_id)
            with acting_as(user.scope):
                item = services.get_project(project_id)
                barrier.wait(timeout=10)
                try:
                    action(user, item, reason)
                    db.session.commit()
                    outcomes[user_id] = "won"
                except (Conflict, services.ServiceError) as exc:
                    db.session.rollback()
                    outcomes[user_id] = str(exc.message)
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=run, args=(world.am1.id, services.abandon, "Budget cut")),
               threading.Thread(target=run, args=(world.lead.id, services.return_for_revision, "Add details"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert list(outcomes.values()).count("won") == 1
    told = next(value for value in outcomes.values() if value != "won")
    assert "at the same moment" in told or "cannot be" in told
    final = project(project_id)
    with system_scope():
        moves = [(c.from_stage, c.to_stage) for c in services.stage_history(final)]
    assert moves[-1][0] == "review" and len(moves) == 3  # exactly one move out of review


def test_a_team_member_attaches_a_pdf_and_only_people_who_see_the_project_download_it(app, world, client_for):
    project_id = make_project(world.am1)
    client = client_for(world.am1)
    response = client.post(f"/ict/{project_id}/documents", data={"file": (io.BytesIO(PDF), "design.pdf"), "title": "Design"},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with system_scope():
        [document] = services.documents_of(project(project_id))
    url = f"/ict/{project_id}/documents/{document.id}"
    download = client.get(url)
    assert download.status_code == 200 and download.data == PDF and "attachment" in download.headers["Content-Disposition"]
    assert client_for(world.outsider).get(url).status_code == 404


def test_a_file_of_the_wrong_type_is_refused_and_nothing_is_attached(app, world):
    from werkzeug.datastructures import FileStorage

    project_id = make_project(world.am1)
    upload = FileStorage(stream=io.BytesIO(b"MZ\x90\x00 not a document"), filename="tool.pdf")
    with pytest.raises(services.ServiceError) as refused:
        act(world.am1, services.attach_document, project_id, upload)
    assert refused.value.field == "file"
    db.session.rollback()
    with system_scope():
        assert services.documents_of(project(project_id)) == []


@pytest.mark.plugins("ict", "opportunity", "contract")
def test_the_project_page_offers_generate_contract_once_the_order_is_in_the_pre_execution_pool(app, world, client_for):
    from plugins.opportunity import services as opportunities
    from plugins.opportunity.models import Opportunity

    with system_scope():
        opportunities.ensure_catalogue()
        db.session.commit()
    project_id = make_project(world.am1)
    act(world.am1, services.submit_for_review, project_id)
    act(world.lead, services.approve, project_id)
    client = client_for(world.am1)
    assert "Generate contract" not in client.get(f"/ict/{project_id}").get_data(as_text=True)
    with system_scope():
        db.session.get(Opportunity, project(project_id).opportunity_id).stage = "pre_execution"
        db.session.commit()
    page = client.get(f"/ict/{project_id}").get_data(as_text=True)
    assert "Generate contract" in page and f"opportunity_id={project(project_id).opportunity_id}" in page
