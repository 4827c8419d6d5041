"""``evalledger serve`` refusing to start never prints the database password."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.integration.test_server_and_clients import _env

PASSWORD = "s3cretPW"


def _serve(database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evalledger.cli.main", "serve", "--port", "1"],
        env=_env(EVALLEDGER_DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://app:{PASSWORD}/ledger",  # the password where a port would be
        f"postgresql//app:{PASSWORD}@127.0.0.1/ledger",  # not a URL: it used to be echoed whole
    ],
)
def test_a_malformed_url_exits_2_with_one_line_and_no_password(url: str) -> None:
    done = _serve(url)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "EVALLEDGER_DATABASE_URL" in lines[0], done.stderr
    assert PASSWORD not in done.stderr + done.stdout
    assert "***" in lines[0]


def test_a_server_that_refuses_the_role_exits_2_with_one_line_and_no_password() -> None:
    # The local test server (trust auth) answers, and refuses a role that does not exist.
    done = _serve(f"postgresql://no_such_role_x:{PASSWORD}@127.0.0.1:5432/postgres")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "cannot log in" in lines[0] and "no_such_role_x" in lines[0]
    assert PASSWORD not in done.stderr + done.stdout


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    done = _serve(f"postgresql://app:{PASSWORD}@127.0.0.1:1/ledger")
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach" in lines[0], done.stderr
    assert PASSWORD not in done.stderr + done.stdout
