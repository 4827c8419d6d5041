"""Credentials out of every message: one function for database URLs, one for free text.

A database URL reaches messages in many ways: a configuration error quoting a malformed
value, a log line, an error raised by the driver or by ``pg_dump``, a health report. All of
them go through :func:`redact_url` (a value known to be a URL) or :func:`redact` (text that
may contain URLs). Neither relies on SQLAlchemy being able to parse the URL, because the
URLs that most need redacting are the malformed ones: ``postgresql://app:s3cret/db``
(no ``@``, so a parser takes the password for a port) or ``app:s3cret@db/ledger`` (no scheme).

The rule: in the part before the last ``@`` of the authority, everything after the first
``:`` is the password; without an ``@``, a non-numeric "port" may be one too; a
``password=`` query parameter is a password. Each becomes ``***``.
"""

from __future__ import annotations

import re

MASK = "***"

#: A URL inside free text, up to whitespace or a quote: anything with a ``scheme://``, and
#: anything with ``user:...@`` (a URL whose scheme is mistyped or missing).
_URL_IN_TEXT = re.compile(
    # The lookbehinds let a match start only where a scheme or a token starts: linear time
    # on long input (log lines carry request paths a client chose).
    r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+"
    r"|(?<![^\s'\"<>])(?=[^\s'\"<>:@]*:[^\s'\"<>]*@)[^\s'\"<>]+"
)
#: libpq and asyncpg accept the password as a query parameter too.
_PASSWORD_PARAM = re.compile(r"((?:^|[?&;])(?:password|passwd|pwd|sslpassword)=)[^&;#\s]*", re.I)


def _mask_authority(rest: str) -> str:
    """``rest`` is a URL without its ``scheme://``; mask the password in its authority."""
    at = rest.rfind("@")
    if at >= 0:
        userinfo, tail = rest[:at], rest[at + 1 :]
        if ":" in userinfo:
            return f"{userinfo.split(':', 1)[0]}:{MASK}@{tail}"
        return rest
    end = len(rest)
    for stop in "/?#":
        index = rest.find(stop)
        if index >= 0:
            end = min(end, index)
    authority = rest[:end]
    if authority.startswith("["):  # an IPv6 literal: [::1]:5432
        return rest
    host, colon, port = authority.partition(":")
    if colon and not port.isdigit():
        return f"{host}:{MASK}{rest[end:]}"
    return rest


def redact_url(url: str) -> str:
    """``url`` (well-formed or not) with any password replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    masked = f"{scheme}{sep}{_mask_authority(rest)}" if sep else _mask_authority(url)
    return _PASSWORD_PARAM.sub(rf"\1{MASK}", masked)


def redact(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``.

    In free text a URL ends at whitespace, so an unescaped space inside a password (which a
    valid URL spells ``%20``) leaves what follows it; values known to be URLs go through
    :func:`redact_url` whole.
    """
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
