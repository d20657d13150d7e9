"""GraphQL types and operations for modules, lessons and homework."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import datetime
from typing import Annotated

import strawberry

from coach_graph import clock
from coach_graph.clients.access import ClientView
from coach_graph.gql import Info, enum, load, parse_id
from coach_graph.homework import service
from coach_graph.homework.service import HomeworkItem, LessonItem
from coach_graph.homework.status import (
    HomeworkBadge,
    HomeworkStatus,
    homework_badge,
    homework_status,
)
from coach_graph.loaders import then

enum(
    HomeworkStatus,
    "Where an assignment stands.",
    {
        HomeworkStatus.COMPLETED: "The client finished the lesson (even after its expiry).",
        HomeworkStatus.ASSIGNED: "Pending: not completed, and its expiry (if any) not yet passed.",
        HomeworkStatus.OVERDUE: "Not completed and its expiry has passed.",
    },
)
enum(
    HomeworkBadge,
    "Status of a client's most recent assignment, as the My Clients table shows it; due days "
    "are days of the viewer's time zone.",
    {
        HomeworkBadge.COMPLETED: "The client finished it.",
        HomeworkBadge.ASSIGNED: "Pending, due later than tomorrow or with no expiry.",
        HomeworkBadge.DUE_TODAY: "Pending and it expires today.",
        HomeworkBadge.DUE_TOMORROW: "Pending and it expires tomorrow.",
        HomeworkBadge.OVERDUE: "Not completed and its expiry has passed.",
        HomeworkBadge.NONE: "Nothing has been assigned to the client.",
    },
)


@strawberry.type(description="A module of the lesson catalogue.")
class Module:
    id: strawberry.ID = strawberry.field(description="The module's id.")
    title: str = strawberry.field(description="The module's title.")


@strawberry.type(description="A lesson a coach can assign as homework.")
class Lesson:
    id: strawberry.ID = strawberry.field(
        description="The lesson's id: `lessonId` of `assignHomework`."
    )
    title: str = strawberry.field(description="The lesson's title.")
    module: Module = strawberry.field(description="The module the lesson belongs to.")

    @classmethod
    def of(cls, item: LessonItem | HomeworkItem) -> Lesson:
        return cls(
            id=strawberry.ID(str(item.lesson.id)),
            title=item.lesson.title,
            module=Module(id=strawberry.ID(str(item.module.id)), title=item.module.title),
        )


@strawberry.type(description="A lesson assigned to a client.")
class Homework:
    id: strawberry.ID = strawberry.field(description="The assignment's id.")
    lesson: Lesson = strawberry.field(description="The lesson assigned.")
    assigned_at: datetime = strawberry.field(description="When the coach assigned it.")
    expires_at: datetime | None = strawberry.field(description="Null when it does not expire.")
    completed_at: datetime | None = strawberry.field(description="When the client finished it.")
    status: HomeworkStatus = strawberry.field(description="Where the assignment stands now.")

    @classmethod
    def of(cls, item: HomeworkItem) -> Homework:
        hw = item.homework
        return cls(
            id=strawberry.ID(str(hw.id)),
            lesson=Lesson.of(item),
            assigned_at=hw.assigned_at,
            expires_at=hw.expires_at,
            completed_at=hw.completed_at,
            status=homework_status(hw, clock.now()),
        )


@strawberry.type
class HomeworkClientFields:
    """The homework domain's fields of Client."""

    view: strawberry.Private[ClientView]

    @staticmethod
    async def prime_columns(info: Info, views: Sequence[ClientView], asked: frozenset[str]) -> None:
        """My Clients' homeworkBadge column, loaded for the whole page at once (Loaders.prime)."""
        if "homeworkBadge" in asked:
            keys = [(v.coach_id, v.id) for v in views]
            await info.context.loaders.prime(service.latest_homework, keys)

    @strawberry.field(
        description="Status of the most recent assignment (by the viewing coach): COMPLETED, "
        "DUE_TODAY, DUE_TOMORROW, OVERDUE, ASSIGNED, or NONE.",
        graphql_type=HomeworkBadge,
    )
    def homework_badge(self, info: Info) -> HomeworkBadge | Awaitable[HomeworkBadge]:
        latest = info.context.loaders.now_or_later(
            service.latest_homework, (self.view.coach_id, self.view.id)
        )
        return then(latest, lambda h: homework_badge(h, clock.now(), self.view.time_zone))

    @strawberry.field(
        description="Every assignment (by the viewing coach), newest first, with lesson and module."
    )
    async def homework(self, info: Info) -> list[Homework]:
        items = await load(info, service.client_homework, (self.view.coach_id, self.view.id))
        return [Homework.of(item) for item in items]


@strawberry.type
class Query:
    @strawberry.field(
        description="Lessons for the assign dialog (coach). `search` matches the lesson or module "
        "title, case-insensitively, best first: exact, prefix, word prefix, substring. "
        "`first` is 1 to 100."
    )
    async def lessons(
        self,
        info: Info,
        search: Annotated[
            str | None,
            strawberry.argument(description="Text to find in lesson or module titles; none: all."),
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="How many lessons, 1 to 100.")
        ] = 20,
    ) -> list[Lesson]:
        items = await service.search_lessons(info.context.db, info.context.viewer, search, first)
        return [Lesson.of(item) for item in items]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Assign a lesson to one of your clients (coach). `expiresAt`, when given, must "
        "be at least one day in the future."
    )
    async def assign_homework(
        self,
        info: Info,
        client_id: Annotated[
            strawberry.ID, strawberry.argument(description="One of your clients.")
        ],
        lesson_id: Annotated[strawberry.ID, strawberry.argument(description="The lesson.")],
        expires_at: Annotated[
            datetime | None,
            strawberry.argument(description="When it expires; null: it does not."),
        ] = None,
    ) -> Homework:
        item = await service.assign_homework(
            info.context.db,
            info.context.viewer,
            parse_id(client_id, "client"),
            parse_id(lesson_id, "lesson"),
            expires_at,
        )
        return Homework.of(item)

    @strawberry.mutation(
        description="Mark your homework as done (client). Completing it again changes nothing and "
        "returns it with its first completion time."
    )
    async def complete_homework(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Your assignment.")],
    ) -> Homework:
        item = await service.complete_homework(
            info.context.db, info.context.viewer, parse_id(id, "homework")
        )
        return Homework.of(item)
