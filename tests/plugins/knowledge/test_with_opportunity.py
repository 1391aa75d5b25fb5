"""With the opportunity plugin enabled: curators can tag knowledge for the contexts it declares,
and an article tagged for the survey review is what the survey-review page's side panel shows."""
from __future__ import annotations

import pytest

from workbench.context_help import panels_for
from workbench.org.scope import acting_as
from workbench.plugins import registry

from plugins.knowledge import services

pytestmark = [pytest.mark.plugins("knowledge", "opportunity")]


def test_the_opportunity_contexts_are_offered_to_curators(app):
    assert {"opportunity.survey_review", "opportunity.create"} <= set(services.declared_contexts())


def test_an_article_tagged_for_the_survey_review_is_in_its_side_panel(world, publish, app, client_for):
    publish(title="报勘审核要点", body="<p>地址、带宽、资源。</p>", contexts=["opportunity.survey_review"])
    publish(title="商机录入注意事项", contexts=["opportunity.create"])
    assert "opportunity.survey_review" in registry().help_contexts
    with acting_as(world.am1.scope), app.test_request_context():
        from flask_login import login_user
        login_user(world.am1)
        [(panel, html)] = panels_for("opportunity.survey_review")
    assert panel.key == "knowledge.related" and "报勘审核要点" in html and "商机录入注意事项" not in html
