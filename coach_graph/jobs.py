"""Background jobs and their leases.

Each job runs every `interval` seconds in every worker, but only the worker holding the job's
lease (a row in `job_lease`) does the work, so a job runs once across several workers. Work that
must happen exactly once per item (an entry to analyse, a reminder to queue) also claims or keys
the item itself; the lease only keeps workers from doing the same sweep twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col

from coach_graph import clock
from coach_graph.context import Resources
from coach_graph.db import Database
from coach_graph.fields import utc_column
from coach_graph.observability.metrics import JOB_FAILURES, JOB_RUNS

log = logging.getLogger("coach_graph.jobs")


class JobLease(SQLModel, table=True):
    """Who runs a job until when."""

    __tablename__ = "job_lease"

    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=64)
    lease_until: datetime = utc_column()


async def acquire_lease(db: Database, name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease on `name` for `holder`; False when another holder has it."""
    now = clock.now()
    async with db.transaction() as session:
        taken = await session.execute(
            sa.update(JobLease)
            .where(
                col(JobLease.name) == name,
                sa.or_(col(JobLease.holder) == holder, col(JobLease.lease_until) < now),
            )
            .values(holder=holder, lease_until=now + ttl)
        )
        if taken.rowcount:  # type: ignore[attr-defined]
            return True
        exists = await session.scalar(
            sa.select(col(JobLease.name)).where(col(JobLease.name) == name)
        )
        if exists:
            return False
    try:
        async with db.transaction() as session:
            session.add(JobLease(name=name, holder=holder, lease_until=now + ttl))
        return True
    except sa.exc.IntegrityError:  # another worker inserted it first
        return False


class Doorbell:
    """Wakes the jobs listening to it before their interval is over: rung after the commit of
    work for them (e.g. mail in the outbox). Each running loop listens with an asyncio.Event of
    its own (an event belongs to one event loop), so one doorbell serves every app in a process;
    a ring while the job runs is kept and makes it run again at once."""

    def __init__(self) -> None:
        self._listeners: set[asyncio.Event] = set()

    def ring(self) -> None:
        for event in self._listeners:
            event.set()

    def listen(self, event: asyncio.Event) -> None:
        self._listeners.add(event)

    def forget(self, event: asyncio.Event) -> None:
        self._listeners.discard(event)


@dataclass(frozen=True)
class Job:
    """A periodic piece of work. `run` gets the app's resources."""

    name: str
    run: Callable[[Resources], Awaitable[object]]
    interval_seconds: float | None = None  # None: the settings' job_interval_seconds
    exclusive: bool = True  # hold a lease so one worker runs it at a time
    doorbell: Doorbell | None = None  # rung when there is work: run before the interval ends


class JobRunner:
    """Runs jobs in the background of one worker until stopped."""

    def __init__(self, resources: Resources, jobs: list[Job]) -> None:
        self.resources = resources
        self.jobs = jobs
        self.holder = uuid.uuid4().hex
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for job in self.jobs:
            self._tasks.append(asyncio.create_task(self._loop(job), name=f"job:{job.name}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def run_once(self, job: Job) -> bool:
        """Run `job` now if this worker may; True when it ran."""
        interval = job.interval_seconds or self.resources.settings.job_interval_seconds
        if job.exclusive and not await acquire_lease(
            self.resources.db, job.name, self.holder, timedelta(seconds=max(interval * 2, 30))
        ):
            return False
        JOB_RUNS.labels(job.name).inc()
        try:
            await job.run(self.resources)
        except Exception:
            JOB_FAILURES.labels(job.name).inc()
            raise
        return True

    async def _loop(self, job: Job) -> None:
        interval = job.interval_seconds or self.resources.settings.job_interval_seconds
        woken = asyncio.Event()
        if job.doorbell is not None:
            job.doorbell.listen(woken)
        try:
            while True:
                woken.clear()
                try:
                    await self.run_once(job)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("job %s failed; it runs again in %.0f s", job.name, interval)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), interval)
        finally:
            if job.doorbell is not None:
                job.doorbell.forget(woken)
