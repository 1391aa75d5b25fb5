"""Only a plain path on this site is accepted as the page to go to after signing in."""
from __future__ import annotations

import pytest

from workbench.auth.next_url import local_path


@pytest.mark.parametrize("target", ["/", "/account", "/inbox?kind=task&page=2", "/customers/12#contracts"])
def test_paths_on_this_site_are_kept(target):
    assert local_path(target) == target


@pytest.mark.parametrize("target", [
    None, "", "account", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "https://evil.example/", "http:/evil.example", "javascript:alert(1)", " /account",
    "/\t/evil.example", "/\n/evil.example", "/\x00", "/ok\\..\\evil",
])
def test_anything_else_is_refused(target):
    assert local_path(target) is None
