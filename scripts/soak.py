"""A bounded soak: mixed reads and writes against a running server from a second process.

    python scripts/soak.py --base-url http://127.0.0.1:8000 --key evl_... --seconds 120

Prints one JSON line: requests, errors, requests/s, latency percentiles. Used by the test
suite (shortened) and by `make soak` (two minutes, figures for docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid

import httpx

AGENTS = ["imperium", "guardian", "sandbox", "conquest"]


async def worker(
    client: httpx.AsyncClient, deadline: float, rng: random.Random, stats: dict[str, list[float]]
) -> None:
    while time.monotonic() < deadline:
        agent = rng.choice(AGENTS)
        roll = rng.random()
        started = time.perf_counter()
        if roll < 0.45:
            body = {
                "id": str(uuid.uuid4()),
                "passed": rng.random() < 0.7,
                "score": rng.uniform(0, 100),
            }
            r = await client.post(f"/api/agent-metrics/{agent}/custody-test", json=body)
        elif roll < 0.55:
            items = [
                {
                    "id": str(uuid.uuid4()),
                    "agent_type": rng.choice(AGENTS),
                    "passed": True,
                    "score": 50,
                }
                for _ in range(50)
            ]
            r = await client.post("/api/v1/custody-tests:batch", json={"results": items})
        elif roll < 0.8:
            r = await client.get(f"/api/agent-metrics/{agent}")
        elif roll < 0.95:
            r = await client.get("/api/agent-metrics/")
        else:
            r = await client.get("/api/agent-metrics/analytics/summary")
        stats["latency"].append(time.perf_counter() - started)
        if r.status_code >= 400:
            stats["errors"].append(float(r.status_code))


async def soak(base_url: str, key: str, seconds: float, concurrency: int) -> dict[str, object]:
    stats: dict[str, list[float]] = {"latency": [], "errors": []}
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {key}"}
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        await asyncio.gather(
            *(worker(client, deadline, random.Random(i), stats) for i in range(concurrency))
        )
    elapsed = time.monotonic() - started
    lat = sorted(stats["latency"])
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0.0] * 99
    return {
        "seconds": round(elapsed, 1),
        "requests": len(lat),
        "errors": len(stats["errors"]),
        "error_statuses": sorted({int(e) for e in stats["errors"]}),
        "requests_per_s": round(len(lat) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(soak(args.base_url, args.key, args.seconds, args.concurrency))))


if __name__ == "__main__":
    main()
