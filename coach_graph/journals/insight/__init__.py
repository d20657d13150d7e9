"""Journal insight: the analyser protocol, the offline analyser and the optional provider."""
