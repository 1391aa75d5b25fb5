"""Resource requests plugin (plugins/resources): the manifest only; plugin.py wires the hooks."""
from flask_babel import lazy_gettext as _l

from workbench.contracts import Manifest

MANIFEST = Manifest(
    name="resources",
    title=_l("Resource requests"),
    version="1.0.0",
    depends=(),
    description=_l("Marketing and gift resources: stock per unit, requests, approvals, issue and confirmed use"),
)
