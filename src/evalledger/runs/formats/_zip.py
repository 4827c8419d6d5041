"""A streaming reader of ZIP members, for Inspect's ``.eval`` logs.

Why not :mod:`zipfile`: Inspect's writers compress members with zstandard (ZIP method 93),
which Python reads only from 3.14; and ``zipfile`` loads the whole central directory into
``ZipInfo`` objects, so a log of a million samples costs hundreds of MB before one is read.
Here the central directory is walked entry by entry and a member's bytes are read at its
local header's offset, decompressed by method (0 stored, 8 deflate, 93 zstandard) and
checked against its size and CRC-32.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import zstandard

from evalledger.runs.formats.base import LogFormatError

_EOCD = struct.Struct("<IHHHHIIH")  # end of central directory record
_EOCD_SIG = 0x06054B50
_ZIP64_LOCATOR = struct.Struct("<IIQI")
_ZIP64_LOCATOR_SIG = 0x07064B50
_ZIP64_EOCD = struct.Struct("<IQHHIIQQQQ")
_ZIP64_EOCD_SIG = 0x06064B50
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_CENTRAL_SIG = 0x02014B50
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_LOCAL_SIG = 0x04034B50
STORED, DEFLATED, ZSTANDARD = 0, 8, 93
#: A member larger than this is refused rather than decompressed into memory.
MAX_MEMBER_BYTES = 2 << 30


@dataclass(frozen=True)
class Member:
    name: str
    method: int
    compressed_size: int
    size: int
    offset: int
    #: CRC-32 of the decompressed bytes, from the central directory
    crc: int


def is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _central_directory(path: Path, fh: IO[bytes]) -> tuple[int, int]:
    """(offset, entry count) of the central directory, from the end records."""
    fh.seek(0, 2)
    end = fh.tell()
    tail_len = min(end, _EOCD.size + 65535)
    fh.seek(end - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(struct.pack("<I", _EOCD_SIG))
    if at < 0 or len(tail) - at < _EOCD.size:
        raise LogFormatError(path, "not a complete ZIP archive (truncated: no end record)")
    _, _, _, _, count, _, offset, _ = _EOCD.unpack_from(tail, at)
    if offset == 0xFFFFFFFF or count == 0xFFFF:
        loc_at = at - _ZIP64_LOCATOR.size
        if loc_at < 0:
            raise LogFormatError(path, "ZIP64 archive without its locator")
        sig, _, eocd64_offset, _ = _ZIP64_LOCATOR.unpack_from(tail, loc_at)
        if sig != _ZIP64_LOCATOR_SIG:
            raise LogFormatError(path, "ZIP64 archive without its locator")
        fh.seek(eocd64_offset)
        record = fh.read(_ZIP64_EOCD.size)
        if len(record) < _ZIP64_EOCD.size or _ZIP64_EOCD.unpack(record)[0] != _ZIP64_EOCD_SIG:
            raise LogFormatError(path, "ZIP64 end record is corrupt")
        fields = _ZIP64_EOCD.unpack(record)
        count, offset = fields[7], fields[9]
    if offset > end:
        raise LogFormatError(path, "not a complete ZIP archive (truncated)")
    return offset, count


def iter_members(path: Path) -> Iterator[Member]:
    """The archive's members in central-directory order, one entry read at a time."""
    with path.open("rb") as fh:
        offset, count = _central_directory(path, fh)
        fh.seek(offset)
        for _ in range(count):
            head = fh.read(_CENTRAL.size)
            if len(head) < _CENTRAL.size or _CENTRAL.unpack(head)[0] != _CENTRAL_SIG:
                raise LogFormatError(path, "ZIP central directory is corrupt")
            fields = _CENTRAL.unpack(head)
            method, crc, csize, usize = fields[4], fields[7], fields[8], fields[9]
            name_len, extra_len, comment_len, local = fields[10], fields[11], fields[12], fields[16]
            name = fh.read(name_len).decode("utf-8", errors="replace")
            extra = fh.read(extra_len)
            fh.seek(comment_len, 1)
            usize, csize, local = _zip64_sizes(extra, usize, csize, local)
            yield Member(name, method, csize, usize, local, crc)


def _zip64_sizes(extra: bytes, usize: int, csize: int, local: int) -> tuple[int, int, int]:
    """Sizes and offset from the ZIP64 extra field, for those the entry marks 0xFFFFFFFF."""
    at = 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, at)
        if tag == 0x0001:
            values = iter(struct.unpack_from(f"<{size // 8}Q", extra, at + 4))
            if usize == 0xFFFFFFFF:
                usize = next(values)
            if csize == 0xFFFFFFFF:
                csize = next(values)
            if local == 0xFFFFFFFF:
                local = next(values)
            break
        at += 4 + size
    return usize, csize, local


def read_member(path: Path, fh: IO[bytes], member: Member) -> bytes:
    """The decompressed bytes of ``member`` (``fh`` is the archive, opened by the caller)."""
    if member.size > MAX_MEMBER_BYTES:
        raise LogFormatError(path, f"ZIP member {member.name} is too large ({member.size} bytes)")
    fh.seek(member.offset)
    head = fh.read(_LOCAL.size)
    if len(head) < _LOCAL.size or _LOCAL.unpack(head)[0] != _LOCAL_SIG:
        raise LogFormatError(path, f"ZIP member {member.name}: bad local header (corrupt)")
    fields = _LOCAL.unpack(head)
    fh.seek(fields[9] + fields[10], 1)
    raw = fh.read(member.compressed_size)
    if len(raw) < member.compressed_size:
        raise LogFormatError(path, f"ZIP member {member.name} is truncated")
    try:
        if member.method == STORED:
            data = raw
        elif member.method == DEFLATED:
            data = zlib.decompress(raw, -15)
        elif member.method == ZSTANDARD:
            data = zstandard.ZstdDecompressor().decompressobj().decompress(raw)
        else:
            raise LogFormatError(
                path, f"ZIP member {member.name}: compression method {member.method} unsupported"
            )
    except (zlib.error, zstandard.ZstdError) as exc:
        raise LogFormatError(path, f"ZIP member {member.name} is corrupt ({exc})") from None
    if len(data) != member.size:
        raise LogFormatError(path, f"ZIP member {member.name} is corrupt (size mismatch)")
    # A flipped bit inside stored or zstd data (zstd frames need not carry a checksum) would
    # otherwise be imported as if the harness had written it.
    if zlib.crc32(data) != member.crc:
        raise LogFormatError(path, f"ZIP member {member.name} is corrupt (CRC-32 mismatch)")
    return data
