"""Forms of the knowledge pages (Flask-WTF: CSRF, errors shown beside each field). The
services validate again: the forms only shape the input."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from plugins.knowledge.models import SPACE_LABELS


class ArticleForm(FlaskForm):
    title = StringField(_l("Article title"), validators=[Length(max=200)])
    space = SelectField(_l("Space"), choices=[(key, label) for key, label in SPACE_LABELS.items()])
    category_id = SelectField(_l("Category"), choices=[], validate_choice=False)
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=600)],
                       description=_l("Separate tags with commas, e.g. 专线, 报勘"))
    contexts = SelectMultipleField(_l("Show beside these pages"), choices=[], validate_choice=False,
                                   description=_l("The article appears in the side panel of these pages."))
    body_html = TextAreaField(_l("Text"))
    customer_id = HiddenField()
    kind = HiddenField(default="article")
    version = HiddenField()


class SendBackForm(FlaskForm):
    comment = TextAreaField(_l("What should the author change?"), validators=[Length(max=2000)])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[Length(max=2000)])


class CategoryForm(FlaskForm):
    space = SelectField(_l("Space"), choices=[(key, label) for key, label in SPACE_LABELS.items()])
    name = StringField(_l("Name"), validators=[Length(max=80)])
    parent_id = SelectField(_l("Parent category"), choices=[], validate_choice=False)


class ImportForm(FlaskForm):
    space = SelectField(_l("Space"), choices=[(key, label) for key, label in SPACE_LABELS.items()])
    category_id = SelectField(_l("Category"), choices=[], validate_choice=False)
