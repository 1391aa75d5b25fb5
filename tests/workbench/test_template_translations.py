"""Template `_()` through workbench.template_translations: the same output as Jinja's newstyle
gettext, in the request's language, following force_locale and a language switch."""
from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale, refresh

from workbench.template_translations import current_translations


def test_strings_follow_the_request_language_and_force_locale(app):
    with app.test_request_context("/"):
        assert render_template_string("{{ _('Overdue') }}") == "已逾期"
        with force_locale("en"):
            assert render_template_string("{{ _('Overdue') }}") == "Overdue"
        assert render_template_string("{{ _('Overdue') }}") == "已逾期"


def test_a_language_switch_in_the_request_is_followed_after_refresh(app):
    from flask import g

    with app.test_request_context("/"):
        assert render_template_string("{{ _('Overdue') }}") == "已逾期"
        g._flask_babel.babel_locale = None  # what a language switch leaves behind
        refresh()
        app.config["BABEL_DEFAULT_LOCALE"] = "en"
        try:
            assert render_template_string("{{ _('Overdue') }}") == "Overdue"
        finally:
            app.config["BABEL_DEFAULT_LOCALE"] = "zh_Hans_CN"


def test_newstyle_semantics_are_kept(app):
    with app.test_request_context("/"):
        with force_locale("en"):
            assert render_template_string("{{ _('Hello %(name)s', name='<b>') }}") == "Hello &lt;b&gt;"
            assert render_template_string("{{ _('100%%') }}") == "100%"
            assert render_template_string("{{ ngettext('%(num)d item', '%(num)d items', 3) }}") == "3 items"
            assert render_template_string(
                "{% autoescape false %}{{ _('Hello %(name)s', name='<b>') }}{% endautoescape %}") == "Hello <b>"


def test_outside_a_request_the_default_translations_are_used(app):
    assert current_translations() is not None


def test_lazy_strings_follow_force_locale_too(app):
    from flask_babel import lazy_gettext

    label = lazy_gettext("Overdue")
    with app.test_request_context("/"):
        assert str(label) == "已逾期"
        with force_locale("en"):
            assert str(label) == "Overdue"
        assert str(label) == "已逾期"
