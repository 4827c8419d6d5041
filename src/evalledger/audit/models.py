"""The ``audit_log`` table: defined in :mod:`evalledger.db.audit_log` (every unit of work
writes it), named here so the audit domain's models are where the registry looks."""

from evalledger.db.audit_log import AuditLog

__all__ = ["AuditLog"]
