"""Where PDFs are kept when an S3-compatible bucket is chosen (PORTAL_DOCUMENTS_S3_BUCKET):
the same names as on the filesystem (the SHA-256 of the bytes), written through boto3.

boto3's client is thread-safe and blocking: each call runs in a thread, off the event loop.
Credentials and region come from boto3's own settings (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_DEFAULT_REGION, or an instance role); an S3 put is atomic, so a reader never sees half an
object.
"""

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any


class BucketStore:
    def __init__(self, bucket: str, prefix: str, suffix: str, endpoint_url: str = "") -> None:
        import boto3  # the s3 extra: only a deployment that chose a bucket needs it

        self.bucket = bucket
        self.prefix = prefix
        self.suffix = suffix
        self._client: Any = boto3.client("s3", endpoint_url=endpoint_url or None)

    def _key(self, digest: bytes) -> str:
        name = digest.hex()
        return f"{self.prefix}{name[:2]}/{name}{self.suffix}"

    def _put(self, content: bytes) -> bytes:
        digest = hashlib.sha256(content).digest()
        self._client.put_object(Bucket=self.bucket, Key=self._key(digest), Body=content)
        return digest

    async def put(self, content: bytes) -> bytes:
        """Store ``content``; return its SHA-256 (raises if the bucket refuses it)."""
        return await asyncio.to_thread(self._put, content)

    def _get(self, digest: bytes) -> bytes:
        body: bytes = self._client.get_object(Bucket=self.bucket, Key=self._key(digest))["Body"].read()
        return body

    async def get(self, digest: bytes) -> bytes:
        return await asyncio.to_thread(self._get, digest)

    def _delete(self, digests: list[bytes]) -> None:
        for start in range(0, len(digests), 1000):  # S3 deletes at most 1,000 keys a request
            keys = [{"Key": self._key(digest)} for digest in digests[start : start + 1000]]
            self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})

    async def delete(self, digests: list[bytes]) -> None:
        if digests:
            await asyncio.to_thread(self._delete, digests)

    def scratch(self) -> Path:
        """A new local temporary file, for ``adopt`` to upload."""
        descriptor, name = tempfile.mkstemp(prefix="portal-")
        os.close(descriptor)
        return Path(name)

    def _adopt(self, source: Path) -> bytes:
        digest = hashlib.sha256()
        with source.open("rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
        self._client.upload_file(str(source), self.bucket, self._key(digest.digest()))
        source.unlink()
        return digest.digest()

    async def adopt(self, source: Path) -> bytes:
        """Upload the file ``source`` under its SHA-256 and remove it; return the digest."""
        return await asyncio.to_thread(self._adopt, source)
