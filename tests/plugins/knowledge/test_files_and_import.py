"""Images, attachments and the bulk import: what is accepted, what is refused, who may fetch."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from docx import Document
from sqlalchemy import select

from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.org.scope import acting_as
from werkzeug.datastructures import FileStorage

from plugins.knowledge import files, importer, services
from plugins.knowledge.models import KnowledgeArticle, KnowledgeImport

pytestmark = [pytest.mark.plugins("knowledge")]


def png_bytes() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes(*paragraphs) -> bytes:
    document = Document()
    document.add_heading("5G专网介绍", level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def run_import(curator, data, name):
    with acting_as(curator.scope):
        run = importer.start_import(curator, upload(data, name), space="business")
        db.session.commit()  # the job runs in-process after the commit
    db.session.expire_all()
    with acting_as(curator.scope):
        return db.session.get(KnowledgeImport, run.id)


# --- images and attachments ---------------------------------------------------------------

def test_an_image_upload_returns_a_url_the_sanitizer_keeps(world):
    with acting_as(world.am1.scope):
        attachment = files.upload_image(world.am1, upload(png_bytes(), "图.png"))
        db.session.commit()
    url = files.file_url(attachment)
    from plugins.knowledge.sanitize import clean_html
    assert f'src="{url}"' in clean_html(f'<img src="{url}">')


def test_an_image_that_is_really_html_is_refused(world):
    with acting_as(world.am1.scope), pytest.raises(ServiceError) as error:
        files.upload_image(world.am1, upload(b"<html><script>alert(1)</script></html>", "cat.png"))
    assert error.value.field == "file"


@pytest.mark.app_config(KNOWLEDGE_IMAGE_MAX_BYTES=50)
def test_an_oversize_image_is_refused(world):
    with acting_as(world.am1.scope), pytest.raises(ServiceError) as error:
        files.upload_image(world.am1, upload(png_bytes() + b"\x00" * 100, "big.png"))
    assert "larger" in str(error.value.message).lower() or "MB" in str(error.value.message)


def test_an_image_of_a_draft_is_served_to_its_author_and_not_to_others(world, client_for):
    with acting_as(world.am1.scope):
        attachment = files.upload_image(world.am1, upload(png_bytes(), "图.png"))
        services.create_article(world.am1, title="带图草稿", space="business",
                                body_html=f'<p>图</p><img src="{files.file_url(attachment)}">')
        db.session.commit()
    assert client_for(world.am1).get(files.file_url(attachment)).status_code == 200
    assert client_for(world.outsider).get(files.file_url(attachment)).status_code == 404


def test_an_image_of_a_published_article_is_served_to_every_reader(world, curator, publish, client_for):
    with acting_as(curator.scope):
        attachment = files.upload_image(curator, upload(png_bytes(), "图.png"))
        db.session.commit()
    publish(title="带图文章", body=f'<p>图</p><img src="{files.file_url(attachment)}">')
    response = client_for(world.outsider).get(files.file_url(attachment))
    assert response.status_code == 200 and response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_editor_upload_endpoint_answers_json(world, client_for):
    response = client_for(world.am1).post("/knowledge/images", data={"file": (io.BytesIO(png_bytes()), "a.png")},
                                          content_type="multipart/form-data")
    assert response.status_code == 200 and response.json["url"].startswith("/knowledge/files/")


def test_the_editor_upload_endpoint_refuses_html_with_a_message(world, client_for):
    response = client_for(world.am1).post("/knowledge/images", data={"file": (io.BytesIO(b"<svg onload=x>"), "a.png")},
                                          content_type="multipart/form-data")
    assert response.status_code == 400 and response.json["message"]


def test_an_attachment_is_listed_and_downloaded_by_readers(world, curator, publish, client_for):
    article = publish(title="附件文章")
    with acting_as(curator.scope):
        attachment = files.add_attachment(curator, services.get_article(article.id, curator),
                                          upload(docx_bytes("正文"), "资费表.docx"))
        db.session.commit()
    client = client_for(world.am1)
    assert "资费表.docx" in client.get(f"/knowledge/articles/{article.id}").get_data(as_text=True)
    assert client.get(files.file_url(attachment)).status_code == 200


# --- bulk import ----------------------------------------------------------------------------

def test_a_zip_of_markdown_files_becomes_drafts_with_a_report(world, curator):
    data = zip_of({"专线/开通流程.md": "# 专线开通流程\n\n1. 受理\n2. 勘察\n".encode(),
                   "报勘.md": "报勘审核要点\n\n| 项 | 说明 |\n|---|---|\n| 材料 | 齐全 |\n".encode(),
                   "图片.png": png_bytes()})
    run = run_import(curator, data, "知识.zip")
    assert (run.state, run.created, run.failed) == ("done", 2, 1)
    with acting_as(curator.scope):
        titles = set(db.session.execute(select(KnowledgeArticle.title).where(
            KnowledgeArticle.owner_id == curator.id)).scalars())
    assert titles == {"专线开通流程", "报勘"}


def test_imported_markdown_is_sanitized(world, curator):
    run = run_import(curator, zip_of({"x.md": b"# T\n\n<script>alert(1)</script>\n\n[a](javascript:alert(1))"}), "x.zip")
    with acting_as(curator.scope):
        article = services.get_article(run.report[0]["article_id"], curator)
    assert "<script" not in article.body_html and "javascript:" not in article.body_html


def test_a_docx_document_becomes_a_draft(world, curator):
    run = run_import(curator, docx_bytes("5G专网为园区提供低时延网络。"), "5G专网介绍.docx")
    with acting_as(curator.scope):
        article = services.get_article(run.report[0]["article_id"], curator)
    assert article.status == "draft" and "低时延" in article.body_text


def test_a_gb18030_markdown_file_is_read_and_noted(world, curator):
    run = run_import(curator, zip_of({"gbk.md": "# 合同审核\n\n常见问题".encode("gbk")}), "gbk.zip")
    assert run.report[0]["status"] == "created" and run.report[0]["note"] == "GB18030"


def test_a_markdown_file_that_is_not_text_fails_alone(world, curator):
    run = run_import(curator, zip_of({"bad.md": b"\xff\xfe\x00\x81\x00\x00\xff", "ok.md": "# 好\n正文".encode()}),
                     "mixed.zip")
    assert (run.created, run.failed) == (1, 1)


def test_a_zip_bomb_is_refused_before_anything_is_stored(world, curator):
    bomb = zip_of({"bomb.md": b"0" * (300 * 1024 * 1024 // 100)})
    with acting_as(curator.scope), pytest.raises(ServiceError):
        importer.start_import(curator, upload(bomb, "bomb.zip"), space="business")


@pytest.mark.app_config(WORKBENCH_UPLOAD_MAX_EXPANDED_BYTES=1024 * 1024)
def test_an_archive_expanding_past_the_limit_is_refused(world, curator):
    with acting_as(curator.scope), pytest.raises(ServiceError):
        importer.start_import(curator, upload(zip_of({"a.md": b"a" * (2 * 1024 * 1024)}), "big.zip"), space="business")


def test_a_path_trick_inside_the_zip_is_refused(world, curator):
    with acting_as(curator.scope), pytest.raises(ServiceError):
        importer.start_import(curator, upload(zip_of({"../../etc/evil.md": b"# x"}), "trick.zip"), space="business")


def test_an_account_manager_cannot_import(world):
    with acting_as(world.am1.scope), pytest.raises(ServiceError):
        importer.start_import(world.am1, upload(zip_of({"a.md": b"# a"}), "a.zip"), space="business")


@pytest.mark.locale("en")
def test_the_import_page_shows_the_report(world, curator, client_for):
    client = client_for(curator)
    response = client.post("/knowledge/import", data={"space": "business", "category_id": "",
                                                      "file": (io.BytesIO(zip_of({"a.md": "# 甲\n正文".encode()})), "a.zip")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200 and "1 drafts created" in response.get_data(as_text=True)
