"""Operations: backup and restore, health, the persistence report, CSV export and import."""
