"""ISHC gateway."""
