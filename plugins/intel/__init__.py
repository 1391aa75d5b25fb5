"""Competitive intelligence plugin (plugins/intel): the manifest only; plugin.py wires the hooks."""
from flask_babel import lazy_gettext as _l

from workbench.contracts import Manifest

MANIFEST = Manifest(
    name="intel",
    title=_l("Competitive intelligence"),
    version="1.0.0",
    depends=("opportunity",),
    description=_l("Intelligence on competitors: recording, screening, merging and pushing to the people concerned"),
)
