"""Which reader a file needs, decided from its name and checked against its content.

A `.gz` that is not gzip, a `.parquet` without Parquet's magic bytes, or a "log" full of NUL
bytes is refused up front with a sentence that names the file and the problem, instead of
producing millions of rejected rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from distillgov.traffic.readers.base import ROW_COLUMN, SourceBatch, UnreadableFileError
from distillgov.traffic.readers.csv import CsvReader
from distillgov.traffic.readers.jsonl import JsonLinesReader
from distillgov.traffic.readers.otlp import OtlpReader, is_otlp
from distillgov.traffic.readers.parquet import ParquetReader
from distillgov.traffic.readers.stream import (
    GZIP_MAGIC,
    ZSTD_MAGIC,
    ByteStream,
    Compression,
    compression_suffix,
    open_binary,
    sniff_text,
)

__all__ = [
    "ROW_COLUMN",
    "Format",
    "SourceBatch",
    "SourceFile",
    "UnreadableFileError",
    "is_supported",
    "open_source",
]

_PARQUET_MAGIC = b"PAR1"


class Format(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"
    OTLP = "otlp"


_EXTENSIONS = {
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".json": Format.JSONL,  # JSON Lines or OTLP/JSON; the content decides
    ".csv": Format.CSV,
    ".parquet": Format.PARQUET,
    ".pq": Format.PARQUET,
}


def _named_format(path: Path) -> Format | None:
    name = path.with_suffix("") if compression_suffix(path) is not Compression.NONE else path
    return _EXTENSIONS.get(name.suffix.lower())


def is_supported(path: Path) -> bool:
    """Whether a file found while walking a folder looks like a log this command reads."""
    return _named_format(path) is not None and not path.name.startswith(".")


@dataclass
class SourceFile:
    """One input file with its format and compression settled."""

    path: Path
    format: Format
    compression: Compression
    skipped: Counter[str] = field(default_factory=Counter)

    def batches(self, string_columns: frozenset[str]) -> Iterator[SourceBatch]:
        """Stream the file; `string_columns` are source columns that must stay text (timestamps)."""
        if self.format is Format.PARQUET:
            yield from ParquetReader().read(self.path)
            return
        stream = ByteStream(self.path, self.compression, 0)
        if self.format is Format.CSV:
            yield from CsvReader().read(stream)
        elif self.format is Format.OTLP:
            reader = OtlpReader()
            yield from reader.read(stream)
            self.skipped.update({f"span operation {k}": v for k, v in reader.skipped_spans.items()})
        else:
            yield from JsonLinesReader(string_columns).read(stream)


def _compression(path: Path, head: bytes) -> Compression:
    named = compression_suffix(path)
    if head.startswith(GZIP_MAGIC):
        found = Compression.GZIP
    elif head.startswith(ZSTD_MAGIC):
        found = Compression.ZSTD
    else:
        found = Compression.NONE
    if named is not Compression.NONE and found is not named:
        raise UnreadableFileError(
            path, f"named as {named.value} but is not {named.value} data (starts with {head[:4]!r})"
        )
    return found


def open_source(path: Path, forced: Format | None = None) -> SourceFile:
    """Settle a file's format and compression, or say clearly why it cannot be read."""
    handle, _ = open_binary(path)
    with handle as raw:  # type: ignore[attr-defined]
        head: bytes = raw.read(8)
    named = forced or _named_format(path)
    if named is Format.PARQUET or (named is None and head.startswith(_PARQUET_MAGIC)):
        if not head.startswith(_PARQUET_MAGIC):
            raise UnreadableFileError(path, f"not a Parquet file (starts with {head[:4]!r}, not b'PAR1')")
        return SourceFile(path, Format.PARQUET, Compression.NONE)
    compression = _compression(path, head)
    text = sniff_text(path, compression)
    nul = text.find(b"\x00")
    if nul >= 0:
        raise UnreadableFileError(
            path, f"binary content (a NUL byte at decompressed offset {nul}); not a text log"
        )
    if named is None:
        if not text.lstrip().startswith(b"{"):
            raise UnreadableFileError(
                path, "unknown file type; name it .jsonl/.csv/.parquet or pass --format"
            )
        named = Format.JSONL
    if named is Format.JSONL and is_otlp(text):
        named = Format.OTLP
    return SourceFile(path, named, compression)
