"""Diff-scoped mutation testing: do the tests pin the fix down? (see stage.py)."""
