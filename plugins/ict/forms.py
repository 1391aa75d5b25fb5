"""Forms of the ict plugin (Flask-WTF: CSRF-protected; errors shown beside the field). The
services check every rule again; these only shape the input."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, DecimalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from plugins.ict.services import MEMBER_ROLES, NAME_MAX, NOTE_MAX, REASON_MAX


class ProjectForm(FlaskForm):
    customer_id = SelectField(_l("Customer"), coerce=str, validators=[DataRequired(_l("Choose a customer of yours."))])
    name = StringField(_l("Project name"), validators=[DataRequired(_l("Give the project a name.")), Length(max=NAME_MAX)])
    category_code = SelectField(_l("Business category"), coerce=str, validators=[Optional()])
    scope_of_work = TextAreaField(_l("Scope of work"), validators=[Optional(), Length(max=NOTE_MAX)])
    estimated_value = DecimalField(_l("Estimated value (yuan)"), places=2,
                                   validators=[Optional(), NumberRange(min=0, message=_l("The value cannot be negative."))])
    expected_start = DateField(_l("Expected start"), validators=[Optional()])
    expected_end = DateField(_l("Expected end"), validators=[Optional()])
    opportunity_id = SelectField(_l("Start from an existing ICT opportunity (optional)"), coerce=str,
                                 validators=[Optional()])
    version = HiddenField()


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give a reason.")), Length(max=REASON_MAX)])


class ApproveForm(FlaskForm):
    note = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=REASON_MAX)])


class ActionForm(FlaskForm):
    """Only the CSRF token: a POST without fields."""


class MemberForm(FlaskForm):
    username = StringField(_l("Person (user name)"), validators=[DataRequired(_l("Choose a person.")), Length(max=100)])
    role = SelectField(_l("Role"), choices=[(key, label) for key, label in MEMBER_ROLES.items()])


class MilestoneForm(FlaskForm):
    title = StringField(_l("Milestone"), validators=[DataRequired(_l("Name the milestone.")), Length(max=NAME_MAX)])
    planned_date = DateField(_l("Planned date"), validators=[DataRequired(_l("Give the milestone a planned date."))])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Progress note"), validators=[DataRequired(_l("Write the note.")), Length(max=NOTE_MAX)])


class DocumentForm(FlaskForm):
    file = FileField(_l("File (PDF, Word, Excel, JPEG or PNG)"))
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=NAME_MAX)])
