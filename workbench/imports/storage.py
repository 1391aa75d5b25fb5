"""Uploaded import files on disk, between the upload and the background job that reads them.

Files live under UPLOAD_DIR/imports (outside the web root: nothing serves that folder) with a
generated name; the person's own file name is kept in the database for display only, so it
can never choose or reach a path. A worker on another host needs UPLOAD_DIR on shared storage.
"""
from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path

from flask import current_app

SUBFOLDER = "imports"
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv)$")


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / SUBFOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(stored_name: str) -> Path:
    if not STORED_NAME.match(stored_name or ""):
        raise ValueError(f"not a stored upload name: {stored_name!r}")
    return folder() / stored_name


def save(data: bytes, suffix: str) -> str:
    """Write `data` under a new generated name (suffix .xlsx or .csv) and return the name."""
    stored_name = f"{uuid.uuid4().hex}{suffix}"
    target = _path(stored_name)
    partial = target.with_name(f".{stored_name}.part")
    with open(partial, "wb") as output:
        output.write(data)
    os.chmod(partial, 0o600)
    os.replace(partial, target)  # readers never see half a file
    return stored_name


def read(stored_name: str | None) -> bytes | None:
    """The file's bytes, or None when it is gone."""
    if not stored_name:
        return None
    try:
        return _path(stored_name).read_bytes()
    except FileNotFoundError:
        return None


def delete(stored_name: str | None) -> None:
    if stored_name:
        _path(stored_name).unlink(missing_ok=True)


def stale_files(older_than_seconds: float, keep: set[str]) -> list[Path]:
    """Files (and partial writes) older than the age that no live run refers to."""
    cutoff = time.time() - older_than_seconds
    stale = []
    for path in folder().iterdir():
        name = path.name.removeprefix(".").removesuffix(".part")
        if path.is_file() and name not in keep and path.stat().st_mtime < cutoff:
            stale.append(path)
    return stale
