"""Solution library plugin (plugins/solutions): the manifest only; plugin.py wires the hooks."""
from flask_babel import lazy_gettext as _l

from workbench.contracts import Manifest

MANIFEST = Manifest(
    name="solutions",
    title=_l("Solution library"),
    version="1.0.0",
    depends=(),
    description=_l("Standardised product material and tailored proposals in three steps"),
)
