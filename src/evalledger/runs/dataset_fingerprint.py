"""What a run was evaluated on, as one hash: the fingerprint of its samples' questions.

A comparison must say loudly when two runs did not answer the same dataset, but none of the
harnesses reports a hash of its dataset's content: Inspect AI and promptfoo report none,
OpenAI evals none, and lm-evaluation-harness's ``task_hashes`` also covers the rendered
prompt (so a new prompt template, exactly what a team compares, would read as a new
dataset). So when a run arrives without a ``dataset_hash``, evalledger computes one from what
every format carries: each sample's id, input and target (never its output or score), in
epoch 1 only, so repeating epochs changes nothing.

The combination is order-free (a sum of per-sample SHA-256s modulo 2**256, with the count)
so the fingerprint is computed while the samples stream past, in constant memory, and the
same questions in another order give the same hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from evalledger.runs.schemas import SampleIn

#: Marks a hash evalledger computed (a reader can tell it from one the harness reported).
PREFIX = "evalledger-samples-v1:"
_MODULUS = 1 << 256


def _canonical(value: Any) -> bytes:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")


class DatasetFingerprint:
    """Accumulates the fingerprint of the samples :meth:`add` is given."""

    def __init__(self) -> None:
        self._sum = 0
        self._count = 0

    def add(self, samples: Iterable[SampleIn]) -> None:
        for sample in samples:
            if sample.epoch != 1:
                continue
            digest = hashlib.sha256()
            for part in (sample.sample_id.encode(), _canonical(sample.input)):
                digest.update(part)
                digest.update(b"\0")
            digest.update(_canonical(sample.target))
            self._sum = (self._sum + int.from_bytes(digest.digest(), "big")) % _MODULUS
            self._count += 1

    def hexdigest(self) -> str | None:
        """The fingerprint, or None when no sample of epoch 1 was seen (nothing to compare)."""
        if not self._count:
            return None
        body = f"{self._count}:{self._sum:064x}".encode()
        return PREFIX + hashlib.sha256(body).hexdigest()
