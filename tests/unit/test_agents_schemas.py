"""Request shapes and helpers of the agent-metrics domain, without a database."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from evalledger.agents.schemas import CUSTODY_NUMBER_FIELDS, BatchResultIn, CustodyTestIn
from evalledger.schema.types import _numbers_only


def test_custody_number_fields_refuse_booleans() -> None:
    """CustodyTestIn checks its number fields itself (cheaper than RequestModel's hook): the
    list must name every number field, and a boolean there is still a field-located error."""
    numbers = {n for n, f in CustodyTestIn.model_fields.items() if _numbers_only(f.annotation)}
    assert numbers == set(CUSTODY_NUMBER_FIELDS)
    for name in CUSTODY_NUMBER_FIELDS:
        with pytest.raises(ValidationError) as caught:
            BatchResultIn.model_validate(
                {"agent_type": "a", "passed": True, "score": 1, name: True}
            )
        (error,) = caught.value.errors()
        assert error["loc"] == (name,) and "not true/false" in error["msg"]
    assert BatchResultIn.model_validate({"agent_type": "a", "passed": False, "score": 1}).score == 1


def test_gc_paused_restores_the_collector_as_it_found_it() -> None:
    import gc

    from evalledger.runtime import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested (or an interleaved batch): the inner one leaves it off
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # the caller turned it off: left off
    finally:
        gc.enable()
