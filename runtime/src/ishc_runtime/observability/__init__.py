"""Logs, metrics and traces shared by every service."""
