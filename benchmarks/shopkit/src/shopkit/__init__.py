"""Orders, pricing, shipping and reports for a small shop."""

__version__ = "1.4.0"
