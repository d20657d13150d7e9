"""A compiled plan answers exactly what graphql-core answers: each test runs one operation on the
library schema twice (compiled, and graphql-core alone) and compares the JSON, and says which
way the compiled side went (compiled, or graphql-core after a fallback)."""

from __future__ import annotations

import asyncio

from graphql import parse
from graphql.execution import Executor

from coach_graph.execution import EXECUTIONS, PlanCache, first_difference
from coach_graph.execution.check import COMPILED, FELL_BACK, NOT_A_QUERY, NOT_COMPILED
from tests.execution.library import COMPILED as COMPILED_SCHEMA
from tests.execution.library import Answers, answers, as_json

NOTE = "id text writtenAt mood tags score shout length"


def same(result: Answers) -> None:
    assert as_json(result.compiled) == as_json(result.reference)


async def test_plain_fields_methods_enums_datetimes_and_nulls_are_compiled() -> None:
    result = await answers(f"{{ people {{ name age notes {{ {NOTE} }} friend {{ name }} }} }}")
    same(result)
    assert result.paths == {COMPILED: 1}
    assert result.compiled.data is not None
    ada, bob = result.compiled.data["people"]
    assert ada["notes"][0] == {
        "id": "1",
        "text": "first",
        "writtenAt": "2026-03-01T09:30:00Z",
        "mood": "CALM",
        "tags": ["t1", "shared"],
        "score": None,
        "shout": "FIRST",
        "length": 5,
    }
    assert bob == {"name": "Bob", "age": None, "notes": [], "friend": {"name": "Ada"}}


async def test_aliases_and_typename_keep_the_order_asked() -> None:
    result = await answers(
        "{ b: people { n: name __typename t: __typename } open a: people { name } }"
    )
    same(result)
    assert result.paths == {COMPILED: 1}
    assert result.compiled.data is not None
    assert list(result.compiled.data) == ["b", "open", "a"]
    assert result.compiled.data["b"][0] == {"n": "Ada", "__typename": "Person", "t": "Person"}


async def test_named_and_inline_fragments_merge_into_one_selection() -> None:
    result = await answers(
        """{ people { ...Who ... on Person { notes { mood } age } name notes { id } } }
        fragment Who on Person { name notes { text ...More } }
        fragment More on Note { tags shout }"""
    )
    same(result)
    assert result.paths == {COMPILED: 1}
    assert result.compiled.data is not None
    assert result.compiled.data["people"][0]["notes"][0] == {
        "text": "first",
        "tags": ["t1", "shared"],
        "shout": "FIRST",
        "mood": "CALM",
        "id": "1",
    }


async def test_nested_lists_and_lists_of_lists() -> None:
    result = await answers("{ people { grid notes { tags } friend { grid notes { id } } } }")
    same(result)
    assert result.paths == {COMPILED: 1}
    assert result.compiled.data is not None
    assert result.compiled.data["people"][0]["grid"] == [[1, 2], [], [3]]


async def test_arguments_literal_and_from_variables() -> None:
    query = """query($mood: Mood, $first: Int!, $name: String!) {
      person(name: $name) {
        calm: notesBy(mood: CALM) { id } some: notesBy(mood: $mood, first: $first) { id } }
      nobody: person(name: "Zed") { name } }"""
    for variables in ({"mood": "TENSE", "first": 1, "name": "Ada"}, {"first": 0, "name": "Bob"}):
        result = await answers(query, variables)
        same(result)
        assert result.paths == {COMPILED: 1}
    assert result.compiled.data == {"person": {"calm": [], "some": []}, "nobody": None}


async def test_skip_and_include_with_literals_and_variables() -> None:
    query = """query($yes: Boolean!, $no: Boolean!) { people {
      name @include(if: $yes) age @skip(if: $yes) ... on Person @include(if: $no) { notes { id } }
      friend @skip(if: false) { name @include(if: true) } open: name @skip(if: true) } }"""
    seen = []
    for yes, no in ((True, False), (False, True), (True, False)):
        result = await answers(query, {"yes": yes, "no": no})
        same(result)
        assert result.paths == {COMPILED: 1}
        assert result.compiled.data is not None
        seen.append(list(result.compiled.data["people"][0]))
    assert seen == [["name", "friend"], ["age", "notes", "friend"], ["name", "friend"]]


