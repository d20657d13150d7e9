"""Alerts: per-coach rules, the evaluator that raises alerts, stats, and the live feed."""
