"""SIGKILL in the middle of a stream of writes: every acknowledged write is there after restart, an
unacknowledged one is settled exactly once by retrying its Idempotency-Key, and the log verifies
(signature, every tile and entry, consistency with checkpoints taken before the crash), on SQLite
and on PostgreSQL."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from distillgov.registry.models import Role
from distillgov.registry.tlog import verify

from . import servers

pytestmark = pytest.mark.slow

WRITES = 400  # more than the stream gets through before the kill
KILL_AFTER = 30  # acknowledged writes
CLIENTS = 4


def _names(client: httpx.Client, admin: str, owner: str) -> dict[str, list[int]]:
    """Every organization and protected model by name, with the ids found under that name."""
    found: dict[str, list[int]] = {}
    organizations = client.get("/v1/admin/organizations", headers={"Authorization": f"Bearer {admin}"}).json()
    models = client.get(
        "/v1/models", params={"limit": 500}, headers={"Authorization": f"Bearer {owner}"}
    ).json()
    for record in [*organizations, *models]:
        found.setdefault(record["name"], []).append(record["id"])
    return found


def _name(intent: servers.Intent) -> str:
    name: str = intent.body["name"]
    return name


def test_acknowledged_writes_survive_sigkill(any_url: str, tmp_path: Path) -> None:
    with servers.operator(any_url) as ctx:
        admin = servers.add_user(ctx, "Registry Office", Role.administrator, "registrar")
        owner = servers.add_user(ctx, "Frontier Lab", Role.teacher_owner, "owner")
    key, vkey = servers.key_file(tmp_path)
    planned = servers.intents(admin, owner, WRITES, "crash")
    server = servers.start(any_url, key, tmp_path, name="before-crash")
    try:
        with server.client() as client:
            checkpoints = [client.get("/log/checkpoint").text]
            stream = servers.WriteStream([server.url], list(planned))
            threads = stream.run(CLIENTS)
            while stream.count() < KILL_AFTER and any(t.is_alive() for t in threads):
                time.sleep(0.02)
            checkpoints.append(client.get("/log/checkpoint").text)
    finally:
        server.kill()  # mid-stream: CLIENTS requests are in flight
    for thread in threads:
        thread.join(timeout=60)
    assert not stream.refused, stream.refused
    acknowledged = dict(stream.acknowledged)
    assert len(acknowledged) >= KILL_AFTER and stream.unacknowledged, "the kill did not interrupt the stream"

    with (
        servers.running(any_url, key, tmp_path, name="after-crash") as restarted,
        restarted.client() as client,
    ):
        names = _names(client, admin, owner)
        by_key = {intent.key: intent for intent in planned}
        for intent_key, answer in acknowledged.items():
            assert names.get(_name(by_key[intent_key])) == [answer["result"]["id"]], f"{intent_key} lost"
            for ref in answer["log_entries"]:
                entry = client.get(f"/v1/log/entries/{ref['index']}").json()
                assert (entry["kind"], entry["subject"]) == (ref["kind"], ref["subject"])

        # The in-flight writes: a retry with the same key either replays the committed write or makes it.
        replays = 0
        for intent in stream.unacknowledged:
            retried = servers.send(client, intent)
            assert retried.status_code == 201, retried.text
            replays += retried.headers.get("Idempotent-Replayed") == "true"
            acknowledged[intent.key] = retried.json()
        names = _names(client, admin, owner)
        for intent_key in acknowledged:
            assert len(names[_name(by_key[intent_key])]) == 1, f"{intent_key} was written twice"
        unsent = {_name(i) for i in stream.pending}
        assert not unsent & set(names), "a write never sent exists"
        before, in_flight = len(stream.acknowledged), len(stream.unacknowledged)
        print(f"\n{before} acknowledged before the kill, {in_flight} in flight, {replays} of them committed")

        folder = tmp_path / "saved-log"
        verify.save_log(f"{restarted.url}/log", folder, vkey)
        audit = verify.verify_checkpoint(folder, vkey, audit=True)
        size = audit.checkpoint.size
        assert audit.details["entries_checked"] == size
        for old in checkpoints:
            verify.verify_consistency(folder, vkey, old)
    logged = servers.saved_entries(folder, size)
    for answer in acknowledged.values():
        for ref in answer["log_entries"]:
            result = verify.verify_inclusion(folder, vkey, ref["index"], logged[ref["index"]])
            assert result.details["entry"]["subject"] == ref["subject"]
    subjects = [(e["kind"], e["subject"]) for e in map(json.loads, logged)]
    assert len(subjects) == len(set(subjects)), "a decision was logged twice"
