"""The plugin contract stays documented and tested: every hookspec in workbench/hookspecs.py
has a docstring, a heading in docs/plugins.md and at least one test under tests/ whose name
mentions the hook (without the `workbench_` prefix) or whose body names it in full."""
from __future__ import annotations

import ast
import functools
import inspect
import re
from pathlib import Path

from workbench import hookspecs

REPO_ROOT = Path(__file__).resolve().parents[3]
DOCS = REPO_ROOT / "docs" / "plugins.md"
TESTS = REPO_ROOT / "tests"
HEADING = re.compile(r"^#{2,4}\s+`?(workbench_\w+)`?\s*$", re.MULTILINE)


def hook_names() -> list[str]:
    return sorted(
        name for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, f"{hookspecs.PROJECT}_spec")
    )


def documented_hooks() -> set[str]:
    return set(HEADING.findall(DOCS.read_text(encoding="utf-8")))


@functools.cache
def collect_test_functions() -> list[tuple[str, str]]:
    """(name, source) of every test function under tests/, this module excepted."""
    found = []
    for path in TESTS.rglob("test_*.py"):
        if path.resolve() == Path(__file__).resolve():
            continue
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"):
                found.append((node.name, ast.get_source_segment(source, node) or ""))
    return found


def untested(hooks: list[str]) -> list[str]:
    functions = collect_test_functions()
    return [
        hook for hook in hooks
        if not any(hook.removeprefix("workbench_") in name or hook in body for name, body in functions)
    ]


def test_the_hookspecs_are_found():
    assert {"workbench_manifest", "workbench_handle_event", "workbench_resolve_sso_user"} <= set(hook_names())


def test_every_hookspec_has_a_docstring():
    undocumented = [name for name in hook_names() if not (getattr(hookspecs, name).__doc__ or "").strip()]
    assert undocumented == [], f"hookspecs without a docstring: {undocumented}"


def test_every_hook_has_a_heading_in_docs_plugins_md():
    missing = sorted(set(hook_names()) - documented_hooks())
    assert missing == [], f"add a '### <hook>' section with an example to docs/plugins.md for: {missing}"


def test_docs_plugins_md_documents_no_hook_that_does_not_exist():
    stale = sorted(documented_hooks() - set(hook_names()))
    assert stale == [], f"docs/plugins.md documents hooks that hookspecs.py lacks: {stale}"


def test_every_hook_is_exercised_by_a_test():
    missing = untested(hook_names())
    assert missing == [], f"no test under tests/ names or calls these hooks: {missing}"


def test_the_checks_notice_a_hook_nobody_documented_or_tested():
    imaginary = "workbench_imaginary_hook"
    assert imaginary not in documented_hooks()
    assert untested([imaginary]) == [imaginary]
