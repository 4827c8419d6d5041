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

repeats that log's samples member by member (each copy under the next id, ``q010000`` on, with
a fresh ``uuid``; summaries and per-sample reductions repeated alike; the header's counts set)
and writes them with Inspect's own ZIP codec (zstandard, method 93) and JSON encoder: the same
container and members an ``eval`` of that many samples writes, sample for sample the content
of a real run. 100,000 samples take about 4 minutes on a shared machine.
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

    Member by member, through the ZIP writer Inspect installs (its zstandard compressor for
    method 93) and its JSON encoder (``to_json_safe``, what its recorder writes each member
    with): every member of ``source``, the samples repeated under the next ids with a fresh
    ``uuid``, the summaries and per-sample reductions likewise, the header's counts set.
    (Inspect's ``write_eval_log`` would take hours: it buffers every sample, and its buffer
    de-duplicates by scanning itself.)
    """
    import json
    import zipfile

    import shortuuid
    from inspect_ai._util import zipfile as _inspect_zip  # installs the zstd codec
    from inspect_ai._util.json import to_json_safe

    assert _inspect_zip is not None
    zstd = 93
    with zipfile.ZipFile(source) as archive:
        names = archive.namelist()
        member = {n: json.loads(archive.read(n)) for n in names if not n.startswith("samples/")}
        sample_names = [n for n in names if n.startswith("samples/")]
        base = len(sample_names)
        width = len(json.loads(archive.read(sample_names[0]))["id"]) - 1

        def new_id(n: int) -> str:
            return f"q{n:0{width}d}"

        with zipfile.ZipFile(out, "w", compression=zstd, allowZip64=True) as target:

            def put(name: str, value: object) -> None:
                target.writestr(name, to_json_safe(value, indent=None))

            put("_journal/start.json", member["_journal/start.json"])
            summaries = {s["id"]: s for s in member["summaries.json"]}
            grown_summaries = []
            for n in range(samples):
                name = sample_names[n % base]
                sample = json.loads(archive.read(name))
                original = sample["id"]
                if n >= base:
                    sample["id"], sample["uuid"] = new_id(n), shortuuid.uuid()
                    for event in sample.get("events", []):
                        if event.get("event") == "sample_init":
                            event["sample"]["id"] = sample["id"]
                put(f"samples/{sample['id']}_epoch_{sample['epoch']}.json", sample)
                summary = dict(summaries[original], id=sample["id"], uuid=sample["uuid"])
                grown_summaries.append(summary)
                if n % 100 == 99 or n == samples - 1:  # a journal file per flush, as Inspect
                    put(f"_journal/summaries/{n // 100 + 1}.json", grown_summaries[-100:])
            put("summaries.json", grown_summaries)
            reductions = member["reductions.json"]
            for reduction in reductions:
                by_id = {r["sample_id"]: r for r in reduction["samples"]}
                originals = [s["id"] for s in member["summaries.json"]]
                reduction["samples"] = [
                    dict(by_id[originals[n % base]], sample_id=new_id(n)) for n in range(samples)
                ]
            put("reductions.json", reductions)
            header = member["header.json"]
            header["eval"]["dataset"]["samples"] = samples
            header["eval"]["dataset"]["sample_ids"] = [new_id(n) for n in range(samples)]
            header["results"]["total_samples"] = samples
            header["results"]["completed_samples"] = samples
            put("header.json", header)


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
