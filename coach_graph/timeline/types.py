"""GraphQL types for a client's activity timeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry

from coach_graph.clients.access import ClientView
from coach_graph.gql import Info, PageInfo
from coach_graph.timeline import service
from coach_graph.timeline.service import TimelineKind

strawberry.enum(
    TimelineKind,
    description="What a timeline item stands for: journal entry (blue), lesson completion "
    "(green), lesson assignment (amber), survey submission (light blue).",
)


@strawberry.type(description="One thing a client did or was given, on their activity timeline.")
class TimelineItem:
    id: strawberry.ID
    kind: TimelineKind
    title: str
    description: str | None = strawberry.field(
        description="Journal: the analysis summary, else the entry's first 80 characters; "
        "lessons: the module; surveys: none."
    )
    occurred_at: datetime
    subject_id: strawberry.ID = strawberry.field(
        description="The journal entry, homework or survey submission this item stands for."
    )

    @classmethod
    def of(cls, item: service.TimelineItem) -> TimelineItem:
        return cls(
            id=strawberry.ID(item.id),
            kind=item.kind,
            title=item.title,
            description=item.description,
            occurred_at=item.occurred_at,
            subject_id=strawberry.ID(str(item.subject_id)),
        )


@strawberry.type(description="One timeline item and the cursor that points at it.")
class TimelineEdge:
    cursor: str
    node: TimelineItem


@strawberry.type(description="A page of a client's timeline, newest first (Relay cursors).")
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole timeline holds (all pages).")
    async def total_count(self) -> int:
        return await self._count()


@strawberry.type
class TimelineClientFields:
    """The timeline domain's fields of Client."""

    view: strawberry.Private[ClientView]

    @strawberry.field(
        description="Journal entries, lesson completions, lesson assignments and survey "
        "submissions, newest first. `first` is 1 to 100."
    )
    async def timeline(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> TimelineConnection:
        page = await service.timeline_page(
            info.context.loaders, self.view.coach_id, self.view.id, first, after
        )
        return TimelineConnection(
            edges=[TimelineEdge(cursor=c, node=TimelineItem.of(i)) for c, i in page.items],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
            _count=page.count,
        )
