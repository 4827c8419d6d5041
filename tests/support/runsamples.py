"""Runs as plain data for the pure comparison statistics (:mod:`evalledger.stats.compare`)."""

from __future__ import annotations

from collections.abc import Sequence

from evalledger.stats.align import RunSamples, SampleScore


def run(
    values: Sequence[float],
    scorer: str = "match",
    epochs: int = 1,
    dataset_hash: str | None = "h1",
    ids: Sequence[str] | None = None,
) -> RunSamples:
    """A run whose sample i (id ``s<i>``, zero-padded, unless given) scored ``values[i]`` in
    every one of its ``epochs``."""
    names = ids if ids is not None else [f"s{i:03d}" for i in range(len(values))]
    return RunSamples(
        [
            SampleScore(name, epoch, scorer, value)
            for name, value in zip(names, values, strict=True)
            for epoch in range(1, epochs + 1)
        ],
        dataset_hash,
    )
