"""Knowledge base plugin (plugins/knowledge): the manifest only; plugin.py wires the hooks."""
from flask_babel import lazy_gettext as _l

from workbench.contracts import Manifest

MANIFEST = Manifest(
    name="knowledge",
    title=_l("Knowledge base"),
    version="1.0.0",
    depends=(),
    description=_l("Curated business and system knowledge, found in Chinese and shown in context"),
)
