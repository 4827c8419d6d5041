"""Assessments (seed 003): students, skill assessments with their evidence, export/import and
the integrity verifier."""
