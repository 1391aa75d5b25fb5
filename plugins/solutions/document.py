"""The proposal as a .docx (python-docx): cover, table of contents, a chapter per product, the
combined price table, page numbers in the footer.

Word, WPS and LibreOffice build the contents from real heading styles; the TOC is a real field
whose stored result is the rendered list of chapters, so it shows before anyone updates
fields. Chinese text is set in Noto CJK fonts through the East Asian font slot (w:eastAsia),
which is what LibreOffice and Word use for CJK characters.
"""
from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from flask_babel import gettext as _
from lxml import html as lxml_html

SANS = "Noto Sans CJK SC"
SERIF = "Noto Serif CJK SC"
ACCENT = RGBColor(0x0B, 0x5C, 0xAD)


def _set_fonts(style_or_run, latin: str, east_asian: str) -> None:
    font = style_or_run.font
    font.name = latin
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(slot), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def _prepare_styles(document) -> None:
    styles = document.styles
    _set_fonts(styles["Normal"], SERIF, SERIF)
    styles["Normal"].font.size = Pt(11)
    styles["Normal"].paragraph_format.space_after = Pt(6)
    styles["Normal"].paragraph_format.line_spacing = 1.25
    for name, size in (("Title", 28), ("Heading 1", 18), ("Heading 2", 14), ("Heading 3", 12), ("Subtitle", 14)):
        style = styles[name]
        _set_fonts(style, SANS, SANS)
        style.font.size = Pt(size)
        if name != "Subtitle":
            style.font.color.rgb = ACCENT
    for name in ("List Bullet", "List Number", "Table Grid"):
        _set_fonts(styles[name], SERIF, SERIF)


def _field(paragraph, instruction: str, placeholder: str = "1") -> None:
    """A complex field (PAGE, NUMPAGES …) with a stored result, so it shows before updating."""
    def char(kind):
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run = paragraph.add_run()
        run._r.append(element)
        return run

    char("begin")
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


def _footer(section) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(paragraph, "PAGE")
    paragraph.add_run(" / ")
    _field(paragraph, "NUMPAGES")


def _toc(document, entries: list[str]) -> None:
    """A TOC field over heading levels 1–2; its stored result is the list of chapters."""
    heading = _styled(document, "Subtitle", _("Contents"))
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    first = document.add_paragraph()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    first.add_run()._r.append(begin)
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = ' TOC \\o "1-2" \\h \\z \\u '
    first.add_run()._r.append(instruction)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    first.add_run()._r.append(separate)
    paragraph = first
    for number, entry in enumerate(entries):
        if number:
            paragraph = document.add_paragraph()
        paragraph.add_run(entry)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _borders(table) -> None:
    """Explicit single borders, also for readers that ignore the Table Grid style."""
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), "4")
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), "808080")
        borders.append(element)
    properties.append(borders)


def _styled(document, style: str, text: str = ""):
    """A paragraph of a named style. Sets the style id directly: python-docx's lookup by name
    scans every style for each paragraph, which was most of the rendering time."""
    paragraph = document.add_paragraph(text)
    paragraph._p.style = document._style_ids[style]
    return paragraph


# --- HTML (the sanitized allow-list) → paragraphs ----------------------------------------

HEADING_LEVELS = {"h2": 2, "h3": 3, "h4": 3}


def _inline(paragraph, element, bold=False, italic=False, underline=False) -> None:
    if element.text:
        run = paragraph.add_run(element.text)
        run.bold, run.italic, run.underline = bold or None, italic or None, underline or None
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            paragraph.add_run().add_break()
        else:
            _inline(paragraph, child, bold or tag in ("strong", "b", "th"), italic or tag in ("em", "i"),
                    underline or tag == "u")
        if child.tail:
            run = paragraph.add_run(child.tail)
            run.bold, run.italic, run.underline = bold or None, italic or None, underline or None


def _html_table(document, element) -> None:
    rows = [row for row in element.iter("tr")]
    if not rows:
        return
    width = max(len([c for c in row if c.tag in ("td", "th")]) for row in rows) or 1
    table = document.add_table(rows=0, cols=width)
    table.style = "Table Grid"
    _borders(table)
    for row in rows:
        cells = table.add_row().cells
        for index, cell in enumerate(c for c in row if c.tag in ("td", "th")):
            paragraph = cells[index].paragraphs[0]
            _inline(paragraph, cell, bold=cell.tag == "th")


