"""Fixtures of the solution library's tests: a curator and a small published library (three
products in two industries, every kind of piece), and helpers to generate proposals."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.support.factories import make_user
from workbench.audit.actor import acting_user
from workbench.extensions import db
from workbench.org.scope import acting_as, system_scope

from plugins.solutions import services


@dataclass
class Library:
    curator: object
    education: object
    health: object
    line: object      # 集团专线: cases in both industries, two price rows
    campus: object    # 智慧校园: education only
    cloud: object     # 云电脑


def publish(curator, piece):
    services.publish_piece(curator, piece, version=piece.version)


def add_product(curator, code, name, line, industries, *, prices, cases=()):
    product = services.create_product(curator, code=code, name=name, product_line=line,
                                      industry_ids=[i.id for i in industries])
    pieces = [
        services.create_piece(curator, product, kind="intro", title=f"{name}介绍", body_html=f"<p>{name}的产品介绍。</p>"),
        services.create_piece(curator, product, kind="functions", title="主要功能",
                              body_html="<ul><li>功能一</li><li>功能二</li></ul>"),
        services.create_piece(curator, product, kind="technical", title="技术方案", body_html=f"<p>{name}技术架构。</p>"),
        services.create_piece(curator, product, kind="prices", title="资费", price_rows=prices),
    ]
    for industry, title in cases:
        pieces.append(services.create_piece(curator, product, kind="case", title=title,
                                            body_html=f"<p>{title}的做法。</p>", industry_id=industry.id))
    for piece in pieces:
        publish(curator, piece)
    return product


@pytest.fixture
def library(app, world) -> Library:
    curator = make_user("knowledge_admin", world.province, "curator")
    with system_scope(), acting_user(curator):
        education = services.create_industry(curator, name="教育")
        health = services.create_industry(curator, name="医疗卫生")
        line = add_product(curator, "DL-1", "集团专线", "基础连接", [education, health],
                           prices=[{"item": "互联网专线", "spec": "100M", "unit": "条/月", "unit_price": "2800",
                                    "quantity": "2"},
                                   {"item": "开通费", "unit": "次", "unit_price": "3000.50"}],
                           cases=[(health, "医院专线案例"), (education, "学校专线案例")])
        campus = add_product(curator, "EDU-1", "智慧校园", "行业应用", [education],
                             prices=[{"item": "电子班牌", "unit": "块", "unit_price": "2600", "quantity": "10"}],
                             cases=[(education, "中学智慧校园案例")])
        cloud = add_product(curator, "CC-1", "云电脑", "云服务", [education],
                            prices=[{"item": "云电脑", "unit": "台/月", "unit_price": "89", "quantity": "5"}])
        db.session.commit()
    return Library(curator, education, health, line, campus, cloud)


def generate(user, products, **values):
    """Generate a proposal as `user` (without HTTP) and commit."""
    with acting_as(user.scope), acting_user(user):
        request = services.check_request(user, product_ids=[p.id for p in products], **values)
        proposal = services.generate_proposal(user, request)
        db.session.commit()
        return proposal.id
