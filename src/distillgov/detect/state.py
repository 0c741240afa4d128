"""`--state DIR`: keep per-account partial aggregates so a new day's logs update findings cheaply.

Layout:

    state.json           format, the inputs already absorbed (path, sha256, rows), absent columns
    <table>.parquet      the merged partials (day, hour, prompt, links, sample)

A run with `--state` computes partials for the inputs whose sha256 the state has not seen,
merges them into the stored ones (`partials.merge`) and scores the merged result; history is
never rescanned. Prompt keys are MD5 digests computed by the engine, not text, so the state holds
no prompt other than the bounded per-account sample. Inputs already absorbed are skipped, so re-running
on the same files is harmless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from distillgov.detect.engines import InputFile
from distillgov.detect.partials import TABLES, Partials, replay_of

STATE_FORMAT = 2  # 2: gaps from distinct seconds, prompt texts counted, no day text_n
STATE_FILE = "state.json"


class StateError(Exception):
    """The folder is not a detection state, or was written with other settings."""


@dataclass
class State:
    """What a state folder holds: partials so far and the inputs they came from."""

    partials: Partials | None
    inputs: list[InputFile]
    absent: set[str]
    settings: dict[str, Any]

    def seen(self) -> set[str]:
        return {i.sha256 for i in self.inputs}


def load(folder: Path, settings: dict[str, Any]) -> State:
    """The stored state, or an empty one for a new folder; refuses a state of other settings."""
    path = folder / STATE_FILE
    if not path.exists():
        return State(None, [], set(), settings)
    document = json.loads(path.read_text("utf-8"))
    if document.get("format") != STATE_FORMAT:
        raise StateError(
            f"{folder} holds detection state format {document.get('format')}, not {STATE_FORMAT}: "
            "partials of another format cannot be merged; rebuild the state from the logs"
        )
    if document["settings"] != settings:
        raise StateError(
            f"{folder} was built with {document['settings']}; this run uses {settings}. "
            "Partials computed differently cannot be merged: use a new state folder"
        )
    tables = {name: pq.read_table(folder / f"{name}.parquet") for name in TABLES}
    presence = {k: int(v) for k, v in document["presence"].items()}
    partials = Partials(**tables, replay=replay_of(tables["prompt"]), presence=presence)
    inputs = [InputFile(**i) for i in document["inputs"]]
    return State(partials, inputs, set(document["absent"]), settings)


def save(folder: Path, state: State) -> None:
    """Write the state (tables first, then state.json, so a crash leaves the old state readable)."""
    assert state.partials is not None
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        pq.write_table(state.partials.table(name), folder / f"{name}.parquet.tmp", compression="zstd")
    for name in TABLES:
        (folder / f"{name}.parquet.tmp").replace(folder / f"{name}.parquet")
    document = {
        "format": STATE_FORMAT,
        "settings": state.settings,
        "inputs": [i.as_dict() for i in state.inputs],
        "absent": sorted(state.absent),
        "presence": state.partials.presence,
    }
    (folder / STATE_FILE).write_text(json.dumps(document, indent=2) + "\n", "utf-8")
