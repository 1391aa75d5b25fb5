"""The core's import kinds: customers, their contacts and member numbers, org units, users.

Each declares its columns (the Chinese template names and the aliases people write) and the
importer that checks and saves a row. `register_core_kinds(app)` runs from the imports
package's `workbench_init_app`, exactly as a plugin registers its own kinds.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from workbench.imports.columns import Column
from workbench.imports.kinds import ImportKind, register_import_kind
from workbench.imports.rows import ContactRows, CustomerRows, MemberRows, UnitRows, UserRows

CUSTOMER_COLUMNS = (
    Column("code", "客户编码", _l("Customer code"), required=True, aliases=("customer_code", "集团编码"),
           hint=_l("Unique; an existing code updates that customer."), max_length=64, text=True,
           sample="C0000123"),
    Column("name", "客户名称", _l("Name"), required=True, aliases=("customer_name", "集团名称"), max_length=200,
           sample="江城市示例科技有限公司"),
    Column("industry", "行业", _l("Industry"), max_length=100, sample="信息技术"),
    Column("level", "客户级别", _l("Level"), aliases=("级别",), hint=_l("A, B, C or D (new customers: C)."),
           sample="B"),
    Column("owner", "客户经理", _l("Account manager"), aliases=("owner_username", "account_manager"),
           hint=_l("The account manager's username."), text=True, sample="am1"),
    Column("org_unit", "所属单位", _l("Unit"), aliases=("unit", "unit_code", "单位编码"),
           hint=_l("Unit code; when empty, the account manager's unit."), text=True, sample="G-BJ1"),
    Column("address", "地址", _l("Address"), max_length=300, sample="江城市滨江路1号"),
)

CONTACT_COLUMNS = (
    Column("customer_code", "客户编码", _l("Customer code"), required=True, aliases=("code", "集团编码"),
           hint=_l("The customer the contact belongs to; it must be in your scope."), max_length=64,
           text=True, sample="C0000123"),
    Column("name", "联系人", _l("Contact name"), required=True, aliases=("contact", "contact_name", "姓名",
                                                                          "联系人姓名"),
           hint=_l("With the customer code, identifies the contact: an existing one is updated."),
           max_length=100, sample="王经理"),
    Column("title", "职务", _l("Job title"), aliases=("job_title", "职位"), max_length=100, sample="信息中心主任"),
    Column("phone", "电话", _l("Phone"), type="phone", aliases=("mobile", "手机", "手机号", "联系电话"),
           max_length=32, text=True, sample="13800000000"),
    Column("email", "邮箱", _l("E-mail"), type="email", aliases=("e-mail", "电子邮箱"), max_length=200,
           sample="wang@example.com"),
    Column("is_key", "关键联系人", _l("Key contact"), type="boolean", aliases=("key_contact", "是否关键联系人"),
           hint=_l("是 or 否 (yes or no)."), sample="是"),
)

MEMBER_COLUMNS = (
    Column("customer_code", "客户编码", _l("Customer code"), required=True, aliases=("code", "集团编码"),
           hint=_l("The customer the number is billed to; it must be in your scope."), max_length=64,
           text=True, sample="C0000123"),
    Column("number", "成员号码", _l("Member number"), required=True, type="phone",
           aliases=("member_number", "号码", "手机号码"),
           hint=_l("With the customer code, identifies the member: an existing one is updated."),
           max_length=32, text=True, sample="13900000000"),
    Column("holder_name", "使用人", _l("Holder"), aliases=("holder", "姓名", "机主"), max_length=100, sample="李四"),
    Column("product", "产品", _l("Product"), aliases=("套餐", "产品名称"), max_length=100, sample="集团V网"),
    Column("active", "在用", _l("Active"), type="boolean", aliases=("是否在用", "状态"),
           hint=_l("是 or 否 (yes or no); new numbers are active unless 否."), sample="是"),
)

UNIT_COLUMNS = (
    Column("code", "单位编码", _l("Unit code"), required=True, aliases=("unit_code",),
           hint=_l("Unique; an existing code updates that unit."), max_length=64, text=True, sample="G-NEW1"),
    Column("name", "单位名称", _l("Name"), required=True, aliases=("unit_name",), max_length=200,
           sample="示例网格"),
    Column("level", "层级", _l("Level"), required=True, aliases=("级别",),
           hint=_l("province, city, county or grid (省, 市, 县区, 网格)."), sample="网格"),
    Column("parent", "上级单位编码", _l("Parent unit code"), aliases=("parent_code", "上级单位"),
           hint=_l("Empty only for the province. The parent may appear further down the same file."),
           text=True, sample="X-BJ"),
)

USER_COLUMNS = (
    Column("username", "用户名", _l("Username"), required=True, aliases=("login", "账号"),
           hint=_l("Unique; an existing username updates that person."), max_length=64, text=True,
           sample="zhangsan"),
    Column("display_name", "姓名", _l("Name"), aliases=("name",), max_length=100, sample="张三"),
    Column("email", "邮箱", _l("E-mail"), type="email", aliases=("e-mail", "电子邮箱"), max_length=255,
           sample="zhangsan@example.com"),
    Column("phone", "手机", _l("Phone"), type="phone", aliases=("mobile", "手机号", "电话"), max_length=32,
           text=True, sample="13800000000"),
    Column("org_unit", "所属单位", _l("Unit"), required=True, aliases=("unit", "unit_code", "单位编码"),
           hint=_l("Unit code."), text=True, sample="G-BJ1"),
    Column("roles", "角色", _l("Roles"), required=True, aliases=("role",),
           hint=_l("Role names separated by commas, 、 or semicolons."), sample="account_manager"),
    Column("password", "初始密码", _l("Initial password"), aliases=("密码", "initial_password"),
           hint=_l("Optional; used only when the account is created."), text=True, secret=True),
)

CORE_KINDS = (
    ImportKind("customers", _l("Customers"), CUSTOMER_COLUMNS, CustomerRows, permission="customers.import",
               key_columns=("code",), order=10,
               description=_l("Group customers by customer code: new codes are created, known ones updated.")),
    ImportKind("contacts", _l("Customer contacts"), CONTACT_COLUMNS, ContactRows, permission="customers.edit",
               key_columns=("customer_code", "name"), order=20,
               description=_l("Contacts of customers in your scope, by customer code and contact name.")),
    ImportKind("members", _l("Member numbers"), MEMBER_COLUMNS, MemberRows, permission="customers.import",
               key_columns=("customer_code", "number"), order=30,
               description=_l("Member numbers of customers in your scope, by customer code and number.")),
    ImportKind("units", _l("Org units"), UNIT_COLUMNS, UnitRows, permission="admin.org",
               key_columns=("code",), order=80,
               description=_l("Units of the organisation, by unit code; parents are created first.")),
    ImportKind("users", _l("Users"), USER_COLUMNS, UserRows, permission="admin.users",
               key_columns=("username",), order=90,
               description=_l("People with their unit and roles, by username.")),
)


def register_core_kinds(app) -> None:
    for kind in CORE_KINDS:
        register_import_kind(app, kind)
