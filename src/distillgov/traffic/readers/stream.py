"""Bytes of a log file, decompressed, cut into blocks of whole lines with their line numbers.

Every text reader needs the same three things: decompression chosen by what the file really
is (its magic bytes, not its name), large blocks so that Arrow's parsers run at full speed,
and an exact line number for every row so that a rejection can point at the source. A file
that ends early (a truncated gzip) still yields every complete line; the broken tail is
reported with its position instead of being dropped or crashing the run.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import numpy as np
import zstandard

from distillgov.traffic.readers.base import UnreadableFileError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_READ_SIZE = 1 << 20
_SNIFF_SIZE = 64 << 10
_NEWLINE = 0x0A
_QUOTE = 0x22
_BOM = b"\xef\xbb\xbf"


class Compression(StrEnum):
    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"


_SUFFIXES = {
    ".gz": Compression.GZIP,
    ".gzip": Compression.GZIP,
    ".zst": Compression.ZSTD,
    ".zstd": Compression.ZSTD,
}


def compression_suffix(path: Path) -> Compression:
    """Compression a file's name claims; the content is checked against it when opened."""
    return _SUFFIXES.get(path.suffix.lower(), Compression.NONE)


def open_binary(path: Path) -> tuple[object, int]:
    """Open for reading, turning the OS error into a message that names the file."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise UnreadableFileError(path, "file not found") from None
    except IsADirectoryError:
        raise UnreadableFileError(path, "is a directory") from None
    except OSError as error:
        raise UnreadableFileError(path, f"cannot open: {error.strerror}") from None
    return handle, path.stat().st_size


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes) -> bytes: ...


def _new_decompressor(compression: Compression) -> _Decompressor:
    if compression is Compression.GZIP:
        return zlib.decompressobj(wbits=31)
    return zstandard.ZstdDecompressor().decompressobj()


@dataclass
class ByteStream:
    """Decompressed content of one file, read chunk by chunk.

    `consumed` counts bytes of the file on disk read so far, for progress and for saying where
    a compressed stream broke. `broken` is set when the content ended early or was corrupt.
    """

    path: Path
    compression: Compression
    size: int
    consumed: int = 0
    broken: str | None = None

    def chunks(self) -> Iterator[bytes]:
        handle, self.size = open_binary(self.path)
        with handle as raw:  # type: ignore[attr-defined]
            head = raw.read(4)
            self._check_magic(head)
            raw.seek(0)
            if self.compression is Compression.NONE:
                while block := raw.read(_READ_SIZE):
                    self.consumed += len(block)
                    yield block
                return
            yield from self._decompressed(raw)

    def _check_magic(self, head: bytes) -> None:
        expected = {Compression.GZIP: GZIP_MAGIC, Compression.ZSTD: ZSTD_MAGIC}.get(self.compression)
        if expected is not None and not head.startswith(expected):
            raise UnreadableFileError(
                self.path,
                f"named as {self.compression.value} but is not {self.compression.value} data "
                f"(starts with {head[:4]!r}); rename it or recompress it",
            )

    def _decompressed(self, raw: object) -> Iterator[bytes]:
        decompressor = _new_decompressor(self.compression)
        started = False  # a member has begun and not yet reached its end marker
        while block := raw.read(_READ_SIZE):  # type: ignore[attr-defined]
            position = self.consumed
            self.consumed += len(block)
            while block:
                started = True
                try:
                    out = decompressor.decompress(block)
                except (zlib.error, zstandard.ZstdError) as error:
                    self.broken = (
                        f"{self.compression.value} data is corrupt near compressed byte {position} of "
                        f"{self.size} ({error}); the lines before it were read"
                    )
                    return
                if out:
                    yield out
                if not decompressor.eof:
                    break
                # Concatenated members (e.g. `cat a.gz b.gz`) are one valid stream.
                block = decompressor.unused_data
                decompressor = _new_decompressor(self.compression)
                started = False
        if started:
            self.broken = (
                f"{self.compression.value} stream ends at compressed byte {self.size} without its "
                "end-of-stream marker (file truncated?); the complete lines before it were read"
            )


@dataclass(frozen=True)
class TextBlock:
    """Whole lines of a file; `first_line` is the 1-based number of the first of them."""

    data: bytes
    first_line: int
    line_count: int


@dataclass(frozen=True)
class BrokenTail:
    """What followed the last complete line of a stream that ended early or corruptly."""

    data: bytes
    line: int
    detail: str


def _last_cut(buffer: bytes, quote_aware: bool) -> int:
    """End (exclusive) of the last whole line in `buffer`, 0 if there is none yet.

    For CSV a newline inside a quoted field is not a record boundary; CSV escapes a quote by
    doubling it, so a newline ends a record exactly when an even number of quotes precede it.
    """
    if not quote_aware:
        return buffer.rfind(b"\n") + 1
    view = np.frombuffer(buffer, dtype=np.uint8)
    newlines = np.flatnonzero(view == _NEWLINE)
    if len(newlines) == 0:
        return 0
    quotes_before = np.cumsum(view == _QUOTE)[newlines]
    even = newlines[quotes_before % 2 == 0]
    return int(even[-1]) + 1 if len(even) else 0


def text_blocks(
    stream: ByteStream, block_size: int, *, quote_aware: bool = False
) -> Iterator[TextBlock | BrokenTail]:
    """Cut the stream into blocks of about `block_size` bytes ending at line boundaries.

    A final line without a newline is a normal last line. If the stream broke, the bytes after
    the last complete line come last as a `BrokenTail`.
    """
    pending: list[bytes] = []
    size = 0
    line = 1

    def block(data: bytes) -> TextBlock:
        nonlocal line
        count = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        made = TextBlock(data, line, count)
        line += count
        return made

    for number, chunk in enumerate(stream.chunks()):
        if number == 0:
            chunk = chunk.removeprefix(_BOM)  # a UTF-8 byte-order mark is not part of the first record
        pending.append(chunk)
        size += len(chunk)
        if size < block_size:
            continue
        data = b"".join(pending)
        cut = _last_cut(data, quote_aware)
        if cut:  # otherwise one record is longer than a block: keep reading
            yield block(data[:cut])
            data = data[cut:]
        pending, size = ([data] if data else []), len(data)
    data = b"".join(pending)
    if stream.broken is not None:
        cut = _last_cut(data, quote_aware)
        if cut:
            yield block(data[:cut])
        yield BrokenTail(data[cut:], line, stream.broken)
    elif data:
        yield block(data)


def sniff_text(path: Path, compression: Compression) -> bytes:
    """The first bytes of the decompressed content, to tell formats apart and refuse binaries."""
    stream = ByteStream(path, compression, 0)
    head = bytearray()
    for chunk in stream.chunks():
        head += chunk
        if len(head) >= _SNIFF_SIZE:
            break
    return bytes(head[:_SNIFF_SIZE])
