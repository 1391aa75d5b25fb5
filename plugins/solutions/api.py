"""The solution library over JSON (/api/v1/solutions): products with their published
material, proposals within the caller's scope, generating a proposal and downloading it.
Rules live in services.py; out-of-scope proposals and customers answer 404 like missing ones."""
from __future__ import annotations

import io

import marshmallow as ma
from flask import send_file
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint

from workbench.api.auth import api_login_required
from workbench.api.errors import api_abort, commit_service_call, from_service_error, documents_errors
from workbench.api.fields import UtcDateTime
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.errors import NotFound, ServiceError

from plugins.solutions import services
from plugins.solutions.models import PIECE_KINDS

api_bp = Blueprint("api_solutions", __name__, url_prefix="/api/v1/solutions",
                   description="Solution library (方案库): products, material and proposals.")


def _require(permission: str) -> None:
    if not current_user.can(permission):
        api_abort(403, _("You may not do this."))


class IndustrySchema(ma.Schema):
    id = ma.fields.Int(required=True)
    name = ma.fields.Str(required=True)


class PriceRowSchema(ma.Schema):
    item = ma.fields.Str(required=True)
    spec = ma.fields.Str()
    unit = ma.fields.Str()
    unit_price = ma.fields.Str(required=True, metadata={"description": "Yuan, a decimal string."})
    quantity = ma.fields.Str()
    remark = ma.fields.Str()
    amount = ma.fields.Str(metadata={"description": "unit_price × quantity (in proposals)."})
    product = ma.fields.Str()


class PieceSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    kind = ma.fields.Str(metadata={"enum": list(PIECE_KINDS)})
    title = ma.fields.Str()
    version = ma.fields.Int(attribute="number", metadata={"description": "The published version number."})
    industry = ma.fields.Str(attribute="industry_name")
    body_html = ma.fields.Str(metadata={"description": "Sanitized HTML."})
    price_rows = ma.fields.List(ma.fields.Nested(PriceRowSchema))
    published_at = UtcDateTime()


class ProductSummarySchema(ma.Schema):
    id = ma.fields.Int(required=True)
    code = ma.fields.Str(required=True)
    name = ma.fields.Str(required=True)
    product_line = ma.fields.Str()
    summary = ma.fields.Str()
    industries = ma.fields.List(ma.fields.Nested(IndustrySchema))


class ProductSchema(ProductSummarySchema):
    material = ma.fields.Method("published_material")

    def published_material(self, product):
        live = [p.live for p in product.pieces if p.live is not None]
        return PieceSchema(many=True).dump(
            [{"id": v.piece_id, "kind": v.piece.kind, "title": v.title, "number": v.number,
              "industry_name": v.industry_name, "body_html": v.body_html, "price_rows": v.price_rows,
              "published_at": v.published_at} for v in live])


class ProductPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(ProductSummarySchema), required=True)


class ProductArgsSchema(PageArgsSchema):
    q = ma.fields.Str(validate=ma.validate.Length(max=100))
    industry_id = ma.fields.Int()
    product_line = ma.fields.Str(validate=ma.validate.Length(max=100))


class SectionSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    product_id = ma.fields.Int()
    position = ma.fields.Int()
    heading = ma.fields.Str()
    body_html = ma.fields.Str()
    removed = ma.fields.Bool()
    edited = ma.fields.Bool()
    price_rows = ma.fields.List(ma.fields.Nested(PriceRowSchema))


class ProposalSummarySchema(ma.Schema):
    id = ma.fields.Int(required=True)
    title = ma.fields.Str(required=True)
    recipient = ma.fields.Str()
    customer_id = ma.fields.Int(allow_none=True)
    prospect_name = ma.fields.Str()
    opportunity_id = ma.fields.Int(allow_none=True)
    product_ids = ma.fields.List(ma.fields.Int())
    state = ma.fields.Str(metadata={"enum": ["generating", "ready", "failed"]})
    job_key = ma.fields.Str(allow_none=True, metadata={"description": "While generating: GET /jobs/<key>?format=json."})
    generated_at = UtcDateTime(allow_none=True)
    updated_at = UtcDateTime()
    version = ma.fields.Int(required=True)


