"""Cross-site request forgery defence for the dashboard's forms (sign-in, sign-out).

``SameSite=Strict`` on the session cookie stops another site from *using* a session, but
not from *creating* one: a page elsewhere can post the attacker's key to ``/sign-in`` and
the victim's browser stores the session it answers with (login CSRF: the victim then reads,
and trusts, the attacker's project). So every dashboard POST passes two checks:

- **Origin.** A browser names the page a form came from in ``Origin`` (or, failing that,
  ``Referer``). When either is present it must be this server's own host and port; anything
  else, ``null`` included, is refused.
- **Token.** A double-submit token: a random value in the ``evalledger_csrf`` cookie
  (``HttpOnly``, ``SameSite=Strict``) that the server also writes into each form's hidden
  ``csrf`` field, and a POST must carry both, equal. Another site can start a POST to this
  server but can read neither the cookie nor the page holding the field, so it cannot send
  a matching pair.

Both are required, so a request without ``Origin`` and ``Referer`` (some privacy tools
strip them) still needs the token. The checks are pure functions of the request's headers,
cookie and form, below; the router applies them.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

COOKIE = "evalledger_csrf"
FIELD = "csrf"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def valid_token(value: str | None) -> bool:
    return bool(value) and _TOKEN.match(value or "") is not None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_host(source: str, host: str) -> bool:
    """True when the URL ``source`` (an Origin or Referer) names ``host`` (``Host``).

    Host and port are compared (a default port written or left out is the same port); the
    scheme is not, since behind a TLS-terminating proxy the browser says ``https`` while the
    server sees ``http``. Host and port are what another site cannot fake.
    """
    if not source or not host:
        return False
    try:
        parts = urlsplit(source)
        theirs = (parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme))
        ours = urlsplit(f"{parts.scheme or 'http'}://{host.strip()}")
        mine = (ours.hostname, ours.port or _DEFAULT_PORTS.get(ours.scheme))
    except ValueError:  # a malformed port or IPv6 literal
        return False
    return theirs[0] is not None and theirs == mine


def forgery(
    headers: Mapping[str, str], cookie_token: str | None, form_token: str | None
) -> str | None:
    """Why a dashboard POST looks forged, or None when it came from this site's own form."""
    host = headers.get("host", "")
    origin = headers.get("origin")
    referer = headers.get("referer")
    if origin is not None:
        if not same_host(origin, host):
            return "this form was sent from another site"
    elif referer is not None and not same_host(referer, host):
        return "this form was sent from another site"
    if not (valid_token(cookie_token) and valid_token(form_token)):
        return "this form has expired or is missing its security token"
    assert cookie_token is not None and form_token is not None
    if not hmac.compare_digest(cookie_token, form_token):
        return "this form has expired or is missing its security token"
    return None
