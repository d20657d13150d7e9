"""Messages: one conversation per coach and linked client."""
