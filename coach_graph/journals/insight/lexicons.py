"""The lexicons of the offline analyser, loaded once from installed packages (never downloaded).

- Sentiment: VADER (vaderSentiment, MIT licence), its lexicon ships inside the package.
- Emotions: the NRC Word-Emotion Association Lexicon as shipped in the nrclex package
  (`nrclex/data/nrc_en.json`). We read the JSON ourselves and never import nrclex's code, which
  would pull in TextBlob. The NRC lexicon is free for research and non-commercial use; commercial
  use needs a licence from the National Research Council Canada (see README.md).
- A small supplement of our own for everyday journal words the NRC list lacks (sad, scared,
  relaxed, ...), written for this project.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from coach_graph.journals.models import EMOTIONS

# Our own additions: word -> emotions. Only words the NRC list lacks or under-scores.
SUPPLEMENT: dict[str, tuple[str, ...]] = {
    "sad": ("sadness",),
    "sadder": ("sadness",),
    "unhappy": ("sadness",),
    "miserable": ("sadness", "disgust"),
    "heartbroken": ("sadness",),
    "tearful": ("sadness",),
    "cried": ("sadness",),
    "scared": ("fear",),
    "terrified": ("fear",),
    "frightened": ("fear",),
    "worried": ("fear", "sadness"),
    "worrying": ("fear", "anticipation"),
    "uneasy": ("fear",),
    "stressed": ("fear", "anger"),
    "overwhelmed": ("fear", "sadness"),
    "shocked": ("surprise", "fear"),
    "stunned": ("surprise",),
    "amazed": ("surprise", "joy"),
    "unexpected": ("surprise",),
    "unexpectedly": ("surprise",),
    "suddenly": ("surprise",),
    "disgusted": ("disgust", "anger"),
    "gross": ("disgust",),
    "revolting": ("disgust",),
    "annoyed": ("anger",),
    "irritated": ("anger",),
    "livid": ("anger",),
    "mad": ("anger",),
    "resentful": ("anger", "sadness"),
    "happier": ("joy",),
    "glad": ("joy",),
    "delighted": ("joy", "surprise"),
    "relaxed": ("joy", "trust"),
    "grateful": ("joy", "trust"),
    "thankful": ("joy", "trust"),
    "calm": ("trust", "joy"),
    "supported": ("trust",),
    "supportive": ("trust",),
    "reliable": ("trust",),
    "rely": ("trust",),
    "trusted": ("trust",),
    "safe": ("trust",),
    "eager": ("anticipation", "joy"),
    "excited": ("anticipation", "joy"),
    "upcoming": ("anticipation",),
    "tomorrow": ("anticipation",),
    "soon": ("anticipation",),
    "plan": ("anticipation",),
    "planning": ("anticipation",),
    "await": ("anticipation",),
    "awaiting": ("anticipation",),
    "wait": ("anticipation",),
    "hopeful": ("anticipation", "joy"),
    "lonely": ("sadness",),
    "exhausted": ("sadness",),
    "tired": ("sadness",),
}

EMOTION_SET = frozenset(EMOTIONS)


@cache
def vader() -> SentimentIntensityAnalyzer:
    """VADER's analyser (reads its bundled lexicon the first time)."""
    return SentimentIntensityAnalyzer()


@cache
def emotion_lexicon() -> dict[str, frozenset[str]]:
    """word -> the basic emotions it is associated with (NRC plus our supplement)."""
    source = resources.files("nrclex.data").joinpath("nrc_en.json")
    raw: dict[str, list[str]] = json.loads(source.read_text(encoding="utf-8"))
    lexicon = {
        word: frozenset(e for e in affects if e in EMOTION_SET) for word, affects in raw.items()
    }
    for word, emotions in SUPPLEMENT.items():
        lexicon[word] = frozenset(emotions)
    return {w: e for w, e in lexicon.items() if e}
