"""Maps what a user types into the username field to the stored username."""
from __future__ import annotations


def username_mapper(value: str) -> str | None:
    """Usernames are matched case-insensitively; surrounding blanks are ignored."""
    cleaned = (value or "").strip()
    return cleaned.lower() or None
