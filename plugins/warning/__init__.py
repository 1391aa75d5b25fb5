"""Warnings plugin (plugins/warning): the manifest only; plugin.py wires the hooks."""
from flask_babel import lazy_gettext as _l

from workbench.contracts import Manifest

MANIFEST = Manifest(
    name="warning",
    title=_l("Warnings"),
    version="1.0.0",
    depends=(),
    description=_l("Customer indicators, warning rules and the closed loop of handling them"),
)
