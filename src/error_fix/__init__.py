"""error-fix: decide what to do with a proposed fix for an error."""

__version__ = "0.1.0"
