"""Per-region pricing rules."""
