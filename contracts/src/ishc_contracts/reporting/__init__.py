"""Reporting contracts: queries only (reporting is a read side: no commands, no events)."""

from ishc_contracts.reporting.queries import QUERIES

__all__ = ["QUERIES"]
