"""GraphQL types and operations of journals: entries with their analysis, summaries, emotions."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from coach_graph.auditing import AuditAction
from coach_graph.gql import After, Connection, Info, PageSize, enum, load, parse_id
from coach_graph.journals import emotions as emotion_series
from coach_graph.journals import models, reads, service
from coach_graph.journals.emotions import EmotionPointData, EmotionRange
from coach_graph.journals.insight.protocol import EntryAnalysis
from coach_graph.journals.insight.provider import analyser_for

if TYPE_CHECKING:
    from coach_graph.clients.access import ClientView

enum(
    models.AnalysisStatus,
    "Where an entry's analysis stands.",
    {
        models.AnalysisStatus.PENDING: "Waiting for the background analyser.",
        models.AnalysisStatus.ANALYSED: "Sentiment, summary, themes and emotions are there.",
        models.AnalysisStatus.FAILED: "Every attempt failed; the entry is kept.",
    },
)
enum(
    models.Sentiment,
    "The overall tone of an entry.",
    {
        models.Sentiment.POSITIVE: "Mostly happy or hopeful.",
        models.Sentiment.NEGATIVE: "Mostly unhappy, worried or angry.",
        models.Sentiment.NEUTRAL: "Neither, or both in balance.",
    },
)
enum(
    models.Emotion,
    "The eight basic emotions (Plutchik).",
    {
        models.Emotion.JOY: "Joy: happiness, delight.",
        models.Emotion.TRUST: "Trust: acceptance, confidence in someone.",
        models.Emotion.FEAR: "Fear: worry, anxiety.",
        models.Emotion.SURPRISE: "Surprise: the unexpected.",
        models.Emotion.SADNESS: "Sadness: loss, grief, low mood.",
        models.Emotion.DISGUST: "Disgust: aversion, loathing.",
        models.Emotion.ANGER: "Anger: irritation, rage.",
        models.Emotion.ANTICIPATION: "Anticipation: looking forward, expectation.",
    },
)
enum(
    EmotionRange,
    "The span of an emotion time series, up to today.",
    {
        EmotionRange.WEEK: "The last 7 days of the viewer's time zone.",
        EmotionRange.MONTH: "The last 30 days of the viewer's time zone.",
    },
)


@strawberry.type(description="One emotion's score.")
class EmotionScore:
    emotion: models.Emotion = strawberry.field(description="The emotion scored.")
    score: float = strawberry.field(description="In [0, 1].")


def _scores(scores: dict[str, float]) -> list[EmotionScore]:
    return [EmotionScore(emotion=e, score=scores[e.value]) for e in models.Emotion]


@strawberry.type(description="What the analyser found in an entry.")
class JournalAnalysis:
    sentiment: models.Sentiment = strawberry.field(description="The entry's overall tone.")
    sentiment_score: float = strawberry.field(description="In [-1, 1]; negative is unhappy.")
    summary: str = strawberry.field(description="One or two sentences, under 300 characters.")
    themes: list[str] = strawberry.field(description="1 to 5 theme tags (see README).")
    emotions: list[EmotionScore] = strawberry.field(description="All eight, every time.")

    @classmethod
    def of(cls, a: EntryAnalysis) -> JournalAnalysis:
        return cls(
            sentiment=a.sentiment,
            sentiment_score=a.sentiment_score,
            summary=a.summary,
            themes=list(a.themes),
            emotions=_scores(a.emotions),
        )


@strawberry.type(description="A client's journal entry.")
class JournalEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    created_at: datetime = strawberry.field(description="When the client wrote it.")
    content: str = strawberry.field(description="The text the client wrote.")
    analysis_status: models.AnalysisStatus = strawberry.field(
        description="Where the background analysis stands."
    )
    analysis: JournalAnalysis | None = strawberry.field(description="Null until ANALYSED.")

    @classmethod
    def of(cls, e: models.JournalEntry) -> JournalEntry:
        analysis = reads.analysis_of(e)
        return cls(
            id=strawberry.ID(str(e.id)),
            created_at=e.created_at,
            content=e.content,
            analysis_status=models.AnalysisStatus(e.analysis_status),
            analysis=JournalAnalysis.of(analysis) if analysis else None,
        )


@strawberry.type(description="A consolidation of analysed entries that no earlier summary covered.")
class JournalSummary:
    id: strawberry.ID = strawberry.field(description="The summary's id.")
    created_at: datetime = strawberry.field(description="When it was generated.")
    journal_count: int = strawberry.field(description="How many entries it covers.")
    summary: str = strawberry.field(description="What the covered entries say, in a few sentences.")
    emotion_trend: str = strawberry.field(
        description="How emotions and sentiment moved across the period, computed from scores."
    )
    period_start: datetime = strawberry.field(description="The first covered entry's time.")
    period_end: datetime = strawberry.field(description="The last covered entry's time.")

    @classmethod
    def of(cls, s: models.JournalSummary) -> JournalSummary:
        return cls(
            id=strawberry.ID(str(s.id)),
            created_at=s.created_at,
            journal_count=s.journal_count,
            summary=s.summary,
            emotion_trend=s.emotion_trend,
            period_start=s.period_start,
            period_end=s.period_end,
        )


@strawberry.type(description="Emotion scores at a moment: one entry's, or one day's mean.")
class EmotionPoint:
    at: datetime = strawberry.field(
        description="The entry's time, or the start of the day for a day's mean."
    )
    day: date = strawberry.field(
        description="The viewer's calendar day of the point (for charts by day)."
    )
    scores: list[EmotionScore] = strawberry.field(description="All eight emotions, each in [0, 1].")
    sentiment_score: float | None = strawberry.field(
        description="The entry's sentiment score, or the day's mean, in [-1, 1]."
    )

    @classmethod
    def of(cls, p: EmotionPointData) -> EmotionPoint:
        return cls(at=p.at, day=p.day, scores=_scores(p.scores), sentiment_score=p.sentiment_score)


@strawberry.type
class JournalClientFields:
    """The journals domain's fields of Client (a base class of graph.Client)."""

    if TYPE_CHECKING:
        view: ClientView

    @staticmethod
    async def prime_columns(info: Info, views: Sequence[ClientView], asked: frozenset[str]) -> None:
        """My Clients' lastJournalAt column, loaded for the whole page at once (Loaders.prime)."""
        if "lastJournalAt" in asked:
            await info.context.loaders.prime(reads.last_journal_at, [v.id for v in views])

    @strawberry.field(
        description="When the client last wrote a journal entry.", graphql_type=datetime | None
    )
    def last_journal_at(self, info: Info) -> datetime | Awaitable[datetime | None] | None:
        return info.context.loaders.now_or_later(reads.last_journal_at, self.view.id)

    @strawberry.field(description="The client's journal entries, newest first.")
    async def journal_entries(
        self,
        info: Info,
        first: PageSize = 20,
        after: After = None,
    ) -> Connection[JournalEntry]:
        page = await service.entry_page(info.context.loaders, self.view.id, first, after)
        if page.rows:
            info.context.audit_read(self.view.id, AuditAction.READ_JOURNAL)
        return Connection.of(page, JournalEntry.of)

    @strawberry.field(description="The client's journal summaries, newest first.")
    async def summaries(self, info: Info) -> list[JournalSummary]:
        rows = await load(info, reads.summaries_of, self.view.id)
        if rows:
            info.context.audit_read(self.view.id, AuditAction.READ_JOURNAL)
        return [JournalSummary.of(s) for s in rows]

    @strawberry.field(
        description="Whether a summary can be generated: at least three analysed entries that "
        "no summary covers yet."
    )
    async def can_generate_summary(self, info: Info) -> bool:
        n = await load(info, reads.uncovered_counts, self.view.id)
        return n >= service.MIN_SUMMARY_ENTRIES

    @strawberry.field(
        description="The emotion scores of the last `last` analysed entries (1 to 100), oldest "
        "first."
    )
    async def recent_emotions(
        self,
        info: Info,
        last: Annotated[
            int | None, strawberry.argument(description="How many entries, 1 to 100.")
        ] = 15,
    ) -> list[EmotionPoint]:
        key = reads.RecentKey(self.view.id, emotion_series.check_last(last))
        rows = await load(info, reads.recent_emotions, key)
        if rows:
            info.context.audit_read(self.view.id, AuditAction.READ_EMOTIONS)
        return [EmotionPoint.of(p) for p in emotion_series.entry_points(rows, self.view.time_zone)]

    @strawberry.field(
        description="One point per day with analysed entries over the last 7 or 30 days (the "
        "viewer's days), each the mean of that day's scores, oldest first."
    )
    async def emotions_over_time(
        self,
        info: Info,
        range: Annotated[
            EmotionRange, strawberry.argument(description="The last week or the last month.")
        ],
    ) -> list[EmotionPoint]:
        tz = self.view.time_zone
        key = reads.SinceKey(self.view.id, emotion_series.range_start(range, tz))
        rows = await load(info, reads.emotions_since, key)
        if rows:
            info.context.audit_read(self.view.id, AuditAction.READ_EMOTIONS)
        return [EmotionPoint.of(p) for p in emotion_series.daily_points(rows, tz)]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Client: write a journal entry. It is stored PENDING and analysed in the "
        "background. Empty text, more than 20,000 characters or a control character (tab and "
        "line breaks aside) is refused."
    )
    async def create_journal_entry(
        self,
        info: Info,
        content: Annotated[str, strawberry.argument(description="The entry's text.")],
    ) -> JournalEntry:
        entry = await service.create_entry(info.context.db, info.context.viewer, content)
        return JournalEntry.of(entry)

    @strawberry.mutation(
        description="Coach: summarise the client's analysed entries that no summary covers yet "
        "(at least three)."
    )
    async def generate_journal_summary(
        self,
        info: Info,
        client_id: Annotated[
            strawberry.ID, strawberry.argument(description="One of your clients (consent GRANTED).")
        ],
    ) -> JournalSummary:
        summary = await service.generate_summary(
            info.context.db,
            info.context.viewer,
            parse_id(client_id, "client"),
            analyser_for(info.context.settings),
        )
        info.context.audit_read(summary.client_id, AuditAction.READ_JOURNAL)
        return JournalSummary.of(summary)
