"""A small strawberry schema with one of everything a compiled plan meets (plain fields, method
resolvers, resolvers with info and arguments, async resolvers, a DataLoader, enums, DateTime,
nested lists, nulls, a resolver that raises, a non-null field that answers null), served twice:
by graphql-core alone and through compiled plans, so a test can compare the two answers."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import ExecutionResult

from coach_graph.execution import EXECUTIONS
from coach_graph.gql import SCALAR_OVERRIDES
from coach_graph.patches.graphql_core import CompiledQueryExecutor


class Mood(Enum):
    CALM = "calm"
    TENSE = "tense"


strawberry.enum(Mood, description="How a note sounds.")


@dataclass
class Library:
    """One request's context: the loader's batches are counted."""

    batches: list[list[str]] = field(default_factory=list)
    loader: DataLoader[str, int] = field(init=False)

    def __post_init__(self) -> None:
        async def lengths(names: list[str]) -> list[int]:
            self.batches.append(list(names))
            return [len(n) for n in names]

        self.loader = DataLoader(load_fn=lengths)


@strawberry.type(description="A note.")
class Note:
    id: strawberry.ID
    text: str
    written_at: datetime
    mood: Mood
    tags: list[str]
    score: float | None

    @strawberry.field(description="The text, louder (a method taking only self).")
    def shout(self) -> str:
        return self.text.upper()

    @strawberry.field(description="Its length, after a turn of the loop (async).")
    async def length(self) -> int:
        await asyncio.sleep(0)
        return len(self.text)

    @strawberry.field(description="Raises for the note 'bad'.")
    def checked(self) -> str | None:
        if self.text == "bad":
            raise ValueError("a bad note")
        return self.text

    @strawberry.field(description="Null for the note 'bad', though it may not be.")
    def required(self) -> str:
        return None if self.text == "bad" else self.text  # type: ignore[return-value]

    @strawberry.field(description="Where it sits in the answer (reads info.path).")
    def where(self, info: strawberry.Info) -> str:
        return ".".join(str(p) for p in info.path.as_list())


@strawberry.type(description="The names of the fields asked of a field.")
class Asked:
    fields: list[str]


@strawberry.type(description="A person with notes.")
class Person:
    name: str
    age: int | None
    notes: list[Note]
    grid: list[list[int]]
    friend: Person | None = None

    @strawberry.field(description="The notes of one mood, at most `first` (arguments).")
    def notes_by(self, mood: Mood | None = None, first: int = 10) -> list[Note]:
        return [n for n in self.notes if mood is None or n.mood == mood][:first]

    @strawberry.field(description="The length of the name, through the request's DataLoader.")
    async def loaded(self, info: strawberry.Info[Library, None]) -> int:
        return await info.context.loader.load(self.name)

    @strawberry.field(description="What was asked of this field (reads info.selected_fields).")
    def asked(self, info: strawberry.Info) -> Asked:
        selections = info.selected_fields[0].selections
        return Asked(fields=[getattr(s, "name", "...") for s in selections])


def _note(i: int, text: str, mood: Mood) -> Note:
    return Note(
        id=strawberry.ID(str(i)),
        text=text,
        written_at=datetime(2026, 3, i, 9, 30, tzinfo=UTC),
        mood=mood,
        tags=[f"t{i}", "shared"],
        score=None if i % 2 else i / 4,
    )


def people(bad: bool = False) -> list[Person]:
    ada = Person(
        name="Ada",
        age=36,
        notes=[_note(1, "first", Mood.CALM), _note(2, "bad" if bad else "second", Mood.TENSE)],
        grid=[[1, 2], [], [3]],
    )
    bob = Person(name="Bob", age=None, notes=[], grid=[], friend=ada)
    return [ada, bob]


@strawberry.type(description="The library.")
class Query:
    @strawberry.field(description="Everyone; `bad` gives Ada a bad note.")
    async def people(self, bad: bool = False) -> list[Person]:
        await asyncio.sleep(0)
        return people(bad)

    @strawberry.field(description="One person, or null.")
    def person(
        self, name: Annotated[str, strawberry.argument(description="Their name.")]
    ) -> Person | None:
        return next((p for p in people() if p.name == name), None)

    @strawberry.field(description="Whether the viewer may read (a plain boolean).")
    def open(self) -> bool:
        return True


@strawberry.type(description="Changes.")
class Mutation:
    @strawberry.mutation(description="Echoes a name.")
    def echo(self, name: str) -> str:
        return name


REFERENCE = strawberry.Schema(query=Query, mutation=Mutation, scalar_overrides=SCALAR_OVERRIDES)
COMPILED = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    scalar_overrides=SCALAR_OVERRIDES,
    execution_context_class=CompiledQueryExecutor.for_schema(),
)


@dataclass
class Answers:
    """One operation answered by both schemas, with how the compiled side executed it."""

    compiled: ExecutionResult
    reference: ExecutionResult
    paths: Counter[str]
    compiled_batches: list[list[str]]
    reference_batches: list[list[str]]


def as_json(result: ExecutionResult) -> str:
    """The answer as it goes on the wire (keys in order), errors with message, path, locations."""
    errors = [e.formatted for e in result.errors or []]
    return json.dumps({"data": result.data, "errors": errors})


async def answers(
    query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None
) -> Answers:
    before = Counter(EXECUTIONS)
    compiled_context, reference_context = Library(), Library()
    compiled = await COMPILED.execute(
        query, variables, compiled_context, operation_name=operation_name
    )
    paths = Counter(EXECUTIONS)
    paths.subtract(before)
    reference = await REFERENCE.execute(
        query, variables, reference_context, operation_name=operation_name
    )
    return Answers(
        compiled,
        reference,
        +paths,
        compiled_context.batches,
        reference_context.batches,
    )
