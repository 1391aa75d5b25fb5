"""The customer-care loop end to end, over HTTP (issue 5, "done means"):

    Metrics imported for the demo customers raise the right warnings on the next scan, the AM
    sees them on the homepage, handles one, and the customer's page shows the whole trail —
    warnings, logs (typed and automatic), intel and resources — in one place.

1. The province admin loads twelve months of indicators through the import pages (kind
   "warning.metrics", an .xlsx with the kind's Chinese column titles). Account managers may
   not load indicators (`warning.import_metrics` is a province/system admin right), so the
   data admin does it for them. am1's customer: revenue falls sharply in the last month,
   arrears age past the threshold and the balance runs low; am3's customer (the other
   county) only loses revenue.
2. The nightly scan raises exactly the rules the defaults in plugins/warning/rules.py make
   right (the arithmetic is spelt out below and pinned to those defaults); a second scan
   raises nothing new.
3. am1's homepage carries the "My open warnings" widget, which lists them; the inbox lists
   their to-dos.
4. am1 handles the revenue warning with the detail page's form: it is closed, so is its to-do.
5. am1 writes a typed visit log, records intel about the customer and asks for resources for
   it (a one-step approval chain and stock held by the county, set up as the resources
   tests do).
6. The customer page (/customers/<id>) holds the four sections; each is fetched from the URL
   the page names (as htmx does in the browser): the warning history (open and handled), the
   service trail (the typed visit and the automatic "Warning raised"/"Warning handled"
   entries, written by the worklog plugin from the events delivered after each commit —
   in-process in tests), the intel and the resource request.
7. am3, an AM of the other county, gets 404 for that customer's page, its sections and every
   record of the trail, and sees none of it in their own widget or inbox.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from plugins.intel import services as intel
from plugins.resources import services as resources
from plugins.warning import rules, services as warnings
from plugins.warning.imports import COLUMNS
from plugins.warning.models import CustomerWarning, Metric
from plugins.worklog import services as worklog
from plugins.worklog.models import WorkLog
from workbench.extensions import db
from workbench.imports.models import ImportRun
from workbench.inbox.models import TodoItem
from workbench.org.scope import system_scope

pytestmark = pytest.mark.plugins("opportunity", "warning", "intel", "worklog", "resources")

SECTIONS = {"warning.history": "Warnings and indicators", "worklog.trail": "Service trail",
            "intel.customer": "Competitive intelligence", "resources.requests": "Resources"}


def text(response) -> str:
    return response.get_data(as_text=True)


def default(rule: str, param: str) -> Decimal:
    return rules.all_rules()[rule].param(param).default_value


def twelve_months() -> list[str]:
    """The twelve months up to the last closed one ("YYYY-MM"), oldest first."""
    month = warnings.today().replace(day=1)
    months = []
    for _ in range(12):
        month = (month - timedelta(days=1)).replace(day=1)
        months.append(f"{month:%Y-%m}")
    return months[::-1]


def indicator_rows(code: str, months: list[str], last: dict, before_last: dict | None = None) -> list[list]:
    """One row per month in the kind's column order: a steady customer, then `before_last`
    for the month before the last and `last` for the last month."""
    rows = []
    for index, month in enumerate(months):
        figures = {"revenue": 100000, "traffic": 5000, "balance": 20000 - 1000 * index, "arrears": 0,
                   "arrears_days": 0, "members": 100}
        if index == len(months) - 2:
            figures.update(before_last or {})
        if index == len(months) - 1:
            figures.update(last)
        rows.append([code, month, "月", figures["revenue"], figures["traffic"], figures["balance"],
                     figures["arrears"], figures["arrears_days"], figures["members"], None])
    return rows


def workbook(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([column.chinese for column in COLUMNS])  # 客户编码, 账期, 周期类型, 收入, …
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def import_through_the_pages(client, filename: str, data: bytes) -> ImportRun:
    """Upload, accept the suggested columns, start; the job runs in-process after the commit."""
    uploaded = client.post("/imports/", data={"kind": "warning.metrics", "file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302 and uploaded.headers["Location"].endswith("/columns"), text(uploaded)
    with system_scope():
        run = db.session.execute(select(ImportRun).order_by(ImportRun.id.desc())).scalars().first()
        mapping = {f"column-{index}": key for index, key in run.mapping.items()}
    assert set(mapping.values()) == {column.key for column in COLUMNS}  # every title recognised
    started = client.post(uploaded.headers["Location"], data={**mapping, "action": "start"})
    assert started.status_code == 302, text(started)
    db.session.expire_all()
    with system_scope():
        return db.session.get(ImportRun, run.id)


def warnings_of(customer) -> dict[str, CustomerWarning]:
    db.session.expire_all()
    with system_scope():
        rows = db.session.execute(select(CustomerWarning).where(CustomerWarning.customer_id == customer.id)
                                  ).unique().scalars().all()
    return {row.rule: row for row in rows}


def handle_todos(warning_ids) -> dict[int, TodoItem]:
    """The AM's "handle a customer warning" to-do of each warning, by warning id."""
    db.session.expire_all()
    with system_scope():
        rows = db.session.execute(select(TodoItem).where(
            TodoItem.source_type == "warning_warning", TodoItem.kind == "warning.handle",
            TodoItem.source_id.in_([str(i) for i in warning_ids]))).scalars().all()
    return {int(row.source_id): row for row in rows}


