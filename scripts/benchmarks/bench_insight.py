"""Benchmark: journal insight.

1. The offline analyser on one core: entries of about 150 words analysed per second
   (target >= 200/s, i.e. a median of at most 5 ms per entry). Floor: VADER alone on the same
   text, the irreducible part of the work.
2. generateJournalSummary over 50 analysed entries, through the real app (HTTP in process,
   fresh temporary SQLite database). Floor: a `viewer` query through the same app.

Run alone: .venv/bin/python scripts/benchmarks/bench_insight.py
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx  # noqa: E402

from coach_graph import reactions  # noqa: E402
from coach_graph.accounts.models import Role  # noqa: E402
from coach_graph.accounts.service import add_user  # noqa: E402
from coach_graph.app import create_app  # noqa: E402
from coach_graph.auth import issue_token  # noqa: E402
from coach_graph.clients.models import CoachClient, ConsentStatus  # noqa: E402
from coach_graph.config import Settings  # noqa: E402
from coach_graph.journals.analysis import analyse_due_entries  # noqa: E402
from coach_graph.journals.insight import lexicons  # noqa: E402
from coach_graph.journals.insight.offline import OfflineAnalyser  # noqa: E402
from coach_graph.journals.models import JournalEntry  # noqa: E402

reactions.wire()  # seeding goes through the services: the domains react as in the app

SENTENCES = [
    "I woke up early and went for a walk before work.",
    "The meeting with my manager was stressful but I handled it better than last week.",
    "In the evening I called my sister and we laughed about old times.",
    "I still worry about the deadline on Friday and I did not sleep well.",
    "Tomorrow I plan to meditate and go to the gym.",
    "Overall I feel hopeful, although a bit tired.",
    "My partner cooked dinner and we watched a film together.",
    "I am grateful for the small things, like coffee in the sun.",
    "The kids were loud and I lost my temper, which I regret.",
    "Money is tight this month and the rent is due.",
    "I felt lonely at lunch and ate alone at my desk.",
    "My therapist suggested writing down three good things every day.",
]
RUNS_ANALYSE = 400
RUNS_SUMMARY = 15


def entry(rng: random.Random, words: int = 150) -> str:
    out: list[str] = []
    while sum(len(s.split()) for s in out) < words:
        out.append(rng.choice(SENTENCES))
    return " ".join(out)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def atimed(fn: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def bench_analyser() -> tuple[list[float], list[float]]:
    rng = random.Random(5)
    texts = [entry(rng) for _ in range(RUNS_ANALYSE)]
    analyser = OfflineAnalyser()
    analyser.analyse(texts[0])  # load the lexicons outside the measurement
    vader = lexicons.vader()
    it = iter(texts)
    floor_it = iter(texts)
    times = timed(lambda: analyser.analyse(next(it)), RUNS_ANALYSE)
    floor = timed(lambda: vader.polarity_scores(next(floor_it)), RUNS_ANALYSE)
    return times, floor


async def bench_summary() -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
            password_time_cost=1,
            password_memory_kib=1024,
            run_jobs=False,
        )
        app = create_app(settings, jobs=[])
        async with app.router.lifespan_context(app):
            res = app.state.resources
            coach = await add_user(
                res.db, res.passwords, role=Role.COACH, email="c@b.test", password="x" * 12
            )
            client = await add_user(
                res.db, res.passwords, role=Role.CLIENT, email="k@b.test", password="x" * 12
            )
            async with res.db.transaction() as s:
                s.add(
                    CoachClient(
                        coach_id=coach.id, client_id=client.id, consent=ConsentStatus.GRANTED
                    )
                )
            assert coach.id is not None
            token, _ = await issue_token(res.db, coach.id, settings.token_ttl)
            rng = random.Random(7)
            headers = {"Authorization": f"Bearer {token}"}
            mutation = {
                "query": f'mutation {{ generateJournalSummary(clientId: "{client.id}") '
                "{ journalCount emotionTrend } }"
            }
            times: list[float] = []
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as http:
                for _ in range(RUNS_SUMMARY):
                    async with res.db.transaction() as s:
                        for _ in range(50):
                            s.add(JournalEntry(client_id=client.id, content=entry(rng)))
                    await analyse_due_entries(res.db, OfflineAnalyser(), limit=50)
                    started = time.perf_counter()
                    r = await http.post("/graphql", json=mutation, headers=headers)
                    times.append((time.perf_counter() - started) * 1000)
                    assert r.json()["data"]["generateJournalSummary"]["journalCount"] == 50, r.text
                viewer = {"query": "{ viewer { id } }"}
                floor = await atimed(
                    lambda: http.post("/graphql", json=viewer, headers=headers), RUNS_SUMMARY
                )
    return times, floor


def row(name: str, times: list[float], floor: list[float], target: str) -> str:
    median, floor_median = statistics.median(times), statistics.median(floor)
    return (
        f"| {name} | {median:.2f} | {p95(times):.2f} | {floor_median:.2f} | "
        f"{median / floor_median:.1f} | {target} |"
    )


def main() -> None:
    analyse, analyse_floor = bench_analyser()
    summary, summary_floor = asyncio.run(bench_summary())
    per_second = 1000 / statistics.median(analyse)
    print("| benchmark | median ms | p95 ms | floor median ms | ratio | target |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        row(
            f"offline analysis, 150-word entry ({per_second:.0f} entries/s, one core)",
            analyse,
            analyse_floor,
            ">= 200 entries/s (<= 5 ms)",
        )
    )
    print(row("generateJournalSummary over 50 entries", summary, summary_floor, "report"))


if __name__ == "__main__":
    main()
