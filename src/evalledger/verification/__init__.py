"""Verification: combining independent verdicts on a result into one consensus decision."""