class ProposalSchema(ProposalSummarySchema):
    sections = ma.fields.List(ma.fields.Nested(SectionSchema))
    total = ma.fields.Method("price_total", metadata={"description": "Grand total of the price table, yuan."})

    def price_total(self, proposal):
        return f"{services.combined_prices(proposal)[1]:.2f}"


class ProposalPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(ProposalSummarySchema), required=True)


class ProposalArgsSchema(PageArgsSchema):
    q = ma.fields.Str(validate=ma.validate.Length(max=100))
    customer_id = ma.fields.Int()


class GenerateSchema(ma.Schema):
    product_ids = ma.fields.List(ma.fields.Int(), required=True)
    customer_id = ma.fields.Int(allow_none=True)
    prospect_name = ma.fields.Str(load_default="")
    industry_id = ma.fields.Int(allow_none=True)
    opportunity_id = ma.fields.Int(allow_none=True)


@api_bp.route("/products")
@api_login_required
@api_bp.arguments(ProductArgsSchema, location="query")
@api_bp.response(200, ProductPageSchema)
@documents_errors(api_bp, 401, 403)
def list_products(args):
    """Products of the library, filtered by words, industry and product line."""
    _require(services.USE)
    filters = services.ProductFilter(q=args.get("q"), industry_id=args.get("industry_id"),
                                     product_line=args.get("product_line"))
    return paginate(services.product_query(filters), args)


@api_bp.route("/products/<int:product_id>")
@api_login_required
@api_bp.response(200, ProductSchema)
@documents_errors(api_bp, 401, 403, 404)
def get_product(product_id: int):
    """One product with its published material (the versions proposals use)."""
    _require(services.USE)
    try:
        return services.get_product(product_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


@api_bp.route("/proposals")
@api_login_required
@api_bp.arguments(ProposalArgsSchema, location="query")
@api_bp.response(200, ProposalPageSchema)
@documents_errors(api_bp, 401, 403)
def list_proposals(args):
    """Proposals within the caller's data scope, newest first."""
    _require(services.USE)
    return paginate(services.proposal_query(services.ProposalFilter(q=args.get("q"),
                                                                    customer_id=args.get("customer_id"))), args)


def _proposal_or_404(proposal_id: int):
    try:
        return services.get_proposal(proposal_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


@api_bp.route("/proposals/<int:proposal_id>")
@api_login_required
@api_bp.response(200, ProposalSchema)
@documents_errors(api_bp, 401, 403, 404)
def get_proposal(proposal_id: int):
    """One proposal with its sections and price total."""
    _require(services.USE)
    return _proposal_or_404(proposal_id)


@api_bp.route("/proposals", methods=["POST"])
@api_login_required
@api_bp.arguments(GenerateSchema)
@api_bp.response(201, ProposalSchema)
@documents_errors(api_bp, 400, 401, 403, 404)
def generate(body):
    """Generate a proposal: products, and a customer (in your scope) or a prospect's name.

    More than five products are built by a background job: the answer has state "generating"
    and the job key to follow."""
    _require(services.USE)

    def run():
        request_ = services.check_request(current_user, product_ids=body["product_ids"],
                                          customer_id=body.get("customer_id"),
                                          prospect_name=body.get("prospect_name") or "",
                                          industry_id=body.get("industry_id"),
                                          opportunity_id=body.get("opportunity_id"))
        return services.generate_proposal(current_user, request_)

    return commit_service_call(run)


@api_bp.route("/proposals/<int:proposal_id>/document")
@api_login_required
@api_bp.response(200, {"format": "binary", "type": "string"},
                 content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
@documents_errors(api_bp, 401, 403, 404, 409)
def document(proposal_id: int):
    """The proposal as a .docx."""
    _require(services.USE)
    proposal = _proposal_or_404(proposal_id)
    try:
        data = services.proposal_docx(proposal)
    except ServiceError as exc:
        raise from_service_error(exc) from None
    response = send_file(io.BytesIO(data), as_attachment=True, download_name=services.docx_filename(proposal),
                         mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
