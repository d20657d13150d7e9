"""/metrics through the app: per-operation counts and latency with bounded labels, errors by
code, jobs, pool, subscriptions, and the process collectors, read back with prometheus_client's
own parser."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from coach_graph.context import Resources
from coach_graph.jobs import Job, JobRunner
from coach_graph.observability import metrics
from tests.conftest import GraphQLClient, Practice


async def _samples(http: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await http.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_operations_are_counted_and_timed_by_name_and_type(
    http: httpx.AsyncClient, gql: GraphQLClient, practice: Practice
) -> None:
    token = await practice.token(await practice.coach())
    before = await _samples(http)
    await gql.data("query MetricsMe { viewer { id } }", token=token)
    await gql.data("query MetricsMe { viewer { id } }", token=token)
    await gql.data("{ viewer { id } }", token=token)
    after = await _samples(http)
    for name, runs in (("MetricsMe", 2), ("anonymous", 1)):
        labels = {"operation": name, "type": "query"}
        counted = _value(after, "coach_graph_graphql_operations_total", **labels)
        assert counted - _value(before, "coach_graph_graphql_operations_total", **labels) == runs
        timed = _value(after, "coach_graph_graphql_operation_seconds_count", **labels)
        assert (
            timed - _value(before, "coach_graph_graphql_operation_seconds_count", **labels) == runs
        )


async def test_errors_are_counted_by_code(http: httpx.AsyncClient, gql: GraphQLClient) -> None:
    before = await _samples(http)
    await gql.error("query NoToken { viewer { id } }")
    await gql.error("{ noSuchField }")
    after = await _samples(http)
    for code in ("UNAUTHENTICATED", "BAD_USER_INPUT"):
        delta = _value(after, "coach_graph_graphql_errors_total", code=code) - _value(
            before, "coach_graph_graphql_errors_total", code=code
        )
        assert delta == 1, code


@pytest.fixture
def fresh_operation_names() -> Iterator[None]:
    saved = set(metrics._operation_names)
    metrics._operation_names.clear()
    yield
    metrics._operation_names.clear()
    metrics._operation_names.update(saved)


def test_operation_names_beyond_the_cap_become_other(fresh_operation_names: None) -> None:
    labels = {metrics.operation_label(f"Op{i}") for i in range(metrics.MAX_OPERATION_NAMES + 50)}
    assert len(labels) == metrics.MAX_OPERATION_NAMES + 1
    assert "other" in labels
    assert metrics.operation_label("Op1") == "Op1"  # a name seen before the cap keeps its label
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("not a graphql name!") == "other"


async def test_job_runs_and_failures_are_counted(
    http: httpx.AsyncClient, resources: Resources
) -> None:
    async def fails(resources: Resources) -> None:
        raise RuntimeError("job broke")

    async def works(resources: Resources) -> None:
        return None

    runner = JobRunner(resources, [])
    before = await _samples(http)
    assert await runner.run_once(Job("metrics-test-works", works, exclusive=False))
    with pytest.raises(RuntimeError):
        await runner.run_once(Job("metrics-test-fails", fails, exclusive=False))
    after = await _samples(http)
    for job, runs, failures in (("metrics-test-works", 1, 0), ("metrics-test-fails", 1, 1)):
        assert (
            _value(after, "coach_graph_job_runs_total", job=job)
            - _value(before, "coach_graph_job_runs_total", job=job)
            == runs
        )
        assert (
            _value(after, "coach_graph_job_failures_total", job=job)
            - _value(before, "coach_graph_job_failures_total", job=job)
            == failures
        )


async def test_pool_subscriptions_websockets_outbox_and_process_are_exposed(
    http: httpx.AsyncClient, app: Starlette
) -> None:
    samples = await _samples(http)
    names = {name for name, _ in samples}
    assert {
        "coach_graph_db_pool_in_use",
        "coach_graph_db_pool_size",
        "coach_graph_subscriptions_active",
        "coach_graph_websockets_open",
        "coach_graph_alerts_published_total",
        "coach_graph_alerts_delivered_total",
        "coach_graph_outbox_pending",
        "process_cpu_seconds_total",
        "python_info",
        "python_gc_collections_total",
    } <= names
    assert _value(samples, "coach_graph_db_pool_size") == app.state.resources.settings.db_pool_size
    assert _value(samples, "coach_graph_subscriptions_active") == 0


async def test_alerts_published_on_the_live_channel_are_counted(
    http: httpx.AsyncClient, resources: Resources
) -> None:
    from coach_graph.alerts.store import publish_raised

    before = await _samples(http)
    async with resources.db.transaction() as session:
        publish_raised(session, [(101, 7), (102, 7), (103, 8)])
    with contextlib.suppress(RuntimeError):
        async with resources.db.transaction() as session:  # rolled back: nothing published
            publish_raised(session, [(104, 7)])
            raise RuntimeError
    after = await _samples(http)
    published = "coach_graph_alerts_published_total"
    assert _value(after, published) - _value(before, published) == 3
