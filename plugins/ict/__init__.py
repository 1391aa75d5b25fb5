"""ICT projects plugin (plugins/ict): the manifest only; plugin.py wires the hooks."""
from flask_babel import lazy_gettext as _l

from workbench.contracts import Manifest

MANIFEST = Manifest(
    name="ict",
    title=_l("ICT projects"),
    version="1.0.0",
    depends=("opportunity",),
    description=_l("ICT projects from discovery to closure, driven by their opportunity work order"),
)
