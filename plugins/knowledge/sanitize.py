"""What article HTML may contain: an allow-list applied with nh3 (ammonia) on every save.

Kept: headings, paragraphs, lists, tables, code, quotes, links (http/https/mailto and
relative), images served by the knowledge base itself, and Quill's alignment/indent classes.
Never kept: scripts, styles, event handlers, forms, frames, SVG/MathML, `style` attributes,
javascript:/data:/vbscript: URLs, images from anywhere but /knowledge/files/.
"""
from __future__ import annotations

import html
import re

import nh3

TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "strong", "b", "em", "i", "u", "s", "sub",
    "sup", "blockquote", "pre", "code", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr",
    "th", "td", "caption", "a", "img", "span", "figure", "figcaption", "div",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    "*": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
IMAGE_PREFIX = "/knowledge/files/"
CLASS_PATTERN = re.compile(r"^ql-(align-(center|right|justify)|indent-[1-8]|syntax)$")
NUMBER_PATTERN = re.compile(r"^\d{1,4}$")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [name for name in value.split() if CLASS_PATTERN.match(name)]
        return " ".join(kept) or None
    if tag == "img" and attribute == "src":
        return value if value.startswith(IMAGE_PREFIX) and ".." not in value else None
    if attribute in ("width", "height", "colspan", "rowspan", "start"):
        return value if NUMBER_PATTERN.match(value) else None
    if tag == "a" and attribute == "href" and value.strip().startswith("//"):
        return None  # protocol-relative: another host
    return value


def clean_html(value: str | None) -> str:
    """The allowed part of `value`; text content is kept, markup outside the list dropped."""
    if not value:
        return ""
    cleaned = nh3.clean(
        value, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
        clean_content_tags={"script", "style"}, link_rel="noopener noreferrer nofollow",
        attribute_filter=_attribute_filter, strip_comments=True,
    )
    # An <img> left without a source says nothing: drop it.
    return re.sub(r"<img(?![^>]*\ssrc=)[^>]*>", "", cleaned)


_BLOCK_END = re.compile(r"</(p|div|h[1-6]|li|tr|pre|blockquote|table|figure|figcaption)>|<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]+>")
_CELL_END = re.compile(r"</t[dh]>", re.I)


def html_to_text(value: str | None) -> str:
    """Plain text of (already clean) HTML, one block per line: for search, diffs, snippets."""
    if not value:
        return ""
    text = _CELL_END.sub("\t", value)
    text = _BLOCK_END.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def plain_text(value: str | None, limit: int = 2000) -> str:
    """A comment: plain text only (markup is shown as text by the template, never parsed)."""
    text = (value or "").replace("\r\n", "\n").strip()
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    return text[:limit]
