"""Store, open and send files. The only way into and out of DATA_DIR/files.

    from workbench.files import services as files
    stored = files.store_upload(request.files["scan"], kinds=("pdf", "jpeg", "png"), owner=current_user)
    record.file_id = stored.id
    ...
    return files.send_stored_file(record.file)   # after the record's own scope check

Files are written before the database row; a transaction that rolls back removes the files
it wrote, so a refused or failed save leaves nothing behind on disk either.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
import uuid
from pathlib import Path
from typing import BinaryIO, Iterable

from flask import current_app, send_file
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from workbench.errors import NotFound, ServiceError
from workbench.extensions import db
from workbench.files import kinds as kinds_module
from workbench.files.kinds import KINDS, ArchiveLimits, Unrecognised, UnsafeArchive
from workbench.files.models import StoredFile

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
SUBFOLDER = "files"
STORAGE_KEY = re.compile(r"^[0-9a-f]{32}$")
_WRITTEN = "workbench.files.written"

KIND_LABELS = {
    "pdf": _l("PDF"), "jpeg": _l("JPEG image"), "png": _l("PNG image"), "gif": _l("GIF image"),
    "webp": _l("WebP image"), "docx": _l("Word document (.docx)"), "xlsx": _l("Excel workbook (.xlsx)"),
    "zip": _l("zip archive"), "md": _l("Markdown text"), "txt": _l("plain text"),
}


class UploadRejected(ServiceError):
    """The file cannot be stored; `message` says why, in words the uploader understands."""


def kinds_label(kinds: Iterable[str]) -> str:
    """'PDF, JPEG image, PNG image' — what an upload field accepts, for its help text."""
    return ", ".join(str(KIND_LABELS.get(kind, kind)) for kind in kinds)


def accept_attribute(kinds: Iterable[str]) -> str:
    """The `accept` attribute of a file input for these kinds (a hint; the server decides)."""
    return ",".join(ext for kind in kinds for ext in KINDS[kind].extensions)


def max_upload_bytes() -> int:
    return int(current_app.config.get("WORKBENCH_UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES)


# -- names ------------------------------------------------------------------------------------

_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*;\x00-\x1f\x7f]')


def sanitise_name(name: str | None) -> str:
    """The display name of an upload: its last path part, without control characters,
    characters that trouble a desktop's file system, leading dots or surrounding spaces;
    Chinese and other letters are kept. Raises UploadRejected for names that try to climb
    directories (`../../etc/passwd.pdf`) or are absolute paths."""
    raw = unicodedata.normalize("NFC", name or "")
    parts = re.split(r"[\\/]+", raw)
    if any(part.strip() == ".." for part in parts) or raw.startswith("/"):
        raise UploadRejected(_l("The file name contains a path; rename the file and upload it again."),
                             field="file")
    base = parts[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE_NAME_CHARS.sub("", base).strip().lstrip(".").strip()
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:200]
    return base


def _name_for_kind(name: str, kind_key: str) -> str:
    """Make the name's extension agree with the content; refuse a name that claims another type."""
    kind = KINDS[kind_key]
    claimed = kinds_module.kind_of_extension(name)
    if claimed is not None and claimed.key != kind_key:
        if {claimed.key, kind_key} <= {"md", "txt"}:
            return name
        raise UploadRejected(
            _l("The file is named %(name)s but its content is a %(actual)s. Upload the file itself, "
               "not a renamed one.", name=name, actual=KIND_LABELS[kind_key]), field="file")
    if claimed is None:
        name = (name or "file") + kind.extension
    return name


# -- storing ----------------------------------------------------------------------------------

def _root() -> Path:
    return Path(current_app.config["DATA_DIR"]) / SUBFOLDER


def path_of(stored: StoredFile) -> Path:
    key = stored.storage_key
    if not STORAGE_KEY.match(key or ""):
        raise ValueError(f"not a storage key: {key!r}")
    return _root() / key[:2] / key[2:4] / key


