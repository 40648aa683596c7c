"""Where PDFs are kept: under the SHA-256 of their bytes, so the same PDF is stored once.

A rendering is deterministic (portal.documents.render), so a job run twice, or two workers
racing for one version, write the same bytes to the same name. A write goes to a temporary
name first and is renamed, so a reader never sees half a file.
"""

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


class Store(Protocol):
    """Where PDFs (and archives of them) are kept, each under the SHA-256 of its bytes: a folder
    (``DocumentStore``, the default) or an S3-compatible bucket (``bucket.BucketStore``)."""

    async def put(self, content: bytes) -> bytes: ...
    async def get(self, digest: bytes) -> bytes: ...
    async def delete(self, digests: list[bytes]) -> None: ...
    def scratch(self) -> Path: ...
    async def adopt(self, source: Path) -> bytes: ...


class DocumentStore:
    """A folder of content-addressed files."""

    def __init__(self, root: Path, suffix: str = ".pdf") -> None:
        self.root = root
        self.suffix = suffix

    def _path(self, digest: bytes) -> Path:
        name = digest.hex()
        return self.root / name[:2] / f"{name}{self.suffix}"

    def _adopt(self, source: Path) -> bytes:
        digest = hashlib.sha256()
        with source.open("rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
        path = self._path(digest.digest())
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, path)
        return digest.digest()

    def scratch(self) -> Path:
        """A new temporary file in the store's folder, so that ``adopt`` is a rename."""
        self.root.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        os.close(descriptor)
        return Path(name)

    async def adopt(self, source: Path) -> bytes:
        """Store the file ``source`` (made by ``scratch``) under its SHA-256, moving it; return it."""
        return await asyncio.to_thread(self._adopt, source)

    def path_of(self, digest: bytes) -> Path:
        return self._path(digest)

    def _write(self, content: bytes) -> bytes:
        digest = hashlib.sha256(content).digest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    async def put(self, content: bytes) -> bytes:
        """Store ``content``; return its SHA-256 (raises OSError if the folder refuses it)."""
        return await asyncio.to_thread(self._write, content)

    async def get(self, digest: bytes) -> bytes:
        return await asyncio.to_thread(self._path(digest).read_bytes)

    async def delete(self, digests: list[bytes]) -> None:
        def unlink() -> None:
            for digest in digests:
                self._path(digest).unlink(missing_ok=True)

        await asyncio.to_thread(unlink)
