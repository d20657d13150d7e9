"""Patches of framework internals, one module per framework.

Each module names the exact upstream versions it was written for (pinned in pyproject.toml),
says what upstream behaviour it corrects and how to remove it, and has a guard test in
tests/patches/ that fails when an upgrade moves what the patch relies on.
"""
