"""`workbench plugins new NAME`: generate a plugin as a separate distribution.

The files under template/ end in `.tmpl` (so no tool mistakes them for modules or pages of the
core) and carry placeholders replaced here:

  %%name%%          the plugin name (lowercase identifier: table prefix, blueprint, entry point)
  %%Name%%          the name in CamelCase, for class names
  %%title%%         a human title
  %%core_version%%  the workbench version the plugin is generated against
  %%core_depends%%  the core migration head(s) the plugin's first migration depends on

The directory `package/` becomes `workbench_<name>/`. The generated plugin adds a page, a
to-do kind and a homepage widget, and comes with tests that pass as generated.
"""
from __future__ import annotations

import importlib.util
import keyword
from dataclasses import dataclass
from pathlib import Path

TEMPLATE_DIR = Path(__file__).parent / "template"
TEMPLATE_SUFFIX = ".tmpl"
MAX_NAME_LENGTH = 30  # table names are `<name>_...`; PostgreSQL cuts identifiers at 63


class ScaffoldError(ValueError):
    """The plugin cannot be generated; the message says why and what to do."""


@dataclass(frozen=True)
class GeneratedPlugin:
    name: str
    root: Path
    files: tuple[Path, ...]


def taken_names() -> set[str]:
    """Names a new plugin may not use: the core's and every installed plugin's."""
    from workbench.plugins import CORE_NAMES, installed_plugins

    return set(CORE_NAMES) | {name for name, _target, _dist in installed_plugins()}


def validate_name(name: str) -> str:
    """Return `name` if it can be a new plugin's name, else raise ScaffoldError."""
    from workbench.plugins import PLUGIN_NAME_PATTERN

    if not name:
        raise ScaffoldError("Give the plugin a name, e.g. `workbench plugins new site_visits`.")
    if name != name.lower():
        raise ScaffoldError(f"{name!r}: a plugin name is lowercase, e.g. {name.lower()!r}.")
    if not PLUGIN_NAME_PATTERN.match(name):
        raise ScaffoldError(
            f"{name!r}: a plugin name is a Python identifier of lowercase letters, digits and "
            "underscores that starts with a letter, e.g. 'site_visits'."
        )
    if keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r} is a Python keyword; choose another name.")
    if len(name) > MAX_NAME_LENGTH:
        raise ScaffoldError(f"{name!r} is longer than {MAX_NAME_LENGTH} characters; table names "
                            "start with it, so keep it short.")
    if name in taken_names():
        raise ScaffoldError(f"{name!r} is already used by the core or an installed plugin; "
                            "choose another name (`workbench plugins list` shows the plugins).")
    if importlib.util.find_spec(f"workbench_{name}") is not None:
        raise ScaffoldError(f"A package named workbench_{name} is already importable; "
                            "choose another name.")
    return name


def core_migration_heads() -> tuple[str, ...]:
    """The head revision(s) of the core's migrations: the plugin's tables reference core
    tables (user, org_unit), so its first migration must run after them."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from workbench.database import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    config.set_main_option("path_separator", "space")  # as workbench.database does
    return tuple(sorted(ScriptDirectory.from_config(config).get_heads()))


def validate_title(title: str) -> str:
    """A title goes into Python strings, TOML and templates as written, so keep it plain."""
    title = title.strip()
    if not title:
        raise ScaffoldError("The title cannot be empty.")
    if any(char in title for char in '"\\{}%\n\r'):
        raise ScaffoldError("Write the title without quotes, backslashes, braces, % or line breaks.")
    return title


def _placeholders(name: str, title: str | None) -> dict[str, str]:
    from workbench import __version__

    heads = core_migration_heads()
    return {
        "%%name%%": name,
        "%%Name%%": "".join(part.capitalize() for part in name.split("_")),
        "%%title%%": validate_title(title) if title is not None else name.replace("_", " ").capitalize(),
        "%%core_version%%": __version__,
        "%%core_depends%%": repr(heads[0] if len(heads) == 1 else heads or None),
    }


def _fill(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _output_path(relative: Path, name: str, values: dict[str, str]) -> Path:
    parts = [f"workbench_{name}" if part == "package" and index == 0 else _fill(part, values)
             for index, part in enumerate(relative.parts)]
    parts[-1] = parts[-1].removesuffix(TEMPLATE_SUFFIX)
    return Path(*parts)


def generate(name: str, directory: Path, title: str | None = None) -> GeneratedPlugin:
    """Write the plugin distribution to `directory`/workbench-<name>/ and return what was made."""
    validate_name(name)
    if title is not None:
        validate_title(title)
    root = Path(directory) / f"workbench-{name}"
    if root.exists():
        raise ScaffoldError(f"{root} already exists; remove it or choose another --path.")
    values = _placeholders(name, title)
    written = []
    for template in sorted(TEMPLATE_DIR.rglob(f"*{TEMPLATE_SUFFIX}")):
        target = root / _output_path(template.relative_to(TEMPLATE_DIR), name, values)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_fill(template.read_text(encoding="utf-8"), values), encoding="utf-8")
        written.append(target)
    return GeneratedPlugin(name=name, root=root, files=tuple(written))
