"""Org units stored with a materialised path so "this unit and below" is one prefix match."""
from __future__ import annotations

import enum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.audit.models import Audited
from workbench.extensions import db
from workbench.records import TimestampMixin


class UnitLevel(str, enum.Enum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    GRID = "grid"

    @property
    def depth(self) -> int:
        return list(UnitLevel).index(self)


class OrgUnit(Audited, TimestampMixin, db.Model):
    __tablename__ = "org_unit"
    __audit_exclude__ = ("path",)  # derived from the parent, whose change is recorded
    __audit_permission__ = "admin.org"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # "/1/4/17/": ids from the root down to this unit, each followed by "/".
    path: Mapped[str] = mapped_column(String(512), nullable=False, index=True, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    parent: Mapped["OrgUnit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["OrgUnit"]] = relationship(
        back_populates="parent", order_by="OrgUnit.sort_order, OrgUnit.name"
    )

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def is_within(self, other: "OrgUnit") -> bool:
        """True when this unit is `other` or lies below it."""
        return self.path.startswith(other.path)

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code} {self.name}>"
