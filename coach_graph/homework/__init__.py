"""Modules, lessons, and homework: lessons a coach assigns to a client."""
