"""Contracts plugin (plugins/contract): the manifest only; plugin.py wires the hooks."""
from flask_babel import lazy_gettext as _l

from workbench.contracts import Manifest

MANIFEST = Manifest(
    name="contract",
    title=_l("Contracts"),
    version="1.0.0",
    depends=("opportunity",),
    description=_l("Contract work orders, review, signed copies and the standard template library"),
)
