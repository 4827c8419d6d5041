"""Which values can be stored so that they read back, export, back up and restore exactly.

The one rule of the API: every string and JSON value is either stored so that it comes back
unchanged on both backends (and across them, through a logical backup), or refused with a
422 naming the field. This module is that rule as pure functions; the base of every request
model (:class:`evalledger.schema.types.RequestModel`) applies it to every field, so a REST body
and an in-process :class:`evalledger.Ledger` call are refused alike.

Refused: NUL (``\\u0000``: PostgreSQL text and jsonb cannot hold it), lone surrogates
(``\\ud800``: not Unicode text, so neither database driver can encode them), NaN and
±Infinity (JSON has no such numbers), numbers beyond :data:`NUMBER_BOUND` in magnitude (the
squares that ``AVG``/``STDDEV`` accumulate must not overflow a double), and JSON nested deeper
than :data:`MAX_STORED_JSON_DEPTH`.

Normalised (same number, one spelling on both backends): ``-0.0`` becomes ``0.0`` (SQLite
drops the sign, PostgreSQL keeps it); inside JSON a float of 1e16 or more in magnitude
becomes the integer it equals (PostgreSQL's jsonb reads ``1e+16`` back as
``10000000000000000``); and a free-form field that is one bare whole number (``3.0``) is
stored as that integer, within the 64-bit range (SQLite's column affinity reads it back so).
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

#: The largest magnitude of any number the API stores. Squares of it (1e300) summed over up
#: to 1e8 rows still fit in a double (max ~1.8e308), so no aggregate over a stored float
#: column can overflow.
NUMBER_BOUND = 1e150
_INT_BOUND = 10**150
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
#: From this magnitude on a float is written with an exponent and PostgreSQL's jsonb hands it
#: back as an integer; it is stored as that integer on every backend.
_EXPONENT_FROM = 1e16
#: The deepest JSON a field may hold (the HTTP body guard, ``EVALLEDGER_MAX_JSON_DEPTH``,
#: usually refuses far earlier; this is the wall for in-process writes).
MAX_STORED_JSON_DEPTH = 100

_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
#: What, in the JSON text of a value, may mark an unstorable or re-spelt part (:func:`_suspect`).
_SURROGATE = re.compile("[\ud800-\udfff]")
_MINUS_ZERO = re.compile(r"-0\.0(?![0-9])")
_SIXTEEN_DIGITS = re.compile("[0-9]{16}")


def _suspect(text: str) -> bool:
    """Whether the JSON text ``text`` may hold NUL (escaped), a lone surrogate, a float written
    with a positive exponent, minus zero or a long integer (16 digits not after a point: the
    fractional digits of a float, such as ``0.0002586840000162738`` in every Inspect sample's
    timing, are no sign of one). Literal tests first, then a regex for each of the rest: one
    regex of all of them costs three times as much (the check runs on every JSON field)."""
    if "\\u0000" in text or "e+" in text or "E+" in text or _SURROGATE.search(text):
        return True
    if "-0.0" in text and _MINUS_ZERO.search(text):
        return True
    for found in _SIXTEEN_DIGITS.finditer(text):
        at = found.start()
        if at == 0 or text[at - 1] not in "0123456789.":
            return True
    return False


Location = tuple[str | int, ...]


class Unstorable(ValueError):
    """A value that cannot be stored exactly; ``loc`` is its path inside the field."""

    def __init__(self, loc: Location, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def plain_text(text: str) -> bool:
    """True when ``text`` holds neither NUL nor a lone surrogate (the fast check)."""
    return _UNSTORABLE_TEXT.search(text) is None


#: ``json.dumps`` without its per-call set-up (allow_nan=False: NaN and Infinity raise).
_encode = json.JSONEncoder(allow_nan=False, ensure_ascii=False, check_circular=False).encode


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None."""
    found = _UNSTORABLE_TEXT.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "strings may not contain NUL (\\u0000)"
    return (
        f"strings may not contain a lone surrogate (\\u{ord(found.group()):04x}): not valid Unicode"
    )


def number_problem(number: float) -> str | None:
    """Why ``number`` (int or float) cannot be stored, or None."""
    if isinstance(number, float):
        if not math.isfinite(number):
            return "NaN and Infinity cannot be stored (JSON has no such numbers)"
        if abs(number) > NUMBER_BOUND:
            return f"numbers are limited to ±{NUMBER_BOUND:g} in magnitude"
    elif not -_INT_BOUND <= number <= _INT_BOUND:
        return f"numbers are limited to ±{NUMBER_BOUND:g} in magnitude"
    return None


