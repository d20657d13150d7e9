"""Clients as their coach sees them: consent, activity, the My Clients table."""
