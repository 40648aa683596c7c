"""PDFs kept in an S3-compatible bucket instead of a folder: printed, downloaded, archived and
deleted there. The bucket is moto's S3 server, listening on 127.0.0.1 like a MinIO would."""

import io
import zipfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from moto.server import ThreadedMotoServer

from portal import settings as configuration
from portal.app import create_app
from portal.db import create_pool
from portal.documents.bucket import BucketStore
from portal.documents.service import Rendering, archive_store
from portal.documents.store import DocumentStore
from portal.settings import Settings
from tests.documents.test_print import printed
from tests.factories import Operator
from tests.helpers import submitted
from workers.archives import build_archive

BUCKET = "portal-documents"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket_settings(settings: Settings, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "portal-test",
        "AWS_SECRET_ACCESS_KEY": "portal-test-secret",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    if BUCKET not in [found["Name"] for found in client.list_buckets().get("Buckets", [])]:
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return configuration.replace(
        settings, documents={"s3_bucket": BUCKET, "s3_endpoint_url": s3_endpoint, "s3_prefix": "pdf/"}
    )


@pytest.fixture
async def bucket_client(bucket_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(create_app(bucket_settings)) as client:
        yield client


def objects(endpoint: str, prefix: str) -> list[str]:
    listed = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [found["Key"] for found in listed.get("Contents", [])]


async def test_a_printed_pdf_is_kept_in_the_bucket(
    bucket_client: AsyncTestClient[Litestar], bucket_settings: Settings, operator: Operator, s3_endpoint: str
) -> None:
    declaration = await submitted(bucket_client, operator)
    pdf = await printed(bucket_client, operator, declaration["declarationId"], "fi")
    assert pdf.startswith(b"%PDF-")
    kept = [key for key in objects(s3_endpoint, "pdf/") if key.endswith(".pdf")]
    assert kept, "no PDF in the bucket"
    store = bucket_client.app.state.rendering.store
    assert isinstance(store, BucketStore)
    digest = bytes.fromhex(kept[-1].rsplit("/", 1)[-1].removesuffix(".pdf"))
    assert not DocumentStore(bucket_settings.document_store).path_of(digest).exists()  # not in the folder
    await store.delete([digest])
    assert kept[-1] not in objects(s3_endpoint, "pdf/")


async def test_an_archive_is_built_into_the_bucket(
    bucket_client: AsyncTestClient[Litestar], bucket_settings: Settings, operator: Operator, s3_endpoint: str
) -> None:
    declaration = await submitted(bucket_client, operator)
    asked = await bucket_client.post(
        "/declarations/pdf-archive",
        json={"declarationLanguage": "sv", "declarationIds": [declaration["declarationId"]]},
        headers=operator.headers,
    )
    assert asked.status_code == 202, asked.text
    # The worker's own: its pool, renderers and stores, on the same settings.
    ctx: dict[str, Any] = {
        "settings": bucket_settings,
        "db_pool": await create_pool(bucket_settings.database.url, min_size=1, max_size=2),
        "rendering": Rendering.of(bucket_settings),
        "archive_store": archive_store(bucket_settings),
    }
    try:
        assert await build_archive(ctx, asked.json()["archiveId"]) is True
    finally:
        ctx["rendering"].renderer.close()
        await ctx["db_pool"].close()
    assert any(key.startswith("pdf/archives/") for key in objects(s3_endpoint, "pdf/archives/"))
    ready = await bucket_client.get(f"/declarations/pdf-archive/{asked.json()['archiveId']}", headers=operator.headers)
    download = await bucket_client.get(ready.json()["downloadUrl"].removeprefix("http://127.0.0.1:8000"))
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        [name] = archive.namelist()
    assert declaration["declarationId"] in name
