"""``SyncClient`` against a real server: typed blocking calls and ``with ...recorder()``."""

from __future__ import annotations

import uuid

import pytest

from evalledger import SyncClient
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key
from tests.integration.test_server_and_clients import running_server


async def test_sync_recorder_writes_in_batches_and_on_exit(seeded: Ledger) -> None:
    key = await make_key(seeded, "write")
    with (
        running_server(seeded.settings.database_url) as base,
        SyncClient(base, api_key=key) as client,
    ):
        with client.recorder(batch_size=2) as rec:
            ids = [rec.record("guardian", passed=True, score=80.0 + i) for i in range(3)]
            assert rec.recorded == 2  # the first batch went when it was full
        assert rec.recorded == 3 and rec.duplicates == 0  # the rest on exit
        assert all(isinstance(i, uuid.UUID) for i in ids)
        metrics = client.get_agent_metrics("guardian")
        assert metrics.total_tests_given == 3
        assert sorted(r.score for r in metrics.test_history) == [80.0, 81.0, 82.0]


async def test_sync_recorder_keeps_nothing_half_written_on_error(seeded: Ledger) -> None:
    key = await make_key(seeded, "write")
    with (
        running_server(seeded.settings.database_url) as base,
        SyncClient(base, api_key=key) as client,
    ):
        with pytest.raises(RuntimeError), client.recorder(batch_size=10) as rec:
            rec.record("guardian", passed=True, score=70.0)
            raise RuntimeError("the evaluation loop failed")
        # As with the async recorder, an error leaves the unflushed buffer unsent.
        assert client.get_agent_metrics("guardian").total_tests_given == 0
