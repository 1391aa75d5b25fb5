"""Forms of the administration pages (Flask-WTF: CSRF, errors shown beside each field).

Choices that depend on the acting admin (units, roles, permissions) are filled in by the
views; the services re-check every choice, so a tampered form is refused there too.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, IntegerField, PasswordField, SelectField,
                     SelectMultipleField, StringField)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from workbench.admin.services import ROLE_SCOPE_LABELS, UNIT_LEVEL_LABELS


class CheckboxListField(SelectMultipleField):
    """Several choices as checkboxes; an unknown value is refused by the service, not here."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):  # the services decide which values are acceptable
        pass


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""


class UnitForm(FlaskForm):
    parent = SelectField(_l("Parent unit"), coerce=int, validate_choice=False)
    level = SelectField(_l("Level"), choices=list(UNIT_LEVEL_LABELS.items()))
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    sort_order = IntegerField(_l("Sort order"), default=0,
                              validators=[Optional(), NumberRange(min=-100000, max=100000)])
    snapshot = HiddenField()


class UnitMoveForm(FlaskForm):
    parent = SelectField(_l("Move under"), coerce=int, validate_choice=False)


class _UserFields(FlaskForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    email = StringField(_l("E-mail (optional)"), validators=[Optional(), Email(), Length(max=255)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=32)])
    unit = SelectField(_l("Unit"), coerce=int, validate_choice=False)
    roles = CheckboxListField(_l("Roles"), coerce=int)


class UserCreateForm(_UserFields):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=64)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=128)])
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])


class UserEditForm(_UserFields):
    extra_permissions = CheckboxListField(_l("Extra permissions for this person"))
    active = BooleanField(_l("Active (may sign in)"))
    snapshot = HiddenField()


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])


class HandOverForm(FlaskForm):
    successor = SelectField(_l("Successor"), coerce=int, validate_choice=False)
    deactivate = BooleanField(_l("Deactivate this account afterwards"), default=True)


class RoleCreateForm(FlaskForm):
    name = StringField(_l("Name (letters, digits, _)"), validators=[DataRequired(), Length(max=80)])
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=100)])
    scope_level = SelectField(_l("Sees"), choices=list(ROLE_SCOPE_LABELS.items()))


class RoleEditForm(FlaskForm):
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=100)])
    permissions = CheckboxListField(_l("Permissions"))