async def test_resolvers_get_graphql_cores_path_and_selected_fields() -> None:
    result = await answers("{ people { notes { where } asked: notes { where } } }")
    same(result)
    assert result.compiled.data is not None
    assert result.compiled.data["people"][1]["notes"] == []
    assert result.compiled.data["people"][0]["asked"][1] == {"where": "people.0.asked.1.where"}
    result = await answers('{ person(name: "Ada") { asked { fields ... on Asked { fields } } } }')
    same(result)
    assert result.paths == {COMPILED: 1}
    assert result.compiled.data == {"person": {"asked": {"fields": ["fields", "..."]}}}


async def test_a_level_of_loads_goes_out_as_one_batch() -> None:
    result = await answers("{ people { loaded friend { loaded } } }")
    same(result)
    assert result.paths == {COMPILED: 1}
    assert result.compiled_batches == [["Ada", "Bob"]]
    assert len(result.compiled_batches) <= len(result.reference_batches)


async def test_a_resolver_error_falls_back_to_graphql_cores_error_and_path() -> None:
    result = await answers("{ people(bad: true) { name notes { checked } } }")
    same(result)
    assert result.paths == {FELL_BACK: 1}
    assert result.compiled.errors is not None
    error = result.compiled.errors[0]
    assert error.message == "a bad note"
    assert error.path == ["people", 0, "notes", 1, "checked"]
    assert result.compiled.data is not None
    assert result.compiled.data["people"][0]["notes"] == [{"checked": "first"}, {"checked": None}]


async def test_a_null_for_a_non_null_field_propagates_as_graphql_core_says() -> None:
    result = await answers("{ people(bad: true) { name notes { required } } open }")
    same(result)
    assert result.paths == {FELL_BACK: 1}
    assert result.compiled.errors is not None
    assert result.compiled.errors[0].path == ["people", 0, "notes", 1, "required"]
    # Non-null all the way up (note, notes, person, people): the whole answer is null.
    assert result.compiled.data is None


async def test_introspection_and_mutations_go_to_graphql_core() -> None:
    result = await answers("{ __schema { queryType { name } } }")
    same(result)
    assert result.paths == {NOT_COMPILED: 1}
    result = await answers('mutation { echo(name: "x") }')
    same(result)
    assert result.paths == {NOT_A_QUERY: 1}


async def test_the_named_operation_of_a_document_runs() -> None:
    document = "query A { open } query B { people { name } }"
    for name in ("A", "B"):
        result = await answers(document, operation_name=name)
        same(result)
        assert result.paths == {COMPILED: 1}


async def test_concurrent_operations_each_get_their_own_answer() -> None:
    queries = [
        f'{{ person(name: "{name}") {{ name loaded notes {{ {NOTE} }} }} }}'
        for name in ("Ada", "Bob", "Zed") * 10
    ]
    before = EXECUTIONS[COMPILED]
    results = await asyncio.gather(*(answers(q) for q in queries))
    for result in results:
        same(result)
    assert EXECUTIONS[COMPILED] - before == len(queries)


def test_plans_are_kept_per_operation_and_the_cache_is_bounded() -> None:
    schema = COMPILED_SCHEMA._schema
    cache = PlanCache(size=3)
    documents = [parse(f"{{ a{i}: open }}") for i in range(5)]

    def executor(document_index: int) -> Executor:
        built = Executor.build(schema, documents[document_index])
        assert isinstance(built, Executor)
        return built

    first = cache.plan(executor(0))
    assert first is not None and cache.plan(executor(0)) is first
    for i in range(1, 5):
        cache.plan(executor(i))
    assert len(cache) == 3
    assert cache.plan(executor(0)) is not first  # evicted, compiled again


def test_first_difference_names_where_two_answers_part() -> None:
    def where(compiled: object, expected: object) -> str | None:
        found = first_difference(compiled, expected)
        return None if found is None else str(found)

    assert where({"a": [1, {"b": "x"}]}, {"a": [1, {"b": "x"}]}) is None
    assert where({"a": [1, {"b": "x"}]}, {"a": [1, {"b": "y"}]}) == "a.1.b: a different value"
    assert where({"a": 1, "b": 2}, {"b": 2, "a": 1}) == (
        "the answer: keys ['a', 'b'] instead of ['b', 'a']"
    )
    assert where({"a": True}, {"a": 1}) == "a: bool instead of int"
    assert where({"a": [1]}, {"a": [1, 2]}) == "a: 1 items instead of 2"
