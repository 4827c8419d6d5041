"""Files written whole or not at all, under names nobody else can take.

Backups and exports are written to a hidden temporary file in the destination folder, flushed
to disk (``fsync``), and only then given their real name. A backup's real name is taken with
``os.link``, which fails instead of replacing a file that is already there, so two writers
can never overwrite each other's file; an export the user named explicitly is moved over the
old one with ``os.replace``. A reader never sees a half-written file under a real name.

A file-system problem (a full disk, a folder that is a file, no permission) is reported as
:class:`StorageError`, naming the file, so it is never mistaken for a database outage.
"""

from __future__ import annotations

import errno
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from evalledger.errors import EvalLedgerError, ValidationFailed


class StorageError(EvalLedgerError):
    """The server could not write a file: a storage problem, not a database one."""

    status = 507


def unique_name(prefix: str, suffix: str, *, now: datetime | None = None) -> str:
    """``<prefix><UTC time to the microsecond>-<8 random hex digits><suffix>``.

    The time keeps names in creation order (listings and rotation sort by name); the random
    part makes two names taken in the same microsecond, by two processes, still differ.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{prefix}{stamp}-{secrets.token_hex(4)}{suffix}"


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """Turn an ``OSError`` from file work into a :class:`StorageError` naming ``what``.

    Connection errors and timeouts pass through untouched: inside a backup they come from the
    database, and must keep meaning "database unavailable".
    """
    try:
        yield
    except (StorageError, ConnectionError, TimeoutError):
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        if exc.errno == errno.ENAMETOOLONG:  # the name asked for, not the storage, is at fault
            raise ValidationFailed(f"cannot write {what}: {reason}"[:500]) from exc
        raise StorageError(f"cannot write {what}: {reason}"[:500]) from exc


def fsync_dir(folder: Path) -> None:
    """Make a rename or link in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(temporary: Path, final: Path, *, overwrite: bool = False) -> None:
    """Give a finished temporary file its real name (refusing to replace one, by default)."""
    if overwrite:
        os.replace(temporary, final)
    else:
        try:
            os.link(temporary, final)
        except FileExistsError:
            raise StorageError(f"{final} already exists; it was not overwritten") from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            # No hard links here (some network file systems): claim the name exclusively,
            # then move the finished file over our own placeholder.
            try:
                os.close(os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                raise StorageError(f"{final} already exists; it was not overwritten") from None
            os.replace(temporary, final)
        temporary.unlink(missing_ok=True)
    fsync_dir(final.parent)


def temporary_beside(final: Path) -> Path:
    """A new, empty, hidden file in ``final``'s folder (so the last step is a rename)."""
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".partial")
    os.close(fd)
    return Path(name)


@contextmanager
def new_file(final: Path, *, overwrite: bool = False) -> Iterator[BinaryIO]:
    """Write ``final`` atomically: yields a binary file; on success it appears whole."""
    with storage_errors(str(final)):
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = temporary_beside(final)
    try:
        with storage_errors(str(final)):
            with temporary.open("wb") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            publish(temporary, final, overwrite=overwrite)
    finally:
        temporary.unlink(missing_ok=True)
