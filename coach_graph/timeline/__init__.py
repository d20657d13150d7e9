"""The activity timeline: one reverse-chronological list of what a client did and was given."""
