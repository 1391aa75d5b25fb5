"""Group customers over JSON: search within scope, one customer with contacts, and editing
with conflict detection. Rules live in workbench.customers.services; out-of-scope customers
answer 404 like missing ones."""
from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint

from workbench.api.auth import api_login_required
from workbench.api.errors import ApiError, api_abort, commit_service_call, documents_errors
from workbench.api.fields import UtcDateTime
from workbench.api.paging import PageArgsSchema, PageSchema, paginate
from workbench.customers import services
from workbench.customers.models import CUSTOMER_LEVELS, Customer
from workbench.errors import NotFound

bp = Blueprint(
    "api_customers", __name__, url_prefix="/api/v1/customers",
    description="Group customers (集团客户) within the caller's data scope.",
)

# Moving a customer to another owner or unit is a hand-over done by a lead, and the code is
# the customer's identity in the billing systems: none of them is editable here.
PROTECTED_FIELDS = ("owner_id", "org_unit_id", "code", "id")


class CustomerListArgsSchema(PageArgsSchema):
    q = ma.fields.Str(validate=ma.validate.Length(max=100),
                      metadata={"description": "Part of the name or the code."})
    industry = ma.fields.Str(validate=ma.validate.Length(max=100))
    level = ma.fields.Str(validate=ma.validate.OneOf(CUSTOMER_LEVELS))


class PersonSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    username = ma.fields.Str()
    name = ma.fields.Str()


class UnitRefSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    code = ma.fields.Str()
    name = ma.fields.Str()
    level = ma.fields.Str()


class CustomerSummarySchema(ma.Schema):
    id = ma.fields.Int(required=True)
    code = ma.fields.Str(required=True)
    name = ma.fields.Str(required=True)
    industry = ma.fields.Str()
    level = ma.fields.Str(metadata={"enum": list(CUSTOMER_LEVELS)})
    archived = ma.fields.Bool()
    owner = ma.fields.Nested(PersonSchema, allow_none=True)
    org_unit = ma.fields.Nested(UnitRefSchema)
    updated_at = UtcDateTime()
    version = ma.fields.Int(required=True, metadata={"description": "Send it back with changes."})


class ContactSchema(ma.Schema):
    id = ma.fields.Int(required=True)
    name = ma.fields.Str()
    title = ma.fields.Str()
    phone = ma.fields.Str()
    email = ma.fields.Str()
    is_key = ma.fields.Bool(metadata={"description": "A key person (关键人)."})


class CustomerSchema(CustomerSummarySchema):
    address = ma.fields.Str()
    notes = ma.fields.Str()
    created_at = UtcDateTime()
    contacts = ma.fields.List(ma.fields.Nested(ContactSchema))


class CustomerPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(CustomerSummarySchema), required=True)


class CustomerPatchSchema(ma.Schema):
    """Only the fields sent change. Content rules (name required, level A–D, lengths) are the
    service's, answered 400 with the field named; this schema checks the shape (422)."""

    name = ma.fields.Str(metadata={"maxLength": 200})
    industry = ma.fields.Str(metadata={"maxLength": 100})
    level = ma.fields.Str(metadata={"enum": list(CUSTOMER_LEVELS)})
    address = ma.fields.Str(metadata={"maxLength": 300})
    notes = ma.fields.Str()
    version = ma.fields.Int(required=True, metadata={
        "description": "The version you read; 409 if the customer changed since."})

    @ma.pre_load
    def refuse_protected_fields(self, data, **_kwargs):
        # Refused outright with 403 (not silently dropped, not "unknown field"): the client
        # must learn that this change needs a hand-over by a lead.
        if isinstance(data, dict):
            sent = [name for name in PROTECTED_FIELDS if name in data]
            if sent:
                message = _("Owner, unit and code cannot be changed here.")
                raise ApiError(403, message, {name: [message] for name in sent})
        return data

    @ma.validates_schema
    def needs_a_change(self, data, **_kwargs):
        if not set(data) - {"version"}:
            raise ma.ValidationError(_("Send at least one field to change."))


def _customer_or_404(customer_id: int) -> Customer:
    try:
        return services.get_customer(customer_id)
    except NotFound as exc:
        api_abort(404, str(exc.message))


@bp.route("")
@api_login_required
@bp.arguments(CustomerListArgsSchema, location="query")
@bp.response(200, CustomerPageSchema)
@documents_errors(bp, 401, 403)
def list_customers(args):
    """Customers the caller may see, by level then name; archived ones are left out."""
    filters = services.CustomerFilter(q=args.get("q"), industry=args.get("industry"),
                                      level=args.get("level"))
    return paginate(services.customer_query(filters), args)


@bp.route("/<int:customer_id>")
@api_login_required
@bp.response(200, CustomerSchema)
@documents_errors(bp, 401, 403, 404)
def get_customer(customer_id: int):
    """One customer with its contacts."""
    return _customer_or_404(customer_id)


@bp.route("/<int:customer_id>", methods=["PATCH"])
@api_login_required
@bp.arguments(CustomerPatchSchema)
@bp.response(200, CustomerSchema)
@documents_errors(bp, 400, 401, 403, 404, 409)
def update_customer(body, customer_id: int):
    """Change some fields of a customer.

    `version` must be the one read: 409 when someone changed the customer since, and nothing
    is saved. 400 names the field that breaks a rule; 403 for owner_id, org_unit_id or code
    (moving a customer is a hand-over) or without the customers.edit permission.
    """
    customer = _customer_or_404(customer_id)
    values = {name: value for name, value in body.items() if name != "version"}
    return commit_service_call(
        lambda: services.update_customer(current_user, customer, values, body["version"])
    )
