"""Forms of the contract plugin. They check only the shape of what arrives; the rules
(required fields at submission, amounts, dates, file types) are the services'."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional


class ContractForm(FlaskForm):
    title = StringField(_l("Contract title"), validators=[Length(max=200)])
    party_a = StringField(_l("Party A (customer)"), validators=[Length(max=200)])
    party_b = StringField(_l("Party B (our company)"), validators=[Length(max=200)])
    amount = StringField(_l("Amount (yuan)"), render_kw={"inputmode": "decimal", "placeholder": "120000.00"})
    start_date = StringField(_l("Term starts"), render_kw={"type": "date"})
    end_date = StringField(_l("Term ends"), render_kw={"type": "date"})
    products = TextAreaField(_l("Products and services"), render_kw={"rows": 3})
    payment_terms = TextAreaField(_l("Payment terms"), render_kw={"rows": 2})
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 2})
    version = HiddenField()


class UploadForm(FlaskForm):
    file = FileField(_l("File"))


class GenerateForm(FlaskForm):
    template_id = SelectField(_l("Standard template"), coerce=int, validate_choice=False)


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 2})
    version = HiddenField()


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 2})
    version = HiddenField()


class ConstructionForm(FlaskForm):
    bandwidth = StringField(_l("Bandwidth delivered (Mbps)"), render_kw={"inputmode": "decimal"})
    sites = StringField(_l("Sites connected"), render_kw={"inputmode": "numeric"})
    circuit_ids = TextAreaField(_l("Circuit ids (one per line)"), render_kw={"rows": 3})
    completed_on = StringField(_l("Construction completed on"), render_kw={"type": "date"})
    version = HiddenField()


class ConfirmForm(FlaskForm):
    version = HiddenField()


class TemplateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)], render_kw={"rows": 2})
    leased_line = BooleanField(_l("For leased-line contracts"))
    file = FileField(_l("Template (.docx)"))
