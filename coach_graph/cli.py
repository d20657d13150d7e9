"""The `coach-graph` command: serve, seed, users add|list, db status|upgrade, outbox [retry ID],
export-schema, make-migration (`migrate` is the old name of `db upgrade`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from coach_graph import logs, reactions
from coach_graph.accounts.models import Role
from coach_graph.config import Settings
from coach_graph.db import Database
from coach_graph.demo.people import DemoExists, demo_logins, describe_logins
from coach_graph.demo.practice import DemoSize
from coach_graph.demo.registry import seed_demo
from coach_graph.errors import AppError
from coach_graph.migrating import alembic_config
from coach_graph.realtime import shares_across_processes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach-graph", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('coach-graph')}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then run the service with uvicorn")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes on the one port (more than one needs a shared BROADCAST_URL)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="fill an empty database with the demo practice first and print login tokens",
    )

    sub.add_parser("migrate", help="the old name of `db upgrade`")
    db = sub.add_parser("db", help="the database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("status", help="current and latest migration; exit code 1 when behind")
    db_sub.add_parser("upgrade", help="bring the database schema up to date")

    seed = sub.add_parser("seed", help="fill an EMPTY database with the demo practice")
    seed.add_argument("--clients", type=int, default=30, help="the demo coach's clients")
    seed.add_argument("--entries", type=int, default=60, help="journal entries per client")

    users = sub.add_parser("users", help="manage users")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="create a user and print a token")
    add.add_argument("--role", choices=["coach", "client"], required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--name", default=None)
    add.add_argument("--password", required=True)
    add.add_argument("--time-zone", default="UTC")
    add.add_argument("--coach", default=None, help="link the client to this coach (PENDING)")
    listing = users_sub.add_parser("list", help="a table of users: id, role, e-mail, name")
    listing.add_argument("--role", choices=["coach", "client"], default=None)

    rev = sub.add_parser("make-migration", help="autogenerate a migration from the models (dev)")
    rev.add_argument("rev_id", help="e.g. 0002_sessions")
    rev.add_argument("message")

    outbox = sub.add_parser("outbox", help="list outbox messages (mail) by status")
    outbox.add_argument(
        "--status",
        choices=["pending", "failed", "sent"],
        default="pending",
        help="pending: still tried; failed: given up (refused for good, or failing for 3 days)",
    )
    outbox.add_argument("--limit", type=int, default=50)
    outbox_sub = outbox.add_subparsers(dest="outbox_command")
    retry = outbox_sub.add_parser("retry", help="send one FAILED message again")
    retry.add_argument("id", type=int, help="the message's id (see `outbox --status failed`)")

    export = sub.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("path", nargs="?", default="schema.graphql")
    return parser


async def _migrate(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        await db.migrate()
    finally:
        await db.dispose()


@dataclass(frozen=True)
class SchemaStatus:
    current: tuple[str, ...]  # the revisions the database is at (none when never migrated)
    latest: tuple[str, ...]  # the heads of the migrations this version ships

    @property
    def behind(self) -> bool:
        return set(self.current) != set(self.latest)

    def describe(self) -> str:
        current = ", ".join(self.current) or "none (never migrated)"
        verdict = "behind: run `coach-graph db upgrade`" if self.behind else "up to date"
        return f"current: {current}\nlatest:  {', '.join(self.latest)}\n{verdict}"


async def _schema_status(db: Database) -> SchemaStatus:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    async with db.engine.connect() as conn:
        current = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
    latest = ScriptDirectory.from_config(alembic_config()).get_heads()
    return SchemaStatus(tuple(sorted(current)), tuple(sorted(latest)))


async def _db_status(settings: Settings) -> SchemaStatus:
    db = Database(settings.database_url)
    try:
        return await _schema_status(db)
    finally:
        await db.dispose()


def table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell, for a terminal."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]]
    return "\n".join(line.rstrip() for line in lines)


async def _list_users(settings: Settings, role: str | None) -> str:
    import sqlalchemy as sa
    from sqlmodel import col

    from coach_graph.accounts.models import User

    db = Database(settings.database_url)
    try:
        status = await _schema_status(db)
        if status.behind:
            raise RuntimeError("the database schema is behind: run `coach-graph db upgrade`")
        query = sa.select(User).order_by(col(User.id))
        if role is not None:
            query = query.where(col(User.role) == Role(role.upper()).value)
        async with db.read() as session:
            users = (await session.scalars(query)).all()
    finally:
        await db.dispose()
    rows = [[str(u.id), str(u.role).lower(), u.email, u.name or ""] for u in users]
    return table(["id", "role", "email", "name"], rows)


async def _add_user(settings: Settings, args: argparse.Namespace) -> None:
    from coach_graph.accounts.service import add_user
    from coach_graph.auth import Passwords, issue_token

    db = Database(settings.database_url)
    try:
        await db.migrate()
        passwords = Passwords(settings.password_time_cost, settings.password_memory_kib)
        user = await add_user(
            db,
            passwords,
            role=Role(args.role.upper()),
            email=args.email,
            password=args.password,
            name=args.name,
            time_zone=args.time_zone,
            coach_email=args.coach,
            settings=settings,
        )
        assert user.id is not None
        token, _ = await issue_token(db, user.id, settings.token_ttl)
        print(f"created {args.role} {user.email} (id {user.id})")
        print(f"token: {token}")
    finally:
        await db.dispose()


async def _outbox(settings: Settings, status: str, limit: int) -> str:
    """One line per message, then the totals."""
    from coach_graph.outbox.status import OutboxStatus, list_messages, outbox_counts

    db = Database(settings.database_url)
    try:
        await db.migrate()
        rows = await list_messages(db, OutboxStatus(status), limit=limit)
        counts = await outbox_counts(db)
    finally:
        await db.dispose()
    lines = [
        f"{'id':>6}  {'kind':<20} {'to':>6} {'session':>7} {'attempts':>8}  "
        f"{'next attempt / sent at':<25}  last error"
    ]
    for m in rows:
        moment = m.sent_at or m.failed_at or m.next_attempt_at
        lines.append(
            f"{m.id:>6}  {m.kind:<20} {m.recipient_id or '-':>6} {m.session_id or '-':>7} "
            f"{m.attempts:>8}  {moment:%Y-%m-%d %H:%M:%S}Z{'':<5}  {m.last_error or ''}"
        )
    lines.append(
        f"{len(rows)} {status} shown; waiting: {counts.pending} "
        f"({counts.retrying} after a failed attempt); failed: {counts.failed}"
    )
    return "\n".join(lines)


async def _outbox_retry(settings: Settings, message_id: int) -> str:
    """Put one FAILED message back to be sent; NotFound or Conflict (with a clear message)
    when it is unknown or not FAILED."""
    from coach_graph.outbox.status import retry_failed

    db = Database(settings.database_url)
    try:
        await db.migrate()
        message = await retry_failed(db, message_id)
    finally:
        await db.dispose()
    return f"outbox message {message.id} ({message.kind}) will be sent again"


def unshared_broadcast(settings: Settings, workers: int) -> str | None:
    """Why `workers` processes cannot serve with this broadcast backend, or None when they can:
    the in-memory one lives inside one process, so live events published by one worker would
    never reach subscribers on another."""
    if workers <= 1 or shares_across_processes(settings.broadcast_url):
        return None
    return (
        f"--workers {workers} needs a broadcast backend the workers share, but BROADCAST_URL is "
        f"{settings.broadcast_url} (each worker's live events would stay in that worker); "
        "set BROADCAST_URL to a shared backend such as redis://HOST:PORT, or serve with "
        "--workers 1"
    )


def _graphiql_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.port}/graphql"


async def _seed(settings: Settings, size: DemoSize) -> str:
    """Migrate, seed the demo practice (DemoExists when users exist) and describe the logins."""
    db = Database(settings.database_url)
    try:
        await db.migrate()
        practice = await seed_demo(db, settings, size)
        logins = await demo_logins(db, settings)
    finally:
        await db.dispose()
    return (
        f"seeded the demo practice: {len(practice.coach_ids)} coaches, "
        f"{len(practice.clients)} clients\n" + describe_logins(logins, _graphiql_url(settings))
    )


async def _serve_demo(settings: Settings) -> str:
    """Seed when the database is empty; print fresh tokens when the demo exists already."""
    try:
        return await _seed(settings, DemoSize())
    except DemoExists:
        db = Database(settings.database_url)
        try:
            logins = await demo_logins(db, settings)
        finally:
            await db.dispose()
    if not logins:
        return (
            "the database holds users but no demo practice; serving it as it is "
            "(use an empty DATABASE_URL for the demo)"
        )
    return "the demo practice exists already; fresh tokens:\n" + describe_logins(
        logins, _graphiql_url(settings)
    )


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    logs.configure()
    reactions.wire()
    if args.command == "migrate" or (args.command == "db" and args.db_command == "upgrade"):
        asyncio.run(_migrate(settings))
        print("database is up to date")
    elif args.command == "db":
        status = asyncio.run(_db_status(settings))
        print(status.describe())
        sys.exit(1 if status.behind else 0)
    elif args.command == "seed":
        try:
            size = DemoSize(clients=args.clients, entries=args.entries)
            print(asyncio.run(_seed(settings, size)))
        except (DemoExists, ValueError) as exc:
            sys.exit(f"coach-graph: {exc}")
    elif args.command == "users":
        try:
            if args.users_command == "list":
                print(asyncio.run(_list_users(settings, args.role)))
            else:
                asyncio.run(_add_user(settings, args))
        except Exception as exc:  # show the refusal, not a traceback
            sys.exit(f"coach-graph: {exc}")
    elif args.command == "make-migration":
        from coach_graph.migrating import make_revision

        make_revision(args.message, args.rev_id)
    elif args.command == "outbox" and args.outbox_command == "retry":
        try:
            print(asyncio.run(_outbox_retry(settings, args.id)))
        except AppError as exc:
            sys.exit(f"coach-graph: {exc}")
    elif args.command == "outbox":
        print(asyncio.run(_outbox(settings, args.status, args.limit)))
    elif args.command == "export-schema":
        from coach_graph.schema import export_sdl

        Path(args.path).write_text(export_sdl())
        print(f"wrote {args.path}")
    elif args.command == "serve":
        import uvicorn

        settings = settings.with_(host=args.host or settings.host, port=args.port or settings.port)
        if (refusal := unshared_broadcast(settings, args.workers)) is not None:
            sys.exit(f"coach-graph: {refusal}")
        asyncio.run(_migrate(settings))
        if args.demo:
            print(asyncio.run(_serve_demo(settings)), flush=True)
        else:
            print(f"GraphiQL: {_graphiql_url(settings)}", flush=True)
        uvicorn.run(
            "coach_graph.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=args.workers,
            # Applied here and again in each spawned worker, which inherits no logging.
            log_config=logs.config(),
            # uvicorn's access log prints query strings (a login over GET would put a password
            # there); the app writes its own line per request (coach_graph/web/middleware.py).
            access_log=False,
            # Live events are tiny; per-message deflate would cost ~50 KiB of zlib state per
            # open websocket, and the sans-I/O protocol is the lighter one, lighter still with
            # what it keeps per idle socket trimmed (all measured in
            # scripts/benchmarks/bench_alerts.py).
            ws_per_message_deflate=False,
            ws="coach_graph.patches.uvicorn:LeanWebSocketProtocol",
        )


if __name__ == "__main__":
    main()
