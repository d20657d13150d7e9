"""GraphQL types for a client's activity timeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry

from coach_graph.auditing import AuditAction
from coach_graph.clients.access import ClientView
from coach_graph.gql import After, Edge, Info, PageInfo, PageSize, enum, requested_node_fields
from coach_graph.timeline import service
from coach_graph.timeline.service import TimelineKind

enum(
    TimelineKind,
    "What a timeline item stands for, with the colour the dashboard gives it.",
    {
        TimelineKind.JOURNAL_ENTRY: "The client wrote a journal entry (blue).",
        TimelineKind.LESSON_COMPLETED: "The client completed a lesson (green).",
        TimelineKind.LESSON_ASSIGNED: "The coach assigned a lesson (amber).",
        TimelineKind.SURVEY_SUBMITTED: "The client submitted a survey (light blue).",
    },
)


@strawberry.type(description="One thing a client did or was given, on their activity timeline.")
class TimelineItem:
    id: strawberry.ID = strawberry.field(
        description="The item's id, unique across kinds (an assignment and its completion are "
        "two items of one homework)."
    )
    kind: TimelineKind = strawberry.field(description="What the item stands for.")
    title: str = strawberry.field(
        description='A headline: "Journal entry", "Lesson completed: <lesson>", ...'
    )
    description: str | None = strawberry.field(
        description="Journal: the analysis summary, else the entry's first 80 characters; "
        "lessons: the module; surveys: none."
    )
    occurred_at: datetime = strawberry.field(description="When it happened.")
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
class TimelineEdge(Edge[TimelineItem]):
    """gql.Edge of a timeline item, under the contract's name."""


@strawberry.type(description="A page of a client's timeline, newest first (Relay cursors).")
class TimelineConnection:
    edges: list[TimelineEdge] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Whether and where the timeline goes on.")
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
        self,
        info: Info,
        first: PageSize = 50,
        after: After = None,
    ) -> TimelineConnection:
        page = await service.timeline_page(
            info.context.loaders, self.view.coach_id, self.view.id, first, after
        )
        # A journal item's description quotes the entry (or its analysis): a journal read.
        if any(i.kind is TimelineKind.JOURNAL_ENTRY for i in page.rows) and (
            "description" in requested_node_fields(info)
        ):
            info.context.audit_read(self.view.id, AuditAction.READ_JOURNAL)
        return TimelineConnection(
            edges=[TimelineEdge(row=i, page=page, item=TimelineItem.of(i)) for i in page.rows],
            page_info=PageInfo.of(page),
            _count=page.count,
        )
