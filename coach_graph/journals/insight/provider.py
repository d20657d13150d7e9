"""The provider analyser: an OpenAI-compatible chat-completions endpoint, with a strict JSON
response format, validated; on any failure (timeout, HTTP error, invalid JSON or values) the
offline analyser answers instead, so an entry is always analysed and nothing is lost.

Journal text is sent only when `INSIGHT_PROVIDER_URL` and `INSIGHT_PROVIDER_KEY` are set.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach_graph.config import Settings
from coach_graph.journals.insight.offline import OfflineAnalyser, sentiment_of
from coach_graph.journals.insight.protocol import (
    MAX_SUMMARY_CHARS,
    AnalysedEntry,
    EntryAnalysis,
)
from coach_graph.journals.insight.themes import VOCABULARY
from coach_graph.journals.models import EMOTIONS, Sentiment

log = logging.getLogger("coach_graph.insight")


class _Emotions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    joy: float = Field(ge=0, le=1)
    trust: float = Field(ge=0, le=1)
    fear: float = Field(ge=0, le=1)
    surprise: float = Field(ge=0, le=1)
    sadness: float = Field(ge=0, le=1)
    disgust: float = Field(ge=0, le=1)
    anger: float = Field(ge=0, le=1)
    anticipation: float = Field(ge=0, le=1)


class _EntryReply(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    sentiment: Literal["POSITIVE", "NEGATIVE", "NEUTRAL"]
    sentiment_score: float = Field(ge=-1, le=1)
    summary: str = Field(max_length=MAX_SUMMARY_CHARS)
    themes: list[str] = Field(min_length=1, max_length=5)
    emotions: _Emotions


class _SummaryReply(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    summary: str = Field(min_length=1, max_length=2000)


def _schema(name: str, model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}


ENTRY_PROMPT = (
    "You analyse one coaching-journal entry. Reply with JSON only: sentiment (POSITIVE, NEGATIVE "
    "or NEUTRAL) and sentiment_score in [-1, 1]; a summary of one or two sentences under 300 "
    "characters; 1 to 5 themes, preferably from: "
    + ", ".join(VOCABULARY)
    + "; and emotions: a score in [0, 1] for each of "
    + ", ".join(EMOTIONS)
    + "."
)
SUMMARY_PROMPT = (
    "You summarise a period of a coaching client's journal for their coach, in two to four "
    "sentences. You get each entry's date, sentiment, themes and summary. Reply with JSON only: "
    '{"summary": "..."}.'
)


class ProviderError(Exception):
    """The provider did not give a usable answer."""


class ProviderAnalyser:
    """Asks the configured endpoint; falls back to `fallback` whenever it cannot."""

    def __init__(
        self,
        url: str,
        key: str,
        model: str,
        timeout_seconds: float,
        fallback: OfflineAnalyser | None = None,
    ) -> None:
        self.url = url
        self.model = model
        self.timeout_seconds = timeout_seconds
        self.fallback = fallback or OfflineAnalyser()
        self._headers = {"Authorization": f"Bearer {key}"}

    async def _ask(self, system: str, user: str, response_format: dict[str, Any]) -> Any:
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "response_format": response_format,
        }
        try:
            # httpx's timeout bounds each phase; the outer one bounds a server that trickles.
            async with (
                asyncio.timeout(self.timeout_seconds),
                httpx.AsyncClient(timeout=self.timeout_seconds) as http,
            ):
                response = await http.post(self.url, json=body, headers=self._headers)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
            return json.loads(content)
        except TimeoutError as exc:
            raise ProviderError(f"no answer within {self.timeout_seconds:g} s") from exc
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc}") from exc

    async def analyse_entry(self, text: str) -> EntryAnalysis:
        """The provider's analysis, or the offline analyser's when the provider fails."""
        try:
            raw = await self._ask(ENTRY_PROMPT, text, _schema("journal_analysis", _EntryReply))
            reply = _EntryReply.model_validate(raw)
            themes = tuple(dict.fromkeys(t.strip().lower()[:40] for t in reply.themes if t.strip()))
            score = reply.sentiment_score
            # The label must agree with the score's sign, or the UI would contradict itself.
            sentiment = Sentiment(reply.sentiment)
            if sentiment != sentiment_of(score):
                raise ProviderError("sentiment label and score disagree")
            return EntryAnalysis(
                sentiment=sentiment,
                sentiment_score=score,
                summary=reply.summary.strip(),
                themes=themes,
                emotions=reply.emotions.model_dump(),
            )
        except (ProviderError, ValidationError, ValueError) as exc:
            log.warning("insight provider failed (%s); using the offline analyser", exc)
            return await self.fallback.analyse_entry(text)

    async def summarise_period(self, entries: list[AnalysedEntry]) -> str:
        """The provider's written summary, or the offline one when the provider fails."""
        lines = [
            f"{e.created_at:%Y-%m-%d}: {e.analysis.sentiment.value} "
            f"({e.analysis.sentiment_score:+.2f}); themes {', '.join(e.analysis.themes)}; "
            f"{e.analysis.summary}"
            for e in entries
        ]
        try:
            raw = await self._ask(
                SUMMARY_PROMPT, "\n".join(lines), _schema("journal_summary", _SummaryReply)
            )
            return _SummaryReply.model_validate(raw).summary.strip()
        except (ProviderError, ValidationError) as exc:
            log.warning("insight provider failed (%s); using the offline summary", exc)
            return await self.fallback.summarise_period(entries)


def analyser_for(settings: Settings) -> OfflineAnalyser | ProviderAnalyser:
    """The provider when both its URL and key are configured, else the offline analyser."""
    if settings.insight_provider_url and settings.insight_provider_key:
        return ProviderAnalyser(
            settings.insight_provider_url,
            settings.insight_provider_key,
            settings.insight_provider_model,
            settings.insight_provider_timeout_seconds,
        )
    return OfflineAnalyser()
