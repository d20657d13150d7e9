"""Exports of a client's session history as CSV and PDF (SPEC.md, Sessions)."""

from coach_graph.sessions.exports.routes import export_routes

__all__ = ["export_routes"]
