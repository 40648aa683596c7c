"""A ZIP of the PDFs of a selection: asked for, built by the worker with its progress, downloaded."""

import io
import zipfile
from typing import Any

import asyncpg
import pytest

from portal import i18n
from tests.documents.reading import text
from tests.factories import Operator, days
from tests.helpers import Client, draft, submitted
from workers.archives import build_archive
from workers.deliveries import drain
from workers.housekeeping import sweep

BASE = "http://127.0.0.1:8000"


async def ask(client: Client, operator: Operator, body: dict[str, Any]) -> Any:
    return await client.post("/declarations/pdf-archive", json=body, headers=operator.headers)


async def test_the_named_declarations_are_zipped_in_the_language_asked_for(
    client: Client, operator: Operator, worker: dict[str, Any], db: asyncpg.Connection
) -> None:
    declarations = [await submitted(client, operator, declarationPostingCountry=c) for c in ("FR", "DE", "BE")]
    ids = [declaration["declarationId"] for declaration in declarations]
    answer = await ask(client, operator, {"declarationLanguage": "es", "declarationIds": ids})
    assert answer.status_code == 202, answer.text
    asked = answer.json()
    assert (asked["state"], asked["done"], asked["total"], asked["downloadUrl"]) == ("BUILDING", 0, 3, None)
    status_path = f"/declarations/pdf-archive/{asked['archiveId']}"

    await drain(worker)  # enqueued by the drain, as a wiped Redis would have it enqueued again
    assert await db.fetchval("SELECT enqueued_at IS NOT NULL FROM pdf_archives WHERE id = $1", asked["archiveId"])
    assert await build_archive(worker, asked["archiveId"]) is True
    assert await build_archive(worker, asked["archiveId"]) is False  # run twice: built once

    ready = (await client.get(status_path, headers=operator.headers)).json()
    assert (ready["state"], ready["done"], ready["total"]) == ("READY", 3, 3)
    download = await client.get(ready["downloadUrl"].removeprefix(BASE))  # no API key: the link is signed
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        names = archive.namelist()
        assert len(names) == 3
        for declaration_id in ids:
            [name] = [name for name in names if declaration_id in name]
            words = text(archive.read(name))
            assert declaration_id in words
            assert i18n.translations("es").gettext("Posting declaration") in words


async def test_the_list_filters_select_as_the_list_does(
    client: Client, operator: Operator, worker: dict[str, Any]
) -> None:
    wanted = await submitted(client, operator, declarationPostingCountry="AT", declarationEndDate=days(10))
    await submitted(client, operator, declarationPostingCountry="AT", declarationEndDate=days(90))
    await draft(client, operator, declarationPostingCountry="AT", declarationEndDate=days(10))  # no PDF
    answer = await ask(client, operator, {"declarationLanguage": "en", "postingCountry": "AT", "endDateTo": days(30)})
    assert answer.status_code == 202, answer.text
    assert answer.json()["total"] == 1
    await build_archive(worker, answer.json()["archiveId"])
    ready = (
        await client.get(f"/declarations/pdf-archive/{answer.json()['archiveId']}", headers=operator.headers)
    ).json()
    with zipfile.ZipFile(io.BytesIO((await client.get(ready["downloadUrl"].removeprefix(BASE))).content)) as archive:
        [name] = archive.namelist()
    assert wanted["declarationId"] in name


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"declarationLanguage": "en", "status": "DRAFT"}, "", "archive_empty"),
        ({"declarationLanguage": "en", "declarationIds": []}, "declarationIds", "too_few"),
        ({"declarationLanguage": "xx"}, "declarationLanguage", "not_allowed"),
        (
            {"declarationLanguage": "en", "declarationIds": ["018f0000-0000-7000-8000-000000000000"]},
            "declarationIds[0]",
            "not_found",
        ),
    ],
)
async def test_a_bad_selection_is_refused(
    client: Client, operator: Operator, body: dict[str, Any], field: str, code: str
) -> None:
    answer = await ask(client, operator, body)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert (error["field"], error["code"]) == (field, code)


async def test_ids_and_filters_together_are_refused(client: Client, operator: Operator) -> None:
    declaration = await submitted(client, operator)
    answer = await ask(
        client,
        operator,
        {"declarationLanguage": "en", "declarationIds": [declaration["declarationId"]], "postingCountry": "FR"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["code"] == "fields_mixed"


async def test_a_draft_or_another_operators_declaration_cannot_be_named(
    client: Client, operator: Operator, other_operator: Operator
) -> None:
    mine = await draft(client, operator)
    theirs = await submitted(client, other_operator)
    answer = await ask(
        client,
        operator,
        {"declarationLanguage": "en", "declarationIds": [mine["declarationId"], theirs["declarationId"]]},
    )
    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == ["declarationIds[0]", "declarationIds[1]"]
    asked = await ask(
        client, other_operator, {"declarationLanguage": "en", "declarationIds": [theirs["declarationId"]]}
    )
    # Another operator's archive is not found, as their declarations are not.
    seen = await client.get(f"/declarations/pdf-archive/{asked.json()['archiveId']}", headers=operator.headers)
    assert seen.status_code == 404


async def test_a_forged_link_downloads_nothing(client: Client) -> None:
    answer = await client.get("/archives/" + "x" * 40)
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["code"] == "link_invalid"


async def test_an_archive_past_its_days_is_deleted_with_its_zip(
    client: Client, operator: Operator, worker: dict[str, Any], db: asyncpg.Connection
) -> None:
    declaration = await submitted(client, operator)
    asked = (
        await ask(client, operator, {"declarationLanguage": "en", "declarationIds": [declaration["declarationId"]]})
    ).json()
    await build_archive(worker, asked["archiveId"])
    digest = await db.fetchval("SELECT sha256 FROM pdf_archives WHERE id = $1", asked["archiveId"])
    zipped = worker["archive_store"].path_of(digest)
    assert zipped.exists()
    days = worker["settings"].documents.archive_days
    await db.execute(
        "UPDATE pdf_archives SET created_at = created_at - make_interval(days => $2) WHERE id = $1",
        asked["archiveId"],
        days + 1,
    )
    await sweep(worker)
    status = await client.get(f"/declarations/pdf-archive/{asked['archiveId']}", headers=operator.headers)
    assert status.status_code == 404
    assert not zipped.exists()
