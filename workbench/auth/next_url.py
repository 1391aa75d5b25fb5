"""Where to send someone after they sign in or change a setting: only ever a path on this site.

A `next` value comes from the query string or a form, so it is attacker-controlled. Browsers
are lenient: `//evil.example`, `/\\evil.example`, `\\\\evil.example` and the same with leading
blanks or control characters all lead off-site, although none of them has a scheme or a host
to `urlsplit`. Rather than enumerate the tricks, accept only a plain absolute path.
"""
from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site (``/inbox?x=1``), else None."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Backslashes count as slashes in browsers; control characters and blanks are stripped
    # by them before parsing, which could turn "/\t/evil" into "//evil".
    if "\\" in target or any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
