"""The dashboard's CSRF rules, as the pure functions the router applies."""

from __future__ import annotations

from evalledger.web.csrf import forgery, new_token, same_host


def test_same_host_compares_host_and_port_not_scheme() -> None:
    assert same_host("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert same_host("https://ledger.example", "ledger.example")  # behind a TLS proxy
    assert same_host("https://Ledger.Example:443/x?y", "ledger.example")
    assert same_host("http://[::1]:8000", "[::1]:8000")
    for source, host in [
        ("http://127.0.0.1:8001", "127.0.0.1:8000"),
        ("http://evil.example", "ledger.example"),
        ("http://ledger.example.evil.example", "ledger.example"),
        ("null", "ledger.example"),
        ("", "ledger.example"),
        ("http://ledger.example", ""),
        ("http://[::1", "[::1]:8000"),
        ("http://h:99999", "h:99999"),
    ]:
        assert not same_host(source, host), (source, host)


def test_a_post_needs_its_own_origin_and_the_matching_token() -> None:
    token = new_token()
    ours = {"host": "h:8000", "origin": "http://h:8000"}
    assert forgery(ours, token, token) is None
    assert forgery({"host": "h:8000"}, token, token) is None  # no Origin: the token decides
    assert forgery({"host": "h:8000", "referer": "http://h:8000/sign-in"}, token, token) is None
    assert forgery({"host": "h:8000", "origin": "http://evil"}, token, token)
    assert forgery({"host": "h:8000", "origin": "null"}, token, token)
    assert forgery({"host": "h:8000", "referer": "http://evil/x"}, token, token)
    assert forgery(ours, token, None)
    assert forgery(ours, None, token)
    assert forgery(ours, token, new_token())
    assert forgery(ours, "short", "short")
