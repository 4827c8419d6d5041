"""The audit group: reading the log that other writes leave."""

from __future__ import annotations

from evalledger.errors import ValidationFailed
from tests.integration.parity import Ref, step

STEPS = [
    step("create_student", {"name": "Ann", "external_id": "a-1"}),
    step("create_student", {"name": "Bob"}),
    step("list_audit_log"),
    step("list_audit_log", entity_type="student", action="create", limit=1, save="first"),
    step("list_audit_log", entity_type="student", limit=1, cursor=Ref("first", "next_cursor")),
    step("list_audit_log", entity_type="nothing"),
    step("list_audit_log", since="2000-01-01T00:00:00Z", until="2999-01-01T00:00:00Z"),
    step("list_audit_log", since=1700000000, raises=ValidationFailed),
    step("list_audit_log", since="yesterday", raises=ValidationFailed),
    step("list_audit_log", entity_type="x" * 51, raises=ValidationFailed),
    step("list_audit_log", limit=0, raises=ValidationFailed),
    step("list_audit_log", limit=1001, raises=ValidationFailed),
    step("list_audit_log", cursor="x" * 501, raises=ValidationFailed),
]
