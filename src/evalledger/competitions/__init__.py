"""Competitions: turning per-event agent scores into ratings and rankings."""
