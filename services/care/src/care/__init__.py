"""ISHC care service."""
