"""Surveys, their ordered questions, and clients' submissions."""
