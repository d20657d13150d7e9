"""Calendar feeds: a person's sessions as a private iCalendar subscription URL."""
