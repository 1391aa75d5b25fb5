"""Simplified Chinese is the default and complete; English is switchable.

The catalogue must cover every string the code and templates mark for translation, and the
compiled .mo the app loads must match the .po it was compiled from.
"""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "workbench" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None,
            "ngettext": (1, 2), "lazy_ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def extracted_msgids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "workbench"), METHODS, keywords=KEYWORDS,
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_marked_string_has_a_chinese_translation():
    catalog = read_po((CATALOG / "messages.po").open("rb"))
    translated = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog
                  if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    missing = sorted(extracted_msgids() - translated)
    assert not missing, f"untranslated (run pybabel extract/update, see docs/plugins.md): {missing[:20]}"


def test_the_compiled_catalogue_matches_its_source():
    source = read_po((CATALOG / "messages.po").open("rb"))
    compiled = read_mo((CATALOG / "messages.mo").open("rb"))
    def as_dict(cat):
        def plain(value):
            return tuple(value) if isinstance(value, (list, tuple)) else value
        return {plain(m.id): plain(m.string) for m in cat if m.id}

    assert as_dict(compiled) == as_dict(source), "run: pybabel compile -d workbench/translations -D messages"


def test_pages_are_chinese_by_default_and_english_on_request(world, client):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "登录" in page
    client.post("/language/en", data={"next": "/login"})
    english = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in english and "Sign in" in english


def test_a_failed_sign_in_says_so_in_chinese(world, client):
    page = client.post("/login", data={"username": "am1", "password": "wrong"}).get_data(as_text=True)
    assert "用户名或密码不正确" in page


def test_a_signed_in_users_language_choice_is_kept_on_the_account(world, client_for):
    client = client_for(world.am1)
    client.post("/language/en", data={"next": "/"})
    from workbench.auth.models import User
    from workbench.extensions import db

    db.session.expire_all()
    assert db.session.get(User, world.am1.id).locale == "en"
    assert "To-dos" in client.get("/inbox/").get_data(as_text=True)
