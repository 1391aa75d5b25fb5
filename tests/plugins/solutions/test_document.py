"""The proposal as a document: the .docx structure read back with python-docx (headings, the
TOC field, the price table, page numbers, Chinese fonts), and the PDF LibreOffice makes of it
(pages and text), through the service and through the background job on the page."""
from __future__ import annotations

import io
import os
import shutil

import pytest
from docx import Document
from docx.oxml.ns import qn

from tests.plugins.solutions.conftest import generate
from tests.plugins.solutions.pdftext import font_names, page_texts
from workbench.org.scope import acting_as

from plugins.solutions import pdf, services

pytestmark = [pytest.mark.plugins("solutions"), pytest.mark.locale("en")]

# Without LibreOffice the PDF checks skip on a developer's machine; under CI (which installs
# it in .ci/run) they must run, so a missing soffice fails there instead of skipping.
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None and os.environ.get("CI") != "true",
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)


def docx_of(user, proposal_id) -> bytes:
    with acting_as(user.scope):
        return services.proposal_docx(services.get_proposal(proposal_id))


@pytest.fixture
def proposal_docx(app, world, library):
    customer = world.customers["am1"]
    proposal_id = generate(world.am1, [library.line, library.campus], customer_id=customer.id)
    return docx_of(world.am1, proposal_id)


def test_the_docx_has_a_heading_per_product_and_the_price_list(proposal_docx):
    document = Document(io.BytesIO(proposal_docx))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == [
        "1  集团专线", "2  智慧校园", "3  Price list"]
    assert "集团专线介绍" in [p.text for p in document.paragraphs if p.style.name == "Heading 2"]


def test_the_cover_names_the_customer(world, proposal_docx):
    document = Document(io.BytesIO(proposal_docx))
    title = next(p for p in document.paragraphs if p.style.name == "Title")
    assert title.text == world.customers["am1"].name


def test_the_docx_has_a_real_toc_field_with_the_chapters_rendered(proposal_docx):
    document = Document(io.BytesIO(proposal_docx))
    instructions = [node.text for node in document.element.body.iter(qn("w:instrText"))]
    assert any(text.strip().startswith("TOC") for text in instructions)
    texts = [p.text for p in document.paragraphs]
    start = texts.index("Contents")
    assert texts[start + 1:start + 4] == ["1  集团专线", "2  智慧校园", "3  Price list"]


def test_the_footer_numbers_the_pages(proposal_docx):
    footer = Document(io.BytesIO(proposal_docx)).sections[0].footer
    instructions = [node.text.strip() for node in footer._element.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]


def test_chinese_text_uses_an_east_asian_font(proposal_docx):
    styles = Document(io.BytesIO(proposal_docx)).styles
    for name in ("Normal", "Heading 1", "Title"):
        fonts = styles[name].element.rPr.find(qn("w:rFonts"))
        assert "CJK SC" in fonts.get(qn("w:eastAsia"))


def test_the_price_table_has_borders_rows_and_the_total(proposal_docx):
    document = Document(io.BytesIO(proposal_docx))
    table = document.tables[-1]
    assert table._tbl.tblPr.find(qn("w:tblBorders")) is not None
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells[0][:4] == ["Item", "Spec", "Unit", "Unit price (yuan)"]
    assert ["互联网专线", "100M", "条/月", "2800.00", "2", "5600.00", ""] in cells
    assert cells[-1][0] == "Total" and cells[-1][-2] == "34600.50"


def test_the_download_is_an_attachment_that_is_not_sniffed(app, world, library, client_for):
    proposal_id = generate(world.am1, [library.cloud], prospect_name="某单位")
    response = client_for(world.am1).get(f"/solutions/proposals/{proposal_id}/download.docx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert Document(io.BytesIO(response.data)).paragraphs


@needs_libreoffice
def test_libreoffice_renders_the_docx_as_a_pdf_with_the_expected_pages_and_text(world, proposal_docx):
    data = pdf.docx_to_pdf(proposal_docx)
    # Text runs are positioned separately (a font change breaks a line of text): compare
    # without white space.
    pages = ["".join(text.split()) for text in page_texts(data)]
    # cover, contents, one page per product, the price list
    assert len(pages) == 5
    assert world.customers["am1"].name in pages[0]
    assert "集团专线" in pages[1] and "智慧校园" in pages[1]
    assert "集团专线介绍" in pages[2] and "中学智慧校园案例" in pages[3]
    assert "2800.00" in pages[4] and "34600.50" in pages[4]
    assert pages[2].endswith("3/5")


@needs_libreoffice
def test_the_pdf_embeds_a_chinese_font_so_characters_are_not_boxes(proposal_docx):
    assert any("CJK" in name for name in font_names(pdf.docx_to_pdf(proposal_docx)))


@needs_libreoffice
def test_the_pdf_is_made_by_a_background_job_and_downloaded_from_the_page(app, world, library, client_for):
    proposal_id = generate(world.am1, [library.cloud], customer_id=world.customers["am1"].id)
    client = client_for(world.am1)
    with acting_as(world.am1.scope):
        version = services.get_proposal(proposal_id).version
    assert client.post(f"/solutions/proposals/{proposal_id}/pdf", data={"version": version}).status_code == 302
    page = client.get(f"/solutions/proposals/{proposal_id}").get_data(as_text=True)
    assert "download.pdf" in page
    response = client.get(f"/solutions/proposals/{proposal_id}/download.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "云电脑" in "".join(page_texts(response.data))


@pytest.mark.app_config(SOLUTIONS_SOFFICE="/nonexistent/soffice")
def test_without_libreoffice_the_page_says_the_pdf_is_not_available(app, world, library, client_for):
    proposal_id = generate(world.am1, [library.cloud], prospect_name="某单位")
    page = client_for(world.am1).get(f"/solutions/proposals/{proposal_id}").get_data(as_text=True)
    assert "PDF output is not available" in page and "Make a PDF" not in page


def test_a_pdf_of_an_older_revision_is_not_served(app, world, library, client_for, monkeypatch):
    proposal_id = generate(world.am1, [library.cloud, library.line], prospect_name="某单位")
    with acting_as(world.am1.scope):
        proposal = services.get_proposal(proposal_id)
        services.pdf_path(proposal).write_bytes(b"%PDF-1.6 old")
        from workbench.extensions import db
        from workbench.audit.actor import acting_user

        with acting_user(world.am1):
            services.set_section_removed(world.am1, proposal, proposal.sections[1].id, True,
                                         version=proposal.version)
            db.session.commit()
    assert client_for(world.am1).get(f"/solutions/proposals/{proposal_id}/download.pdf").status_code == 404
