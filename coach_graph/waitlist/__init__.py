"""The waitlist: clients waiting for a coach's time to open, told at once when one does."""
