"""Benchmark data of the knowledge plugin (`workbench bench seed`) and the generator of Chinese
articles it shares with `benchmarks/knowledge_search.py`.

The articles are generated, reproducibly, from a built-in vocabulary of telecom knowledge
(products, processes, systems, places, industries): no downloads. At scale 1 the seeder
writes 50,000 of them into the category tree of the demo, with tags: most published (by the
knowledge admins, or experience shared by account managers, some about one of their
customers), some drafts and some waiting for review — each of those with the curator's
review to-do, as submitting one opens it — and a few archived.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

PRODUCTS = ["互联网专线", "数据专线", "云专线", "语音专线", "5G专网", "切片专网", "物联网卡", "天翼云", "移动云",
            "云电脑", "千兆宽带", "视频监控", "智慧校园", "智慧医疗", "智慧园区", "IDC机柜", "SD-WAN组网",
            "等保测评", "云视讯", "企业邮箱", "行业短信", "集团V网", "400电话", "云桌面", "算力网络"]
PROCESSES = ["开通流程", "报勘审核", "合同审核", "故障报修", "资费审批", "续约办理", "割接通知", "投诉处理",
             "商机录入", "商机认领", "方案评审", "竣工验收", "发票开具", "欠费催缴", "资源核查", "工单派发"]
SYSTEMS = ["工作台", "客户视图", "待办中心", "商机模块", "合同模块", "知识库", "方案库", "预警中心", "报表中心"]
KINDS = ["操作指南", "常见问题", "注意事项", "案例分享", "介绍", "规范", "要点", "经验总结", "处理办法", "清单"]
PLACES = ["滨江县", "临湖区", "海州经开区", "江城市", "城东新区", "高新园区", "港口片区"]
INDUSTRIES = ["医疗卫生", "教育", "政务", "金融", "制造业", "交通物流", "公用事业", "文化旅游"]
SENTENCES = [
    "{product}{process}需要客户经理提前与客户确认需求，并在{system}中登记。",
    "{place}{industry}客户办理{product}时，常见问题是{concern}，应先核对材料。",
    "审核人重点检查带宽、地址、资费与合同期限是否一致，缺少材料的退回并写明原因。",
    "{system}中打开待办，选择{process}任务，按页面提示填写后提交。",
    "跨地市{product}要两端分公司同时确认资源，预计{days}个工作日完成。",
    "{product}标准月租{price}元，折扣超出权限须走资费审批。",
    "案例：{place}某{industry}单位通过{product}解决了{concern}的问题，客户满意度明显提升。",
    "注意：{process}完成后三个工作日内回访客户，并在{system}记录回访结果。",
]
CONCERNS = ["带宽不足", "网络时延偏高", "资费偏高", "合同即将到期", "材料不全", "资源紧张", "视频会议卡顿"]


def make_articles(count: int, seed: int, now: datetime = datetime(2026, 11, 1)) -> list[dict]:
    """`count` articles (title, text, space, published_at, useful, tags: two of 1..40) made
    reproducibly from `seed`, published over the 900 days before `now`."""
    rng = random.Random(seed)
    articles = []
    for number in range(count):
        space = "system" if rng.random() < 0.3 else "business"
        if space == "system":
            title = f"{rng.choice(SYSTEMS)}{rng.choice(PROCESSES)}{rng.choice(KINDS)}"
        else:
            title = f"{rng.choice(PRODUCTS)}{rng.choice(PROCESSES)}{rng.choice(KINDS)}"
        sentences = []
        while sum(map(len, sentences)) < 350:
            sentences.append(rng.choice(SENTENCES).format(
                product=rng.choice(PRODUCTS), process=rng.choice(PROCESSES), system=rng.choice(SYSTEMS),
                place=rng.choice(PLACES), industry=rng.choice(INDUSTRIES), concern=rng.choice(CONCERNS),
                days=rng.randint(3, 20), price=rng.choice([800, 1800, 3000, 9800, 16000])))
        text = "\n".join(sentences)
        published = now - timedelta(days=rng.randint(0, 900), minutes=rng.randint(0, 1440))
        articles.append({"title": title, "text": text, "space": space, "published_at": published,
                         "useful": rng.randint(0, 60), "tags": rng.sample(range(1, 41), 2)})
    return articles


ARTICLES = 50_000
STATUS_MIX = {"published": 90, "draft": 4, "in_review": 3, "archived": 3}
TAGS = PRODUCTS[:20] + PROCESSES[:12] + ["案例", "入门", "资费", "故障", "报勘", "审核", "续约", "投诉"]


def seed(seeder) -> None:
    from plugins.knowledge import services
    from plugins.knowledge.demo import TREE
    from plugins.knowledge.models import article_tag

    rng = seeder.random("knowledge")
    count = seeder.count(ARTICLES)
    curators = seeder.with_role("knowledge_admin")
    managers = seeder.account_managers()
    categories = _categories(seeder, TREE)
    tags = _tags(seeder)
    table, revisions, todo_table = (seeder.table("knowledge_article"), seeder.table("knowledge_revision"),
                                    seeder.table("todo_item"))
    ids = seeder.new_ids(table, count)
    articles, links, revision_rows, todos = [], [], [], []
    statuses = rng.choices(list(STATUS_MIX), weights=list(STATUS_MIX.values()), k=count)
    for article_id, made, status in zip(ids, make_articles(count, rng.randrange(1 << 30), seeder.now), statuses):
        experience = made["space"] == "business" and rng.random() < 0.25
        author = rng.choice(managers) if experience else rng.choice(curators)
        customer_id = None
        if experience and rng.random() < 0.4 and seeder.customers_of(author):
            customer_id = rng.choice(seeder.customers_of(author)).id
        html = "<p>" + made["text"].replace("\n", "</p><p>") + "</p>"
        published = made["published_at"] if status in ("published", "archived") else None
        created = (published or seeder.now - timedelta(days=rng.randint(1, 30))) - timedelta(days=rng.randint(0, 5))
        articles.append({
            "id": article_id, "kind": "experience" if experience else "article", "space": made["space"],
            "category_id": rng.choice(categories[made["space"]]), "customer_id": customer_id, "status": status,
            "title": made["title"], "body_html": html, "body_text": made["text"],
            "published_title": made["title"] if published else None, "published_html": html if published else None,
            "published_text": made["text"] if published else None, "published_revision": 1 if published else 0,
            "published_at": published, "first_published_at": published,
            "submitted_at": created if status == "in_review" else None, "review_comment": "",
            "reviewer_id": curators[0] if published else None, "view_count": rng.randint(0, 400) if published else 0,
            "useful_count": made["useful"] if published else 0, "comment_count": 0,
            "owner_id": author, "org_unit_id": seeder.people[author].unit_id, "created_at": created,
            "updated_at": published or created, "version": 1})
        links.extend({"article_id": article_id, "tag_id": tags[number % len(tags)]} for number in made["tags"])
        if published:
            revision_rows.append({"article_id": article_id, "number": 1, "title": made["title"], "body_html": html,
                                  "body_text": made["text"], "note": "", "author_id": author,
                                  "approved_by_id": curators[0], "created_at": published})
        if status == "in_review":
            todos.append((article_id, made["title"], customer_id, created))
    seeder.report("knowledge articles", seeder.insert(table, articles))
    seeder.insert(article_tag, links)
    revision_ids = seeder.new_ids(revisions, len(revision_rows))
    seeder.insert(revisions, ({"id": i, **row} for i, row in zip(revision_ids, revision_rows)))
    todo_ids = seeder.new_ids(todo_table, len(todos))
    seeder.report("knowledge review to-dos", seeder.insert(todo_table, (
        seeder.open_todo_row(todo_id, kind=services.REVIEW_TODO, title=title[:200], owner_id=curators[0],
                             due_at=created + timedelta(days=3), link=f"/knowledge/articles/{article_id}",
                             customer_id=customer_id, source=(services.SOURCE_TYPE, article_id), created_at=created)
        for todo_id, (article_id, title, customer_id, created) in zip(todo_ids, todos))))


def _categories(seeder, tree: dict) -> dict[str, list[int]]:
    """The demo's category tree; returns the ids articles may be filed under, per space."""
    table = seeder.table("knowledge_category")
    rows, leaves = [], {}
    for space, top in tree.items():
        for order, (name, children) in enumerate(top.items()):
            parent_id = seeder.new_ids(table, 1)[0]
            rows.append({"id": parent_id, "space": space, "name": name, "parent_id": None, "order": order,
                         "active": True})
            if not children:
                leaves.setdefault(space, []).append(parent_id)
            for child_order, child in enumerate(children):
                child_id = seeder.new_ids(table, 1)[0]
                rows.append({"id": child_id, "space": space, "name": child, "parent_id": parent_id,
                             "order": child_order, "active": True})
                leaves.setdefault(space, []).append(child_id)
    seeder.insert(table, rows)
    return leaves


def _tags(seeder) -> list[int]:
    table = seeder.table("knowledge_tag")
    ids = seeder.new_ids(table, len(TAGS))
    seeder.insert(table, ({"id": tag_id, "name": name} for tag_id, name in zip(ids, TAGS)))
    return list(ids)
