"""Forms of the customer pages (Flask-WTF: CSRF, errors shown beside each field)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from workbench.customers.models import CUSTOMER_LEVELS


class CustomerForm(FlaskForm):
    code = StringField(_l("Customer code"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=100)])
    level = SelectField(_l("Level"), choices=[(level, level) for level in CUSTOMER_LEVELS])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    version = HiddenField()


class ContactForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=200)])
    is_key = BooleanField(_l("Key contact"))


class LinkForm(FlaskForm):
    """Link another group under this one (headquarters → branch, natural group → billing group)."""

    child_code = StringField(_l("Customer code of the branch or billing group"),
                             validators=[DataRequired(), Length(max=64)])
    link_type = SelectField(_l("Link"), choices=[("headquarters", _l("Headquarters → branch (双跨/省级)")),
                                                 ("natural", _l("Natural group → billing group"))])
