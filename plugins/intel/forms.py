"""Forms of the intel plugin (Flask-WTF: CSRF-protected, errors shown beside the field).

The forms only check shapes (lengths, a date, a choice); the rules — a customer of the
reader's scope, a competitive opportunity of that customer, a competitor still on the list —
are the services' (services.clean_values), whose refusals the views put beside the field.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, IntegerField, MultipleFileField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from plugins.intel.services import (COMPETITOR_KINDS, NOTE_MAX, OFFER_MAX, PRODUCT_MAX, SOURCE_DETAIL_MAX, SOURCES,
                                    TEXT_MAX, TITLE_MAX, VALUES)


class IntelForm(FlaskForm):
    version = HiddenField()
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the intel a short title.")),
                                                 Length(max=TITLE_MAX)])
    competitor_id = SelectField(_l("Competitor"), validate_choice=False,
                                validators=[DataRequired(_l("Choose the competitor."))])
    # The customer is chosen with an autocomplete over the core's /search/suggest?type=customer
    # (only customers in the reader's scope); customer_id is what the server checks.
    customer_search = StringField(_l("Customer (optional)"), validators=[Optional(), Length(max=200)])
    customer_id = HiddenField()
    opportunity_id = SelectField(_l("Linked competitive opportunity (optional)"), validate_choice=False)
    product = StringField(_l("Competitor's product"), validators=[Optional(), Length(max=PRODUCT_MAX)])
    offer = StringField(_l("Price / offer"), validators=[Optional(), Length(max=OFFER_MAX)])
    source = SelectField(_l("Source"), choices=list(SOURCES.items()), default="visit",
                         validators=[DataRequired(_l("Choose where the intel came from."))])
    source_detail = StringField(_l("Source details (who, where)"), validators=[Optional(), Length(max=SOURCE_DETAIL_MAX)])
    observed_on = StringField(_l("Date learned"), validators=[DataRequired(_l("Enter the date you learned this."))])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=TEXT_MAX)])
    files = MultipleFileField(_l("Attachments (photos, PDF, Word, Excel)"))


class AttachForm(FlaskForm):
    files = MultipleFileField(_l("Add files"))


class RateForm(FlaskForm):
    version = HiddenField()
    value = RadioField(_l("Value"), choices=list(VALUES.items()),
                       validators=[InputRequired(_l("Choose how valuable the intel is."))])
    tags = StringField(_l("Tags (separated by commas)"), validators=[Optional(), Length(max=400)])
    note = TextAreaField(_l("Screening note"), validators=[Optional(), Length(max=NOTE_MAX)])


class MergeForm(FlaskForm):
    version = HiddenField()
    survivor = StringField(_l("Merge into (number of the surviving item)"),
                           validators=[DataRequired(_l("Enter the number of the item to merge into.")),
                                       Length(max=40)])


class PushForm(FlaskForm):
    version = HiddenField()
    recipients = SelectMultipleField(_l("Push to"), coerce=str, validate_choice=False)
    note = TextAreaField(_l("Note for the recipients"), validators=[Optional(), Length(max=NOTE_MAX)])


class ReadForm(FlaskForm):
    """Only the CSRF token: "mark as read" has no fields."""


class CompetitorForm(FlaskForm):
    version = HiddenField()
    name = StringField(_l("Name"), validators=[DataRequired(_l("Name the competitor.")), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=list(COMPETITOR_KINDS.items()), default="operator")
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=NOTE_MAX)])
    order = IntegerField(_l("Order in lists"), default=100,
                         validators=[InputRequired(_l("Enter the order as a whole number.")),
                                     NumberRange(min=0, max=10000)])
    active = BooleanField(_l("On the list (offered when recording intel)"), default=True)
