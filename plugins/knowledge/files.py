"""Images and attachments of articles, kept in the core file store (workbench.files).

An upload gets its own random token; `/knowledge/files/<token>` serves it after checking that
the reader may see the article it belongs to (an image not yet saved with an article: only its
uploader). The file store itself never serves anything by token alone.
"""
from __future__ import annotations

import re
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from workbench.errors import NotFound, ServiceError
from workbench.extensions import db

from plugins.knowledge.models import KnowledgeAttachment as Attachment

IMAGE_KINDS = ("png", "jpeg", "gif", "webp")
ATTACHMENT_KINDS = ("pdf", "docx", "xlsx", "zip", "png", "jpeg", "md", "txt")
TOKEN_IN_HTML = re.compile(r'/knowledge/files/([A-Za-z0-9_-]{20,64})')


def file_url(attachment: Attachment) -> str:
    return f"/knowledge/files/{attachment.token}"


def _store(upload, kinds, max_bytes, actor, role, article=None) -> Attachment:
    from workbench.files import services as files

    stored = files.store_upload(upload, kinds=kinds, max_bytes=max_bytes, owner=actor)
    attachment = Attachment(article_id=article.id if article is not None else None, stored_file_id=stored.id,
                            token=secrets.token_urlsafe(24), role=role, name=stored.original_name,
                            size=stored.size, uploaded_by_id=actor.id)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def upload_image(actor, upload, article=None) -> Attachment:
    """An image for the editor (PNG, JPEG, GIF, WebP by content; at most
    KNOWLEDGE_IMAGE_MAX_BYTES). An "image" that is really HTML or a script is refused."""
    from plugins.knowledge.services import WRITE, can_curate

    if not (actor.can(WRITE) or can_curate(actor)):
        raise ServiceError(_l("You cannot write knowledge articles."))
    return _store(upload, IMAGE_KINDS, current_app.config["KNOWLEDGE_IMAGE_MAX_BYTES"], actor, "image", article)


def add_attachment(actor, article, upload) -> Attachment:
    from plugins.knowledge.services import can_edit

    if not can_edit(actor, article):
        raise ServiceError(_l("You cannot change this article now."))
    return _store(upload, ATTACHMENT_KINDS, None, actor, "attachment", article)


def remove_attachment(actor, article, attachment: Attachment) -> None:
    from plugins.knowledge.services import can_edit

    if not can_edit(actor, article) or attachment.article_id != article.id:
        raise ServiceError(_l("You cannot change this article now."))
    attachment.removed = True  # kept: an older version may still show it


def attachments_of(article) -> list[Attachment]:
    return list(db.session.execute(select(Attachment).where(
        Attachment.article_id == article.id, Attachment.role == "attachment", Attachment.removed.is_(False))
        .order_by(Attachment.created_at)).scalars())


def claim_images(actor, article) -> None:
    """Images the actor uploaded while writing, now referenced by the article: theirs."""
    tokens = set(TOKEN_IN_HTML.findall(article.body_html or ""))
    if not tokens:
        return
    for attachment in db.session.execute(select(Attachment).where(
            Attachment.token.in_(tokens), Attachment.article_id.is_(None),
            Attachment.uploaded_by_id == actor.id)).scalars():
        attachment.article_id = article.id


def file_for_reader(user, token: str):
    """(attachment, stored file) the reader may fetch, else NotFound."""
    from workbench.files import services as files

    from plugins.knowledge.services import get_article

    attachment = db.session.execute(select(Attachment).where(Attachment.token == token)).scalar_one_or_none()
    if attachment is None:
        raise NotFound(_l("File not found."))
    if attachment.article_id is None:
        if attachment.uploaded_by_id != user.id:
            raise NotFound(_l("File not found."))
    else:
        get_article(attachment.article_id, user)  # NotFound when the article is hidden from the reader
    return attachment, files.get_file(attachment.stored_file_id)
