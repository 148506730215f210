"""Price statistics for the demo shop."""
