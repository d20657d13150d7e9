"""The offline analyser (the default): lexicons and rules, no network, nothing downloaded.

- Sentiment: VADER's compound score per sentence, averaged over the entry; POSITIVE above 0.05,
  NEGATIVE below -0.05 (VADER's own thresholds), else NEUTRAL.
- Emotions: the share of the entry's emotion-bearing words associated with each of the eight
  emotions (NRC lexicon plus our supplement), words after a negation ("not happy") left out.
  Sentiment informs joy and sadness: a clearly positive entry has joy of at least half its
  score, a clearly negative one sadness of at least half its magnitude.
- Themes: `themes.find_themes` over the words.
- Text that is not English gets NEUTRAL and zero emotions rather than a misreading.
- Summary: the one or two sentences richest in feeling and themes, in their original order,
  under 300 characters (extractive).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from coach_graph.journals.insight import lexicons
from coach_graph.journals.insight.protocol import (
    MAX_SUMMARY_CHARS,
    AnalysedEntry,
    EntryAnalysis,
)
from coach_graph.journals.insight.themes import find_themes
from coach_graph.journals.models import EMOTIONS, Sentiment

POSITIVE_AT = 0.05


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_SENTENCES = re.compile(r"(?<=[.!?…])\s+|\n+")
_WORDS = re.compile("[a-z][a-z'\u2019-]*")  # also the typographic apostrophe
_NEGATIONS = _word_set(
    "not no never nothing nobody none nor neither without hardly barely isn't wasn't aren't "
    "weren't don't doesn't didn't can't cannot couldn't won't wouldn't shouldn't haven't "
    "hasn't hadn't"
)
# Common English words: a text of several words with almost none of them is taken to be in
# another language, which the English lexicons would misread ("war" is German for "was").
_ENGLISH = _word_set(
    "i me my we our you he she it they them the a an and or but so to of in on at for with "
    "was is am are be been have has had do did not this that what when just today feel felt "
    "about very really"
)
_SUFFIXES = (("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("es", ""), ("s", ""), ("ly", ""))


def sentiment_of(score: float) -> Sentiment:
    """The sentiment label of a score in [-1, 1]."""
    if score > POSITIVE_AT:
        return Sentiment.POSITIVE
    if score < -POSITIVE_AT:
        return Sentiment.NEGATIVE
    return Sentiment.NEUTRAL


def _emotions_of(word: str, lexicon: dict[str, frozenset[str]]) -> frozenset[str] | None:
    found = lexicon.get(word)
    if found is not None:
        return found
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            found = lexicon.get(word[: -len(suffix)] + replacement)
            if found is not None:
                return found
    return None


def _clip(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


class OfflineAnalyser:
    """The default analyser. CPU only, deterministic, safe for any text."""

    def analyse(self, text: str) -> EntryAnalysis:
        """The analysis of `text` (synchronous; `analyse_entry` is the protocol's async form)."""
        lexicon = lexicons.emotion_lexicon()
        vader = lexicons.vader()
        sentences = [s.strip() for s in _SENTENCES.split(text) if s and s.strip()]
        counts: Counter[str] = Counter()
        affect_words = 0
        all_words: list[str] = []
        compounds: list[float] = []
        weights: list[float] = []
        for sentence in sentences:
            words = _WORDS.findall(sentence.lower())
            all_words += words
            compound = float(vader.polarity_scores(sentence)["compound"])
            compounds.append(compound)
            feeling = 0
            for i, word in enumerate(words):
                associated = _emotions_of(word, lexicon)
                if not associated:
                    continue
                if any(w in _NEGATIONS or w.endswith("n't") for w in words[max(0, i - 3) : i]):
                    continue
                counts.update(associated)
                affect_words += 1
                feeling += 1
            weights.append(abs(compound) + feeling)
        score = sum(compounds) / len(compounds) if compounds else 0.0
        if len(all_words) >= 4 and sum(w in _ENGLISH for w in all_words) / len(all_words) < 0.05:
            # Not English: say nothing rather than something wrong.
            score, counts, affect_words = 0.0, Counter(), 0
        score = max(-1.0, min(1.0, round(score, 4)))
        emotions = {e: (counts[e] / affect_words if affect_words else 0.0) for e in EMOTIONS}
        if score > POSITIVE_AT:
            emotions["joy"] = max(emotions["joy"], score / 2)
        elif score < -POSITIVE_AT:
            emotions["sadness"] = max(emotions["sadness"], -score / 2)
        lowered = text.lower()
        themes = find_themes(all_words, lowered)
        return EntryAnalysis(
            sentiment=sentiment_of(score),
            sentiment_score=score,
            summary=self._summary(sentences, weights, themes),
            themes=themes,
            emotions={e: round(min(1.0, v), 4) for e, v in emotions.items()},
        )

    def _summary(self, sentences: list[str], weights: list[float], themes: tuple[str, ...]) -> str:
        if not sentences:
            return ""
        # Richest sentences first; an earlier one wins a tie (it usually sets the scene).
        ranked = sorted(range(len(sentences)), key=lambda i: (-weights[i], i))
        chosen = [ranked[0]]
        for i in ranked[1:2]:
            if len(sentences[chosen[0]]) + 1 + len(sentences[i]) <= MAX_SUMMARY_CHARS:
                chosen.append(i)
        return _clip(" ".join(sentences[i] for i in sorted(chosen)), MAX_SUMMARY_CHARS)

    async def analyse_entry(self, text: str) -> EntryAnalysis:
        """The analysis of one entry's text."""
        return self.analyse(text)

    async def summarise_period(self, entries: list[AnalysedEntry]) -> str:
        """A written summary of a period: how many entries, their tone, recurring themes, and
        the most telling line."""
        return summarise_offline(entries)


def _day(moment: datetime) -> str:
    return f"{moment:%-d %b %Y}"


def summarise_offline(entries: list[AnalysedEntry]) -> str:
    """The offline written summary of several analysed entries (oldest first)."""
    if not entries:
        return "No analysed entries in this period."
    tones = Counter(e.analysis.sentiment for e in entries)
    themes: Counter[str] = Counter(t for e in entries for t in e.analysis.themes)
    mean = sum(e.analysis.sentiment_score for e in entries) / len(entries)
    first, last = entries[0].created_at, entries[-1].created_at
    parts = [
        f"{len(entries)} entries from {_day(first)} to {_day(last)}, "
        f"{tones[Sentiment.POSITIVE]} positive, {tones[Sentiment.NEUTRAL]} neutral and "
        f"{tones[Sentiment.NEGATIVE]} negative (mean sentiment {mean:+.2f})."
    ]
    recurring = [t for t, n in themes.most_common(3) if n > 1 or len(entries) < 3]
    if recurring:
        parts.append("Recurring themes: " + ", ".join(recurring) + ".")
    # The entry furthest from neutral says most about the period.
    telling = max(entries, key=lambda e: abs(e.analysis.sentiment_score))
    if telling.analysis.summary:
        parts.append(f"Most telling: “{_clip(telling.analysis.summary, 200)}”")
    return " ".join(parts)
