"""The ``evalledger`` command line."""
