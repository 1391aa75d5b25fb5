"""The solution library in the global search: products, and published pieces of material
(what proposals are made of). Neither is scoped: the library is shared by everybody with
solutions.use, which the sources require."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.contracts import SearchSource

from plugins.solutions import services
from plugins.solutions.models import ARCHIVED, PIECE_KIND_LABELS, Piece, Product


def product_document(product: Product) -> dict:
    return {
        "title": product.name,
        "body": " ".join(part for part in (product.summary, " ".join(i.name for i in product.industries)) if part),
        "keywords": " ".join(part for part in (product.code, product.product_line) if part),
        "pinyin": product.name,
        "detail": " · ".join(part for part in (product.product_line, product.code) if part),
    }


def piece_document(piece: Piece) -> dict:
    live = piece.live
    title = live.title if live is not None else piece.title
    body = live.body_html if live is not None else ""
    rows = live.price_rows if live is not None else []
    text = services.plain_text(body) + " " + " ".join(f"{r['item']} {r.get('spec', '')}" for r in rows or [])
    return {
        "title": f"{piece.product.name} · {title}",
        "body": text.strip(),
        "keywords": live.industry_name if live is not None else "",
        "detail": str(PIECE_KIND_LABELS.get(piece.kind, piece.kind)),
    }


PRODUCTS = SearchSource(
    "solutions.product", _l("Solution products"), Product, product_document,
    url=lambda product: f"/solutions/products/{product.id}", icon="bi-box-seam",
    query=lambda stmt: stmt.where(Product.archived.is_(False)), order=60, permission="solutions.use",
)

PIECES = SearchSource(
    "solutions.piece", _l("Solution material"), Piece, piece_document,
    url=lambda piece: f"/solutions/products/{piece.product_id}#piece-{piece.id}", icon="bi-file-earmark-text",
    query=lambda stmt: stmt.where(Piece.published_number > 0, Piece.state != ARCHIVED), order=61,
    permission="solutions.use",
)
