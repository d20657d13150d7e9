"""What an analyser is: one small protocol, so another implementation can be swapped in.

An analyser turns one entry's text into an `EntryAnalysis` and a period's analysed entries into
the written part of a summary. The emotion trend of a summary is never the analyser's business:
it is computed from the stored scores (see `journals.trends`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from coach_graph.journals.models import EMOTIONS, Sentiment

MAX_SUMMARY_CHARS = 300
MAX_THEMES = 5


@dataclass(frozen=True, slots=True)
class EntryAnalysis:
    """The analysis of one entry: every field the contract's JournalAnalysis shows."""

    sentiment: Sentiment
    sentiment_score: float
    summary: str
    themes: tuple[str, ...]
    emotions: dict[str, float]

    def __post_init__(self) -> None:
        # Guard the invariants here so no analyser, ours or a provider's, can store nonsense.
        if not -1.0 <= self.sentiment_score <= 1.0:
            raise ValueError(f"sentiment score {self.sentiment_score} is outside [-1, 1]")
        if set(self.emotions) != set(EMOTIONS):
            raise ValueError("an analysis needs a score for each of the eight emotions")
        if any(not 0.0 <= v <= 1.0 for v in self.emotions.values()):
            raise ValueError("emotion scores must lie in [0, 1]")
        if not 1 <= len(self.themes) <= MAX_THEMES:
            raise ValueError("an analysis has 1 to 5 themes")
        if len(self.summary) > MAX_SUMMARY_CHARS:
            raise ValueError("an entry summary is at most 300 characters")


@dataclass(frozen=True, slots=True)
class AnalysedEntry:
    """An analysed entry as a period summary sees it."""

    created_at: datetime
    content: str
    analysis: EntryAnalysis


class Analyser(Protocol):
    """Turns journal text into insight. Implementations must not raise for odd text (other
    languages, emojis only, blank): they analyse it as best they can."""

    async def analyse_entry(self, text: str) -> EntryAnalysis:
        """The analysis of one entry's text."""
        ...

    async def summarise_period(self, entries: list[AnalysedEntry]) -> str:
        """A short written summary of several analysed entries (oldest first)."""
        ...
