"""Marks the query's words in a title and picks the passages of a text that show them.

Everything but the marks is HTML-escaped: titles and texts are user input. Matches are found
by one regular expression over the normalised text (normalise keeps offsets), built from the
query's words and their sub-words: letters and digits match whole words only (ict in
"strict" is no match), Chinese matches inside longer words too (专线 in 互联网专线), as a
reader expects.

Whoosh ships a general highlighter (tokenise, fragment, score, format) that did the same at
several times the cost; twenty results ask for forty highlights per search, so this small,
specific one is used instead.
"""
from __future__ import annotations

import re
from typing import Iterable

from markupsafe import escape

from workbench.search.analysis import normalise

ELLIPSIS = "…"
BETWEEN_PASSAGES = " … "


def term_pattern(terms: Iterable[str]) -> re.Pattern | None:
    """One expression matching any of `terms` (longest first), or None for no terms."""
    alternatives = []
    for term in sorted(set(terms), key=len, reverse=True):
        escaped = re.escape(term)
        alternatives.append(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])" if term.isascii() else escaped)
    return re.compile("|".join(alternatives)) if alternatives else None


def _matches(text: str, pattern: re.Pattern | None) -> list[tuple[int, int]]:
    if pattern is None or not text:
        return []
    return [match.span() for match in pattern.finditer(normalise(text))]


def _marked(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """text[start:end] escaped, with the spans inside it in <mark>."""
    parts, position = [], start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        parts.append(str(escape(text[position:span_start])))
        parts.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        position = span_end
    parts.append(str(escape(text[position:end])))
    return "".join(parts)


def mark_all(text: str, pattern: re.Pattern | None) -> str:
    """The whole text escaped, every match marked; "" when nothing matches."""
    spans = _matches(text, pattern)
    return _marked(text, 0, len(text), spans) if spans else ""


def passages(text: str, pattern: re.Pattern | None, max_characters: int = 160, surround: int = 40,
             top: int = 2) -> str:
    """Up to `top` passages of at most `max_characters` around the matches, the ones with
    the most different words (then the most matches) first, shown in text order; "" when
    nothing matches.

    A passage starts `surround` characters before a match and takes in the following
    matches while they fit, then ends `surround` characters after its last match."""
    spans = _matches(text, pattern)
    if not spans:
        return ""
    groups: list[list[tuple[int, int]]] = []
    for span in spans:
        if groups and span[1] - max(0, groups[-1][0][0] - surround) <= max_characters:
            groups[-1].append(span)
        else:
            groups.append([span])
    lowered = normalise(text)

    def merit(group):
        return len({lowered[start:end] for start, end in group}), len(group), -group[0][0]

    chosen = sorted(sorted(groups, key=merit, reverse=True)[:top], key=lambda group: group[0][0])
    shown = []
    for group in chosen:
        start = max(0, group[0][0] - surround)
        end = min(len(text), max(group[-1][1] + surround, start + 1), start + max_characters)
        end = max(end, group[-1][1])
        shown.append(_marked(text, start, end, group))
    return BETWEEN_PASSAGES.join(shown)


def opening(text: str, max_characters: int = 160) -> str:
    """The start of a text, escaped: the snippet of a result whose text has no match."""
    return str(escape(text[:max_characters])) + (ELLIPSIS if len(text) > max_characters else "")
