"""The `ishc` operator command."""
