"""Generate a large Inspect AI ``.eval`` log with the real harness, offline.

    .venv-harness/bin/python bench/harness/make_inspect_log.py --samples 100000 \
        --out bench/.data/inspect-100000.eval

Runs an arithmetic task of ``--samples`` questions on ``mockllm/model`` with custom outputs
(each with ``usage`` set, so the provider never downloads a tokenizer) and two scorers,
``match()`` and ``includes()``, through ``inspect_ai.eval`` exactly as a user would. Inspect
then writes the log itself (the default ``.eval`` container, zstd members, one
``samples/<id>_epoch_1.json`` member per sample). It is run with this interpreter, not
evalledger's: evalledger never imports Inspect. ``bench/.data/`` is git-ignored.

Inspect itself needs about 15 ms of CPU per sample here (its task machinery, not the mock
model), so 100,000 samples take 25 minutes on an idle core and far more on a shared one. So a
larger log can be grown from a real run of fewer:

    .venv-harness/bin/python bench/harness/make_inspect_log.py --samples 100000 \
        --from bench/.data/inspect-10000.eval --out bench/.data/inspect-100000.eval

reads that log with ``inspect_ai.log.read_eval_log``, repeats its samples (each copy with the
next ids, ``q010000`` on, and a fresh ``uuid``; per-sample reductions repeated alike), sets the
header's counts, and has Inspect write it with ``inspect_ai.log.write_eval_log``: the same
container, members and JSON an ``eval`` of that many samples writes, sample for sample the
content of a real run.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from inspect_ai import Task, eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import includes, match


def _question(i: int) -> tuple[int, int]:
    return (i * 7919) % 1000, (i * 104729) % 1000


def _dataset(n: int) -> MemoryDataset:
    return MemoryDataset(
        [
            Sample(
                id=f"q{i:06d}",
                input=f"What is {a} + {b}? Answer with the number only.",
                target=str(a + b),
                metadata={"a": a, "b": b, "group": i % 17},
            )
            for i, (a, b) in ((i, _question(i)) for i in range(n))
        ],
        name=f"arith{n}",
    )


def _mock_model():  # type: ignore[no-untyped-def]
    def respond(messages, tools, tool_choice, config):  # type: ignore[no-untyped-def]
        text = messages[-1].text
        a, b = (int(t) for t in text.split("?")[0].removeprefix("What is ").split(" + "))
        right = a + b
        # right for most, wrong for every 5th, wordy (includes but does not match) every 7th
        if (a + b) % 5 == 0:
            content = str(right + 1)
        elif (a + b) % 7 == 0:
            content = f"The answer is {right}, I believe"
        else:
            content = str(right)
        out = ModelOutput.from_content(model="mockllm/model", content=content)
        out.usage = ModelUsage(
            input_tokens=len(text.split()),
            output_tokens=len(content.split()),
            total_tokens=len(text.split()) + len(content.split()),
        )
        return out

    return get_model("mockllm/model", custom_outputs=respond)


def _grow(source: Path, samples: int, out: Path) -> None:
    """Write ``out`` with ``samples`` samples repeated from the real log ``source``.

    Through Inspect's own recorder, as ``write_eval_log`` does, but flushed every 100 samples
    as an ``eval`` flushes: ``write_eval_log`` buffers every sample before writing, and its
    buffer de-duplicates by a scan of itself (quadratic: hours at 100,000 samples).
    """
    import anyio
    import shortuuid
    from inspect_ai.log import read_eval_log
    from inspect_ai.log._condense import condense_sample
    from inspect_ai.log._recorders.eval import EvalRecorder

    log = read_eval_log(str(source))
    base = log.samples or []
    width = len(str(base[0].id)) - 1

    def new_id(n: int) -> str:
        return f"q{n:0{width}d}"

    for reduction in log.reductions or []:
        by_id = {str(r.sample_id): r for r in reduction.samples}
        reduction.samples = [
            by_id[str(base[n % len(base)].id)].model_copy(update={"sample_id": new_id(n)})
            for n in range(samples)
        ]
    log.eval.dataset.samples = samples
    log.eval.dataset.sample_ids = [new_id(n) for n in range(samples)]
    if log.results is not None:
        log.results.total_samples = samples
        log.results.completed_samples = samples

    async def write() -> None:
        recorder = EvalRecorder(str(out.parent))
        await recorder.log_init(log.eval, str(out), clean=True)
        await recorder.log_start(log.eval, log.plan)
        for n in range(samples):
            sample = base[n % len(base)]
            if n >= len(base):
                sample = sample.model_copy(update={"id": new_id(n), "uuid": shortuuid.uuid()})
            await recorder.log_sample(log.eval, condense_sample(sample))
            if n % 100 == 99:
                await recorder.flush(log.eval)
        await recorder.log_finish(
            log.eval, log.status, log.stats, log.results, log.reductions, log.error
        )

    anyio.run(write)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max-samples", type=int, default=200, help="Inspect's concurrency")
    parser.add_argument("--from", dest="source", type=Path, help="grow this real log instead")
    args = parser.parse_args()
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.source is not None:
        started = time.perf_counter()
        _grow(args.source, args.samples, out)
        took = time.perf_counter() - started
        print(f"{out}: {args.samples} samples, {out.stat().st_size / 1e6:.1f} MB, {took:.0f} s")
        return
    tmp = out.parent / f".tmp-{out.stem}"
    shutil.rmtree(tmp, ignore_errors=True)
    started = time.perf_counter()
    task = Task(dataset=_dataset(args.samples), scorer=[match(), includes()], name="arith")
    logs = eval(
        task,
        model=_mock_model(),
        log_dir=str(tmp),
        log_format="eval",
        max_samples=args.max_samples,
        display="none",
        tags=["bench"],
        metadata={"generated_by": "bench/harness/make_inspect_log.py"},
    )
    assert len(logs) == 1 and logs[0].status == "success", logs[0].status
    (produced,) = list(tmp.iterdir())
    produced.replace(out)
    tmp.rmdir()
    took = time.perf_counter() - started
    print(f"{out}: {args.samples} samples, {out.stat().st_size / 1e6:.1f} MB, {took:.0f} s")


if __name__ == "__main__":
    main()
