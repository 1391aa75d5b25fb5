"""What a file is, judged by its content — never by the name or the browser's content type.

`detect(data, name)` returns the kind ("pdf", "docx", ...) or raises `Unrecognised` /
`UnsafeArchive`. Zip-based formats (docx, xlsx, zip) are opened and inspected: a .docx must
hold a Word document part, not just be a zip; every archive is bounded in member count,
total expanded size and compression ratio, its member names may not reach outside the
archive, and each member is actually read (with a running cap) so forged sizes in the zip
directory cannot hide a bomb.
"""
from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass

import filetype


@dataclass(frozen=True)
class Kind:
    key: str
    content_type: str
    extensions: tuple[str, ...]  # first one is the canonical extension

    @property
    def extension(self) -> str:
        return self.extensions[0]


KINDS: dict[str, Kind] = {kind.key: kind for kind in (
    Kind("pdf", "application/pdf", (".pdf",)),
    Kind("jpeg", "image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif")),
    Kind("png", "image/png", (".png",)),
    Kind("gif", "image/gif", (".gif",)),
    Kind("webp", "image/webp", (".webp",)),
    Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    Kind("zip", "application/zip", (".zip",)),
    Kind("md", "text/markdown; charset=utf-8", (".md", ".markdown")),
    Kind("txt", "text/plain; charset=utf-8", (".txt", ".text", ".csv", ".log")),
)}

# filetype's names for the binary kinds we accept
_FILETYPE_KINDS = {"pdf": "pdf", "jpg": "jpeg", "png": "png", "gif": "gif", "webp": "webp", "zip": "zip"}


class Unrecognised(Exception):
    """The content is not any known kind (or is an executable, a script ...)."""

    def __init__(self, guessed: str | None = None):
        super().__init__(guessed or "unknown")
        self.guessed = guessed


class UnsafeArchive(Exception):
    """A zip that is too big once expanded, too many members, or names reaching outside."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "expanded_size" | "ratio" | "members" | "path" | "encrypted" | "corrupt"


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 2000
    max_expanded_bytes: int = 200 * 1024 * 1024
    max_ratio: int = 100  # expanded / compressed, per member and overall


def kind_of_extension(name: str) -> Kind | None:
    lowered = name.lower()
    for kind in KINDS.values():
        if any(lowered.endswith(ext) for ext in kind.extensions):
            return kind
    return None


def detect(data: bytes, name: str = "", limits: ArchiveLimits = ArchiveLimits()) -> str:
    """The kind key of `data`. `name` only tells Markdown from plain text."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    guess = filetype.guess(data)
    if guess is not None:
        key = _FILETYPE_KINDS.get(guess.extension)
        if key == "zip" or guess.extension in {"docx", "xlsx", "pptx", "epub", "jar", "apk", "odt"}:
            return _inspect_zip(data, limits)
        if key is None:
            raise Unrecognised(guess.mime)
        return key
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _inspect_zip(data, limits)
    if _is_text(data):
        ext_kind = kind_of_extension(name)
        return "md" if ext_kind is not None and ext_kind.key == "md" else "txt"
    raise Unrecognised(None)


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text)


def _inspect_zip(data: bytes, limits: ArchiveLimits) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError):
        raise UnsafeArchive("corrupt") from None
    if len(infos) > limits.max_members:
        raise UnsafeArchive("members")
    names = set()
    declared_total = 0
    for info in infos:
        _check_member_name(info.filename)
        if info.flag_bits & 0x1:
            raise UnsafeArchive("encrypted")
        declared_total += info.file_size
        if declared_total > limits.max_expanded_bytes:
            raise UnsafeArchive("expanded_size")
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise UnsafeArchive("ratio")
        names.add(info.filename)
    # Read every member for real: the directory's sizes may be forged.
    actual_total = 0
    try:
        for info in infos:
            if info.is_dir():
                continue
            with archive.open(info) as member:
                while chunk := member.read(65536):
                    actual_total += len(chunk)
                    if actual_total > limits.max_expanded_bytes:
                        raise UnsafeArchive("expanded_size")
    except UnsafeArchive:
        raise
    except Exception:  # bad CRC, unsupported compression, truncated data ...
        raise UnsafeArchive("corrupt") from None
    if actual_total > 1024 * 1024 and actual_total > limits.max_ratio * max(len(data), 1):
        raise UnsafeArchive("ratio")
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return "docx"
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


def _check_member_name(name: str) -> None:
    if "\\" in name or "\x00" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive("path")
    if any(part == ".." for part in posixpath.normpath(name).split("/")) or ".." in name.split("/"):
        raise UnsafeArchive("path")
