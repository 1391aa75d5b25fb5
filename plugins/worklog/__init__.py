"""Work logs plugin (plugins/worklog): the manifest only; plugin.py wires the hooks."""
from flask_babel import lazy_gettext as _l

from workbench.contracts import Manifest

MANIFEST = Manifest(
    name="worklog",
    title=_l("Work logs"),
    version="1.0.0",
    depends=(),
    description=_l("Work and visit logs, weekly visit plans, the calendar and the automatic service trail"),
)
