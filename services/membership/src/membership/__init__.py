"""ISHC membership service."""
