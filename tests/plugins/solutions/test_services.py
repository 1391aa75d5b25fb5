"""The solution library's rules without HTTP: curation and versions, the three steps,
industry cases first, the combined price table, the second edit, regeneration, scope and
bad input."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.plugins.solutions.conftest import generate, publish
from tests.support.factories import make_customer
from workbench.audit.actor import acting_user
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.extensions import db
from workbench.inbox.models import TodoItem, TodoStatus
from workbench.org.scope import acting_as, system_scope

from plugins.solutions import services
from plugins.solutions.models import Proposal

pytestmark = [pytest.mark.plugins("solutions")]


def proposal_of(user, proposal_id):
    with acting_as(user.scope):
        return services.get_proposal(proposal_id)


def proposal_count() -> int:
    with system_scope():
        return db.session.execute(select(func.count(Proposal.id))).scalar_one()


def piece_of(product, kind):
    return next(p for p in product.pieces if p.kind == kind)


# --- curation -----------------------------------------------------------------------------

def test_publishing_makes_a_new_version_each_time(app, library):
    curator = library.curator
    with system_scope(), acting_user(curator):
        intro = piece_of(library.line, "intro")
        services.update_piece(curator, intro, version=intro.version, title="集团专线介绍",
                              body_html="<p>新的介绍</p>")
        assert intro.state == "draft" and intro.live.number == 1  # the published text stays in use
        services.submit_piece(curator, intro, version=intro.version)
        publish(curator, intro)
        db.session.commit()
        assert [v.number for v in intro.versions] == [2, 1]
        assert intro.live.body_html == "<p>新的介绍</p>"


def test_restoring_an_old_version_makes_a_draft_that_publishes_as_the_next_version(app, library):
    curator = library.curator
    with system_scope(), acting_user(curator):
        intro = piece_of(library.line, "intro")
        services.update_piece(curator, intro, version=intro.version, title="改过的", body_html="<p>改过</p>")
        publish(curator, intro)
        services.restore_version(curator, intro, 1, version=intro.version)
        assert intro.state == "draft" and intro.title == "集团专线介绍"
        publish(curator, intro)
        db.session.commit()
        assert intro.live.number == 3 and intro.live.body_html == "<p>集团专线的产品介绍。</p>"


def test_submitting_for_review_opens_a_to_do_for_the_other_curators_and_publishing_closes_it(app, library):
    from tests.support.factories import make_user

    other = make_user("knowledge_admin", library.curator.org_unit, "curator2")
    curator = library.curator
    with system_scope(), acting_user(curator):
        piece = services.create_piece(curator, library.cloud, kind="case", title="教育局案例",
                                      body_html="<p>x</p>", industry_id=library.education.id)
        services.submit_piece(curator, piece, version=piece.version)
        db.session.commit()
        todo = db.session.execute(select(TodoItem).where(TodoItem.source_type == "solutions_piece",
                                                         TodoItem.source_id == str(piece.id))).scalar_one()
        assert todo.owner_id == other.id and todo.status == TodoStatus.OPEN
        publish(other, piece)
        db.session.commit()
        db.session.refresh(todo)
        assert todo.status != TodoStatus.OPEN


def test_an_account_manager_cannot_curate(app, world, library):
    with acting_as(world.am1.scope), pytest.raises(NotAllowed):
        services.create_product(world.am1, code="X-1", name="x")


def test_a_stale_version_cannot_publish(app, library):
    curator = library.curator
    with system_scope(), acting_user(curator):
        intro = piece_of(library.line, "intro")
        stale = intro.version
        services.update_piece(curator, intro, version=stale, title="新标题", body_html="<p>新</p>")
        with pytest.raises(Conflict):
            services.publish_piece(curator, intro, version=stale)


def test_material_is_sanitized_on_save(app, library):
    curator = library.curator
    with system_scope(), acting_user(curator):
        piece = services.create_piece(curator, library.cloud, kind="technical", title="t",
                                      body_html='<p onclick="x()">正文<script>alert(1)</script>'
                                                '<a href="javascript:alert(1)">链接</a><img src=x onerror=alert(1)></p>'
                                                '<svg><script>alert(2)</script></svg><h3 style="color:red">标题</h3>')
    assert "script" not in piece.body_html and "onclick" not in piece.body_html
    assert "javascript:" not in piece.body_html and "onerror" not in piece.body_html
    assert "<svg" not in piece.body_html and "style" not in piece.body_html
    assert "正文" in piece.body_html and "<h3>标题</h3>" in piece.body_html


@pytest.mark.parametrize("rows, message_part", [
    ([{"item": "x", "unit_price": "abc"}], "number"),
    ([{"item": "x", "unit_price": "-1"}], "0 or more"),
    ([{"item": "x", "unit_price": "1.00005"}], "4 decimals"),
    ([{"item": "", "unit_price": "5"}], "item"),
    ([], "at least one row"),
])
@pytest.mark.locale("en")
def test_a_bad_price_table_is_refused(app, library, rows, message_part):
    with system_scope(), pytest.raises(ServiceError) as refused:
        services.create_piece(library.curator, library.cloud, kind="prices", title="资费", price_rows=rows)
    assert refused.value.field == "price_rows" and message_part in str(refused.value.message)


def test_a_case_needs_an_industry(app, library):
    with system_scope(), pytest.raises(ServiceError) as refused:
        services.create_piece(library.curator, library.cloud, kind="case", title="案例", body_html="<p>x</p>")
    assert refused.value.field == "industry_id"


# --- the three steps --------------------------------------------------------------------

def test_a_proposal_for_a_customer_has_a_section_per_product_in_the_chosen_order(app, world, library):
    customer = world.customers["am1"]
    proposal_id = generate(world.am1, [library.campus, library.line], customer_id=customer.id)
    proposal = proposal_of(world.am1, proposal_id)
    assert proposal.state == "ready" and proposal.customer_id == customer.id
    assert proposal.owner_id == world.am1.id and proposal.org_unit_id == world.am1.org_unit_id
    assert [s.heading for s in proposal.sections] == ["智慧校园", "集团专线"]
    assert customer.name in proposal.title


def test_each_section_holds_the_products_pieces(app, world, library):
    proposal = proposal_of(world.am1, generate(world.am1, [library.line], prospect_name="某县医院"))
    [section] = proposal.sections
    for text in ("集团专线介绍", "主要功能", "技术方案", "医院专线案例", "学校专线案例"):
        assert text in section.body_html


def test_the_customers_industry_cases_come_first(app, world, library):
    hospital = make_customer(world.am1, name="县人民医院", industry="医疗卫生")
    school = make_customer(world.am1, name="县一中", industry="教育")
    db.session.commit()
    for customer, first, second in ((hospital, "医院专线案例", "学校专线案例"), (school, "学校专线案例", "医院专线案例")):
        [section] = proposal_of(world.am1, generate(world.am1, [library.line], customer_id=customer.id)).sections
        assert section.body_html.index(first) < section.body_html.index(second)


def test_a_chosen_industry_puts_its_cases_first_for_a_prospect(app, world, library):
    proposal = proposal_of(world.am1, generate(world.am1, [library.line], prospect_name="新客户",
                                               industry_id=library.health.id))
    body = proposal.sections[0].body_html
    assert body.index("医院专线案例") < body.index("学校专线案例")


def test_the_combined_price_table_adds_up_every_section(app, world, library):
    proposal = proposal_of(world.am1, generate(world.am1, [library.line, library.campus, library.cloud],
                                               prospect_name="新客户"))
    groups, total = services.combined_prices(proposal)
    assert [g.product for g in groups] == ["集团专线", "智慧校园", "云电脑"]
    assert [str(g.subtotal) for g in groups] == ["8600.50", "26000.00", "445.00"]
    assert str(total) == "35045.50"
    assert groups[0].rows[0]["amount"] == "5600.00"


def test_generating_emits_the_proposal_generated_event(app, world, library, monkeypatch):
    seen = []
    import workbench.events as events

    original = events.emit

    def spy(name, actor=None, **payload):
        seen.append((name, payload))
        return original(name, actor=actor, **payload)

    monkeypatch.setattr(services, "emit", spy)
    proposal_id = generate(world.am1, [library.cloud], customer_id=world.customers["am1"].id, opportunity_id="42")
    assert ("solutions.proposal_generated", {"proposal_id": proposal_id, "customer_id": world.customers["am1"].id,
                                             "opportunity_id": 42}) in seen


# --- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("values, field", [
    ({"product_ids": [], "prospect_name": "某客户"}, "products"),
    ({"product_ids": [999999], "prospect_name": "某客户"}, "products"),
    ({"product_ids": ["abc"], "prospect_name": "某客户"}, "products"),
    ({"prospect_name": "   "}, "customer_id"),
    ({"prospect_name": "长" * 500}, "prospect_name"),
])
def test_bad_input_is_refused_and_nothing_is_saved(app, world, library, values, field):
    values.setdefault("product_ids", [library.cloud.id])
    with acting_as(world.am1.scope), pytest.raises(ServiceError) as refused:
        services.check_request(world.am1, **values)
    assert refused.value.field == field
    assert proposal_count() == 0


def test_a_customer_out_of_scope_is_not_found(app, world, library):
    with acting_as(world.am1.scope), pytest.raises(NotFound) as refused:
        services.check_request(world.am1, product_ids=[library.cloud.id], customer_id=world.customers["am3"].id)
    assert refused.value.field == "customer_id"


def test_an_archived_product_cannot_be_chosen(app, world, library):
    with system_scope():
        product = library.cloud
        services.update_product(library.curator, product, version=product.version, name=product.name,
                                archived=True)
        db.session.commit()
    with acting_as(world.am1.scope), pytest.raises(ServiceError):
        services.check_request(world.am1, product_ids=[library.cloud.id], prospect_name="x")


# --- scope --------------------------------------------------------------------------------

def test_another_countys_account_manager_cannot_see_a_proposal_but_the_lead_can(app, world, library):
    proposal_id = generate(world.am1, [library.cloud], customer_id=world.customers["am1"].id)
    with acting_as(world.outsider.scope), pytest.raises(NotFound):
        services.get_proposal(proposal_id)
    with acting_as(world.am2.scope), pytest.raises(NotFound):
        services.get_proposal(proposal_id)
    assert proposal_of(world.lead, proposal_id).id == proposal_id


# --- the second edit ------------------------------------------------------------------------

def test_sections_can_be_reordered(app, world, library):
    proposal = proposal_of(world.am1, generate(world.am1, [library.line, library.campus], prospect_name="x"))
    first, second = proposal.sections
    with acting_as(world.am1.scope), acting_user(world.am1):
        services.reorder_sections(world.am1, proposal, [second.id, first.id], version=proposal.version)
        db.session.commit()
    assert [s.heading for s in proposal_of(world.am1, proposal.id).sections] == ["智慧校园", "集团专线"]


def test_a_removed_section_leaves_the_document_and_the_price_table(app, world, library):
    proposal = proposal_of(world.am1, generate(world.am1, [library.line, library.campus], prospect_name="x"))
    with acting_as(world.am1.scope), acting_user(world.am1):
        services.set_section_removed(world.am1, proposal, proposal.sections[1].id, True, version=proposal.version)
        db.session.commit()
        groups, total = services.combined_prices(proposal)
    assert [g.product for g in groups] == ["集团专线"] and str(total) == "8600.50"


def test_the_last_section_cannot_be_removed(app, world, library):
    proposal = proposal_of(world.am1, generate(world.am1, [library.cloud], prospect_name="x"))
    with acting_as(world.am1.scope), pytest.raises(ServiceError):
        services.set_section_removed(world.am1, proposal, proposal.sections[0].id, True, version=proposal.version)


def test_edited_text_is_sanitized_and_a_script_does_not_survive(app, world, library):
    proposal = proposal_of(world.am1, generate(world.am1, [library.cloud], prospect_name="x"))
    with acting_as(world.am1.scope), acting_user(world.am1):
        section = services.edit_section(world.am1, proposal, proposal.sections[0].id, heading="云电脑方案",
                                        body_html='<p>为贵校定制<script>alert(1)</script><b onmouseover="x">方案</b></p>',
                                        version=proposal.version)
        db.session.commit()
    assert section.body_html == "<p>为贵校定制<b>方案</b></p>" and section.edited


def test_a_stale_edit_is_refused_as_a_conflict(app, world, library):
    proposal = proposal_of(world.am1, generate(world.am1, [library.cloud, library.line], prospect_name="x"))
    stale = proposal.version
    with acting_as(world.am1.scope), acting_user(world.am1):
        services.set_section_removed(world.am1, proposal, proposal.sections[1].id, True, version=stale)
        db.session.commit()
        with pytest.raises(Conflict):
            services.edit_section(world.am1, proposal, proposal.sections[0].id, heading="h", body_html="<p>x</p>",
                                  version=stale)


# --- regeneration -------------------------------------------------------------------------

def test_newer_material_is_noticed_and_its_author_gets_a_to_do(app, world, library):
    proposal_id = generate(world.am1, [library.line, library.cloud], prospect_name="x")
    curator = library.curator
    with system_scope(), acting_user(curator):
        intro = piece_of(library.cloud, "intro")
        services.update_piece(curator, intro, version=intro.version, title="云电脑介绍", body_html="<p>第二版</p>")
        publish(curator, intro)
        db.session.commit()
        todo = db.session.execute(select(TodoItem).where(TodoItem.source_type == "solutions_proposal",
                                                         TodoItem.source_id == str(proposal_id))).scalar_one()
    assert todo.owner_id == world.am1.id
    proposal = proposal_of(world.am1, proposal_id)
    assert [p.name for p in services.stale_products(proposal)] == ["云电脑"]


def test_regenerating_takes_the_new_material_and_keeps_manual_edits(app, world, library):
    proposal = proposal_of(world.am1, generate(world.am1, [library.line, library.cloud], prospect_name="x"))
    line_section, cloud_section = proposal.sections
    with acting_as(world.am1.scope), acting_user(world.am1):
        services.edit_section(world.am1, proposal, line_section.id, heading="专线（定制）",
                              body_html="<p>我的改写</p>", version=proposal.version)
        db.session.commit()
    curator = library.curator
    with system_scope(), acting_user(curator):
        for product in (library.line, library.cloud):
            intro = piece_of(product, "intro")
            services.update_piece(curator, intro, version=intro.version, title="新版介绍", body_html="<p>第二版介绍</p>")
            publish(curator, intro)
        db.session.commit()
    proposal = proposal_of(world.am1, proposal.id)
    with acting_as(world.am1.scope), acting_user(world.am1):
        services.regenerate(world.am1, proposal, version=proposal.version)
        db.session.commit()
        proposal = services.get_proposal(proposal.id)
        line_section, cloud_section = proposal.sections
        assert line_section.body_html == "<p>我的改写</p>" and line_section.heading == "专线（定制）"
        assert "第二版介绍" in cloud_section.body_html
        assert services.stale_products(proposal) == []


def test_a_large_proposal_is_built_by_a_background_job(app, world, library, monkeypatch):
    monkeypatch.setattr(services, "LARGE_PROPOSAL", 2)
    proposal_id = generate(world.am1, [library.line, library.campus, library.cloud], prospect_name="x")
    from workbench.jobs.services import job_for_key

    with acting_as(world.am1.scope):
        proposal = services.get_proposal(proposal_id)
        job = job_for_key(proposal.job_key)
    assert job.state == "done" and job.progress_done == 3
    assert proposal.state == "ready" and len(proposal.sections) == 3
