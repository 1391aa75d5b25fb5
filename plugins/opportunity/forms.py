"""Forms of the opportunity plugin (Flask-WTF: CSRF-protected, errors shown beside the field).

The category's extra fields are not WTForms fields: they change with the category, so the
page renders them from the category's definitions (templates/opportunity/_fields.html, inputs
named x_<key>) and services.validate_details checks them on the server.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from plugins.opportunity.services import FOLLOWUP_KINDS, KINDS, NOTE_MAX, TEXT_MAX, TITLE_MAX

FIELD_PREFIX = "x_"


def extra_values(form_data) -> dict:
    """The category field values posted as x_<key>."""
    return {key[len(FIELD_PREFIX):]: value for key, value in form_data.items() if key.startswith(FIELD_PREFIX)}


class OpportunityForm(FlaskForm):
    # The customer is chosen with an autocomplete (workbench/static/js/customer_picker.js over the core's
    # /search/suggest?type=customer): `customer_search` is what the user typed, `customer_id`
    # the chosen customer; the server checks that id is in the user's scope.
    customer_search = StringField(_l("Customer"), validators=[Optional(), Length(max=200)])
    customer_id = HiddenField()
    new_customer = BooleanField(_l("Start a new customer with this opportunity"))
    new_customer_name = StringField(_l("New customer's name"), validators=[Optional(), Length(max=200)])
    new_customer_code = StringField(_l("Customer code (leave empty to number it automatically)"),
                                    validators=[Optional(), Length(max=64)])
    new_customer_industry = StringField(_l("Industry"), validators=[Optional(), Length(max=100)])
    kind = RadioField(_l("Kind"), choices=list(KINDS.items()), default="demand",
                      validators=[InputRequired(_l("Choose demand or competitive."))])
    category = SelectField(_l("Business category"), validate_choice=False,
                           validators=[DataRequired(_l("Choose a business category."))])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the opportunity a title.")),
                                                 Length(max=TITLE_MAX)])
    description = TextAreaField(_l("What the customer needs"), validators=[Optional(), Length(max=TEXT_MAX)])
    expected_revenue = StringField(_l("Expected revenue (yuan)"), validators=[Optional()])


class EditForm(FlaskForm):
    version = HiddenField()
    kind = RadioField(_l("Kind"), choices=list(KINDS.items()), validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the opportunity a title.")),
                                                 Length(max=TITLE_MAX)])
    description = TextAreaField(_l("What the customer needs"), validators=[Optional(), Length(max=TEXT_MAX)])
    expected_revenue = StringField(_l("Expected revenue (yuan)"), validators=[Optional()])


class PublishForm(FlaskForm):
    version = HiddenField()
    unit_id = SelectField(_l("Offer to the account managers of"), coerce=str, validate_choice=False)
    claim_hours = IntegerField(_l("Claims close after (hours)"), default=48,
                               validators=[InputRequired(_l("Enter the claim window in whole hours.")),
                                           NumberRange(min=1, max=336)])
    note = TextAreaField(_l("Note for the account managers"), validators=[Optional(), Length(max=NOTE_MAX)])


class ClaimForm(FlaskForm):
    note = TextAreaField(_l("Why you (optional)"), validators=[Optional(), Length(max=NOTE_MAX)])


class AwardForm(FlaskForm):
    version = HiddenField()
    claim_id = SelectField(_l("Award to"), coerce=str, validate_choice=False,
                           validators=[DataRequired(_l("Choose one of the claims."))])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])


class AssignForm(FlaskForm):
    version = HiddenField()
    assignee_id = SelectField(_l("Assign to"), coerce=str, validate_choice=False,
                              validators=[DataRequired(_l("Choose an account manager."))])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])


class SurveyForm(FlaskForm):
    version = HiddenField()
    report = TextAreaField(_l("Survey report (报勘)"), validators=[DataRequired(_l("Describe what the survey found.")),
                                                                  Length(max=TEXT_MAX)])


class DecisionForm(FlaskForm):
    """Survey review and confirmation: approve, or send back with a reason."""

    version = HiddenField()
    decision = RadioField(_l("Decision"), choices=[("approve", _l("Approve")), ("return", _l("Send back"))],
                          default="approve", validators=[InputRequired()])
    note = TextAreaField(_l("Note (required when sending back)"), validators=[Optional(), Length(max=NOTE_MAX)])


class CloseForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(_l("Reason (lost to a competitor, customer withdrew, ...)"),
                           validators=[DataRequired(_l("Say why the opportunity is closed.")), Length(max=NOTE_MAX)])


class FollowUpForm(FlaskForm):
    kind = SelectField(_l("Action"), choices=[(key, label) for key, label in FOLLOWUP_KINDS.items() if key != "proposal"])
    note = TextAreaField(_l("What happened"), validators=[DataRequired(_l("Write what happened.")),
                                                          Length(max=NOTE_MAX)])


class CategoryForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=100)])
    parent_id = SelectField(_l("Parent category"), coerce=str, validate_choice=False)
    is_ict = BooleanField(_l("ICT category (opens an ICT project)"))
    is_leased_line = BooleanField(_l("Leased line (adds the basic situation block)"))
    active = BooleanField(_l("Offered on the form"), default=True)
    order = IntegerField(_l("Order"), default=100, validators=[Optional(), NumberRange(min=0, max=100000)])


class SlaForm(FlaskForm):
    """The step deadlines: one input per open step, named after the stage."""
