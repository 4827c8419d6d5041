"""The storable-value rule and the strict scalar types of every request model, without a DB."""

from __future__ import annotations

import email.message
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

# Importing the routers registers every request model as a RequestModel subclass.
from evalledger.api.app import create_app  # noqa: F401  (imports every domain)
from evalledger.api.limits import parsed_as_json
from evalledger.schema.storable import (
    MAX_STORED_JSON_DEPTH,
    NUMBER_BOUND,
    Unstorable,
    _walk,
    storable,
)
from evalledger.schema.types import RequestModel


def request_models() -> list[type[RequestModel]]:
    out: list[type[RequestModel]] = []
    todo: list[type[RequestModel]] = [RequestModel]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            out.append(sub)
            todo.append(sub)
    return out


@pytest.mark.parametrize(
    ("value", "loc", "reason"),
    [
        ("a\x00b", (), "NUL"),
        ("a\ud800", (), "surrogate"),
        ({"k": ["ok", "\udfff"]}, ("k", 1), "surrogate"),
        ({"a\x00": 1}, ("a\\u0000",), "key"),
        ([float("nan")], (0,), "NaN"),
        ({"x": float("inf")}, ("x",), "Infinity"),
        (-math.inf, (), "Infinity"),
        (1.79e308, (), "magnitude"),
        ({"n": 10**151}, ("n",), "magnitude"),
    ],
)
def test_unstorable_values_are_named_by_their_path(
    value: Any, loc: tuple[Any, ...], reason: str
) -> None:
    with pytest.raises(Unstorable, match=reason) as caught:
        storable(value)
    assert caught.value.loc[: len(loc)] == loc


def test_over_deep_json_is_refused_in_process_too() -> None:
    deep: Any = 1
    for _ in range(MAX_STORED_JSON_DEPTH + 1):
        deep = [deep]
    with pytest.raises(Unstorable, match="deeper"):
        storable(deep)


def test_numbers_are_stored_in_the_spelling_both_backends_read_back() -> None:
    assert math.copysign(1, storable(-0.0)) == 1
    assert storable({"a": 1e16, "b": -2.5e20, "c": 1e15 + 0.5, "d": 1e-7}) == {
        "a": 10**16,
        "b": -25 * 10**19,
        "c": 1e15 + 0.5,
        "d": 1e-7,
    }
    assert type(storable(1e20)) is float  # a typed float field stays a float
    # A free-form field that is one bare whole number: SQLite's affinity reads 3.0 back as 3.
    assert type(storable(3.0, in_json=True)) is int and storable(3.5, in_json=True) == 3.5
    with pytest.raises(Unstorable, match="64-bit"):
        storable(2**63, in_json=True)
    assert storable({"n": 2**63}) == {"n": 2**63}  # inside an object it stays exact
    assert storable(NUMBER_BOUND) == NUMBER_BOUND and storable(-NUMBER_BOUND) == -NUMBER_BOUND


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, derandomize=True)
@given(json_values)
def test_what_is_storable_survives_json_and_utf8_unchanged(value: Any) -> None:
    """Property: whatever the rule lets through encodes as strict JSON in UTF-8 and decodes
    to the same stored value (so a backup line of it verifies)."""
    try:
        stored = storable(value)
    except Unstorable:
        return
    text = json.dumps(stored, allow_nan=False, ensure_ascii=False, sort_keys=True)
    text.encode("utf-8")
    assert "\x00" not in text
    assert json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False) == text


#: Numbers at the edges the fast paths test for: fractional digits (Inspect's timings), the
#: exponent threshold, minus zero, long integers.
edge_values = st.recursive(
    st.sampled_from(
        [
            0.0002586840000162738,
            1e16,
            9.999999999999998e15,
            -0.0,
            12345678901234567,
            2**63,
            1234567890123456.7,
            "x e+ y",
            "-0.0",
            "\x00",
            "\ud800",
        ]
    )
    | st.floats()
    | st.integers(),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=3), kids),
    max_leaves=12,
)


@settings(max_examples=400, derandomize=True)
@given(json_values | edge_values, st.booleans())
def test_the_fast_storable_check_agrees_with_the_full_walk(value: Any, in_json: bool) -> None:
    """Property: the check that skips the walk for plain JSON never lets through (or
    re-spells differently) what the walk would refuse or re-spell."""
    try:
        walked = _walk(value, (), in_json, 0)
    except Unstorable:
        with pytest.raises(Unstorable):
            storable(value, in_json=in_json)
        return
    assert json.dumps(storable(value, in_json=in_json)) == json.dumps(walked)


BOOLEAN_FIELDS = [(cls, name) for cls in request_models() for name in cls._boolean_fields]
DATE_FIELDS = [(cls, name) for cls in request_models() for name in cls._date_fields]


def test_every_boolean_and_date_field_is_known() -> None:
    assert len(BOOLEAN_FIELDS) >= 5 and len(DATE_FIELDS) >= 4, (BOOLEAN_FIELDS, DATE_FIELDS)


@pytest.mark.parametrize(("cls", "name"), BOOLEAN_FIELDS, ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize("value", [0, 1, "true", "yes", "off", 0.0])
def test_booleans_are_only_true_or_false(cls: type[RequestModel], name: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        cls.model_validate({name: value})
    assert (name,) in [e["loc"] for e in caught.value.errors()]


@pytest.mark.parametrize(("cls", "name"), DATE_FIELDS, ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize("value", [1700000000, 1.7e9, "1700000000", " 0 "])
def test_date_times_are_never_numbers(cls: type[RequestModel], name: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        cls.model_validate({name: value})
    errors = caught.value.errors()
    assert [e["loc"] for e in errors] == [(name,)] and "ISO 8601" in errors[0]["msg"]


def _fastapi_parses_as_json(content_type: str) -> bool:
    """FastAPI's own test (fastapi.routing.get_request_handler) for a JSON body."""
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


@settings(max_examples=300, derandomize=True)
@given(
    st.sampled_from(["application", "APPLICATION", "Application", "text", "multipart"]),
    st.sampled_from(["json", "JSON", "Json", "vnd.x+json", "problem+JSON", "plain", "form-data"]),
    st.sampled_from(["", "; charset=utf-8", " ; Charset=UTF-8", ";q=1", "\t"]),
)
def test_every_body_fastapi_parses_as_json_goes_through_the_guard(
    main: str, sub: str, params: str
) -> None:
    content_type = f"{main}/{sub}{params}"
    if _fastapi_parses_as_json(content_type):
        assert parsed_as_json(content_type.encode("latin-1"))
    assert parsed_as_json(None) and parsed_as_json(b"")
