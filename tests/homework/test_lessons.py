"""The lesson search of the assign dialog."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient, Practice
from tests.graph_data import add_catalogue

LESSONS = """query($s: String, $f: Int) { lessons(search: $s, first: $f) {
  id title module { id title } } }"""


async def titles(gql: GraphQLClient, token: str, search: str | None, first: int = 20) -> list[str]:
    data = await gql.data(LESSONS, {"s": search, "f": first}, token=token)
    return [lesson["title"] for lesson in data["lessons"]]


@pytest.fixture
async def coach_token(practice: Practice) -> str:
    await add_catalogue(
        practice.resources.db,
        {
            "Breathing": ["Box Breathing", "Deep Rest"],
            "Mindfulness Basics": ["Breathing", "Mindful Breathing", "Body Scan"],
            "Sleep": ["Rebreathing Patterns", "Sleep Hygiene", "100% Rest_Day"],
        },
    )
    return await practice.token(await practice.coach())


async def test_best_matches_first_exact_prefix_word_prefix_substring(
    gql: GraphQLClient, coach_token: str
) -> None:
    assert await titles(gql, coach_token, "breathing") == [
        "Breathing",  # exact lesson title
        "Box Breathing",  # module title "Breathing" is exact too, after the lesson's own
        "Deep Rest",  # (same module)
        "Mindful Breathing",  # word prefix in the lesson title
        "Rebreathing Patterns",  # substring
    ]


async def test_search_is_case_insensitive_and_matches_module_titles(
    gql: GraphQLClient, coach_token: str
) -> None:
    # The module title "Sleep" is an exact match for all three, which beats the lesson-title
    # prefix of "Sleep Hygiene"; equal matches keep catalogue order.
    assert await titles(gql, coach_token, "  SLEEP ") == [
        "Rebreathing Patterns",
        "Sleep Hygiene",
        "100% Rest_Day",
    ]
    assert await titles(gql, coach_token, "hyg") == ["Sleep Hygiene"]


async def test_wildcards_in_a_search_match_literally(gql: GraphQLClient, coach_token: str) -> None:
    assert await titles(gql, coach_token, "100%") == ["100% Rest_Day"]
    assert await titles(gql, coach_token, "t_d") == ["100% Rest_Day"]
    assert await titles(gql, coach_token, "%") == ["100% Rest_Day"]


async def test_without_search_the_catalogue_comes_in_order(
    gql: GraphQLClient, coach_token: str
) -> None:
    assert await titles(gql, coach_token, None, first=4) == [
        "Box Breathing",
        "Deep Rest",
        "Breathing",
        "Mindful Breathing",
    ]
    assert await titles(gql, coach_token, "nothing like it") == []


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_first_outside_1_to_100_is_refused(
    gql: GraphQLClient, coach_token: str, first: int
) -> None:
    error = await gql.error(LESSONS, {"s": None, "f": first}, token=coach_token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_first_caps_the_number_of_lessons(gql: GraphQLClient, coach_token: str) -> None:
    assert len(await titles(gql, coach_token, None, first=100)) == 8
    assert len(await titles(gql, coach_token, "e", first=2)) == 2
