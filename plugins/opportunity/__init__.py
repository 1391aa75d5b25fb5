"""Opportunities plugin (plugins/opportunity): the manifest only; plugin.py wires the hooks."""
from flask_babel import lazy_gettext as _l

from workbench.contracts import Manifest

MANIFEST = Manifest(
    name="opportunity",
    title=_l("Opportunities"),
    version="1.0.0",
    depends=(),
    description=_l("商机: demand and competitive opportunities from report to the contract pre-execution pool"),
)
