"""ICT projects in the global search: found by name, code, scope of work; each hit is re-read
under the reader's scope (central rule plus team membership) before it is shown."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import SearchSource

from plugins.ict.models import IctProject
from plugins.ict.services import project_link, stage_label


def project_document(project: IctProject) -> dict:
    return {
        "title": project.name,
        "body": project.scope_of_work,
        "keywords": project.code,
        "pinyin": project.name,
        "detail": " · ".join(part for part in (project.code, str(stage_label(project.stage))) if part),
    }


PROJECTS = SearchSource("ict.project", _l("ICT projects"), IctProject, project_document, url=project_link,
                        icon="bi-diagram-3", order=45, permission="ict.view")
