"""Structured logging (structlog), JSON by default, with secrets scrubbed before output."""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

from evalledger.redact import redact

_SECRET = re.compile(r"evl_[0-9a-f]{8}_[A-Za-z0-9_-]+")
_SENSITIVE_KEYS = {"authorization", "api_key", "secret", "password", "token"}


def scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(_SECRET.sub("evl_***", value))
    return value


def _scrub_processor(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in _SENSITIVE_KEYS:
            event[key] = "***"
        else:
            event[key] = scrub(event[key])
    return event


def configure_logging(level: str = "info", json_output: bool = True) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _scrub_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        cache_logger_on_first_use=True,
    )
