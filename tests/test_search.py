"""Every search is case- and accent-insensitive through a stored, folded search key (clients,
consents, lessons), on whichever engine the suite runs (SQLite, or PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import col

from coach_graph.accounts.models import Role, User
from coach_graph.clients.models import ConsentStatus
from coach_graph.db import Database
from coach_graph.homework.models import Lesson, Module
from coach_graph.migrating import alembic_config, run_alembic_upgrade
from coach_graph.search import KEY_LENGTH, fold, search_key
from tests.conftest import GraphQLClient, Practice
from tests.graph_data import add_catalogue

CLIENTS = """query($q: String) { clients(search: $q) { edges { node { name } } } }"""
CONSENTS = """query($q: String) { consents(search: $q) { clientName } }"""
LESSONS = """query($q: String) { lessons(search: $q) { title } }"""


def test_folding_drops_case_and_accents_and_compatibility_forms() -> None:
    assert fold("Zoë") == "zoe"
    assert fold("JOSÉ") == "jose"
    assert fold("\uff3a\uff4f\uff45") == "zoe"  # full-width letters (NFKD)
    assert fold("Zoe\u0308") == "zoe"  # already decomposed
    assert fold("Ångström") == "angstrom"
    assert search_key("Zoë Adams", None, "zoe@x.test") == "zoe adams\x1fzoe@x.test"


@pytest.fixture
async def coach_token(practice: Practice) -> str:
    coach = await practice.coach()
    await practice.client(coach, "Zoë Adams", email="zoe@example.test")
    await practice.client(coach, "José Núñez", email="jn@example.test")
    await practice.client(coach, "Zoltan Kiss", email="zk@example.test")
    await practice.client(coach, "Renée Pending", ConsentStatus.PENDING, email="rp@b\u00e9.test")
    other = await practice.coach()
    await practice.client(other, "Zoë Elsewhere")
    return await practice.token(coach)


async def _client_names(gql: GraphQLClient, token: str, search: str) -> list[str]:
    data = await gql.data(CLIENTS, {"q": search}, token=token)
    return sorted(edge["node"]["name"] for edge in data["clients"]["edges"])


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ("zoe", ["Zoë Adams"]),
        ("ZOË", ["Zoë Adams"]),
        ("JOSE", ["José Núñez"]),
        ("nunez", ["José Núñez"]),
        ("Jose\u0301 N", ["José Núñez"]),  # a decomposed accent in the search itself
        ("zo", ["Zoltan Kiss", "Zoë Adams"]),
        ("@example.test", ["José Núñez", "Zoltan Kiss", "Zoë Adams"]),  # e-mail matches too
        ("zoe@", ["Zoë Adams"]),
        ("zoë_", []),  # `_` is literal, not a wildcard
    ],
)
async def test_client_search_ignores_case_and_accents(
    gql: GraphQLClient, coach_token: str, search: str, names: list[str]
) -> None:
    assert await _client_names(gql, coach_token, search) == names


async def test_the_name_and_email_never_run_into_each_other(
    gql: GraphQLClient, coach_token: str
) -> None:
    # "Adams" followed by "zoe@": a match may not span the name and the e-mail.
    assert await _client_names(gql, coach_token, "adamszoe") == []
    assert await _client_names(gql, coach_token, "adams zoe") == []


async def test_consent_search_ignores_case_and_accents(
    gql: GraphQLClient, coach_token: str
) -> None:
    rows = (await gql.data(CONSENTS, {"q": "RENEE"}, token=coach_token))["consents"]
    assert [r["clientName"] for r in rows] == ["Renée Pending"]
    rows = (await gql.data(CONSENTS, {"q": "be.test"}, token=coach_token))["consents"]
    assert [r["clientName"] for r in rows] == ["Renée Pending"]


async def test_lesson_search_ignores_case_and_accents_in_lesson_and_module_titles(
    gql: GraphQLClient, practice: Practice
) -> None:
    await add_catalogue(
        practice.resources.db,
        {"Résumé Writing": ["Cover Letters"], "Basics": ["Café Talk", "Naïve Questions"]},
    )
    token = await practice.token(await practice.coach())

    async def titles(search: str) -> list[str]:
        return [
            x["title"] for x in (await gql.data(LESSONS, {"q": search}, token=token))["lessons"]
        ]

    assert await titles("CAFE") == ["Café Talk"]
    assert await titles("naive q") == ["Naïve Questions"]
    assert await titles("resume") == ["Cover Letters"]  # by its module's title
    assert await titles("cafe\u0301 talk") == ["Café Talk"]  # exact, written decomposed


async def test_a_name_that_folding_multiplies_is_stored_and_its_email_stays_searchable(
    practice: Practice, gql: GraphQLClient
) -> None:
    # U+FDFA folds to 18 characters: 200 of them would be 3,600, over the key's 600.
    coach = await practice.coach()
    await practice.client(coach, "\ufdfa" * 200, email="long.name@example.test")
    token = await practice.token(coach)
    data = await gql.data(CLIENTS, {"q": "LONG.NAME@"}, token=token)
    assert [edge["node"]["name"] for edge in data["clients"]["edges"]] == ["\ufdfa" * 200]
    key = search_key("\ufdfa" * 200, "long.name@example.test")
    assert len(key) == KEY_LENGTH and key.endswith("\x1flong.name@example.test")


@pytest.mark.parametrize("search", ["\u0301", "\u0301\u0308", "\u00b4", " \u00a8 ", "\u0301" * 3])
async def test_a_search_of_only_accents_or_combining_marks_is_bad_user_input(
    gql: GraphQLClient, coach_token: str, search: str
) -> None:
    for query in (CLIENTS, CONSENTS, LESSONS):
        error = await gql.error(query, {"q": search}, token=coach_token)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert "accents" in error["message"]


async def test_keys_follow_orm_updates_and_core_inserts(practice: Practice) -> None:
    db = practice.resources.db
    catalogue = await add_catalogue(db, {"Sleep": ["Rest"]})
    async with db.transaction() as session:
        await session.execute(
            sa.insert(User.__table__),  # type: ignore[attr-defined]
            [
                {
                    "role": Role.CLIENT.value,
                    "email": f"core{i}@x.test",
                    "name": f"Çore {i}",
                    "password_hash": "x",
                }
                for i in range(3)
            ],
        )
        module = await session.get(Module, catalogue.modules["Sleep"].id)
        assert module is not None
        module.title = "Sommeil Réparateur"  # a renamed module: its lessons are found by it
        user = await session.scalar(sa.select(User).where(col(User.email) == "core1@x.test"))
        assert user is not None
        user.name = "Ünïcode Renamed"
    async with db.session() as session:
        keys = (
            await session.scalars(
                sa.select(col(User.search_key))
                .where(col(User.email).like("core%"))
                .order_by(col(User.email))
            )
        ).all()
        assert keys == [
            "core 0\x1fcore0@x.test",
            "unicode renamed\x1fcore1@x.test",
            "core 2\x1fcore2@x.test",
        ]
        assert await session.scalar(sa.select(col(Module.title_key))) == "sommeil reparateur"
        assert await session.scalar(sa.select(col(Lesson.title_key))) == "rest"


async def test_the_migration_backfills_the_keys_of_existing_rows(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0009_messages_inbox"))
            await conn.execute(
                sa.text(
                    "INSERT INTO user_account (role, email, name, password_hash, time_zone, "
                    "is_premium, created_at) VALUES ('CLIENT', 'zoe@x.test', 'Zoë', 'x', 'UTC', "
                    "0, '2026-01-01 00:00:00')"
                )
            )
            await conn.execute(
                sa.text("INSERT INTO module (title, position) VALUES ('Évasion', 0)")
            )
            await conn.execute(
                sa.text("INSERT INTO lesson (module_id, title, position) VALUES (1, 'Açaí', 0)")
            )
            await conn.run_sync(run_alembic_upgrade)
            assert (
                await conn.execute(sa.text("SELECT search_key FROM user_account"))
            ).scalar() == ("zoe\x1fzoe@x.test")
            assert (
                await conn.execute(sa.text("SELECT title_key FROM module"))
            ).scalar() == "evasion"
            assert (await conn.execute(sa.text("SELECT title_key FROM lesson"))).scalar() == "acai"
    finally:
        await db.dispose()
