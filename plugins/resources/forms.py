"""Forms of the resources plugin. They check only the shape of what arrives; the rules
(quantities, stock, steps, reasons) are the services'."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms import Form


class LineForm(Form):
    stock_id = SelectField(_l("Item"), coerce=str, validate_choice=False)
    quantity = StringField(_l("Quantity"), render_kw={"inputmode": "numeric"})


class RequestForm(FlaskForm):
    customer_search = StringField(_l("Customer"))
    customer_id = HiddenField()
    title = StringField(_l("Title"), render_kw={"maxlength": 200})
    purpose = TextAreaField(_l("Purpose"), render_kw={"rows": 3})
    lines = FieldList(FormField(LineForm), min_entries=3, max_entries=10)


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Comment (optional)"), render_kw={"rows": 2})
    version = HiddenField()


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 2})
    version = HiddenField()


class UseForm(FlaskForm):
    photo = FileField(_l("Photo of the items in use"))
    note = TextAreaField(_l("How were they used?"), render_kw={"rows": 2})
    version = HiddenField()


class MovementForm(FlaskForm):
    kind = SelectField(_l("Movement"), validate_choice=False)
    quantity = StringField(_l("Quantity"), render_kw={"inputmode": "numeric"})
    reason = StringField(_l("Reason"), render_kw={"maxlength": 2000})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [("in", _l("Goods in")), ("out", _l("Goods out")),
                             ("adjust", _l("Adjustment after a count (±)"))]


class ThresholdForm(FlaskForm):
    low_threshold = StringField(_l("Low-stock threshold"), render_kw={"inputmode": "numeric"})


class OpenStockForm(FlaskForm):
    item_id = SelectField(_l("Catalogue item"), coerce=str, validate_choice=False)
    org_unit_id = SelectField(_l("Held by unit"), coerce=str, validate_choice=False)
    quantity = StringField(_l("First delivery (optional)"), render_kw={"inputmode": "numeric"})
    low_threshold = StringField(_l("Low-stock threshold"), render_kw={"inputmode": "numeric"})
    reason = StringField(_l("Reason"))


class ItemForm(FlaskForm):
    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    type_id = SelectField(_l("Resource type"), coerce=str, validate_choice=False)
    measure = StringField(_l("Measure (件, 张, 元 …)"))
    unit_value = StringField(_l("Unit value (yuan)"), render_kw={"inputmode": "decimal"})
    description = TextAreaField(_l("Description"), render_kw={"rows": 2})
    active = BooleanField(_l("In use"), default=True)
    version = HiddenField()


class TypeForm(FlaskForm):
    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 2})
    active = BooleanField(_l("In use"), default=True)
    version = HiddenField()
