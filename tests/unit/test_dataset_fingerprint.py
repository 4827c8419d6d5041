"""The dataset hash evalledger computes for a run whose harness reports none."""

from __future__ import annotations

from typing import Any

from evalledger.runs.dataset_fingerprint import PREFIX, DatasetFingerprint
from evalledger.runs.schemas import SampleIn


def sample(sid: str, epoch: int = 1, **fields: Any) -> SampleIn:
    base: dict[str, Any] = {"sample_id": sid, "epoch": epoch, "input": f"q {sid}", "target": "4"}
    return SampleIn.model_validate({**base, **fields})


def fingerprint(*batches: list[SampleIn]) -> str | None:
    fp = DatasetFingerprint()
    for batch in batches:
        fp.add(batch)
    return fp.hexdigest()


def test_the_same_questions_in_any_order_or_batching_give_the_same_hash() -> None:
    a, b, c = sample("a"), sample("b"), sample("c")
    h = fingerprint([a, b, c])
    assert h is not None and h.startswith(PREFIX) and len(h) <= 128
    assert fingerprint([c], [a, b]) == h


def test_answers_scores_and_more_epochs_do_not_change_it() -> None:
    plain = fingerprint([sample("a"), sample("b")])
    answered = [
        sample("a", output="5", scores={"match": {"value": 0.0}}),
        sample("b", output="4", scores={"match": {"value": 1.0}}),
        sample("a", epoch=2, output="4"),
    ]
    assert fingerprint(answered) == plain


def test_another_question_target_or_sample_set_changes_it() -> None:
    plain = fingerprint([sample("a"), sample("b")])
    assert fingerprint([sample("a"), sample("b", input="q other")]) != plain
    assert fingerprint([sample("a"), sample("b", target="5")]) != plain
    assert fingerprint([sample("a")]) != plain
    assert fingerprint([sample("a"), sample("b"), sample("c")]) != plain


def test_structured_inputs_hash_by_content_not_key_order() -> None:
    one = sample("a", input={"role": "user", "content": "2+2"})
    other = sample("a", input={"content": "2+2", "role": "user"})
    assert fingerprint([one]) == fingerprint([other])


def test_no_sample_of_epoch_one_means_no_hash() -> None:
    assert fingerprint([]) is None
    assert fingerprint([sample("a", epoch=2)]) is None
