"""The emotion trend of a summary, in words, computed from the entries' stored scores.

The period's entries (oldest first) are split into an earlier and a later half; an emotion
"rose" or "fell" when its mean moved by at least `MOVE` between the halves, and the sentiment
direction compares the halves' mean sentiment scores the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from coach_graph.journals.insight.protocol import EntryAnalysis
from coach_graph.journals.models import EMOTIONS

MOVE = 0.05


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _names(emotions: list[str]) -> str:
    if len(emotions) == 1:
        return emotions[0]
    return ", ".join(emotions[:-1]) + " and " + emotions[-1]


def emotion_trend(analyses: Sequence[EntryAnalysis]) -> str:
    """How emotions and sentiment moved across `analyses` (oldest first), in a sentence or two."""
    if len(analyses) < 2:
        return "Too few entries to show a trend."
    half = len(analyses) // 2
    early, late = analyses[:half], analyses[half:]
    moves = {
        e: _mean([a.emotions[e] for a in late]) - _mean([a.emotions[e] for a in early])
        for e in EMOTIONS
    }
    rose = sorted((e for e in EMOTIONS if moves[e] >= MOVE), key=lambda e: -moves[e])
    fell = sorted((e for e in EMOTIONS if moves[e] <= -MOVE), key=lambda e: moves[e])
    parts: list[str] = []
    if rose:
        parts.append(f"{_names(rose)} rose")
    if fell:
        parts.append(f"{_names(fell)} fell")
    first = (
        (" and ".join(parts) + " across the period.").capitalize()
        if parts
        else "Emotions held steady across the period."
    )
    before = _mean([a.sentiment_score for a in early])
    after = _mean([a.sentiment_score for a in late])
    if after - before >= MOVE:
        direction = "improved"
    elif before - after >= MOVE:
        direction = "declined"
    else:
        direction = "held steady"
    return f"{first} Sentiment {direction} (from {before:+.2f} to {after:+.2f})."
