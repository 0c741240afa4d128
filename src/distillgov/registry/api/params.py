"""Path parameters with the bounds the database has, so an id no record can have is a 404 or 422,
never an integer overflow inside the driver (found by fuzzing the API from its OpenAPI document)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

RECORD_ID_MAX = 2**31 - 1  # records are keyed by 32-bit integers (PostgreSQL `integer`)
LOG_INDEX_MAX = 2**63 - 1  # log entries by 64-bit ones (`bigint`)

RecordId = Annotated[int, Path(ge=1, le=RECORD_ID_MAX, description="a record's id")]
LogIndex = Annotated[int, Path(ge=0, le=LOG_INDEX_MAX, description="an entry's index in the log")]
