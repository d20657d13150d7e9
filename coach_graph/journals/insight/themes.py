"""The theme vocabulary of coaching journals, and how themes are found in a text.

Each theme is found from its keywords; a keyword ending in `*` matches any word starting with
it (`sleep*` matches sleeping, sleepless). An entry gets the themes with the most hits (at most
five); an entry that names none of them is tagged `reflection`, so every entry has a theme.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

FALLBACK_THEME = "reflection"

# Theme -> keywords. Documented in README.md; keep the two in step.
VOCABULARY: dict[str, tuple[str, ...]] = {
    "sleep": (
        "sleep*",
        "slept",
        "insomnia",
        "tired",
        "nap*",
        "bedtime",
        "nightmare*",
        "dream*",
        "woke",
        "wake*",
        "waking",
        "rested",
        "exhausted",
        "fatigue*",
        "restless",
        "snooz*",
    ),
    "work": (
        "work*",
        "job*",
        "boss*",
        "office",
        "deadline*",
        "meeting*",
        "colleague*",
        "coworker*",
        "manager*",
        "project*",
        "career*",
        "promotion",
        "client*",
        "shift*",
        "email*",
        "presentation*",
        "interview*",
        "salary",
        "team*",
    ),
    "family": (
        "family",
        "families",
        "mum*",
        "mom*",
        "mother*",
        "dad*",
        "father*",
        "parent*",
        "kid*",
        "child*",
        "son",
        "sons",
        "daughter*",
        "sister*",
        "brother*",
        "sibling*",
        "grandm*",
        "grandp*",
        "grandparent*",
        "aunt*",
        "uncle*",
        "cousin*",
        "toddler*",
    ),
    "relationships": (
        "partner*",
        "boyfriend*",
        "girlfriend*",
        "husband*",
        "wife",
        "wives",
        "friend*",
        "relationship*",
        "date",
        "dating",
        "breakup*",
        "divorce*",
        "marriage",
        "married",
        "spouse*",
        "argument*",
        "argued",
        "fight",
        "fought",
        "romantic",
        "lover*",
    ),
    "anxiety": (
        "anxious*",
        "anxiety",
        "anxieties",
        "worry*",
        "worried",
        "worries",
        "nervous*",
        "panic*",
        "dread*",
        "fear*",
        "afraid",
        "scared",
        "uneasy",
        "on edge",
        "racing",
        "overthink*",
    ),
    "stress": (
        "stress*",
        "overwhelm*",
        "pressure*",
        "burnout",
        "burned out",
        "burnt out",
        "too much",
        "swamped",
        "hectic",
        "frantic",
    ),
    "exercise": (
        "exercis*",
        "gym",
        "workout*",
        "run",
        "runs",
        "ran",
        "running",
        "jog*",
        "yoga",
        "walk*",
        "hike*",
        "hiking",
        "swim*",
        "cycl*",
        "bike*",
        "training",
        "stretch*",
        "pilates",
        "sport*",
        "football",
        "tennis",
        "steps",
    ),
    "self-care": (
        "self-care",
        "selfcare",
        "meditat*",
        "mindful*",
        "bath",
        "relax*",
        "me time",
        "journaling",
        "breath*",
        "massage",
        "pamper*",
        "unwind*",
        "boundar*",
        "rest day",
        "read a book",
        "skincare",
    ),
    "health": (
        "health*",
        "doctor*",
        "sick",
        "ill",
        "illness",
        "pain*",
        "headache*",
        "migraine*",
        "medication*",
        "therap*",
        "hospital*",
        "injur*",
        "flu",
        "cold",
        "symptom*",
        "diagnos*",
    ),
    "nutrition": (
        "eat",
        "eats",
        "eating",
        "ate",
        "food*",
        "meal*",
        "diet*",
        "cook*",
        "breakfast",
        "lunch",
        "dinner",
        "snack*",
        "sugar",
        "vegetable*",
        "water",
        "coffee",
        "alcohol",
        "drink*",
    ),
    "finances": (
        "money",
        "rent",
        "bill*",
        "debt*",
        "budget*",
        "savings",
        "paycheck",
        "expens*",
        "afford*",
        "loan*",
        "mortgage",
        "financ*",
        "bank*",
    ),
    "goals": (
        "goal*",
        "plan",
        "plans",
        "planning",
        "progress*",
        "habit*",
        "achiev*",
        "milestone*",
        "target*",
        "routine*",
        "resolution*",
        "accomplish*",
        "motivat*",
        "procrastinat*",
    ),
    "gratitude": (
        "grateful",
        "gratitude",
        "thankful",
        "thank*",
        "appreciat*",
        "blessed",
        "lucky",
    ),
    "confidence": (
        "confiden*",
        "self-esteem",
        "doubt*",
        "insecur*",
        "proud",
        "pride",
        "imposter",
        "impostor",
        "believe in myself",
        "worthless",
        "capable",
    ),
    "loneliness": (
        "lonely",
        "loneliness",
        "alone",
        "isolat*",
        "left out",
        "nobody",
        "no one",
        "disconnected",
    ),
    "mood": (
        "mood*",
        "sad",
        "sadness",
        "feeling down",
        "felt down",
        "feeling low",
        "felt low",
        "cry*",
        "cried",
        "tears",
        "depress*",
        "numb",
        "empty",
        "hopeless",
        "happy",
        "happier",
        "cheerful",
        "upbeat",
    ),
}


class _Matcher:
    """Keyword lookup built once: exact words, word prefixes and multi-word phrases."""

    def __init__(self, vocabulary: dict[str, tuple[str, ...]]) -> None:
        self.exact: dict[str, list[str]] = {}
        self.prefixes: list[tuple[str, str]] = []
        self.phrases: list[tuple[str, str]] = []
        for theme, keywords in vocabulary.items():
            for kw in keywords:
                if " " in kw:
                    self.phrases.append((kw, theme))
                elif kw.endswith("*"):
                    self.prefixes.append((kw[:-1], theme))
                else:
                    self.exact.setdefault(kw, []).append(theme)
        self._cache: dict[str, tuple[str, ...]] = {}

    def themes_of(self, word: str) -> tuple[str, ...]:
        found = self._cache.get(word)
        if found is None:
            hits = list(self.exact.get(word, ()))
            hits += [t for p, t in self.prefixes if word.startswith(p) and t not in hits]
            found = tuple(hits)
            if len(self._cache) < 50_000:
                self._cache[word] = found
        return found


_MATCHER = _Matcher(VOCABULARY)


def find_themes(words: Sequence[str], lowered_text: str, limit: int = 5) -> tuple[str, ...]:
    """The themes of a text (most hits first, ties in vocabulary order), 1 to `limit` of them."""
    hits: Counter[str] = Counter()
    for word in words:
        hits.update(_MATCHER.themes_of(word))
    for phrase, theme in _MATCHER.phrases:
        if phrase in lowered_text:
            hits[theme] += lowered_text.count(phrase)
    if not hits:
        return (FALLBACK_THEME,)
    order = {t: i for i, t in enumerate(VOCABULARY)}
    ranked = sorted(hits, key=lambda t: (-hits[t], order[t]))
    return tuple(ranked[:limit])
