"""Shared database mechanisms: types, base and mixins, engine, dialect helpers, migrations."""
