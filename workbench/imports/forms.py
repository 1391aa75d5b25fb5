"""The forms of the import pages (Flask-WTF: CSRF, errors shown beside each field). The
column choices of the confirm page vary with the file, so that page reads them itself and
its form carries only the CSRF token."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import DataRequired


class ImportForm(FlaskForm):
    kind = SelectField(_l("What to import"), validators=[DataRequired()])
    file = FileField(_l("File (.xlsx or .csv)"),
                     validators=[FileRequired(_l("Choose the .xlsx or .csv file to import."))],
                     render_kw={"accept": ".xlsx,.csv"})


class ConfirmForm(FlaskForm):
    """Start (or cancel) an uploaded import with the columns chosen on the page."""
