"""Runs INSIDE the bench-only venv (.venv-bench), never the project's: MLflow ``log_batch``.

Usage: python mlflow_worker.py TRACKING_URI TOTAL_VALUES  -> prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
import uuid

import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient


def main() -> None:
    uri, total = sys.argv[1], int(sys.argv[2])
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    experiment = client.create_experiment(f"bench-{uuid.uuid4().hex[:8]}")
    run = client.create_run(experiment)
    now = int(time.time() * 1000)
    per_call = 1000  # MLflow's limit on metrics per log_batch call
    started = time.perf_counter()
    sent = 0
    step = 0
    while sent < total:
        n = min(per_call, total - sent)
        metrics = [Metric(f"m{i % 10}", float(i), now, step + i // 10) for i in range(n)]
        client.log_batch(run.info.run_id, metrics=metrics)
        sent += n
        step += per_call
    elapsed = time.perf_counter() - started
    print(json.dumps({"values": sent, "seconds": elapsed, "version": mlflow.__version__}))


if __name__ == "__main__":
    main()
