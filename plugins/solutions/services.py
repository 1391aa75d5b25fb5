"""Rules of the solution library: curating the material (products, industries, pieces with
versions), generating a customer-specific proposal in three steps, the second edit
(reorder, remove, edit text), regeneration when the material changes, and the PDF.

Functions take the acting user, raise workbench.errors exceptions with translatable messages
and leave committing to the caller. Proposals are scoped (ScopedMixin): a proposal outside
the reader's scope is simply not found. The library itself is shared and not scoped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

import nh3
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from workbench.auth.models import Role, User
from workbench.customers.models import Customer
from workbench.errors import Conflict, NotAllowed, NotFound, ServiceError
from workbench.events import emit
from workbench.extensions import db
from workbench.inbox import services as inbox
from workbench.jobs import enqueue
from workbench.org.scope import system_scope
from workbench.records import EditConflict, utcnow

from plugins.solutions.models import (ARCHIVED, DRAFT, FAILED, GENERATING, PIECE_KINDS, PUBLISHED, READY,
                                      REVIEW, Industry, Piece, PieceVersion, Product, Proposal,
                                      ProposalSection)

USE = "solutions.use"
CURATE = "solutions.curate"
REVIEW_TODO = "solutions.review"
REFRESH_TODO = "solutions.refresh"
PIECE_SOURCE = "solutions_piece"
PROPOSAL_SOURCE = "solutions_proposal"

# A proposal of more products than this is built by a background job with a progress bar.
LARGE_PROPOSAL = 5
MAX_PRODUCTS = 30
NAME_MAX = 200
TITLE_MAX = 200
BODY_MAX = 200_000
PRICE_ROWS_MAX = 100

# ---------------------------------------------------------------------------------------
# Rich text: the allow-list. Formatting survives (headings, lists, tables, emphasis, links);
# scripts, event handlers, styles, javascript:/data: URLs and SVG never do.
ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "sub", "sup", "blockquote",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "code", "pre", "hr", "span",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str | None) -> str:
    """The stored form of rich text: only the allow-list survives; links get rel=noopener."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=ALLOWED_URL_SCHEMES, link_rel="noopener noreferrer",
                     clean_content_tags={"script", "style"}).strip()


def plain_text(html: str | None) -> str:
    """Text of stored HTML, for search documents and snippets."""
    text = nh3.clean(re.sub(r"</(p|h\d|li|tr|td|th)>", r"</\1> ", html or ""), tags=set())
    return re.sub(r"\s+", " ", text.replace("&nbsp;", " ").replace("&amp;", "&")
                  .replace("&lt;", "<").replace("&gt;", ">")).strip()


# ---------------------------------------------------------------------------------------
# Permissions

def require(actor: User, permission: str) -> None:
    if actor is None or not actor.can(permission):
        raise NotAllowed(_l("You may not do this."))


# ---------------------------------------------------------------------------------------
# Industries and products

def industries(include_inactive: bool = False) -> list[Industry]:
    query = select(Industry).order_by(Industry.order, Industry.name)
    if not include_inactive:
        query = query.where(Industry.active.is_(True))
    return list(db.session.execute(query).scalars())


def industry_by_name(name: str | None) -> Industry | None:
    if not name:
        return None
    return db.session.execute(select(Industry).where(Industry.name == name.strip())).scalar_one_or_none()


def create_industry(actor: User, *, name: str, order: int = 100) -> Industry:
    require(actor, CURATE)
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("Give the industry a name."), field="name")
    if len(name) > 100:
        raise ServiceError(_l("The name can be at most %(max)d characters.", max=100), field="name")
    if industry_by_name(name) is not None:
        raise ServiceError(_l("This industry exists already."), field="name")
    industry = Industry(name=name, order=order)
    db.session.add(industry)
    db.session.flush()
    return industry


@dataclass(frozen=True)
class ProductFilter:
    q: str | None = None
    industry_id: int | None = None
    product_line: str | None = None
    include_archived: bool = False


def product_query(filters: ProductFilter | None = None):
    filters = filters or ProductFilter()
    query = select(Product).order_by(Product.product_line, Product.name, Product.id)
    if not filters.include_archived:
        query = query.where(Product.archived.is_(False))
    if filters.q:
        words = filters.q.strip()
        query = query.where(or_(Product.name.contains(words, autoescape=True),
                                Product.code.contains(words, autoescape=True),
                                Product.summary.contains(words, autoescape=True)))
    if filters.industry_id:
        query = query.where(Product.industries.any(Industry.id == filters.industry_id))
    if filters.product_line:
        query = query.where(Product.product_line == filters.product_line)
    return query


def product_lines() -> list[str]:
    rows = db.session.execute(select(Product.product_line).where(Product.archived.is_(False),
                                                                 Product.product_line != "")
                              .distinct().order_by(Product.product_line)).scalars()
    return list(rows)


