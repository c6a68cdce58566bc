"""ISHC finance service."""
