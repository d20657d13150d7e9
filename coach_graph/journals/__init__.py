"""Journal entries, their AI analysis, summaries and emotion trends."""
