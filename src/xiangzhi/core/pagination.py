"""One pagination for every list of the API: ``limit`` (at most MAX_LIMIT, more is a 422) and ``offset`` in, and
``{items, count, next}`` out, where ``count`` is the true number of rows and ``next`` the URL of the next page (null
on the last one). A keyset-paginated list (the case list) uses the same ``limit`` and ``next`` and leaves ``count``
null, because counting would cost what its keyset avoids.

    @router.get("/things", response={200: page_of(ThingOut), **ERRORS})
    def things(request, page: Query[PageIn]):
        return paginate(request, Thing.objects.order_by("id"), page, thing_out)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from pydantic import Field, create_model

from .schemas import TextIn

DEFAULT_LIMIT = 100
MAX_LIMIT = 200


class PageIn(TextIn):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}）")
    offset: int = Field(0, ge=0, le=2**31, description="跳过的条数")


@functools.cache
def page_of(item: type[Schema]) -> type[Schema]:
    """The page schema of ``item``: ``{items: [item], count, next}`` (one class per item type)."""
    return create_model(
        f"{item.__name__.removesuffix('Out')}Page", __base__=Schema,
        items=(list[item], ...),
        count=(int | None, Field(None, description="符合条件的总条数（游标分页的列表为 null）")),
        next=(str | None, Field(None, description="下一页的地址；没有下一页时为 null")),
    )


def next_url(request: HttpRequest, **params: Any) -> str:
    """This request's URL with ``params`` replacing its query parameters of the same name."""
    query = request.GET.copy()
    for key, value in params.items():
        query[key] = str(value)
    return f"{request.path}?{query.urlencode()}"


def paginate(request: HttpRequest, rows: QuerySet | Sequence, page: PageIn,
             out: Callable[[Any], Any] = lambda row: row) -> dict[str, Any]:
    """One page of ``rows`` (a queryset is counted and sliced in the database), each item made by ``out``."""
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    chunk = rows[page.offset: page.offset + page.limit]
    end = page.offset + page.limit
    return {"items": [out(row) for row in chunk], "count": count,
            "next": next_url(request, limit=page.limit, offset=end) if end < count else None}
