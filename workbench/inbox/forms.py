"""Forms of the inbox pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class DispatchForm(FlaskForm):
    title = StringField(_l("Task"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=5000)])
    due_at = DateTimeLocalField(_l("Due"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    priority = SelectField(_l("Priority"), coerce=int, default=1)
    users = SelectMultipleField(_l("People"), coerce=int, validate_choice=False)
    unit = SelectField(_l("Or a whole unit"), coerce=int, validate_choice=False)


class SnoozeForm(FlaskForm):
    until = DateTimeLocalField(_l("Snooze until"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])


class DoneForm(FlaskForm):
    note = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()


class ReassignForm(FlaskForm):
    assignee = SelectField(_l("New assignee"), coerce=int, validate_choice=False)
    version = HiddenField()