def get_product(product_id) -> Product:
    product = db.session.get(Product, product_id) if str(product_id).isdigit() else None
    if product is None:
        raise NotFound(_l("Product not found."))
    return product


def _clean_product_values(code: str, name: str, product_line: str, summary: str) -> tuple[str, str, str, str]:
    code, name = (code or "").strip(), (name or "").strip()
    product_line, summary = (product_line or "").strip(), (summary or "").strip()
    if not code:
        raise ServiceError(_l("Give the product a code."), field="code")
    if len(code) > 64 or not re.fullmatch(r"[A-Za-z0-9_.\-]+", code):
        raise ServiceError(_l("A code is at most 64 letters, digits, dots, dashes or underscores."), field="code")
    if not name:
        raise ServiceError(_l("Give the product a name."), field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(_l("The name can be at most %(max)d characters.", max=NAME_MAX), field="name")
    if len(product_line) > 100:
        raise ServiceError(_l("The product line can be at most %(max)d characters.", max=100), field="product_line")
    if len(summary) > 500:
        raise ServiceError(_l("The summary can be at most %(max)d characters.", max=500), field="summary")
    return code, name, product_line, summary


def _industries_by_ids(industry_ids) -> list[Industry]:
    ids = {int(i) for i in industry_ids or []}
    found = list(db.session.execute(select(Industry).where(Industry.id.in_(ids))).scalars()) if ids else []
    if len(found) != len(ids):
        raise ServiceError(_l("Choose industries from the list."), field="industry_ids")
    return found


def create_product(actor: User, *, code: str, name: str, product_line: str = "", summary: str = "",
                   industry_ids=()) -> Product:
    require(actor, CURATE)
    code, name, product_line, summary = _clean_product_values(code, name, product_line, summary)
    if db.session.execute(select(Product.id).where(Product.code == code)).first():
        raise ServiceError(_l("Another product has this code."), field="code")
    product = Product(code=code, name=name, product_line=product_line, summary=summary,
                      industries=_industries_by_ids(industry_ids))
    db.session.add(product)
    db.session.flush()
    emit("solutions.product_created", actor=actor, product_id=product.id)
    return product


def update_product(actor: User, product: Product, *, version, name: str, product_line: str = "",
                   summary: str = "", industry_ids=(), archived: bool | None = None) -> Product:
    require(actor, CURATE)
    _check_version(product, version)
    _code, name, product_line, summary = _clean_product_values(product.code, name, product_line, summary)
    product.name, product.product_line, product.summary = name, product_line, summary
    product.industries = _industries_by_ids(industry_ids)
    if archived is not None:
        product.archived = bool(archived)
    _flush_or_conflict()
    emit("solutions.product_updated", actor=actor, product_id=product.id)
    return product


def _check_version(record, version) -> None:
    try:
        record.check_version(version)
    except EditConflict:
        raise Conflict(_l("Someone else changed this in the meantime. Reload the page to see "
                          "their change, then make yours again.")) from None


def _flush_or_conflict() -> None:
    """Flush now: the version column turns a concurrent writer's change into a conflict
    (UPDATE ... WHERE id = ? AND version = ? found no row) instead of overwriting it."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(_l("Someone else changed this in the meantime. Reload the page to see "
                          "their change, then make yours again.")) from None


# ---------------------------------------------------------------------------------------
# Pieces: draft → in review → published → archived; every publication is a new version.

def parse_price_rows(rows) -> list[dict]:
    """Validate a price table: a list of {item, spec, unit, unit_price, quantity, remark}.
    Unit prices are decimals of at most 4 places, kept as strings (exact, JSON-safe)."""
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise ServiceError(_l("The price table is not a list of rows."), field="price_rows")
    if len(rows) > PRICE_ROWS_MAX:
        raise ServiceError(_l("A price table has at most %(max)d rows.", max=PRICE_ROWS_MAX), field="price_rows")
    clean = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ServiceError(_l("Row %(n)d of the price table is not a row.", n=number), field="price_rows")
        item = str(row.get("item") or "").strip()
        if not item and not str(row.get("unit_price") or "").strip():
            continue  # an empty line of the form
        if not item or len(item) > 200:
            raise ServiceError(_l("Row %(n)d needs an item of at most 200 characters.", n=number), field="price_rows")
        try:
            price = Decimal(str(row.get("unit_price")).strip().replace(",", ""))
            quantity = Decimal(str(row.get("quantity") or "1").strip())
        except (InvalidOperation, ValueError):
            raise ServiceError(_l("Row %(n)d: the unit price and quantity must be numbers.", n=number),
                               field="price_rows") from None
        if not price.is_finite() or price < 0 or price >= Decimal("1e12") or price.as_tuple().exponent < -4:
            raise ServiceError(_l("Row %(n)d: give the unit price in yuan, 0 or more, at most 4 decimals.",
                                  n=number), field="price_rows")
        if not quantity.is_finite() or quantity <= 0 or quantity >= Decimal("1e7"):
            raise ServiceError(_l("Row %(n)d: the quantity must be more than 0.", n=number), field="price_rows")
        clean.append({
            "item": item,
            "spec": str(row.get("spec") or "").strip()[:200],
            "unit": str(row.get("unit") or "").strip()[:40],
            # Two decimals as money usually has; per-message prices (0.045) keep up to four.
            "unit_price": f"{price.quantize(Decimal('0.01'))}" if price.as_tuple().exponent >= -2
            else f"{price.normalize():f}",
            "quantity": f"{quantity.normalize():f}",
            "remark": str(row.get("remark") or "").strip()[:300],
        })
    return clean


def _clean_piece_values(kind: str, title: str, body_html: str, price_rows, industry_id):
    if kind not in PIECE_KINDS:
        raise ServiceError(_l("Choose a kind of material from the list."), field="kind")
    title = (title or "").strip()
    if not title:
        raise ServiceError(_l("Give the material a title."), field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(_l("The title can be at most %(max)d characters.", max=TITLE_MAX), field="title")
    if len(body_html or "") > BODY_MAX:
        raise ServiceError(_l("The text is too long."), field="body_html")
    body = sanitize_html(body_html)
    rows = parse_price_rows(price_rows) if kind == "prices" else []
    if kind == "prices" and not rows:
        raise ServiceError(_l("A price table needs at least one row with an item and a unit price."),
                           field="price_rows")
    if kind != "prices" and not plain_text(body):
        raise ServiceError(_l("Write the text of this material."), field="body_html")
    industry = None
    if industry_id:
        industry = db.session.get(Industry, int(industry_id))
        if industry is None:
            raise ServiceError(_l("Choose an industry from the list."), field="industry_id")
    if kind == "case" and industry is None:
        raise ServiceError(_l("Tag a typical case with the industry it comes from."), field="industry_id")
    return title, body, rows, industry


def get_piece(piece_id) -> Piece:
    piece = db.session.get(Piece, piece_id) if str(piece_id).isdigit() else None
    if piece is None:
        raise NotFound(_l("Material not found."))
    return piece


def create_piece(actor: User, product: Product, *, kind: str, title: str, body_html: str = "",
                 price_rows=None, industry_id=None) -> Piece:
    require(actor, CURATE)
    title, body, rows, industry = _clean_piece_values(kind, title, body_html, price_rows, industry_id)
    position = PIECE_KINDS.index(kind) * 100 + len([p for p in product.pieces if p.kind == kind])
    # Through the relationship, so product.pieces includes it at once (same transaction).
    piece = Piece(product=product, kind=kind, title=title, body_html=body, price_rows=rows,
                  industry_id=industry.id if industry else None, position=position, state=DRAFT,
                  author_id=actor.id)
    db.session.add(piece)
    db.session.flush()
    return piece


def update_piece(actor: User, piece: Piece, *, version, title: str, body_html: str = "", price_rows=None,
                 industry_id=None) -> Piece:
    """Edit the working copy. A published piece goes back to draft; its published version stays
    in use until this edit is published as the next version."""
    require(actor, CURATE)
    _check_version(piece, version)
    if piece.state == ARCHIVED:
        raise ServiceError(_l("Archived material cannot be edited; restore a version first."))
    title, body, rows, industry = _clean_piece_values(piece.kind, title, body_html, price_rows, industry_id)
    piece.title, piece.body_html, piece.price_rows = title, body, rows
    piece.industry_id = industry.id if industry else None
    if piece.state in (PUBLISHED, REVIEW):
        piece.state = DRAFT
    inbox.close_todos_for((PIECE_SOURCE, piece.id), actor=actor, note=str(_l("The material was edited.")))
    _flush_or_conflict()
    return piece


def _transition(piece: Piece, version, allowed_from: tuple[str, ...], to_state: str) -> None:
    """Move a piece between states atomically: the version check plus the ORM's
    UPDATE ... WHERE version = ? make one of two concurrent curators win; the other is told."""
    _check_version(piece, version)
    if piece.state not in allowed_from:
        from plugins.solutions.models import PIECE_STATE_LABELS

        raise Conflict(_l("This material is now %(state)s; reload the page.", state=PIECE_STATE_LABELS[piece.state]))
    piece.state = to_state
    _flush_or_conflict()


def curators() -> list[User]:
    """Active people holding solutions.curate (through a role or granted to them)."""
    with system_scope():
        roles = [role for role in db.session.execute(select(Role)).scalars() if CURATE in role.get_permissions()]
        people = {u.id: u for role in roles for u in role.users if u.active}
        for user in db.session.execute(select(User).where(User.active.is_(True))).scalars():
            if CURATE in (user.extra_permissions or []):
                people[user.id] = user
    return sorted(people.values(), key=lambda u: u.id)


def submit_piece(actor: User, piece: Piece, *, version) -> Piece:
    """Send a draft for review: each curator gets a to-do to review it."""
    require(actor, CURATE)
    _transition(piece, version, (DRAFT,), REVIEW)
    for reviewer in curators():
        if reviewer.id == actor.id or reviewer.org_unit_id is None:
            continue
        inbox.open_todo(kind=REVIEW_TODO, title=_("Review material: %(product)s · %(title)s",
                                                  product=piece.product.name, title=piece.title),
                        assignee=reviewer, created_by=actor, due_at=utcnow() + timedelta(days=3),
                        link=f"/solutions/pieces/{piece.id}", source=(PIECE_SOURCE, piece.id))
    emit("solutions.piece_submitted", actor=actor, piece_id=piece.id, product_id=piece.product_id)
    return piece


def publish_piece(actor: User, piece: Piece, *, version) -> PieceVersion:
    """Publish the working copy as the next version. Proposals built from an older version
    now say newer material exists, and their authors get a to-do to regenerate."""
    require(actor, CURATE)
    _transition(piece, version, (DRAFT, REVIEW), PUBLISHED)
    number = piece.published_number + 1
    snapshot = PieceVersion(piece_id=piece.id, number=number, title=piece.title, industry_id=piece.industry_id,
                            body_html=piece.body_html, price_rows=list(piece.price_rows or []),
                            published_at=utcnow(), published_by_id=actor.id)
    db.session.add(snapshot)
    piece.published_number = number
    piece.published_at = snapshot.published_at
    db.session.flush()
    db.session.expire(piece, ["versions"])
    inbox.close_todos_for((PIECE_SOURCE, piece.id), actor=actor, note=str(_l("Published.")))
    if number > 1:
        _ask_authors_to_refresh(actor, piece)
    emit("solutions.piece_published", actor=actor, piece_id=piece.id, product_id=piece.product_id,
         version=number)
    return snapshot


def _ask_authors_to_refresh(actor: User, piece: Piece) -> None:
    """Open one to-do per proposal that uses this product, so its author can regenerate."""
    with system_scope():
        using = select(ProposalSection.proposal_id).where(ProposalSection.product_id == piece.product_id)
        proposals = db.session.execute(
            select(Proposal).where(Proposal.id.in_(using), Proposal.archived.is_(False),
                                   Proposal.state == READY)).scalars().all()
        for proposal in proposals:
            owner = proposal.owner
            if owner is None or not owner.active or owner.org_unit_id is None:
                continue
            source = (PROPOSAL_SOURCE, proposal.id)
            already = inbox_open_for(source)
            if already:
                continue
            inbox.open_todo(kind=REFRESH_TODO, title=_("Newer material for your proposal: %(title)s",
                                                       title=proposal.title),
                            assignee=owner, created_by=actor, due_at=utcnow() + timedelta(days=7),
                            link=f"/solutions/proposals/{proposal.id}", customer=proposal.customer_id,
                            source=source, priority=0)


def inbox_open_for(source: tuple[str, object]) -> int:
    from workbench.inbox.models import TodoItem, TodoStatus

    with system_scope():
        return db.session.execute(select(func.count(TodoItem.id)).where(
            TodoItem.source_type == source[0], TodoItem.source_id == str(source[1]),
            TodoItem.status == TodoStatus.OPEN)).scalar_one()


def return_piece(actor: User, piece: Piece, *, version) -> Piece:
    """A reviewer sends the piece back to draft."""
    require(actor, CURATE)
    _transition(piece, version, (REVIEW,), DRAFT)
    inbox.close_todos_for((PIECE_SOURCE, piece.id), actor=actor, note=str(_l("Returned to draft.")))
    return piece


def archive_piece(actor: User, piece: Piece, *, version) -> Piece:
    """Withdraw a piece: new proposals no longer use it (existing ones keep their text)."""
    require(actor, CURATE)
    _transition(piece, version, (DRAFT, REVIEW, PUBLISHED), ARCHIVED)
    inbox.close_todos_for((PIECE_SOURCE, piece.id), actor=actor, note=str(_l("Archived.")))
    emit("solutions.piece_archived", actor=actor, piece_id=piece.id, product_id=piece.product_id)
    return piece


def restore_version(actor: User, piece: Piece, number: int, *, version) -> Piece:
    """Copy an older published version into the working copy as a draft; publishing it
    makes it the next version (history is never rewritten)."""
    require(actor, CURATE)
    _check_version(piece, version)
    old = next((v for v in piece.versions if v.number == number), None)
    if old is None:
        raise NotFound(_l("That version does not exist."))
    piece.title, piece.body_html, piece.price_rows = old.title, old.body_html, list(old.price_rows or [])
    piece.industry_id = old.industry_id
    piece.state = DRAFT
    _flush_or_conflict()
    return piece


def piece_query(*, state: str | None = None, product_id: int | None = None, q: str | None = None):
    query = select(Piece).order_by(Piece.updated_at.desc(), Piece.id.desc())
    if state:
        query = query.where(Piece.state == state)
    if product_id:
        query = query.where(Piece.product_id == product_id)
    if q:
        query = query.where(Piece.title.contains(q.strip(), autoescape=True))
    return query


def new_material(days: int = 30, limit: int = 6) -> list[Piece]:
    """Pieces published recently, newest first (the "new material" widget)."""
    since = utcnow() - timedelta(days=days)
    return list(db.session.execute(
        select(Piece).where(Piece.state == PUBLISHED, Piece.published_at >= since)
        .order_by(Piece.published_at.desc()).limit(limit)).scalars())


# ---------------------------------------------------------------------------------------
# The three steps: products → customer → generate

@dataclass
class ProposalRequest:
    """A checked request: what step 3 shows and generation uses."""

    products: list[Product]
    customer: Customer | None = None
    prospect_name: str = ""
    industry: Industry | None = None
    opportunity_id: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def recipient(self) -> str:
        return self.customer.name if self.customer is not None else self.prospect_name

    @property
    def large(self) -> bool:
        return len(self.products) > LARGE_PROPOSAL


def _ids(values) -> list[int]:
    ids = []
    for value in values or []:
        text = str(value).strip()
        if not text:
            continue
        if not text.isdigit():
            raise ServiceError(_l("Choose products from the list."), field="products")
        if int(text) not in ids:
            ids.append(int(text))
    return ids


def check_products(product_ids) -> list[Product]:
    """Step 1: at least one known, current product with published material."""
    ids = _ids(product_ids)
    if not ids:
        raise ServiceError(_l("Choose at least one product or business."), field="products")
    if len(ids) > MAX_PRODUCTS:
        raise ServiceError(_l("Choose at most %(max)d products.", max=MAX_PRODUCTS), field="products")
    found = {p.id: p for p in db.session.execute(select(Product).where(Product.id.in_(ids),
                                                                       Product.archived.is_(False))).scalars()}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ServiceError(_l("A chosen product does not exist (any more). Choose again."), field="products")
    return [found[i] for i in ids]


def check_request(actor: User, *, product_ids, customer_id=None, prospect_name: str = "", industry_id=None,
                  opportunity_id=None) -> ProposalRequest:
    """Steps 1 and 2 checked together (what step 3 and the API do before generating)."""
    require(actor, USE)
    products = check_products(product_ids)
    industry = None
    if industry_id not in (None, ""):
        industry = db.session.get(Industry, int(industry_id)) if str(industry_id).isdigit() else None
        if industry is None:
            raise ServiceError(_l("Choose an industry from the list."), field="industry_id")
    customer = None
    prospect_name = (prospect_name or "").strip()
    if customer_id not in (None, ""):
        # Scoped read: a customer outside the actor's scope is not found, like a missing one.
        customer = (db.session.execute(select(Customer).where(Customer.id == int(customer_id)))
                    .scalar_one_or_none() if str(customer_id).isdigit() else None)
        if customer is None:
            raise NotFound(_l("Customer not found. Choose one of your customers from the list."),
                           field="customer_id")
        prospect_name = ""
    elif not prospect_name:
        raise ServiceError(_l("Choose a customer, or type the name of a prospective customer."),
                           field="customer_id")
    elif len(prospect_name) > NAME_MAX:
        raise ServiceError(_l("The name can be at most %(max)d characters.", max=NAME_MAX), field="prospect_name")
    if industry is None and customer is not None:
        industry = industry_by_name(customer.industry)
    opp = None
    if opportunity_id not in (None, ""):
        if not str(opportunity_id).isdigit():
            raise ServiceError(_l("Unknown opportunity."), field="opportunity_id")
        opp = int(opportunity_id)
    request = ProposalRequest(products=products, customer=customer, prospect_name=prospect_name,
                              industry=industry, opportunity_id=opp)
    for product in products:
        if not any(p.live for p in pieces_of(product)):
            request.warnings.append(_("%(product)s has no published material yet; its section will be empty.",
                                      product=product.name))
    return request


def generate_proposal(actor: User, request: ProposalRequest) -> Proposal:
    """Step 3: save the proposal and build its sections — now for a small one, in a background
    job (with progress) for a large one. Emits solutions.proposal_generated once built."""
    require(actor, USE)
    if actor.org_unit_id is None:
        raise ServiceError(_l("You belong to no org unit yet; ask an administrator to place you."))
    title = _("%(name)s solution proposal", name=request.recipient)[:300]
    proposal = Proposal(title=title, customer_id=request.customer.id if request.customer else None,
                        prospect_name=request.prospect_name,
                        industry_id=request.industry.id if request.industry else None,
                        opportunity_id=request.opportunity_id, product_ids=[p.id for p in request.products],
                        owner_id=actor.id, org_unit_id=actor.org_unit_id, state=READY)
    db.session.add(proposal)
    db.session.flush()
    _build_or_enqueue(actor, proposal)
    return proposal


def _build_or_enqueue(actor: User, proposal: Proposal) -> None:
    if len(proposal.product_ids) > LARGE_PROPOSAL:
        proposal.state = GENERATING
        proposal.job_key = f"solutions.build:{proposal.id}:{proposal.revision}"
        db.session.flush()
        enqueue("solutions.build_proposal", key=proposal.job_key, proposal_id=proposal.id,
                revision=proposal.revision, created_by=actor)
    else:
        build_sections(proposal, actor=actor)


def pieces_by_product(product_ids) -> dict[int, list[Piece]]:
    """The pieces of these products with their versions, in two queries, read from the
    database (not a collection loaded earlier in the transaction, which would miss pieces
    added since)."""
    db.session.flush()
    found: dict[int, list[Piece]] = {product_id: [] for product_id in product_ids}
    query = (select(Piece).where(Piece.product_id.in_(list(product_ids)))
             .options(selectinload(Piece.versions)).order_by(Piece.position, Piece.id))
    for piece in db.session.execute(query).scalars():
        found[piece.product_id].append(piece)
    return found


def pieces_of(product: Product) -> list[Piece]:
    return pieces_by_product([product.id])[product.id]


def _ordered_live_pieces(product: Product, industry: Industry | None,
                         pieces: list[Piece] | None = None) -> list[PieceVersion]:
    """The published versions of a product's pieces in proposal order; the customer's industry
    cases come first among the cases."""
    pieces = pieces_of(product) if pieces is None else pieces
    live = [(piece, piece.live) for piece in pieces if piece.live is not None]

    def rank(pair):
        piece, version = pair
        kind_rank = PIECE_KINDS.index(piece.kind)
        own_industry = 0 if (industry is not None and version.industry_id == industry.id) else 1
        return (kind_rank, own_industry if piece.kind == "case" else 0, piece.position, piece.id)

    return [version for _piece, version in sorted(live, key=rank)]


def compose_section(product: Product, industry: Industry | None,
                    pieces: list[Piece] | None = None) -> tuple[str, list[dict], dict]:
    """A product's section: its text (the pieces under sub-headings), its price rows and the
    piece versions it was built from."""
    parts, rows, sources = [], [], {}
    case_heading_done = False
    for version in _ordered_live_pieces(product, industry, pieces):
        piece = version.piece
        sources[str(piece.id)] = version.number
        if piece.kind == "prices":
            rows.extend(dict(row, product=product.name) for row in version.price_rows or [])
            continue
        if piece.kind == "case":
            if not case_heading_done:
                cases_heading = _("Typical cases")
                parts.append(f"<h2>{_esc(cases_heading)}</h2>")
                case_heading_done = True
            tag = f" ({_esc(version.industry_name)})" if version.industry_name else ""
            parts.append(f"<h3>{_esc(version.title)}{tag}</h3>{version.body_html}")
        else:
            parts.append(f"<h2>{_esc(version.title)}</h2>{version.body_html}")
    return "".join(parts), rows, sources


def _esc(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def build_sections(proposal: Proposal, *, actor: User | None = None, progress=None) -> Proposal:
    """(Re)build a proposal's sections from the published material.

    Regeneration keeps what the author did: a section whose text was edited by hand keeps that
    text (its prices and source versions are refreshed, and it is flagged so the author can
    compare); removed sections stay removed; the order is kept; products without a section
    get one at the end."""
    products = {p.id: p for p in db.session.execute(
        select(Product).where(Product.id.in_(proposal.product_ids or []))).scalars()}
    pieces = pieces_by_product(list(products))
    existing = {s.product_id: s for s in proposal.sections}
    next_position = max((s.position for s in proposal.sections), default=-1) + 1
    total = len(proposal.product_ids or [])
    for done, product_id in enumerate(proposal.product_ids or [], start=1):
        product = products.get(product_id)
        if product is None:
            continue
        body, rows, sources = compose_section(product, proposal.industry, pieces[product_id])
        section = existing.get(product_id)
        if section is None:
            section = ProposalSection(proposal_id=proposal.id, product_id=product_id, position=next_position,
                                      heading=product.name, body_html=body, price_rows=rows,
                                      source_versions=sources)
            next_position += 1
            db.session.add(section)
        else:
            if not section.edited:
                section.body_html = body
                section.heading = product.name
            section.price_rows = rows
            section.source_versions = sources
        if progress is not None:
            progress(done, total)
    proposal.state = READY
    proposal.generated_at = utcnow()
    proposal.revision += 1
    db.session.flush()
    db.session.expire(proposal, ["sections"])
    inbox.close_todos_for((PROPOSAL_SOURCE, proposal.id), actor=actor,
                          note=str(_l("The proposal was regenerated.")))
    emit("solutions.proposal_generated", actor=actor, proposal_id=proposal.id, customer_id=proposal.customer_id,
         opportunity_id=proposal.opportunity_id)
    return proposal


def mark_build_failed(proposal_id: int, **_kwargs) -> None:
    with system_scope():
        proposal = db.session.get(Proposal, proposal_id)
        if proposal is not None and proposal.state == GENERATING:
            proposal.state = FAILED
            db.session.commit()


def stale_products(proposal: Proposal) -> list[Product]:
    """Products of the proposal whose published material is newer than what it was built from
    (a new version, a new piece, or a piece withdrawn)."""
    stale = []
    sections = proposal.sections
    pieces = pieces_by_product({section.product_id for section in sections})
    for section in sections:
        current = {str(p.id): p.published_number for p in pieces[section.product_id] if p.live is not None}
        if current != {k: v for k, v in (section.source_versions or {}).items()}:
            stale.append(section.product)
    return stale


def regenerate(actor: User, proposal: Proposal, *, version) -> Proposal:
    require(actor, USE)
    _check_version(proposal, version)
    if proposal.state == GENERATING:
        raise Conflict(_l("The proposal is being generated; wait until it is finished."))
    _build_or_enqueue(actor, proposal)
    _flush_or_conflict()
    return proposal


# ---------------------------------------------------------------------------------------
# Reading proposals

@dataclass(frozen=True)
class ProposalFilter:
    q: str | None = None
    customer_id: int | None = None
    mine: bool = False
    include_archived: bool = False


def proposal_query(filters: ProposalFilter | None = None, actor: User | None = None):
    filters = filters or ProposalFilter()
    query = select(Proposal).order_by(Proposal.updated_at.desc(), Proposal.id.desc())
    if not filters.include_archived:
        query = query.where(Proposal.archived.is_(False))
    if filters.q:
        query = query.where(Proposal.title.contains(filters.q.strip(), autoescape=True))
    if filters.customer_id:
        query = query.where(Proposal.customer_id == filters.customer_id)
    if filters.mine and actor is not None:
        query = query.where(Proposal.owner_id == actor.id)
    return query


def get_proposal(proposal_id) -> Proposal:
    """A proposal within the current scope, or NotFound (out of scope looks absent)."""
    if not str(proposal_id).isdigit():
        raise NotFound(_l("Proposal not found."))
    proposal = db.session.execute(select(Proposal).where(Proposal.id == int(proposal_id))).scalar_one_or_none()
    if proposal is None:
        raise NotFound(_l("Proposal not found."))
    return proposal


def proposals_for_customer(customer: Customer, limit: int = 20) -> list[Proposal]:
    return list(db.session.execute(proposal_query(ProposalFilter(customer_id=customer.id)).limit(limit)).scalars())


def recent_proposals(actor: User, limit: int = 5) -> list[Proposal]:
    return list(db.session.execute(proposal_query(ProposalFilter(mine=True), actor).limit(limit)).scalars())


def visible_sections(proposal: Proposal) -> list[ProposalSection]:
    return [s for s in proposal.sections if not s.removed]


@dataclass
class PriceGroup:
    product: str
    rows: list[dict]
    subtotal: Decimal


def combined_prices(proposal: Proposal) -> tuple[list[PriceGroup], Decimal]:
    """The combined price table: one group per remaining section, in section order, each
    row with its amount (unit price × quantity); subtotals and the grand total."""
    groups, total = [], Decimal("0.00")
    for section in visible_sections(proposal):
        rows, subtotal = [], Decimal("0.00")
        for row in section.price_rows or []:
            amount = (Decimal(row["unit_price"]) * Decimal(row.get("quantity") or "1")).quantize(Decimal("0.01"))
            rows.append(dict(row, amount=f"{amount}"))
            subtotal += amount
        if rows:
            groups.append(PriceGroup(section.heading, rows, subtotal))
            total += subtotal
    return groups, total


# ---------------------------------------------------------------------------------------
# The second edit (二次编辑)

def _editable(actor: User, proposal: Proposal, version) -> None:
    require(actor, USE)
    _check_version(proposal, version)
    if proposal.state == GENERATING:
        raise Conflict(_l("The proposal is being generated; wait until it is finished."))
    if proposal.archived:
        raise ServiceError(_l("This proposal is archived."))


def _touch(proposal: Proposal) -> None:
    proposal.revision += 1  # also bumps the row's version: the next stale form is refused
    _flush_or_conflict()


def reorder_sections(actor: User, proposal: Proposal, section_ids, *, version) -> Proposal:
    _editable(actor, proposal, version)
    ids = _ids(section_ids)
    sections = {s.id: s for s in proposal.sections}
    if sorted(ids) != sorted(sections):
        raise ServiceError(_l("The sections sent are not this proposal's sections; reload the page."),
                           field="order")
    for position, section_id in enumerate(ids):
        sections[section_id].position = position
    _touch(proposal)
    db.session.expire(proposal, ["sections"])
    return proposal


def _section_of(proposal: Proposal, section_id) -> ProposalSection:
    section = next((s for s in proposal.sections if str(s.id) == str(section_id)), None)
    if section is None:
        raise NotFound(_l("Section not found."))
    return section


def set_section_removed(actor: User, proposal: Proposal, section_id, removed: bool, *, version) -> ProposalSection:
    _editable(actor, proposal, version)
    section = _section_of(proposal, section_id)
    if removed and not section.removed and len(visible_sections(proposal)) == 1:
        raise ServiceError(_l("A proposal keeps at least one section."))
    section.removed = removed
    _touch(proposal)
    return section


def edit_section(actor: User, proposal: Proposal, section_id, *, heading: str, body_html: str,
                 version) -> ProposalSection:
    """Save text edited in the browser: sanitized like the library's material."""
    _editable(actor, proposal, version)
    section = _section_of(proposal, section_id)
    heading = (heading or "").strip()
    if not heading:
        raise ServiceError(_l("Give the section a heading."), field="heading")
    if len(heading) > TITLE_MAX:
        raise ServiceError(_l("The heading can be at most %(max)d characters.", max=TITLE_MAX), field="heading")
    if len(body_html or "") > BODY_MAX:
        raise ServiceError(_l("The text is too long."), field="body_html")
    section.heading = heading
    section.body_html = sanitize_html(body_html)
    section.edited = True
    _touch(proposal)
    return section


def archive_proposal(actor: User, proposal: Proposal, *, version) -> Proposal:
    require(actor, USE)
    _check_version(proposal, version)
    proposal.archived = True
    _flush_or_conflict()
    inbox.close_todos_for((PROPOSAL_SOURCE, proposal.id), actor=actor, note=str(_l("Archived.")))
    return proposal


# ---------------------------------------------------------------------------------------
# Documents

def proposal_docx(proposal: Proposal, *, now=None) -> bytes:
    from plugins.solutions.document import render_proposal

    if proposal.state != READY:
        raise Conflict(_l("The proposal is not ready yet."))
    return render_proposal(proposal, now=now)


def docx_filename(proposal: Proposal, extension: str = "docx") -> str:
    name = re.sub(r"[\\/:*?\"<>|\s]+", "_", proposal.title).strip("_") or "proposal"
    return f"{name[:80]}.{extension}"


def pdf_available() -> bool:
    from plugins.solutions import pdf

    return pdf.soffice_path() is not None


def pdf_key(proposal: Proposal) -> str:
    return f"solutions.pdf:{proposal.id}:{proposal.revision}"


def request_pdf(actor: User, proposal: Proposal) -> str:
    """Queue the conversion of the current content to PDF (LibreOffice, with a timeout);
    returns the job key. The same content is converted once (the key names the revision)."""
    require(actor, USE)
    if proposal.state != READY:
        raise Conflict(_l("The proposal is not ready yet."))
    if not pdf_available():
        raise ServiceError(_l("PDF output is not available on this server (LibreOffice is not installed). "
                              "Download the .docx instead."))
    key = pdf_key(proposal)
    enqueue("solutions.make_pdf", key=key, proposal_id=proposal.id, revision=proposal.revision, created_by=actor)
    return key


def pdf_path(proposal: Proposal, revision: int | None = None):
    """Where the PDF of a revision lives: under DATA_DIR, outside the web root, served only
    through the proposal's scoped download view."""
    from pathlib import Path

    folder = Path(current_app.config["DATA_DIR"]) / "solutions" / "pdf"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{proposal.id}-{revision or proposal.revision}.pdf"


def pdf_ready(proposal: Proposal) -> bool:
    return pdf_path(proposal).exists()
