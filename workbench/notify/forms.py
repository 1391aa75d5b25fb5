"""Forms of the notification pages: preferences, announcements, bulk SMS."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

CHANNEL_LABELS = {"in_app": _l("In the app"), "sms": _l("SMS"), "email": _l("E-mail")}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PreferenceForm(FlaskForm):
    digest_enabled = BooleanField(_l("Send me a daily digest of my to-dos at 07:30"))
    digest_channels = CheckboxesField(_l("Digest by"), choices=list(CHANNEL_LABELS.items()), validate_choice=False)


class AnnouncementForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[Optional(), Length(max=10_000)], render_kw={"rows": 8})
    audience = RadioField(_l("Who sees it"), choices=[("units", _l("Chosen units and every unit below them")),
                                                      ("all", _l("Everybody"))], default="units")
    units = SelectMultipleField(_l("Units"), coerce=int, validate_choice=False, render_kw={"size": 8})


class BulkSmsForm(FlaskForm):
    text = TextAreaField(_l("Message"), render_kw={"rows": 4})
    mode = RadioField(_l("Send to"), choices=[("chosen", _l("The contacts I ticked")),
                                              ("filter", _l("Every contact matching the filter"))], default="chosen")
    contacts = SelectMultipleField(_l("Contacts"), coerce=int, validate_choice=False)
    # The filter the page was showing, for "every contact matching the filter".
    q = HiddenField()
    key_only = HiddenField()
    customer = HiddenField()
