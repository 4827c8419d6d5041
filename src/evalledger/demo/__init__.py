"""``evalledger demo``: realistic, deterministic demo data across every domain.

The generator lives in :mod:`evalledger.demo.generator` (``generate(ledger, size, seed)``).
"""
