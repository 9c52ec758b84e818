"""Offset pagination shared by the console and the API."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from .problems import Invalid

MAX_PER_PAGE = 200


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_dict(self, convert=lambda x: x) -> dict:
        return {"items": [convert(i) for i in self.items], "page": self.page, "per_page": self.per_page,
                "total": self.total, "pages": self.pages}


def page_args(args, default: int = 50) -> tuple[int, int]:
    try:
        page = int(args.get("page", 1))
        per_page = int(args.get("per_page", default))
    except (TypeError, ValueError):
        raise Invalid("page and per_page must be integers") from None
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid(f"page >= 1 and 1 <= per_page <= {MAX_PER_PAGE}")
    return page, per_page


def paginate(s, stmt, page: int, per_page: int, scalars: bool = True) -> Page:
    total = s.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = s.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    return Page(list(rows.scalars() if scalars else rows), page, per_page, total or 0)
