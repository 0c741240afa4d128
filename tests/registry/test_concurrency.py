"""Races on one record, from real concurrent clients against a real multi-process server on
PostgreSQL: the ledger stays consistent and the log stays one tree that verifies."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from distillgov.registry.classifier import LawEngineClassifier
from distillgov.registry.clock import SystemClock
from distillgov.registry.db import Database
from distillgov.registry.models import Role
from distillgov.registry.service import directory
from distillgov.registry.service.context import SYSTEM, Context
from distillgov.registry.tlog import verify
from distillgov.registry.tlog.source import HttpSource

from . import scenario
from .servers import key_file, running

pytestmark = pytest.mark.slow


def _tokens(url: str) -> dict[str, str]:
    database = Database(url)
    tokens = {}
    with database.write() as session:
        ctx = Context(session, SYSTEM, SystemClock(), LawEngineClassifier())
        for name, role in [
            ("admin", Role.administrator),
            ("owner", Role.teacher_owner),
            ("cloner", Role.distiller),
        ]:
            org = directory.create_organization(ctx, f"org-{name}")
            user = directory.create_user(ctx, org.id, name, role)
            tokens[name] = directory.issue_token(ctx, user.id, "race")[1]
    database.dispose()
    return tokens


def _race(count: int, call: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
    """Run `call` from `count` threads, each with its own connection, released together."""
    barrier = threading.Barrier(count)
    results: list[httpx.Response | None] = [None] * count

    def worker(i: int) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            results[i] = call(client, i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def test_races_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    tokens = _tokens(pg_url)
    with running(pg_url, key_file(tmp_path)[0], tmp_path, workers=2) as server:
        base = server.url

        def post(client: httpx.Client, path: str, who: str, body: Any, key: str) -> httpx.Response:
            headers = {"Authorization": f"Bearer {tokens[who]}", "Idempotency-Key": key}
            return client.post(f"{base}{path}", json=body, headers=headers)

        with httpx.Client(timeout=60) as c:
            release = (SystemClock().now() - timedelta(days=30)).date().isoformat()
            model = post(c, "/v1/models", "owner", scenario.protected_model(release_date=release), "m").json()
            teacher = model["result"]["id"]
            notice = post(c, "/v1/notices", "cloner", scenario.clone_notice(teacher), "n").json()["result"]

        # Two license requests for one notice: one license.
        requests = _race(
            2, lambda cl, i: post(cl, "/v1/licenses", "cloner", {"notice_id": notice["id"]}, f"l{i}")
        )
        assert sorted(r.status_code for r in requests) == [201, 409]
        lic = next(r.json()["result"] for r in requests if r.status_code == 201)
        with httpx.Client(timeout=60) as c:
            assert post(c, f"/v1/licenses/{lic['id']}/approve", "admin", {}, "a").status_code == 200

        # Eight different payments at once: all counted; the same payment retried four times at once: once.
        pay = f"/v1/licenses/{lic['id']}/payments"
        distinct = _race(
            8,
            lambda cl, i: post(
                cl, pay, "cloner", {"amount_minor": 100 + i, "currency": "USD", "reference": f"p{i}"}, f"p{i}"
            ),
        )
        assert [r.status_code for r in distinct] == [201] * 8
        retried = _race(
            4,
            lambda cl, i: post(
                cl, pay, "cloner", {"amount_minor": 5, "currency": "USD", "reference": "retry"}, "same"
            ),
        )
        assert [r.status_code for r in retried] == [201] * 4
        assert all(r.json() == retried[0].json() for r in retried)

        # Six notices at once, on the same teacher.
        notices = _race(
            6,
            lambda cl, i: post(cl, "/v1/notices", "cloner", scenario.clone_notice(teacher, f"S{i}"), f"n{i}"),
        )
        assert [r.status_code for r in notices] == [201] * 6

        with httpx.Client(timeout=60) as c:
            ledger = c.get(
                f"{base}/v1/licenses/{lic['id']}/ledger",
                headers={"Authorization": f"Bearer {tokens['cloner']}"},
            ).json()
            assert len(ledger["payments"]) == 9
            assert ledger["balance_minor"] == -(sum(100 + i for i in range(8)) + 5)
            assert all(sum(e["amount_minor"] for e in t["entries"]) == 0 for t in ledger["transactions"])

            # One log: every acknowledged write's entries are in it, once, and the whole tree verifies.
            vkey = c.get(f"{base}/log/vkey").text.strip()
            audit = verify.verify_checkpoint(HttpSource(f"{base}/log", c), vkey, audit=True)
            acknowledged = [
                e
                for r in [*requests, *distinct, *retried, *notices]
                if r.status_code == 201
                for e in r.json()["log_entries"]
            ]
            indexes = [e["index"] for e in acknowledged]
            assert len(set(indexes)) == len(acknowledged) - 3  # the three replays repeat the first answer
            for ref in acknowledged:
                served = c.get(f"{base}/v1/log/entries/{ref['index']}").json()
                assert (served["kind"], served["subject"]) == (ref["kind"], ref["subject"])
            assert audit.details["entries_checked"] == audit.checkpoint.size
