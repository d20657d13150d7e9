"""Webhooks: a coach's HTTPS endpoints told of their practice's events (Standard Webhooks)."""