def _read_capped(stream: BinaryIO, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    return data if isinstance(data, bytes) else bytes(data)


def store_upload(file_storage, *, kinds: Iterable[str] = ("pdf", "jpeg", "png", "docx"),
                 max_bytes: int | None = None, owner=None) -> StoredFile:
    """Check and keep an uploaded file (a werkzeug FileStorage); return its new StoredFile.

    Raises UploadRejected when there is no file, it is empty, over `max_bytes` (default
    WORKBENCH_UPLOAD_MAX_BYTES), its content is not one of `kinds`, its name climbs
    directories or claims another type, or it is an archive that expands too far."""
    kinds = tuple(kinds)
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise ValueError(f"unknown file kinds {unknown}")
    if file_storage is None or not getattr(file_storage, "filename", None):
        raise UploadRejected(_l("Choose a file to upload."), field="file")
    name = sanitise_name(file_storage.filename)
    limit = max_bytes or max_upload_bytes()
    data = _read_capped(file_storage.stream, limit)
    return _store(data, name, kinds, limit, owner)


def store_bytes(data: bytes, filename: str, kind: str, owner=None) -> StoredFile:
    """Keep a document the workbench generated itself (a contract draft, an export).

    The content is still checked against `kind`, so a generator bug cannot store an
    executable under a .docx name."""
    return _store(bytes(data), sanitise_name(filename), (kind,), None, owner)


def _store(data: bytes, name: str, kinds: tuple[str, ...], limit: int | None, owner) -> StoredFile:
    if not data:
        raise UploadRejected(_l("The file is empty."), field="file")
    if limit is not None and len(data) > limit:
        raise UploadRejected(_l("The file is larger than the limit of %(limit)s MB.",
                                limit=_megabytes(limit)), field="file")
    try:
        kind = kinds_module.detect(data, name, _archive_limits())
    except UnsafeArchive as error:
        if error.reason == "corrupt":
            raise UploadRejected(_l("The file is damaged and cannot be opened."), field="file") from None
        raise UploadRejected(_l("The archive inside this file is unsafe (it would expand too far or "
                                "holds paths outside itself); it was not stored."), field="file") from None
    except Unrecognised:
        kind = None
    if kind not in kinds:
        raise UploadRejected(_l("This type of file is not accepted here. Accepted: %(kinds)s.",
                                kinds=kinds_label(kinds)), field="file")
    name = _name_for_kind(name, kind)
    storage_key = uuid.uuid4().hex
    stored = StoredFile(token=secrets.token_urlsafe(32), storage_key=storage_key, original_name=name,
                        kind=kind, content_type=KINDS[kind].content_type, size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(),
                        created_by_id=getattr(owner, "id", None))
    target = path_of(stored)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{storage_key}.part")
    with open(partial, "wb") as output:
        output.write(data)
    os.chmod(partial, 0o600)
    os.replace(partial, target)  # readers never see half a file
    _remember_written(target)
    db.session.add(stored)
    db.session.flush()
    return stored


def _megabytes(limit: int) -> str:
    value = limit / (1024 * 1024)
    return f"{value:.0f}" if value >= 1 else f"{value:.2f}"


def _archive_limits() -> ArchiveLimits:
    config = current_app.config
    return ArchiveLimits(
        max_members=int(config.get("WORKBENCH_UPLOAD_MAX_ARCHIVE_MEMBERS", 2000)),
        max_expanded_bytes=int(config.get("WORKBENCH_UPLOAD_MAX_EXPANDED_BYTES", 200 * 1024 * 1024)),
        max_ratio=int(config.get("WORKBENCH_UPLOAD_MAX_RATIO", 100)),
    )


# -- reading and sending ----------------------------------------------------------------------

def get_file(file_id: int) -> StoredFile:
    stored = db.session.get(StoredFile, file_id)
    if stored is None:
        raise NotFound(_l("File not found."))
    return stored


def open_stored(stored: StoredFile) -> BinaryIO:
    """The stored bytes as a binary file object (the caller closes it)."""
    try:
        return open(path_of(stored), "rb")
    except FileNotFoundError:
        raise NotFound(_l("The file is no longer available.")) from None


def read_stored(stored: StoredFile) -> bytes:
    with open_stored(stored) as handle:
        return handle.read()


def send_stored_file(stored: StoredFile):
    """A download response: always an attachment (never shown inline in the browser), with
    the file's real content type, nosniff, a sandbox policy and an RFC 5987 name so Chinese
    names survive. Call it only after checking the reader may see the owning record."""
    handle = open_stored(stored)
    response = send_file(handle, mimetype=stored.content_type, as_attachment=True,
                         download_name=stored.original_name or f"file{KINDS[stored.kind].extension}",
                         conditional=False, etag=stored.sha256, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- files written by a transaction that rolls back are removed --------------------------------

def _remember_written(path: Path) -> None:
    db.session.info.setdefault(_WRITTEN, []).append(str(path))


def _forget_written(session, *_args) -> None:
    session.info.pop(_WRITTEN, None)


def _remove_written(session, previous_transaction) -> None:
    if previous_transaction.parent is not None:  # a SAVEPOINT: the outer transaction goes on
        return
    for path in session.info.pop(_WRITTEN, []):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


if not event.contains(Session, "after_commit", _forget_written):
    event.listen(Session, "after_commit", _forget_written)
    event.listen(Session, "after_soft_rollback", _remove_written)
