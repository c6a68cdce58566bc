"""ISHC advocacy service."""
