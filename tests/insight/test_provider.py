"""The provider analyser against a fake endpoint: good answers are used, and every failure
(garbage, invalid values, HTTP 500, a hang past the timeout) falls back to the offline analyser."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import sqlalchemy as sa

from coach_graph.config import Settings
from coach_graph.context import Resources
from coach_graph.journals.analysis import analysis_job
from coach_graph.journals.insight.offline import OfflineAnalyser
from coach_graph.journals.insight.protocol import AnalysedEntry
from coach_graph.journals.insight.provider import ProviderAnalyser, analyser_for
from coach_graph.journals.models import JournalEntry
from tests.conftest import Practice
from tests.insight.conftest import FakeProvider
from tests.journals.conftest import Journals, coach_and_client
from tests.journals.conftest import journals as journals  # the fixture, shared

TEXT = "Lovely dinner with my family tonight, I feel grateful."


def _provider(fake: FakeProvider, timeout: float = 2.0) -> ProviderAnalyser:
    return ProviderAnalyser(fake.url, "secret-key", "test-model", timeout)


async def test_a_good_answer_is_validated_and_used(fake_provider: FakeProvider) -> None:
    result = await _provider(fake_provider).analyse_entry(TEXT)
    assert result.summary == "The client had a good day with family."
    assert result.themes == ("family", "gratitude")
    assert result.sentiment_score == 0.8 and result.emotions["joy"] == 0.9
    (request,) = fake_provider.requests
    assert request["headers"]["authorization"] == "Bearer secret-key"
    assert request["body"]["model"] == "test-model"
    assert request["body"]["response_format"]["json_schema"]["strict"] is True
    assert request["body"]["messages"][1]["content"] == TEXT


async def test_garbage_invalid_values_and_http_errors_fall_back_to_offline(
    fake_provider: FakeProvider,
) -> None:
    offline = OfflineAnalyser().analyse(TEXT)
    for mode in ("garbage", "invalid", "error"):
        fake_provider.mode = mode
        assert await _provider(fake_provider).analyse_entry(TEXT) == offline, mode


async def test_a_hanging_provider_is_cut_off_at_the_timeout_and_falls_back(
    fake_provider: FakeProvider,
) -> None:
    fake_provider.mode = "hang"
    result = await _provider(fake_provider, timeout=0.2).analyse_entry(TEXT)
    assert result == OfflineAnalyser().analyse(TEXT)
    assert len(fake_provider.requests) == 1


async def test_an_unreachable_provider_falls_back(fake_provider: FakeProvider) -> None:
    analyser = ProviderAnalyser("http://127.0.0.1:9/v1/chat/completions", "k", "m", 1.0)
    assert await analyser.analyse_entry(TEXT) == OfflineAnalyser().analyse(TEXT)


async def test_period_summaries_use_the_provider_or_fall_back(
    fake_provider: FakeProvider,
) -> None:
    analysis = OfflineAnalyser().analyse(TEXT)
    entries = [AnalysedEntry(datetime(2026, 3, d, tzinfo=UTC), TEXT, analysis) for d in (2, 3, 4)]
    assert await _provider(fake_provider).summarise_period(entries) == (
        "Provider summary of the period."
    )
    fake_provider.mode = "garbage"
    assert await _provider(fake_provider).summarise_period(entries) == (
        await OfflineAnalyser().summarise_period(entries)
    )


def test_the_provider_is_used_only_when_url_and_key_are_both_set() -> None:
    assert isinstance(analyser_for(Settings()), OfflineAnalyser)
    assert isinstance(analyser_for(Settings(insight_provider_url="http://x")), OfflineAnalyser)
    assert isinstance(analyser_for(Settings(insight_provider_key="k")), OfflineAnalyser)
    both = Settings(insight_provider_url="http://x", insight_provider_key="k")
    assert isinstance(analyser_for(both), ProviderAnalyser)


async def test_entries_are_analysed_by_the_worker_even_when_the_provider_fails(
    fake_provider: FakeProvider, practice: Practice, journals: Journals, resources: Resources
) -> None:
    _, _, _, token = await coach_and_client(practice)
    await journals.write(token, TEXT)
    await journals.write(token, "Terrible day at work, my boss was furious.")
    fake_provider.mode = "error"
    configured = replace(
        resources,
        settings=resources.settings.with_(
            insight_provider_url=fake_provider.url,
            insight_provider_key="secret-key",
            insight_provider_timeout_seconds=1.0,
        ),
    )
    await analysis_job().run(configured)
    async with resources.db.session() as session:
        rows = (await session.scalars(sa.select(JournalEntry))).all()
    assert [r.analysis_status for r in rows] == ["ANALYSED", "ANALYSED"]
    assert [r.sentiment for r in rows] == ["POSITIVE", "NEGATIVE"]
    assert len(fake_provider.requests) == 2
