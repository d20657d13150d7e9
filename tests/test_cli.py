"""The `coach-graph` command, run as the console script would be, against the test database."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlmodel import col

from coach_graph.accounts.models import User
from coach_graph.clients.models import CoachClient
from coach_graph.db import Database
from coach_graph.journals.models import JournalEntry
from coach_graph.migrating import alembic_config
from coach_graph.sessions.demo_prospects import PROSPECTS
from tests.conftest import GraphQLClient, Practice
from tests.redis_server import free_port


@dataclass
class Run:
    code: int
    out: str
    err: str


async def coach_graph(database_url: str, *args: str) -> Run:
    """Run `coach-graph ARGS` in a subprocess with DATABASE_URL set."""
    env = {**os.environ, "DATABASE_URL": database_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "coach_graph",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


def token_of(run: Run) -> str:
    lines = [line for line in run.out.splitlines() if line.startswith("token: ")]
    assert len(lines) == 1, run.out + run.err
    return lines[0].removeprefix("token: ")


async def count(db: Database, model: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


async def test_users_add_links_a_client_pending_and_prints_a_working_token(
    database_url: str, db: Database, gql: GraphQLClient
) -> None:
    coach = await coach_graph(
        database_url, "users", "add", "--role", "coach", "--email", "Ana@Example.test",
        "--name", "Ana", "--password", "long-enough-1",
    )  # fmt: skip
    assert coach.code == 0, coach.err
    client = await coach_graph(
        database_url, "users", "add", "--role", "client", "--email", "bo@example.test",
        "--name", "Bo", "--password", "long-enough-2", "--coach", "ana@example.test",
    )  # fmt: skip
    assert client.code == 0, client.err

    viewer = await gql.data("{ viewer { role email name } }", token=token_of(client))
    assert viewer == {"viewer": {"role": "CLIENT", "email": "bo@example.test", "name": "Bo"}}
    coach_viewer = await gql.data("{ viewer { role } }", token=token_of(coach))
    assert coach_viewer["viewer"]["role"] == "COACH"
    async with db.session() as session:
        link = (
            await session.execute(
                sa.select(col(CoachClient.consent), User.email).join(
                    User, col(User.id) == col(CoachClient.coach_id)
                )
            )
        ).one()
    assert tuple(link) == ("PENDING", "ana@example.test")


async def test_users_add_with_an_unknown_coach_refuses_and_creates_nothing(
    database_url: str, db: Database
) -> None:
    run = await coach_graph(
        database_url, "users", "add", "--role", "client", "--email", "c@example.test",
        "--password", "long-enough-3", "--coach", "nobody@example.test",
    )  # fmt: skip
    assert run.code != 0
    assert "No coach with e-mail nobody@example.test" in run.err
    assert "Traceback" not in run.err
    assert await count(db, User) == 0


async def test_seed_fills_an_empty_database_and_prints_demo_logins(
    database_url: str, db: Database, gql: GraphQLClient
) -> None:
    run = await coach_graph(database_url, "seed", "--clients", "6", "--entries", "4")
    assert run.code == 0, run.err
    # Two coaches, 6 + 4 clients, the prospects who booked an intro call and the one who phoned.
    assert await count(db, User) == 2 + 6 + 4 + len(PROSPECTS) + 1
    assert await count(db, JournalEntry) > 0
    assert "coach@demo.example" in run.out and "demo-password" in run.out
    assert "http://127.0.0.1:8000/graphql" in run.out
    coach_line = run.out.splitlines().index(
        next(line for line in run.out.splitlines() if "coach@demo.example" in line)
    )
    header = run.out.splitlines()[coach_line + 1].strip()
    token = header.removeprefix('{"Authorization": "Bearer ').removesuffix('"}')
    viewer = await gql.data("{ viewer { email } }", token=token)
    assert viewer == {"viewer": {"email": "coach@demo.example"}}


async def test_seeding_twice_refuses_and_changes_nothing(database_url: str, db: Database) -> None:
    first = await coach_graph(database_url, "seed", "--clients", "3", "--entries", "2")
    assert first.code == 0, first.err
    users, entries = await count(db, User), await count(db, JournalEntry)
    second = await coach_graph(database_url, "seed", "--clients", "3", "--entries", "2")
    assert second.code != 0
    assert "fills only an empty database" in second.err
    assert (await count(db, User), await count(db, JournalEntry)) == (users, entries)


async def test_version_prints_the_installed_package_version(database_url: str) -> None:
    run = await coach_graph(database_url, "--version")
    assert run.code == 0, run.err
    assert run.out.strip() == f"coach-graph {version('coach-graph')}"


async def test_users_list_prints_a_table_filtered_by_role(
    database_url: str, practice: Practice
) -> None:
    coach = await practice.coach("Ana Ölz", email="ana@example.test")
    client = await practice.client(coach, "山田花子", email="hana@example.test")
    everyone = await coach_graph(database_url, "users", "list")
    assert everyone.code == 0, everyone.err
    lines = everyone.out.splitlines()
    assert lines[0].split() == ["id", "role", "email", "name"]
    assert [line.split(maxsplit=3) for line in lines[1:]] == [
        [str(coach.id), "coach", "ana@example.test", "Ana Ölz"],
        [str(client.id), "client", "hana@example.test", "山田花子"],
    ]
    clients = await coach_graph(database_url, "users", "list", "--role", "client")
    assert clients.code == 0, clients.err
    assert [line.split()[2] for line in clients.out.splitlines()[1:]] == ["hana@example.test"]


async def test_db_status_exits_1_when_behind_and_0_once_upgraded(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    latest = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert latest is not None
    fresh = await coach_graph(url, "db", "status")
    assert fresh.code == 1, fresh.out + fresh.err
    assert "current: none" in fresh.out and f"latest:  {latest}" in fresh.out
    listing = await coach_graph(url, "users", "list")
    assert listing.code != 0 and "db upgrade" in listing.err and "Traceback" not in listing.err

    upgrade = await coach_graph(url, "db", "upgrade")
    assert upgrade.code == 0, upgrade.err
    current = await coach_graph(url, "db", "status")
    assert current.code == 0, current.err
    assert f"current: {latest}" in current.out and "up to date" in current.out

    # One migration behind, as after installing a newer version over an old database.
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(latest).down_revision
    assert isinstance(previous, str)
    with sqlite3.connect(tmp_path / "fresh.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (previous,))
    behind = await coach_graph(url, "db", "status")
    assert behind.code == 1 and f"current: {previous}" in behind.out


async def test_migrate_stays_an_alias_of_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    assert (await coach_graph(url, "migrate")).code == 0
    assert (await coach_graph(url, "db", "status")).code == 0


@pytest.mark.parametrize("broadcast_url", [None, "memory://"], ids=["default", "memory"])
async def test_serve_with_several_workers_and_the_in_memory_broadcast_refuses_to_start(
    tmp_path: Path, broadcast_url: str | None
) -> None:
    env = {key: value for key, value in os.environ.items() if key != "BROADCAST_URL"}
    if broadcast_url is not None:
        env["BROADCAST_URL"] = broadcast_url
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "coach_graph", "serve", "--workers", "2",
        "--host", "127.0.0.1", "--port", str(free_port()),
        env={**env, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/refused.db"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 1, out.decode() + err.decode()
    message = err.decode()
    assert "--workers 2" in message and "BROADCAST_URL is memory://" in message
    assert "redis://HOST:PORT" in message and "--workers 1" in message
    assert "Traceback" not in message
    assert not (tmp_path / "refused.db").exists()  # refused before migrating, let alone forking