def row_of(html: str, href: str) -> str:
    """The table row (<tr>…</tr>) of a section that links to `href`."""
    [row] = [row for row in html.split("<tr>") if f'href="{href}"' in row]
    return row.split("</tr>")[0]


def section_urls(page: str, customer_id: int) -> dict[str, str]:
    """The section URLs the customer page asks htmx to load, by section key."""
    found = re.findall(rf'hx-get="(/customers/{customer_id}/sections/([\w.]+))"', page)
    return {key: url for url, key in found}


@pytest.fixture
def care_setup(world):
    """The catalogues the forms need: the shipped competitor list, and a resource type whose
    one approval step is the county lead, with 50 customised notebooks held by am1's county."""
    with system_scope():
        intel.ensure_competitors()
        mobile = next(row for row in intel.competitors() if row.name == "中国移动")
        gift = resources.save_type(world.admin, {"code": "GIFT", "name": "礼品",
                                                 "steps": [{"role": "lead", "level": "county"}]})
        notebook = resources.save_item(world.admin, {"code": "LP-009", "name": "定制笔记本", "type_id": gift.id,
                                                     "measure": "本", "unit_value": "25.00"})
        stock = resources.open_stock(world.admin, notebook.id, world.county.id, quantity=50, reason="期初入库")
        db.session.commit()
        return {"competitor_id": mobile.id, "stock_id": stock.id}


