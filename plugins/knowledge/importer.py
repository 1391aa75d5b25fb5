"""Bulk import of Markdown files (a .zip) and .docx documents into drafts.

The upload goes through the core file store, which refuses zip bombs, path tricks and files
that are not what they claim before anything is kept. The import itself runs as a background
job (`knowledge.import`) in the uploader's scope: each Markdown file (UTF-8, or GB18030 as
Chinese Windows editors write it) and each .docx (converted by mammoth) becomes a draft,
sanitized like anything typed into the editor; the report says what became of every file.
"""
from __future__ import annotations

import io
import posixpath
import zipfile

import mammoth
import markdown
from flask import current_app
from flask_babel import lazy_gettext as _l

from workbench.auth.models import User
from workbench.errors import ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.notify.services import notify

from plugins.knowledge.models import KnowledgeImport as ImportRun
from plugins.knowledge.sanitize import clean_html

MAX_FILES = 500


def start_import(actor: User, upload, *, space: str, category_id=None) -> ImportRun:
    from workbench.files import services as files
    from workbench.jobs import enqueue

    from plugins.knowledge.services import can_curate, check_space, get_category

    if not can_curate(actor):
        raise ServiceError(_l("Only knowledge admins can import articles."))
    space = check_space(space)
    if category_id not in (None, "", "0", 0):
        category = get_category(category_id)
        if category.space != space:
            raise ServiceError(_l("This category belongs to the other space."), field="category_id")
    else:
        category_id = None
    stored = files.store_upload(upload, kinds=("zip", "docx", "md"), owner=actor)
    run = ImportRun(created_by_id=actor.id, filename=stored.original_name, stored_file_id=stored.id, space=space,
                    category_id=int(category_id) if category_id else None, state="queued", report=[])
    db.session.add(run)
    db.session.flush()
    enqueue("knowledge.import", key=f"knowledge-import:{run.id}", created_by=actor, run_id=run.id)
    return run


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a Markdown file and the encoding it was read in."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise ValueError("not text") from None


def markdown_article(name: str, data: bytes) -> tuple[str, str, str]:
    """(title, html, note) of a Markdown file: the first heading is the title (else the name)."""
    text, encoding = decode_text(data)
    lines = text.splitlines()
    title = ""
    for index, line in enumerate(lines):
        if line.startswith("# "):
            title = line[2:].strip()
            del lines[index]
            break
        if line.strip():
            break
    html = clean_html(markdown.markdown("\n".join(lines), extensions=["tables", "fenced_code", "sane_lists"]))
    note = "" if encoding == "utf-8" else "GB18030"
    return title or _stem(name), html, note


def docx_article(name: str, data: bytes) -> tuple[str, str, str]:
    result = mammoth.convert_to_html(io.BytesIO(data))
    html = clean_html(result.value)
    return _stem(name), html, ""


def _stem(name: str) -> str:
    base = posixpath.basename(name)
    return base.rsplit(".", 1)[0] if "." in base else base


def _entries(run: ImportRun, data: bytes):
    """(name, kind, bytes) of every file to import."""
    lowered = run.filename.lower()
    if lowered.endswith(".docx"):
        yield run.filename, "docx", data
        return
    if lowered.endswith((".md", ".markdown")):
        yield run.filename, "md", data
        return
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # already checked by the file store
        count = 0
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or posixpath.basename(name).startswith((".", "__MACOSX")) or "__MACOSX/" in name:
                continue
            kind = "md" if name.lower().endswith((".md", ".markdown")) else \
                "docx" if name.lower().endswith(".docx") else None
            count += 1
            if count > MAX_FILES:
                yield name, "too_many", b""
                return
            yield name, kind, archive.read(info) if kind else b""


def run_import(run_id: int) -> ImportRun:
    """Do the import of run `run_id` (in the job, in the uploader's scope)."""
    from workbench.files import services as files

    from plugins.knowledge import services

    run = db.session.get(ImportRun, run_id)
    if run is None or run.state == "done":
        return run
    actor = db.session.get(User, run.created_by_id)
    run.state, run.report, run.created, run.failed = "running", [], 0, 0
    data = files.read_stored(files.get_file(run.stored_file_id))
    report = []
    for name, kind, content in _entries(run, data):
        entry = {"name": name[:200]}
        try:
            if kind == "too_many":
                raise ValueError(str(_l("Only the first %(count)d files were imported.", count=MAX_FILES)))
            if kind is None:
                raise ValueError(str(_l("Not a Markdown or Word file; skipped.")))
            if kind == "md":
                try:
                    title, html, note = markdown_article(name, content)
                except ValueError:
                    raise ValueError(str(_l("The file is not readable text (neither UTF-8 nor GB18030)."))) \
                        from None
            else:
                title, html, note = docx_article(name, content)
            with db.session.begin_nested():
                article = services.create_article(actor, title=title[:200], body_html=html, space=run.space,
                                                  category_id=run.category_id)
            entry.update(status="created", article_id=article.id, title=article.title, note=note)
            run.created += 1
        except ServiceError as error:
            entry.update(status="failed", message=str(error))
            run.failed += 1
        except (ValueError, zipfile.BadZipFile, KeyError) as error:
            entry.update(status="failed", message=str(error)[:300] or str(_l("The file could not be read.")))
            run.failed += 1
        except Exception:  # a damaged .docx inside the zip: mammoth raises many kinds
            current_app.logger.exception("knowledge import %s: %s failed", run.id, name)
            entry.update(status="failed", message=str(_l("The file could not be read.")))
            run.failed += 1
        report.append(entry)
    run.report = report
    run.state = "done"
    notify(actor, "notice", _l("Knowledge import of %(name)s finished: %(created)d drafts, %(failed)d failed.",
                               name=run.filename, created=run.created, failed=run.failed),
           link=f"/knowledge/import/{run.id}")
    emit("knowledge.import_finished", actor=actor, import_id=run.id, created=run.created, failed=run.failed)
    return run


def give_up(run_id: int, **_kwargs) -> None:
    run = db.session.get(ImportRun, run_id)
    if run is not None and run.state != "done":
        run.state = "failed"
        db.session.commit()
