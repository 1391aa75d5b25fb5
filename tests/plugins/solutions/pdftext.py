"""A minimal PDF text reader for the tests (pypdf is not installed): enough to read what
LibreOffice writes — Flate-compressed content streams, fonts with ToUnicode maps, text shown
with Tj/TJ, and ActualText spans. Returns the text of each page, in content order."""
from __future__ import annotations

import re
import zlib

OBJECT = re.compile(rb"(\d+)\s+0\s+obj(.*?)endobj", re.S)
STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in OBJECT.finditer(data)}


def _stream(body: bytes) -> bytes:
    match = STREAM.search(body)
    if not match:
        return b""
    raw = match.group(1)
    if b"/FlateDecode" in body.split(b"stream", 1)[0]:
        try:
            return zlib.decompress(raw)
        except zlib.error:
            return zlib.decompressobj().decompress(raw)
    return raw


def _cmap(text: bytes) -> tuple[dict[bytes, str], int]:
    mapping: dict[bytes, str] = {}
    width = 2
    space = re.search(rb"begincodespacerange\s*<([0-9A-Fa-f]+)>", text)
    if space:
        width = len(space.group(1)) // 2
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[bytes.fromhex(src.decode())] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start, end, base = int(lo, 16), int(hi, 16), int(dst, 16)
            for offset in range(end - start + 1):
                code = (start + offset).to_bytes(len(lo) // 2, "big")
                mapping[code] = chr(base + offset)
    return mapping, width


def _fonts(objects: dict[int, bytes]) -> dict[bytes, tuple[dict[bytes, str], int]]:
    """Font resource name (b"F1") → its ToUnicode map."""
    by_object = {}
    for number, body in objects.items():
        match = re.search(rb"/ToUnicode\s+(\d+)\s+0\s+R", body)
        if match and b"/Font" in body:
            by_object[number] = _cmap(_stream(objects.get(int(match.group(1)), b"")))
    names = {}
    dictionaries = []
    for body in objects.values():
        dictionaries += re.findall(rb"/Font\s*<<(.*?)>>", body, re.S)
        for number in re.findall(rb"/Font\s+(\d+)\s+0\s+R", body):
            dictionaries.append(objects.get(int(number), b""))
    for resources in dictionaries:
        for name, number in re.findall(rb"/(\w+)\s+(\d+)\s+0\s+R", resources):
            if int(number) in by_object:
                names[name] = by_object[int(number)]
    return names


TOKEN = re.compile(rb"/ActualText\s*<([0-9A-Fa-f\s]*)>|(EMC)|/(\w+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f\s]*)>"
                   rb"|\((?:\\.|[^\\)])*\)|(T\*|Td|TD|Tm|ET|')")


def _decode(hex_text: bytes, font) -> str:
    raw = bytes.fromhex(re.sub(rb"\s", b"", hex_text).decode())
    if font is None:
        return raw.decode("latin-1")
    mapping, width = font
    return "".join(mapping.get(raw[i:i + width], "") for i in range(0, len(raw), width))


def page_texts(data: bytes) -> list[str]:
    objects = _objects(data)
    fonts = _fonts(objects)
    pages = []
    for body in objects.values():
        if not re.search(rb"/Type\s*/Page(?!s)", body):
            continue
        contents = re.search(rb"/Contents\s+(\d+)\s+0\s+R", body)
        text, font = [], None
        if contents:
            stream = _stream(objects.get(int(contents.group(1)), b""))
            actual = False  # inside a span whose ActualText already gave the text
            for match in TOKEN.finditer(stream):
                if match.group(1) is not None:
                    text.append(bytes.fromhex(re.sub(rb"\s", b"", match.group(1)).decode())
                                .decode("utf-16", "replace"))
                    actual = True
                elif match.group(2):
                    actual = False
                elif match.group(3):
                    font = fonts.get(match.group(3))
                elif actual:
                    continue
                elif match.group(4) is not None:
                    text.append(_decode(match.group(4), font))
                elif match.group(5):
                    text.append("\n")
                else:
                    literal = match.group(0)[1:-1]
                    text.append(re.sub(rb"\\(.)", rb"\1", literal).decode("latin-1"))
        pages.append("".join(text))
    return pages


def font_names(data: bytes) -> list[str]:
    """The names of the fonts embedded in the PDF (without the subset prefix)."""
    return sorted({name.decode().split("+", 1)[-1] for name in re.findall(rb"/BaseFont\s*/([\w+\-]+)", data)})
