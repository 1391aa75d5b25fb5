"""The homepage's own widget: quick links to the menu entries the user can open."""
from __future__ import annotations

from flask import render_template

from workbench.templating import visible_menu_items


def quick_links():
    return render_template("homepage/widgets/quick_links.html", items=visible_menu_items())