def test_imported_metrics_end_as_one_trail_on_the_customers_page(world, care_setup, client_for):
    customer, theirs = world.customers["am1"], world.customers["am3"]
    am1, am3 = client_for(world.am1), client_for(world.outsider)
    months = twelve_months()

    # -- 1. the indicators come in through the import pages --------------------------------------
    # am1's customer in its last month: revenue 100,000 → 35,000; 8,000 yuan owed for 90 days;
    # a balance of 200. am3's customer: revenue 100,000 → 50,000, nothing else.
    rows = (indicator_rows(customer.code, months, before_last={"arrears": 6000, "arrears_days": 60},
                           last={"revenue": 35000, "balance": 200, "arrears": 8000, "arrears_days": 90})
            + indicator_rows(theirs.code, months, last={"revenue": 50000}))
    run = import_through_the_pages(client_for(world.admin), "客户指标.xlsx", workbook(rows))
    assert (run.state, run.created, run.failed) == ("done", 24, 0)
    with system_scope():
        assert len(db.session.execute(select(Metric).where(Metric.customer_id == customer.id)).scalars().all()) == 12

    # -- 2. the scan raises exactly what the defaults make right ---------------------------------
    # The defaults this arithmetic relies on (plugins/warning/rules.py):
    assert (default("revenue_change", "drop_pct"), default("revenue_change", "min_base")) == (30, 1000)
    assert (default("arrears", "days"), default("arrears", "min_amount")) == (60, 0)
    assert default("balance_low", "limit") == 1000
    assert (default("churn_risk", "min_score"), default("churn_risk", "high_score")) == (50, 70)
    assert {key: rules.CHURN_WEIGHTS[key] for key in ("revenue", "arrears", "balance")} == \
        {"revenue": 30, "arrears": 20, "balance": 10}
    # revenue −65 %: past −30 % and past twice that (−60 %) → high.
    # arrears 8,000 > 0 owed 90 days: ≥ 60 days but < 120 → medium.
    # balance 200 < 1,000 but not below zero → medium.
    # churn score: revenue 30 + arrears 20 + balance 10 = 60 ≥ 50 and < 70 → medium.
    # traffic and members steady, no contract end: nothing else. am3's customer: revenue −50 % → medium only.
    result = warnings.scan()
    db.session.commit()  # the warning.raised events are delivered now
    assert result.period == months[-1] and result.raised == 5
    raised = warnings_of(customer)
    assert {rule: w.severity for rule, w in raised.items()} == {
        "revenue_change": "high", "arrears": "medium", "balance_low": "medium", "churn_risk": "medium"}
    revenue = raised["revenue_change"]
    assert (Decimal(revenue.value), Decimal(revenue.baseline), Decimal(revenue.change_pct)) == \
        (Decimal("35000"), Decimal("100000"), Decimal("-65.00"))
    assert (Decimal(raised["arrears"].value), raised["arrears"].days) == (Decimal("8000"), 90)
    assert Decimal(raised["churn_risk"].value) == Decimal("60")
    assert {rule: w.severity for rule, w in warnings_of(theirs).items()} == {"revenue_change": "medium"}
    again = warnings.scan()
    db.session.commit()
    assert again.raised == 0 and len(warnings_of(customer)) == 4
    todos = handle_todos([w.id for w in raised.values()])
    assert {key: (todo.status, todo.owner_id) for key, todo in todos.items()} == \
        {w.id: ("open", world.am1.id) for w in raised.values()}

    # -- 3. am1's homepage widget and inbox ------------------------------------------------------
    assert 'hx-get="/homepage/widgets/warning.mine"' in text(am1.get("/"))
    widget = text(am1.get("/homepage/widgets/warning.mine"))
    assert 'data-testid="warning-widget-mine"' in widget
    for w in raised.values():
        assert f"/warning/{w.id}" in widget
        assert f"{customer.name} · {rules.rule_label(w.rule)}" in widget
    assert theirs.name not in widget
    inbox = text(am1.get("/inbox/"))
    for w in raised.values():
        assert w.title in inbox and f'data-todo-id="{todos[w.id].id}"' in inbox
    assert warnings_of(theirs)["revenue_change"].title not in inbox

    # -- 4. am1 handles the revenue warning on its page ------------------------------------------
    detail = text(am1.get(f"/warning/{revenue.id}"))
    assert 'data-testid="handle-form"' in detail and f'name="version" value="{revenue.version}"' in detail
    handled = am1.post(f"/warning/{revenue.id}/handle", data={
        "action": "visited", "outcome": "in_progress", "note": "拜访财务处，客户同意本月补缴欠费并续签专线",
        "version": str(revenue.version)})
    assert handled.status_code == 302 and handled.headers["Location"].endswith(f"/warning/{revenue.id}")
    assert 'data-testid="warning-handling"' in text(am1.get(f"/warning/{revenue.id}"))
    now = warnings_of(customer)
    assert now["revenue_change"].status == "handled" and now["revenue_change"].handled_by_id == world.am1.id
    assert {rule: w.status for rule, w in now.items() if rule != "revenue_change"} == \
        {"arrears": "open", "balance_low": "open", "churn_risk": "open"}
    statuses = {key: todo.status for key, todo in handle_todos([w.id for w in now.values()]).items()}
    assert statuses.pop(revenue.id) == "done" and set(statuses.values()) == {"open"}
    assert f'data-todo-id="{todos[revenue.id].id}"' not in text(am1.get("/inbox/"))
    assert f"/warning/{revenue.id}" not in text(am1.get("/homepage/widgets/warning.mine"))

    # -- 5. a typed visit log, an intel item and a resource request ------------------------------
    happened = worklog.to_local(worklog.utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    logged = am1.post("/worklog/new", data={
        "kind": "visit", "customer_id": str(customer.id), "happened_at": happened,
        "content": "上门拜访财务处：收入下滑因专线迁移，约定下周补缴欠费", "contacts_text": "李处长",
        "next_step": "", "follow_up_on": ""})
    assert logged.status_code == 302, text(logged)
    log_id = int(logged.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    recorded = am1.post("/intel/new", data={
        "title": "移动以免费试用争抢该客户专线", "competitor_id": str(care_setup["competitor_id"]),
        "customer_id": str(customer.id), "customer_search": customer.name, "opportunity_id": "",
        "product": "5G行业专网", "offer": "前三个月免费", "source": "visit", "source_detail": "财务处李处长",
        "observed_on": intel.today().isoformat(), "description": "客户透露移动多次上门报价"})
    assert recorded.status_code == 302, text(recorded)
    intel_id = int(recorded.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    requested = am1.post("/resources/requests/new", data={
        "customer_id": str(customer.id), "customer_search": customer.name, "title": "挽留走访答谢礼品",
        "purpose": "走访财务处，稳定客户", "lines-0-stock_id": str(care_setup["stock_id"]), "lines-0-quantity": "4",
        "lines-1-stock_id": "", "lines-1-quantity": "", "lines-2-stock_id": "", "lines-2-quantity": ""})
    assert requested.status_code == 302, text(requested)
    request_id = int(requested.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with system_scope():
        request_code = resources.get_request(request_id).code

    # -- 6. the customer's page: the whole trail in one place ------------------------------------
    page = am1.get(f"/customers/{customer.id}")
    assert page.status_code == 200
    page = text(page)
    urls = section_urls(page, customer.id)
    assert set(SECTIONS) <= set(urls)
    for key, title in SECTIONS.items():
        assert f'id="section-{key}"' in page and title in page
    sections = {key: am1.get(urls[key]) for key in SECTIONS}
    assert {key: response.status_code for key, response in sections.items()} == {key: 200 for key in SECTIONS}
    sections = {key: text(response) for key, response in sections.items()}

    history = sections["warning.history"]
    assert 'data-testid="warning-section"' in history
    for rule, w in now.items():  # every warning with its status: one handled, three still open
        row = row_of(history, f"/warning/{w.id}")
        assert str(rules.rule_label(rule)) in row
        assert ("Handled" if rule == "revenue_change" else "Open") in row
    assert "From 100,000.00 to 35,000.00 (-65.0%; threshold −30%)." in history
    assert theirs.name not in history

    trail = sections["worklog.trail"]
    assert "上门拜访财务处：收入下滑因专线迁移" in trail and f"/worklog/{log_id}" in trail
    for w in now.values():
        assert f"Warning raised: {w.title}" in trail
    assert f"Warning handled: {revenue.title}" in trail
    assert trail.count("Warning handled:") == 1
    with system_scope():
        automatic = db.session.execute(select(WorkLog.event_name).where(
            WorkLog.customer_id == customer.id, WorkLog.system.is_(True))).scalars().all()
    assert sorted(automatic) == ["warning.handled"] + ["warning.raised"] * 4  # each event written once

    intel_section = sections["intel.customer"]
    assert 'data-testid="intel-section"' in intel_section
    assert "移动以免费试用争抢该客户专线" in intel_section and f"/intel/{intel_id}" in intel_section

    resources_section = sections["resources.requests"]
    assert 'data-testid="resources-section"' in resources_section
    assert "挽留走访答谢礼品" in resources_section and request_code in resources_section
    assert "定制笔记本×4" in resources_section and "100.00" in resources_section

    # -- 7. an AM of the other county sees none of it --------------------------------------------
    assert am3.get(f"/customers/{customer.id}").status_code == 404
    assert {key: am3.get(url).status_code for key, url in urls.items()} == {key: 404 for key in urls}
    for url in [*(f"/warning/{w.id}" for w in now.values()), f"/worklog/{log_id}", f"/intel/{intel_id}",
                f"/resources/requests/{request_id}"]:
        assert am3.get(url).status_code == 404, url
    assert am3.post(f"/warning/{now['arrears'].id}/handle", data={
        "action": "called", "outcome": "resolved", "note": "", "version": "1"}).status_code == 404
    assert warnings_of(customer)["arrears"].status == "open"
    their_widget = text(am3.get("/homepage/widgets/warning.mine"))
    assert f"{theirs.name} · Revenue change" in their_widget  # their own warning is there …
    assert customer.name not in their_widget  # … and nothing of am1's customer
    their_inbox = text(am3.get("/inbox/"))
    assert customer.name not in their_inbox
    assert not any(f'data-todo-id="{todo.id}"' in their_inbox for todo in todos.values())
