"""Template `_()` without Flask-Babel's per-call context look-ups.

Flask-Babel resolves the translations for every `_()` in a template: three look-ups through
Flask's `g` proxy, the locale, its identifier string and a cache — about 20–40 µs a call. The
homepage shell shows some 180 strings (the menu, the widget catalogue), so that alone was
several milliseconds of each page. Here the translations object is kept on Flask-Babel's own
per-request namespace next to the locale it belongs to, and reused while that locale stands:
`force_locale` (an e-mail in the recipient's language) and `refresh` (a language switch) put
another locale object there, and the next call resolves again.

It reads Flask-Babel's per-request namespace (`g._flask_babel`, its `babel_locale`), which is
why flask-babel is pinned to 4.x in pyproject.toml; tests/workbench/test_template_translations.py
checks the behaviour on every upgrade.
"""
from __future__ import annotations

from flask import Flask
from flask.globals import _cv_app
from flask_babel import Domain, get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

_CACHE = "workbench_translations"


def _cached(babel_context):
    locale = getattr(babel_context, "babel_locale", None)
    cached = getattr(babel_context, _CACHE, None)
    if locale is not None and cached is not None and cached[0] is locale:
        return cached[1]
    return None


def _babel_context():
    app_context = _cv_app.get(None)
    return getattr(app_context.g, "_flask_babel", None) if app_context is not None else None


class RequestCachedDomain(Domain):
    """Flask-Babel's domain, remembering the request's translations for its locale — so a
    lazy string (`_l`, the labels of menus, widgets and to-do kinds) is cheap to show too."""

    def get_translations(self):
        babel_context = _babel_context()
        if babel_context is None:
            return super().get_translations()
        found = _cached(babel_context)
        if found is not None:
            return found
        translations = super().get_translations()
        setattr(babel_context, _CACHE, (getattr(babel_context, "babel_locale", None) or get_locale(),
                                        translations))
        return translations


def current_translations():
    """The translations of the current request's locale, resolved once per locale."""
    babel_context = _babel_context()
    found = _cached(babel_context) if babel_context is not None else None
    return found if found is not None else get_translations()


@pass_context
def template_gettext(context, string, **variables):
    """`_()` / `gettext()` in templates, with Jinja's newstyle meaning: the result is marked
    safe in autoescaped templates and always %-formatted with the keyword arguments (so
    `%%` reads as `%`) — the same output as Jinja's own, without its two extra call layers."""
    text = current_translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables if variables or "%" in text else text


@pass_context
def template_ngettext(context, singular, plural, number, **variables):
    text = current_translations().ungettext(singular, plural, number)
    variables.setdefault("num", number)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def install(app: Flask) -> None:
    """Replace the template gettext callables Flask-Babel installed (same newstyle API), and
    its domain by the request-cached one (Babel keeps it per Babel object, shared by apps)."""
    from workbench.extensions import babel

    if not isinstance(babel.__dict__.get("domain_instance"), RequestCachedDomain):
        babel.__dict__["domain_instance"] = RequestCachedDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
    )
    # `_` is Jinja's alias that looks `gettext` up again on every call; point both straight here.
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
