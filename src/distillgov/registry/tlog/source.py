"""Where a verifier reads a tlog-tiles log from: a saved folder, an http(s) prefix, or memory.

Everything a source returns is untrusted bytes; `verify` authenticates them against a signed
checkpoint before believing any of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import httpx

MAX_RESOURCE_BYTES = 256 * (2 + 0xFFFF)
"""The largest resource of a tlog-tiles log: a full bundle of maximal entries (about 16 MiB)."""
_TIMEOUT_S = 30.0


class SourceError(OSError):
    """The log could not be read at all (no such folder, network failure, server error)."""


class MissingResourceError(SourceError):
    """The log does not have this path (HTTP 404 or no such file)."""


class LogSource(Protocol):
    """Reads resources by their path under the log prefix (`checkpoint`, `vkey`, `tile/...`)."""

    @property
    def description(self) -> str: ...

    def read(self, path: str) -> bytes: ...


class FolderSource:
    """A log saved as files: `<folder>/checkpoint`, `<folder>/tile/0/000`, ..."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise SourceError(
                f"{folder} is not a folder; pass a saved log folder or an http(s):// log prefix"
            )
        self.folder = folder

    @property
    def description(self) -> str:
        return str(self.folder)

    def read(self, path: str) -> bytes:
        target = self.folder / path
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise MissingResourceError(f"{target} does not exist: the saved log is incomplete") from None
        except OSError as exc:
            raise SourceError(f"cannot read {target}: {exc.strerror}") from exc


class HttpSource:
    """A log served over HTTP(S) at `prefix` (for the registry, `https://host/log`)."""

    def __init__(self, prefix: str, client: httpx.Client | None = None) -> None:
        self.prefix = prefix.rstrip("/")
        self._client = client or httpx.Client(timeout=_TIMEOUT_S, follow_redirects=True)

    @property
    def description(self) -> str:
        return self.prefix

    def read(self, path: str) -> bytes:
        url = f"{self.prefix}/{path}"
        try:
            with self._client.stream("GET", url, headers={"Accept-Encoding": "gzip, identity"}) as response:
                if response.status_code == httpx.codes.NOT_FOUND:
                    raise MissingResourceError(
                        f"{url} answered 404: is {self.prefix} the log prefix (e.g. https://host/log)?"
                    )
                if response.status_code != httpx.codes.OK:
                    raise SourceError(f"{url} answered HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESOURCE_BYTES:
                        raise SourceError(
                            f"{url} is larger than any tlog-tiles resource ({MAX_RESOURCE_BYTES} bytes)"
                        )
                return bytes(body)
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot fetch {url}: {exc}") from exc


def open_source(source: str | Path | LogSource) -> LogSource:
    """A source from what a user typed: an http(s) URL is a log prefix, anything else a folder."""
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        return HttpSource(source)
    if isinstance(source, str | Path):
        return FolderSource(Path(source))
    return source


def write_resource(folder: Path, path: str, data: bytes) -> Path:
    """Save one resource under `folder` via a temporary file and a rename, so that a reader of the
    folder never sees half a tile or half a checkpoint."""
    target = folder / path
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)
    return target
