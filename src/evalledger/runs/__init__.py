"""Evaluation runs brought in from the harnesses people already use (issue #18).

:mod:`evalledger.runs.formats` reads the harnesses' log files (no database, no harness
package imported); the runs domain stores what it reads.
"""
