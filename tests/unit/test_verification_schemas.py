"""Input shapes of issue 5's domains: bad input is refused before any database work."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from evalledger.consensus.schemas import ProposalIn
from evalledger.power.schemas import TransferIn
from evalledger.verification.schemas import VerificationIn
from evalledger.verification.training_schemas import BatchClaimIn


def test_confidence_must_lie_in_unit_interval() -> None:
    base = {"claim_id": "c", "framework": "f", "result": {"valid": True}}
    assert VerificationIn.model_validate({**base, "confidence": 1}).confidence == 1
    for bad in (-0.01, 1.01, float("nan")):
        with pytest.raises(ValidationError, match="confidence"):
            VerificationIn.model_validate({**base, "confidence": bad})


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        BatchClaimIn.model_validate({"framework": "f", "size": 1, "sise": 2})


def test_batch_size_bounds() -> None:
    for bad in (0, 10_001):
        with pytest.raises(ValidationError, match="size"):
            BatchClaimIn.model_validate({"framework": "f", "size": bad})


def test_proposal_choices_are_distinct_and_quorum_positive() -> None:
    with pytest.raises(ValidationError, match="distinct"):
        ProposalIn.model_validate({"name": "p", "choices": ["a", "a"], "quorum": 1})
    with pytest.raises(ValidationError, match="quorum"):
        ProposalIn.model_validate({"name": "p", "choices": ["a", "b"], "quorum": 0})


def test_transfer_amount_positive_and_finite() -> None:
    for bad in (0, -1, float("inf")):
        with pytest.raises(ValidationError, match="amount"):
            TransferIn.model_validate({"source": "a", "target": "b", "amount": bad})
