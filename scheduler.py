"""Scheduler (filled in by the scheduling work)."""
