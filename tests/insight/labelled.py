"""A labelled set of short journal-style texts, written for this project.

Each item: the text, its expected sentiment, and the themes a coach would tag it with (from the
documented vocabulary; `reflection` when none applies). The emotion it mainly shows, when one
clearly dominates, is the fourth field.
"""

from __future__ import annotations

LABELLED: list[tuple[str, str, set[str], str | None]] = [
    # positive
    (
        "Slept eight hours for the first time in weeks and woke up feeling rested and happy.",
        "POSITIVE",
        {"sleep", "mood"},
        "joy",
    ),
    (
        "Great day at work: my manager praised the project and I felt proud of the team.",
        "POSITIVE",
        {"work", "confidence"},
        "joy",
    ),
    (
        "Went for a long run by the river, the sunshine made me feel wonderful.",
        "POSITIVE",
        {"exercise"},
        "joy",
    ),
    (
        "Dinner with my parents and the kids was lovely, we laughed a lot.",
        "POSITIVE",
        {"family", "nutrition"},
        "joy",
    ),
    (
        "My partner surprised me with flowers and I felt so loved.",
        "POSITIVE",
        {"relationships"},
        "joy",
    ),
    (
        "Meditated for twenty minutes and took a warm bath; I feel calm and relaxed.",
        "POSITIVE",
        {"self-care"},
        "trust",
    ),
    (
        "I am grateful for my friends who always support me.",
        "POSITIVE",
        {"gratitude", "relationships"},
        "trust",
    ),
    ("Finally paid off my credit card debt, such a relief!", "POSITIVE", {"finances"}, "joy"),
    (
        "I reached my goal of walking ten thousand steps every day this week. "
        "Proud of the progress.",
        "POSITIVE",
        {"goals", "exercise", "confidence"},
        "joy",
    ),
    (
        "Cooked a healthy breakfast and ate vegetables at every meal, feeling good.",
        "POSITIVE",
        {"nutrition"},
        "joy",
    ),
    ("Yoga class this morning was amazing and I feel strong.", "POSITIVE", {"exercise"}, "joy"),
    (
        "The doctor said my health is improving and the pain is gone. Wonderful news.",
        "POSITIVE",
        {"health"},
        "joy",
    ),
    (
        "I am excited about the trip next week and looking forward to seeing my sister.",
        "POSITIVE",
        {"family"},
        "anticipation",
    ),
    (
        "Had a fun evening with friends, good food and lots of laughter.",
        "POSITIVE",
        {"relationships", "nutrition"},
        "joy",
    ),
    (
        "I trust my coach and I feel confident about the plan we made.",
        "POSITIVE",
        {"confidence", "goals"},
        "trust",
    ),
    (
        "What a pleasant surprise, my old friend called out of the blue and we talked for hours.",
        "POSITIVE",
        {"relationships"},
        "surprise",
    ),
    (
        "I feel hopeful about the interview tomorrow, I prepared well.",
        "POSITIVE",
        {"work"},
        "anticipation",
    ),
    (
        "Today was peaceful. I read a book in the garden and enjoyed the quiet.",
        "POSITIVE",
        {"self-care"},
        "joy",
    ),
    (
        "My daughter hugged me and said thank you, it made my whole week.",
        "POSITIVE",
        {"family", "gratitude"},
        "joy",
    ),
    (
        "Slept well, exercised at the gym and had a productive day at the office. Happy!",
        "POSITIVE",
        {"sleep", "exercise", "work", "mood"},
        "joy",
    ),
    (
        "I love my new routine of morning walks and journaling.",
        "POSITIVE",
        {"exercise", "goals", "self-care"},
        "joy",
    ),
    ("Got a promotion at my job today! I am thrilled.", "POSITIVE", {"work"}, "joy"),
    # negative
    (
        "I could not sleep again, lying awake until 4am with my mind racing.",
        "NEGATIVE",
        {"sleep", "anxiety"},
        "fear",
    ),
    (
        "My boss yelled at me in the meeting and I felt humiliated and angry.",
        "NEGATIVE",
        {"work"},
        "anger",
    ),
    (
        "Feeling anxious and worried about everything, my chest is tight.",
        "NEGATIVE",
        {"anxiety"},
        "fear",
    ),
    (
        "Had a terrible fight with my husband and I cried for an hour.",
        "NEGATIVE",
        {"relationships", "mood"},
        "sadness",
    ),
    ("I feel so lonely, nobody called me all weekend.", "NEGATIVE", {"loneliness"}, "sadness"),
    (
        "Work is overwhelming, too many deadlines and I am stressed all the time.",
        "NEGATIVE",
        {"work", "stress"},
        "fear",
    ),
    ("My mother is sick in hospital and I am scared.", "NEGATIVE", {"family", "health"}, "fear"),
    (
        "I skipped the gym again and ate junk food, I hate myself for it.",
        "NEGATIVE",
        {"exercise", "nutrition"},
        "disgust",
    ),
    (
        "The rent went up and I cannot afford the bills, I panic about money.",
        "NEGATIVE",
        {"finances", "anxiety"},
        "fear",
    ),
    ("I feel sad and empty today, nothing seems to matter.", "NEGATIVE", {"mood"}, "sadness"),
    (
        "That meeting was disgusting, my colleague took credit for my work.",
        "NEGATIVE",
        {"work"},
        "disgust",
    ),
    ("I am furious with my brother, he lied to me again.", "NEGATIVE", {"family"}, "anger"),
    (
        "Exhausted and tired, I barely slept and have a headache.",
        "NEGATIVE",
        {"sleep", "health"},
        "sadness",
    ),
    (
        "I doubt myself constantly and feel like an impostor at work.",
        "NEGATIVE",
        {"confidence", "work"},
        "fear",
    ),
    ("Another panic attack on the train, I was terrified.", "NEGATIVE", {"anxiety"}, "fear"),
    (
        "My friend cancelled our plans and I feel rejected and hurt.",
        "NEGATIVE",
        {"relationships"},
        "sadness",
    ),
    (
        "I failed my goal again, I keep procrastinating and feel useless.",
        "NEGATIVE",
        {"goals"},
        "sadness",
    ),
    (
        "The argument with my partner left me upset and frustrated.",
        "NEGATIVE",
        {"relationships"},
        "anger",
    ),
    (
        "I feel burnt out, the pressure at work is too much.",
        "NEGATIVE",
        {"work", "stress"},
        "sadness",
    ),
    (
        "Shocked and hurt by the news of the layoffs, I am afraid for my job.",
        "NEGATIVE",
        {"work", "anxiety"},
        "fear",
    ),
    # neutral
    ("Went to the office, had two meetings, came home at six.", "NEUTRAL", {"work"}, None),
    ("Today I did the laundry and cleaned the kitchen.", "NEUTRAL", {"reflection"}, None),
    ("Took the bus to town and bought groceries.", "NEUTRAL", {"reflection"}, None),
    ("My sister visited in the afternoon.", "NEUTRAL", {"family"}, None),
    ("Walked to the station, then worked from the library.", "NEUTRAL", {"exercise", "work"}, None),
    ("Had lunch at noon and dinner at seven.", "NEUTRAL", {"nutrition"}, None),
    ("The meeting moved to Thursday.", "NEUTRAL", {"work"}, None),
    ("I slept from eleven to seven.", "NEUTRAL", {"sleep"}, None),
    ("Answered emails in the morning and wrote a report.", "NEUTRAL", {"work"}, None),
    ("Paid the electricity bill online.", "NEUTRAL", {"finances"}, None),
    ("Drove my son to school, then went to the dentist.", "NEUTRAL", {"family"}, None),
    ("Watched the news and went to bed.", "NEUTRAL", {"reflection"}, None),
    ("Spent the evening planning next week's schedule.", "NEUTRAL", {"goals"}, None),
    ("The weather was grey and it rained in the afternoon.", "NEUTRAL", {"reflection"}, None),
    ("Had a check-up at the doctor's office.", "NEUTRAL", {"health"}, None),
    (
        "I changed my phone plan and updated my budget spreadsheet.",
        "NEUTRAL",
        {"finances", "goals"},
        None,
    ),
    ("Called my dad to ask about the weekend.", "NEUTRAL", {"family"}, None),
    ("Drank coffee and read the paper.", "NEUTRAL", {"nutrition"}, None),
    # mixed but leaning
    (
        "Work was stressful but the evening walk with my dog helped me relax and feel better.",
        "POSITIVE",
        {"work", "stress", "exercise", "self-care"},
        None,
    ),
    (
        "I was nervous before the presentation, but it went really well and people clapped.",
        "POSITIVE",
        {"work", "anxiety"},
        None,
    ),
    (
        "The holiday was nice at first, but I ended up feeling sad and alone.",
        "NEGATIVE",
        {"loneliness", "mood"},
        "sadness",
    ),
    (
        "I was disgusted by the mess in the flat and angry that nobody cleaned.",
        "NEGATIVE",
        {"reflection"},
        "disgust",
    ),
]