def storable(value: Any, *, in_json: bool = False) -> Any:
    """``value`` as it will be stored (see the module's normalisations), or :class:`Unstorable`.

    ``in_json`` says the value is stored in a JSON column: then floats of 1e16 and more
    inside it are stored as the integers they equal, and a value that is one bare whole
    number as a 64-bit integer (values nested in containers are always treated so). Values
    of other types (UUIDs, datetimes, models) are returned as they are: their own types
    validated them.
    """
    kind = type(value)
    # Fast paths (validation is hot: a custody batch checks 10,000 models): most values are
    # plainly storable, and the full walk below runs only when one might not be.
    if kind is str:
        if _UNSTORABLE_TEXT.search(value) is None:
            return value
    elif kind is float:
        plain = -_EXPONENT_FROM < value < _EXPONENT_FROM and value != 0.0
        if plain and not (in_json and value.is_integer()):
            return value
    elif kind is int:
        if -_EXPONENT_FROM < value < _EXPONENT_FROM:
            return value
    elif kind is dict or kind is list:
        try:
            text = _encode(value)
        except (ValueError, TypeError, RecursionError):
            pass  # NaN, a non-JSON type or a very deep value: the walk names it
        else:
            if not _suspect(text) and text.count("[") + text.count("{") <= MAX_STORED_JSON_DEPTH:
                return value
    return _walk(value, (), in_json, 0)


def _walk(value: Any, loc: Location, in_json: bool, depth: int) -> Any:
    kind = type(value)
    if kind is str:
        problem = text_problem(value)
        if problem:
            raise Unstorable(loc, problem)
        return value
    if kind is float:
        problem = number_problem(value)
        if problem:
            raise Unstorable(loc, problem)
        if in_json and depth == 0 and value.is_integer():
            return _bare_integer(int(value), loc)
        if value == 0.0:
            return 0.0
        if in_json and abs(value) >= _EXPONENT_FROM:
            return int(Decimal(repr(value)))
        return value
    if kind is int:
        problem = number_problem(value)
        if problem:
            raise Unstorable(loc, problem)
        if in_json and depth == 0:
            return _bare_integer(value, loc)
        return value
    if kind is dict or kind is list or kind is tuple:
        if depth >= MAX_STORED_JSON_DEPTH:
            raise Unstorable(loc, f"JSON nests deeper than {MAX_STORED_JSON_DEPTH} levels")
        if kind is dict:
            out: dict[Any, Any] = {}
            for key, item in value.items():
                if type(key) is str:
                    problem = text_problem(key)
                    if problem:
                        raise Unstorable((*loc, _printable(key)), f"a key: {problem}")
                out[key] = _walk(item, (*loc, key), True, depth + 1)
            return out
        items = [_walk(item, (*loc, i), True, depth + 1) for i, item in enumerate(value)]
        return items if kind is list else tuple(items)
    return value


def _bare_integer(value: int, loc: Location) -> int:
    """A free-form JSON field that is one bare whole number: SQLite's column affinity stores
    it as a 64-bit INTEGER (``3.0`` reads back as ``3``, and a larger one as a rounded REAL),
    so it is stored as that integer on both backends, and must fit in 64 bits."""
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise Unstorable(loc, "a bare whole number here is limited to the 64-bit integer range")
    return value


def _printable(text: str) -> str:
    """``text`` with what cannot be encoded escaped, so an error can name it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")


def printable_loc(loc: Location) -> Location:
    return tuple(_printable(part) if isinstance(part, str) else part for part in loc)


def _jsonb_spelling(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        if value == 0.0:
            return 0.0
        if abs(value) >= _EXPONENT_FROM and math.isfinite(value):
            return int(Decimal(repr(value)))
        return value
    if kind is dict:
        return {key: _jsonb_spelling(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_jsonb_spelling(item) for item in value]
    return value


def json_column_text(value: Any) -> str:
    """The text every JSON column is written as, on both backends (the engines'
    ``json_serializer``): numbers in the spelling PostgreSQL's jsonb reads back (so a row
    written anywhere, by any path - a route, the audit log, a restore - has one canonical
    form), and NaN/Infinity refused rather than written as JSON that is not JSON."""
    if type(value) is float and value.is_integer() and _INT64_MIN <= value <= _INT64_MAX:
        value = int(value)  # a bare whole number: what SQLite's affinity reads back
    return json.dumps(_jsonb_spelling(value), allow_nan=False)
