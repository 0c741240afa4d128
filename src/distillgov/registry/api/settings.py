"""What an API process needs to start: the database, the log's signing key, the clock, the classifier.

The same settings come from the CLI (`registry serve`), from environment variables (each of
several uvicorn workers builds its own app from them), or from a test that injects a manual clock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from distillgov.registry.classifier import Classifier, LawEngineClassifier
from distillgov.registry.clock import Clock, SystemClock
from distillgov.registry.db import default_data_dir, default_database_url
from distillgov.registry.tlog.note import generate_signer

ENV_DB = "DISTILLGOV_REGISTRY_DB"
ENV_KEY_FILE = "DISTILLGOV_REGISTRY_LOG_KEY_FILE"
DEFAULT_ORIGIN = "localhost/distillgov-registry"
MAX_BODY_BYTES = 256 * 1024


@dataclass
class RegistrySettings:
    database_url: str
    log_signer_key: str
    clock: Clock = field(default_factory=SystemClock)
    classifier: Classifier = field(default_factory=LawEngineClassifier)
    max_body_bytes: int = MAX_BODY_BYTES
    pool_size: int = 10


def default_key_file() -> Path:
    return default_data_dir() / "log-signer.key"


def ensure_key_file(path: Path, origin: str = DEFAULT_ORIGIN) -> str:
    """The signer key in `path`, created (readable by its owner only) when missing."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    signer, _verifier = generate_signer(origin)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(signer + "\n")
    return signer


def settings_from_env() -> RegistrySettings:
    """Settings for a worker process started by `registry serve --workers N`."""
    key_file = Path(os.environ.get(ENV_KEY_FILE) or default_key_file())
    if not key_file.exists():
        raise RuntimeError(f"{key_file}: no log signing key; run `distillgov registry init-db` first")
    return RegistrySettings(
        database_url=os.environ.get(ENV_DB) or default_database_url(),
        log_signer_key=key_file.read_text(encoding="utf-8").strip(),
    )
