"""Two `registry serve` processes against one PostgreSQL, written to concurrently through both: the
database's sequencer keeps the log one tree. Checkpoints read from either server during the run are
all consistent with the final tree, both servers sign identical checkpoints for it, and every
acknowledged decision is in it exactly once, with no entry that no write made."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from distillgov.registry.models import Role
from distillgov.registry.tlog import verify

from . import servers

pytestmark = pytest.mark.slow

WRITES = 48
CLIENTS_PER_SERVER = 3


def _watch_checkpoints(urls: list[str], seen: list[str], done: threading.Event) -> None:
    """A witness polling both servers while they are written to."""
    with httpx.Client(timeout=30) as client:
        while not done.is_set():
            for url in urls:
                seen.append(client.get(f"{url}/log/checkpoint").text)
            time.sleep(0.05)


def test_two_servers_keep_one_log(pg_url: str, tmp_path: Path) -> None:
    with servers.operator(pg_url) as ctx:
        admin = servers.add_user(ctx, "Registry Office", Role.administrator, "registrar")
        owner = servers.add_user(ctx, "Frontier Lab", Role.teacher_owner, "owner")
    key, vkey = servers.key_file(tmp_path)
    pair = [servers.start(pg_url, key, tmp_path, name=name, wait=False) for name in ("a", "b")]
    try:
        for server in pair:
            servers.wait_healthy(server)
        urls = [server.url for server in pair]
        with httpx.Client() as client:
            setup_size = client.get(f"{urls[0]}/healthz").json()["log_size"]
        seen: list[str] = []
        done = threading.Event()
        witness = threading.Thread(target=_watch_checkpoints, args=(urls, seen, done), daemon=True)
        witness.start()
        stream = servers.WriteStream(urls, servers.intents(admin, owner, WRITES, "pair"))
        for thread in stream.run(2 * CLIENTS_PER_SERVER):
            thread.join(timeout=300)
        done.set()
        witness.join(timeout=30)
        assert not stream.refused and not stream.unacknowledged, (stream.refused, stream.unacknowledged)
        assert len(stream.acknowledged) == WRITES

        with httpx.Client() as client:
            final = [client.get(f"{url}/log/checkpoint").text for url in urls]
        assert final[0] == final[1], "the two servers sign different heads for the same tree"
        folder = tmp_path / "saved-log"
        verify.save_log(f"{urls[1]}/log", folder, vkey)
    finally:
        for server in pair:
            server.stop()

    audit = verify.verify_checkpoint(folder, vkey, audit=True)
    size = audit.checkpoint.size
    for old in seen:  # every head either server showed a client is a prefix of the final tree
        verify.verify_consistency(folder, vkey, old)
    sizes = sorted({int(note.splitlines()[1]) for note in seen})
    assert len(sizes) > 2, f"the witness saw too few distinct heads to mean anything: {sizes}"

    refs = [ref for answer in stream.acknowledged.values() for ref in answer["log_entries"]]
    indexes = [ref["index"] for ref in refs]
    assert len(indexes) == len(set(indexes)), "two acknowledged writes were given the same log index"
    assert sorted(indexes) == list(range(setup_size, size)), "the tree holds entries no write made, or gaps"
    logged = servers.saved_entries(folder, size)
    for ref in refs:
        decision = json.loads(logged[ref["index"]])
        assert (decision["kind"], decision["subject"]) == (ref["kind"], ref["subject"])
    subjects = [(d["kind"], d["subject"]) for d in map(json.loads, logged)]
    assert len(subjects) == len(set(subjects)), "a decision was logged twice"
    print(f"\n{WRITES} writes through two servers; tree of {size}; {len(seen)} checkpoints at sizes {sizes}")
