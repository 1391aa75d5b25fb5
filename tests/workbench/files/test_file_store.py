"""The core file store: what it accepts (by content), what it refuses and why, where the
bytes go, and how a file is sent back."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from werkzeug.datastructures import FileStorage

from workbench.extensions import db
from workbench.files import services as files
from workbench.files.models import StoredFile

pytestmark = [pytest.mark.plugins(), pytest.mark.locale("en")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082")
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def docx_bytes(text: str = "合同正文") -> bytes:
    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def rejected_message(data: bytes, name: str, **kwargs) -> str:
    with pytest.raises(files.UploadRejected) as error:
        files.store_upload(upload(data, name), **kwargs)
    assert error.value.field == "file"
    return str(error.value.message)


def test_a_pdf_is_stored_outside_the_web_root_under_a_generated_name(app, world):
    stored = files.store_upload(upload(PDF, "合同扫描件.pdf"), owner=world.am1)
    db.session.commit()
    path = files.path_of(stored)
    assert path.read_bytes() == PDF
    assert path.is_relative_to(Path(app.config["DATA_DIR"]) / "files")
    assert path.name == stored.storage_key and "合同" not in str(path)
    assert (stored.kind, stored.content_type, stored.size) == ("pdf", "application/pdf", len(PDF))
    assert stored.original_name == "合同扫描件.pdf"
    assert stored.created_by_id == world.am1.id
    assert len(stored.token) >= 40


def test_images_and_word_documents_are_recognised_by_their_content(app):
    assert files.store_upload(upload(PNG, "photo.png")).kind == "png"
    assert files.store_upload(upload(JPEG, "photo.JPG")).kind == "jpeg"
    assert files.store_upload(upload(docx_bytes(), "draft.docx")).kind == "docx"


def test_an_executable_renamed_pdf_is_refused(app):
    message = rejected_message(EXE, "invoice.pdf")
    assert "not accepted" in message and "PDF" in message


def test_a_zip_renamed_docx_is_refused_as_not_a_word_document(app):
    message = rejected_message(zip_bytes({"readme.txt": b"hello"}), "contract.docx")
    assert "not accepted" in message


def test_a_png_named_pdf_is_refused_as_a_renamed_file(app):
    assert "renamed" in rejected_message(PNG, "scan.pdf")


def test_a_name_without_extension_gets_the_extension_of_its_content(app):
    assert files.store_upload(upload(PDF, "扫描")).original_name == "扫描.pdf"


def test_an_empty_file_is_refused(app):
    assert rejected_message(b"", "empty.pdf") == "The file is empty."


def test_a_missing_file_is_refused(app):
    with pytest.raises(files.UploadRejected, match="Choose a file"):
        files.store_upload(FileStorage(stream=io.BytesIO(b""), filename=""))


def test_a_file_over_the_limit_is_refused_without_reading_it_all(app):
    message = rejected_message(PDF + b"0" * 2048, "big.pdf", max_bytes=1024)
    assert "larger than the limit" in message


@pytest.mark.app_config(WORKBENCH_UPLOAD_MAX_BYTES=1024)
def test_the_default_limit_comes_from_the_setting(app):
    assert "larger than the limit" in rejected_message(PDF + b"0" * 2048, "big.pdf")


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "..\\..\\windows\\x.pdf", "/etc/passwd.pdf"])
def test_a_name_that_climbs_directories_is_refused(app, name):
    assert "path" in rejected_message(PDF, name)


def test_directories_control_characters_and_leading_dots_are_stripped_from_names(app):
    stored = files.store_upload(upload(PDF, "C:\\fakepath\\.\u202e报价\x00单\t<1>.pdf"))
    assert stored.original_name == "报价单1.pdf"


def test_a_zip_bomb_is_refused(app):
    bomb = zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b"\0" * (20 * 1024 * 1024)})
    assert "unsafe" in rejected_message(bomb, "bomb.docx")


@pytest.mark.app_config(WORKBENCH_UPLOAD_MAX_EXPANDED_BYTES=1024 * 1024)
def test_an_archive_that_expands_past_the_limit_is_refused(app):
    archive = zip_bytes({f"part{i}.bin": bytes(range(256)) * 1024 for i in range(6)}, zipfile.ZIP_STORED)
    assert "unsafe" in rejected_message(archive, "parts.zip", kinds=("zip",))


@pytest.mark.app_config(WORKBENCH_UPLOAD_MAX_ARCHIVE_MEMBERS=10)
def test_an_archive_with_too_many_members_is_refused(app):
    archive = zip_bytes({f"m{i}.txt": b"x" for i in range(11)})
    assert "unsafe" in rejected_message(archive, "many.zip", kinds=("zip",))


def test_an_archive_with_a_member_reaching_outside_is_refused(app):
    archive = zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>", "../../evil.sh": b"rm"})
    assert "unsafe" in rejected_message(archive, "evil.docx")


def test_a_damaged_archive_is_refused(app):
    data = bytearray(docx_bytes())
    data[200:260] = b"\xff" * 60
    assert "damaged" in rejected_message(bytes(data), "broken.docx")


def test_a_plain_zip_is_accepted_where_zips_are_allowed(app):
    assert files.store_upload(upload(zip_bytes({"a.txt": b"a"}), "a.zip"), kinds=("zip",)).kind == "zip"


def test_text_and_markdown_are_told_apart_by_the_name(app):
    assert files.store_upload(upload("# 标题\n".encode(), "note.md"), kinds=("md", "txt")).kind == "md"
    assert files.store_upload(upload(b"plain words\n", "note.txt"), kinds=("md", "txt")).kind == "txt"


def test_generated_documents_are_checked_against_their_kind(app, world):
    stored = files.store_bytes(docx_bytes(), "合同草稿.docx", "docx", owner=world.am1)
    assert stored.kind == "docx"
    with pytest.raises(files.UploadRejected):
        files.store_bytes(EXE, "draft.docx", "docx")


def test_open_stored_returns_the_bytes(app):
    stored = files.store_upload(upload(PDF, "a.pdf"))
    with files.open_stored(stored) as handle:
        assert handle.read() == PDF


def test_a_rolled_back_upload_leaves_no_file_on_disk(app):
    stored = files.store_upload(upload(PDF, "a.pdf"))
    path = files.path_of(stored)
    assert path.exists()
    db.session.rollback()
    assert not path.exists()
    assert db.session.query(StoredFile).count() == 0


def test_a_committed_upload_survives_a_later_rollback(app):
    stored = files.store_upload(upload(PDF, "a.pdf"))
    db.session.commit()
    path = files.path_of(stored)
    db.session.rollback()
    assert path.exists()


def test_a_download_is_an_attachment_with_a_safe_chinese_name_and_nosniff(app):
    stored = files.store_upload(upload(PDF, "合同 扫描件.pdf"))
    with app.test_request_context():
        response = files.send_stored_file(stored)
        response.direct_passthrough = False
        body = response.get_data()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E5%90%88%E5%90%8C%20%E6%89%AB%E6%8F%8F%E4%BB%B6.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "application/pdf"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert body == PDF
