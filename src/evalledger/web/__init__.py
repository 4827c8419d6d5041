"""The web dashboard: server-rendered pages at ``/`` (see :mod:`evalledger.web.router`)."""
