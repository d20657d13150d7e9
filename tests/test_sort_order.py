"""Lists sorted by text (My Clients, consents, myCoaches, surveys) sort by the same case- and
accent-folded key on SQLite and PostgreSQL: by name, else e-mail, folded (`search.fold`), in
code-point order, then id. Walking My Clients one item at a time through `endCursor` finds
every client exactly once in that order, whatever the names (random Unicode, fixed seeds)."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from coach_graph.accounts.models import Role, User
from coach_graph.accounts.service import add_user
from coach_graph.clients.models import ConsentStatus
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.migrating import alembic_config, run_alembic_upgrade
from coach_graph.search import fold
from coach_graph.surveys.models import Survey
from tests.conftest import PASSWORD, GraphQLClient, Practice

CLIENTS_PAGE = """query($after: String) {
  clients(first: 1, after: $after) {
    edges { cursor node { id } } pageInfo { hasNextPage endCursor }
  }
}"""
CONSENTS = "{ consents { clientId } }"
MY_COACHES = "{ myCoaches { coach { id } } }"
SURVEYS = "{ surveys { id } }"

SEVEN = [
    "Émile Durand",
    "Ölund Berg",
    "Åsa Lind",
    "Çelik Ayd\u0131n",
    "adam ascii",
    "Zed Ascii",
    "Łucja Nowak",
]
# Folded and in code-point order: Ł has no decomposition, so it stays a letter after "z".
SEVEN_IN_ORDER = [
    "adam ascii",
    "Åsa Lind",
    "Çelik Ayd\u0131n",
    "Émile Durand",
    "Ölund Berg",
    "Zed Ascii",
    "Łucja Nowak",
]

# Words whose folds collide, differ only by case or accents, or expand (ß, ﬁ, ǅ).
WORDS = [
    *("adam", "Adam", "ADAM", "Zed", "zoë", "Zoe", "ZOË", "Ümit", "Ørsted", "Æther"),
    *("Émile", "émile", "EMILE", "e\u0301mile", "Ölund", "Åsa", "Çelik", "Łucja", "łucja"),
    *("Straße", "STRASSE", "ß", "İpek", "\u0131l", "Σοφία", "ΣΟΦΊΑ", "ǅemal", "\ufb01ona"),
    *("\uff21\uff4e\uff4e", "山田", "李", "😀", "\U0001f469\u200d\U0001f469\u200d\U0001f467"),
]
# Code points a name may hold: Latin, Latin-1 and Extended-A letters, Greek, Cyrillic, CJK, emoji.
RANGES = [(0x41, 0x7A), (0xC0, 0x17F), (0x391, 0x3C9), (0x410, 0x44F), (0x4E00, 0x4E80)]
EMOJI = [0x1F600, 0x1F64F]


def _random_char(rng: random.Random) -> str:
    while True:
        low, high = rng.choice([*RANGES, EMOJI])
        ch = chr(rng.randint(low, high))
        if unicodedata.category(ch)[0] in "LS":
            return ch


def _random_name(rng: random.Random, earlier: list[str]) -> str | None:
    roll = rng.random()
    if roll < 0.15:
        return rng.choice([None, ""])  # no name: the e-mail is what sorts
    if roll < 0.3 and earlier:
        return rng.choice(earlier)  # the same name again: the id decides
    parts = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.6:
            parts.append(rng.choice(WORDS))
        else:
            parts.append("".join(_random_char(rng) for _ in range(rng.randint(1, 6))))
    return " ".join(parts)


def _expected(users: list[User]) -> list[str]:
    """The order of SPEC.md: the name, else the e-mail, folded, in code-point order; then id."""
    ordered = sorted(users, key=lambda u: (fold(u.name or u.email), u.id))
    return [str(u.id) for u in ordered]


@dataclass
class People:
    resources: Resources
    practice: Practice
    rng: random.Random
    n: int = 0

    async def add(self, role: Role, name: str | None) -> User:
        """A user named `name` (none: only the e-mail), the e-mail's local part random too."""
        self.n += 1
        local = self.rng.choice(["adam", "emile", "zed", "olga", "bo", "yu"])
        return await add_user(
            self.resources.db,
            self.resources.passwords,
            role=role,
            email=f"{local}.{self.n}@example.test",
            password=PASSWORD,
            name=name,
            settings=self.resources.settings,
        )