def add_html(document, html: str) -> None:
    """Append sanitized HTML: headings, paragraphs, lists, tables, quotes, code."""
    if not (html or "").strip():
        return
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    if root.text and root.text.strip():
        document.add_paragraph(root.text.strip())
    for element in root:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in HEADING_LEVELS:
            _styled(document, f"Heading {HEADING_LEVELS[tag]}", element.text_content().strip() or "—")
        elif tag in ("ul", "ol"):
            style = "List Bullet" if tag == "ul" else "List Number"
            for item in element.iter("li"):
                _inline(_styled(document, style), item)
        elif tag == "table":
            _html_table(document, element)
        elif tag == "hr":
            document.add_paragraph("")
        elif tag in ("strong", "b", "em", "i", "u", "a", "span", "code", "s", "sub", "sup"):
            paragraph = document.add_paragraph()
            _inline(paragraph, element)
        else:  # p, blockquote, pre, and anything else that survived sanitizing
            paragraph = document.add_paragraph()
            _inline(paragraph, element)
            if tag == "blockquote":
                paragraph.paragraph_format.left_indent = Cm(1)
        if element.tail and element.tail.strip():
            document.add_paragraph(element.tail.strip())


# --- the proposal -----------------------------------------------------------------------

def _spanned_row(table, span: int) -> list:
    """Add a row whose first cell spans `span` grid columns (w:gridSpan), returning its cells'
    paragraphs. Cheaper than python-docx's merge, which re-walks the whole table each time."""
    row = table.add_row()
    cells = row._tr.tc_lst
    for extra in cells[1:span]:
        row._tr.remove(extra)
    grid_span = OxmlElement("w:gridSpan")
    grid_span.set(qn("w:val"), str(span))
    cells[0].get_or_add_tcPr().append(grid_span)
    return [_cell_paragraph(tc, table) for tc in row._tr.tc_lst]


def _cell_paragraph(tc, table):
    from docx.table import _Cell

    return _Cell(tc, table).paragraphs[0]


def _price_table(document, groups, total) -> None:
    labels = [_("Item"), _("Spec"), _("Unit"), _("Unit price (yuan)"), _("Quantity"), _("Amount (yuan)"),
              _("Remark")]
    table = document.add_table(rows=1, cols=len(labels))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _borders(table)
    for cell, label in zip(table.rows[0].cells, labels):
        cell.paragraphs[0].add_run(label).bold = True
    for group in groups:
        _spanned_row(table, 7)[0].add_run(group.product).bold = True
        for item in group.rows:
            row = table.add_row()
            values = (item["item"], item.get("spec", ""), item.get("unit", ""), f"{item['unit_price']}",
                      f"{item.get('quantity') or '1'}", item["amount"], item.get("remark", ""))
            for index, (tc, value) in enumerate(zip(row._tr.tc_lst, values)):
                paragraph = _cell_paragraph(tc, table)
                paragraph.add_run(str(value))
                if index in (3, 4, 5):
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        label, amount, _remark = _spanned_row(table, 5)
        label.add_run(_("Subtotal: %(product)s", product=group.product))
        amount.add_run(f"{group.subtotal:.2f}").bold = True
        amount.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    label, amount, _remark = _spanned_row(table, 5)
    label.add_run(_("Total")).bold = True
    amount.add_run(f"{total:.2f}").bold = True
    amount.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def render_proposal(proposal, now: datetime | None = None) -> bytes:
    """The proposal's .docx as bytes."""
    from plugins.solutions.services import combined_prices, visible_sections

    now = now or datetime.now()
    sections = visible_sections(proposal)
    groups, total = combined_prices(proposal)
    document = Document()
    _prepare_styles(document)
    document._style_ids = {name: document.styles[name].style_id for name in (
        "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "List Number")}
    page = document.sections[0]
    page.page_height, page.page_width = Cm(29.7), Cm(21.0)
    page.left_margin = page.right_margin = Cm(2.5)
    page.top_margin = page.bottom_margin = Cm(2.5)
    _footer(page)
    document.core_properties.title = proposal.title
    document.core_properties.author = proposal.owner.name if proposal.owner else ""

    # Cover
    for _blank in range(6):
        document.add_paragraph()
    title = _styled(document, "Title", proposal.recipient)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle = _styled(document, "Subtitle", _("Solution proposal"))
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    products = document.add_paragraph("、".join(s.heading for s in sections))
    products.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _blank in range(8):
        document.add_paragraph()
    for line in (proposal.owner.org_unit.name if proposal.owner and proposal.owner.org_unit else "",
                 _("Prepared by %(name)s", name=proposal.owner.name) if proposal.owner else "",
                 f"{now.year}-{now.month:02d}-{now.day:02d}"):
        if line:
            document.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # Contents
    price_list = _("Price list")
    entries = [f"{number}  {section.heading}" for number, section in enumerate(sections, start=1)]
    if groups:
        entries.append(f"{len(sections) + 1}  {price_list}")
    _toc(document, entries)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # Chapters
    for number, section in enumerate(sections, start=1):
        if number > 1:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _styled(document, "Heading 1", f"{number}  {section.heading}")
        add_html(document, section.body_html)
    if groups:
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _styled(document, "Heading 1", f"{len(sections) + 1}  {price_list}")
        document.add_paragraph(_("Prices in yuan, including tax, valid for 90 days from the date of this "
                                 "proposal unless agreed otherwise."))
        _price_table(document, groups, total)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

