"""Log entries: one registry decision as RFC 8785 canonical JSON.

Canonical JSON makes the entry a function of the decision alone (key order, whitespace and number
spelling cannot vary), so anyone holding the decision can recompute the exact leaf a verifier checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rfc8785

MAX_ENTRY_BYTES = 0xFFFF
"""Entry bundles prefix each entry with a big-endian uint16 length, so no entry may be longer."""


class EntryError(ValueError):
    """A decision cannot become a log entry; the message says which part and why."""


def canonical_entry(decision: Mapping[str, Any]) -> bytes:
    """The bytes appended to the log for `decision`: its RFC 8785 (JCS) serialization."""
    if not isinstance(decision, Mapping):
        raise EntryError(f"a log entry must be a JSON object, got {type(decision).__name__}")
    try:
        entry: bytes = rfc8785.dumps(dict(decision))
    except rfc8785.CanonicalizationError as exc:
        raise EntryError(f"decision is not canonicalizable JSON (RFC 8785): {exc}") from exc
    if len(entry) > MAX_ENTRY_BYTES:
        raise EntryError(
            f"decision is {len(entry)} bytes as canonical JSON; tlog-tiles entry bundles allow at most "
            f"{MAX_ENTRY_BYTES} bytes per entry: log a digest of large attachments instead of the attachment"
        )
    return entry