async def _walk_clients(gql: GraphQLClient, token: str) -> tuple[list[str], list[str]]:
    """My Clients one item at a time, following `endCursor`: the ids and the cursors."""
    ids: list[str] = []
    cursors: list[str] = []
    after: str | None = None
    while True:
        page = (await gql.data(CLIENTS_PAGE, {"after": after}, token))["clients"]
        ids += [e["node"]["id"] for e in page["edges"]]
        cursors += [e["cursor"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids, cursors
        after = page["pageInfo"]["endCursor"]
        assert len(ids) < 1000, "the walk does not end"


async def test_the_seven_names_of_the_issue_page_one_by_one_in_folded_order(
    gql: GraphQLClient, practice: Practice, resources: Resources
) -> None:
    coach = await practice.coach()
    token = await practice.token(coach)
    clients = {name: await practice.client(coach, name=name) for name in SEVEN}
    ids, cursors = await _walk_clients(gql, token)
    assert ids == [str(clients[name].id) for name in SEVEN_IN_ORDER]
    # Each cursor holds exactly the key the SQL compares: the stored fold, then the id.
    held = [resources.db.cursors.decode(c, 2) for c in cursors]
    assert held == [(fold(name), clients[name].id) for name in SEVEN_IN_ORDER]
    consents = (await gql.data(CONSENTS, token=token))["consents"]
    assert [c["clientId"] for c in consents] == ids


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_every_text_sorted_list_finds_everyone_once_in_folded_order(
    gql: GraphQLClient, practice: Practice, resources: Resources, seed: int
) -> None:
    rng = random.Random(seed)
    people = People(resources, practice, rng)
    names: list[str] = []

    def name() -> str | None:
        chosen = _random_name(rng, names)
        if chosen:
            names.append(chosen)
        return chosen

    coach = await people.add(Role.COACH, name())
    granted: list[User] = []
    linked: list[User] = []
    for _ in range(30):
        client = await people.add(Role.CLIENT, name())
        consent = rng.choice([ConsentStatus.GRANTED] * 3 + [ConsentStatus.PENDING])
        await practice.link(coach, client, consent)
        linked.append(client)
        if consent is ConsentStatus.GRANTED:
            granted.append(client)
    coach_token = await practice.token(coach)

    ids, _ = await _walk_clients(gql, coach_token)
    assert ids == _expected(granted)
    consents = (await gql.data(CONSENTS, token=coach_token))["consents"]
    assert [c["clientId"] for c in consents] == _expected(linked)

    client = linked[0]
    coaches = [coach]
    for _ in range(12):
        other = await people.add(Role.COACH, name())
        await practice.link(other, client, rng.choice(list(ConsentStatus)))
        coaches.append(other)
    mine = (await gql.data(MY_COACHES, token=await practice.token(client)))["myCoaches"]
    assert [link["coach"]["id"] for link in mine] == _expected(coaches)

    async with resources.db.transaction() as session:
        surveys = [Survey(name=name() or "Untitled") for _ in range(12)]
        session.add_all(surveys)
    listed = (await gql.data(SURVEYS, token=coach_token))["surveys"]
    in_order = sorted(surveys, key=lambda s: (fold(s.name), s.id))
    assert [s["id"] for s in listed] == [str(s.id) for s in in_order]


async def test_on_postgresql_sort_keys_compare_in_code_point_order_whatever_the_locale(
    resources: Resources,
) -> None:
    """The database's own collation (en_US.UTF-8 and the like) would put "É" beside "E" in SQL
    while Python and SQLite put it after "Z": the sort key columns are "C" on PostgreSQL."""
    db = resources.db
    if db.dialect != "postgresql":
        pytest.skip("SQLite compares text with BINARY (code-point order) unless told otherwise")
    async with db.session() as session:
        rows = await session.execute(
            sa.text(
                "SELECT table_name, collation_name FROM information_schema.columns "
                "WHERE column_name = 'sort_key' ORDER BY table_name"
            )
        )
        assert [tuple(r) for r in rows] == [("survey", "C"), ("user_account", "C")]


async def test_the_migration_backfills_the_sort_keys_of_existing_rows(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    user = (
        "INSERT INTO user_account (role, email, name, password_hash, time_zone, is_premium, "
        "created_at) VALUES ('CLIENT', :email, :name, 'x', 'UTC', 0, '2026-01-01 00:00:00')"
    )
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0015_self_booking"))
            for email, name in [("emile@x.test", "Émile Durand"), ("zed@x.test", None)]:
                await conn.execute(sa.text(user), {"email": email, "name": name})
            await conn.execute(
                sa.text("INSERT INTO survey (name, created_at) VALUES ('Ölçek', '2026-01-01')")
            )
            await conn.run_sync(run_alembic_upgrade)
            keys = await conn.execute(sa.text("SELECT sort_key FROM user_account ORDER BY id"))
            assert keys.scalars().all() == ["emile durand", "zed@x.test"]
            survey = await conn.execute(sa.text("SELECT sort_key FROM survey"))
            assert survey.scalar() == "olcek"
    finally:
        await db.dispose()
