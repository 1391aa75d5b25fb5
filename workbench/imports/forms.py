"""The upload form of the import page (Flask-WTF: CSRF, errors shown beside each field)."""
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
