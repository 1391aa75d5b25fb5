"""Forms of the solution library. Content rules live in services.py; these check shape and
carry the CSRF token and the record version (a stale submission is refused as a conflict)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from plugins.solutions.models import PIECE_KIND_LABELS, PIECE_KINDS


class ActionForm(FlaskForm):
    """A button that changes a record: CSRF plus the version the page showed."""

    version = HiddenField()


class ProductForm(FlaskForm):
    code = StringField(_l("Code"), validators=[Length(max=64)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    product_line = StringField(_l("Product line"), validators=[Length(max=100)],
                               description=_l("For example: connectivity, cloud, IoT, industry applications"))
    summary = TextAreaField(_l("Summary"), validators=[Length(max=500)])
    industry_ids = SelectMultipleField(_l("Industries"), coerce=int, validate_choice=False)
    version = HiddenField()


class PieceForm(FlaskForm):
    kind = SelectField(_l("Kind of material"), choices=[SelectChoice(k, PIECE_KIND_LABELS[k]) for k in PIECE_KINDS])
    title = StringField(_l("Title"), validators=[Length(max=200)])
    industry_id = SelectField(_l("Industry"), validators=[Optional()], validate_choice=False,
                              description=_l("Required for a typical case: its customer's industry"))
    body_html = TextAreaField(_l("Text"))
    version = HiddenField()


class SectionForm(FlaskForm):
    heading = StringField(_l("Heading"), validators=[Length(max=200)])
    body_html = TextAreaField(_l("Text"))
    version = HiddenField()
