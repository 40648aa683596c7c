"""Printing a declaration: the link, the PDF in the language asked for, read back."""

import asyncio
import datetime

import asyncpg
import pypdfium2
import pytest

from portal import i18n
from portal.documents.content import N_, OPERATION_TYPES, TRANSPORT_TYPES, Page, Row, Section
from portal.documents.render import Renderer
from tests.documents.reading import missing_glyphs, pages, qr_codes, text
from tests.factories import Operator, declaration_body, driver_body
from tests.helpers import Client, created, draft, fleet, submitted

# Labels and values every page prints, whatever the declaration.
LABELS = [
    N_("Posting declaration"),
    N_("Host Member State"),
    N_("Start date of the posting"),
    N_("Type of operation"),
    N_("Declaration number"),
    N_("Driving licence number"),
    N_("Law applicable to the employment contract"),
    N_("Identity document"),
    N_("Transport undertaking"),
    N_("Transport manager"),
    N_("Contact person"),
    N_("Heavy goods vehicles"),
    N_("Submitted"),
]


async def printed(client: Client, operator: Operator, declaration_id: str, language: str) -> bytes:
    answer = await client.post(
        f"/declarations/{declaration_id}/print", json={"declarationLanguage": language}, headers=operator.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    url = answer.text
    assert url.startswith("http://127.0.0.1:8000/documents/"), url
    download = await client.get(url.removeprefix("http://127.0.0.1:8000"))  # no API key: the link is signed
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/pdf"
    return download.content


@pytest.mark.parametrize("language", [language for language in i18n.LANGUAGES if language in i18n.available()])
async def test_the_pdf_speaks_the_language_asked_for(client: Client, operator: Operator, language: str) -> None:
    declaration = await submitted(client, operator, declarationPostingCountry="FR")
    pdf = await printed(client, operator, declaration["declarationId"], language)
    words = text(pdf)
    assert pages(pdf) == 1
    gettext = i18n.translations(language).gettext
    for label in LABELS:
        assert gettext(label) in words, (language, label)
        if language != "en":
            assert gettext(label) != label or label in ("Version",), (language, label)  # really translated
    for operation in declaration["declarationOperationType"]:
        assert gettext(OPERATION_TYPES[operation]) in words
    for transport in declaration["declarationTransportType"]:
        assert gettext(TRANSPORT_TYPES[transport]) in words
    assert i18n.country_name("FR", language) in words  # type: ignore[arg-type]
    assert declaration["declarationId"] in words
    assert declaration["driverLatinLastName"] in words
    start = i18n.date_text(datetime.date.fromisoformat(declaration["declarationStartDate"]), language)  # type: ignore[arg-type]
    assert " ".join(start.split()) in words  # the text read back has plain spaces
    assert missing_glyphs(pdf) == 0
    [code] = qr_codes(pdf)
    assert code.startswith("http://127.0.0.1:8000/verify/")


async def test_the_same_version_is_stored_once(client: Client, operator: Operator, db: asyncpg.Connection) -> None:
    declaration = await submitted(client, operator)
    first = await printed(client, operator, declaration["declarationId"], "fr")
    again = await printed(client, operator, declaration["declarationId"], "fr")
    assert first == again
    stored = await db.fetchval("SELECT count(*) FROM documents WHERE declaration_id = $1", declaration["declarationId"])
    assert stored == 1


async def test_an_update_is_a_new_document(client: Client, operator: Operator) -> None:
    declaration = await submitted(client, operator)
    before = await printed(client, operator, declaration["declarationId"], "en")
    update = await client.put(
        f"/declarations/{declaration['declarationId']}/submit",
        json={"driverEmail": "new.address@example.com"},
        headers=operator.headers,
    )
    assert update.status_code == 200, update.text
    after = await printed(client, operator, declaration["declarationId"], "en")
    assert before != after
    assert f"Version {update.json()['declarationVersion']}" in text(after)


async def test_what_cannot_be_printed(client: Client, operator: Operator, other_operator: Operator) -> None:
    declaration = await draft(client, operator)
    path = f"/declarations/{declaration['declarationId']}/print"
    refused = await client.post(path, json={"declarationLanguage": "de"}, headers=operator.headers)
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "wrong_state"

    mine = await submitted(client, operator)
    path = f"/declarations/{mine['declarationId']}/print"
    assert (
        await client.post(path, json={"declarationLanguage": "de"}, headers=other_operator.headers)
    ).status_code == 404
    unknown = await client.post(path, json={"declarationLanguage": "xx"}, headers=operator.headers)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "declarationLanguage"
    for language in set(i18n.LANGUAGES) - set(i18n.available()):  # catalogues still to come
        untranslated = await client.post(path, json={"declarationLanguage": language}, headers=operator.headers)
        assert untranslated.status_code == 422
        assert untranslated.json()["errors"][0]["code"] == "language_unavailable"
    mixed = await client.post(path, json={"declarationLanguage": "de", "language": "de"}, headers=operator.headers)
    assert mixed.status_code == 422


async def test_a_link_cannot_be_forged_or_used_late(client: Client, operator: Operator) -> None:
    declaration = await submitted(client, operator)
    answer = await client.post(
        f"/declarations/{declaration['declarationId']}/print",
        json={"declarationLanguage": "fr"},
        headers=operator.headers,
    )
    path = answer.text.removeprefix("http://127.0.0.1:8000")
    forged = await client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert forged.status_code == 404, (path, forged.text)
    assert forged.json()["errors"][0]["code"] == "link_invalid"
    links = client.app.state.document_links
    seconds, links.seconds = links.seconds, -1  # every link is older than that
    try:
        assert (await client.get(path)).status_code == 404
    finally:
        links.seconds = seconds
    assert (await client.get(path)).status_code == 200


async def test_hostile_text_is_printed_as_text(client: Client, operator: Operator) -> None:
    hostile = {
        "driverAddressStreet": "<script>alert(1)</script><img src=file:///etc/passwd>",
        "driverAddressCity": "url(http://169.254.169.254/) @import 'x.css'",
        "driverLatinFirstName": "Jan",
    }
    driver = await created(client, operator, "/drivers", driver_body(**hostile))
    _, plates = await fleet(client, operator)
    body = declaration_body(driver["driverId"], plates)
    made = await created(client, operator, "/declarations", body)
    assert (
        await client.post(f"/declarations/{made['declarationId']}/submit", headers=operator.headers)
    ).status_code == 200
    words = text(await printed(client, operator, made["declarationId"], "en"))
    assert "<script>alert(1)</script><img src=file:///etc/passwd>" in words
    assert "url(http://169.254.169.254/) @import 'x.css'" in words


async def test_a_page_renders_to_the_same_bytes_in_any_process() -> None:
    """What makes a PDF stored once however often it is rendered: the same bytes every time."""
    page = Page("de", "Entsendeerklärung", "Richtlinie (EU) 2020/1057", [], "https://example.invalid/v", "Prüfen")
    first, second = Renderer(1, 1), Renderer(1, 1)
    try:
        [one] = await first.render([page])
        await asyncio.sleep(1.1)  # a second later, in another process: no timestamp in the bytes
        [other] = await second.render([page])
    finally:
        first.close()
        second.close()
    assert one == other


async def test_a_declaration_too_long_for_one_page_prints_whole() -> None:
    """weasyprint drops what overflows a float silently: the renderer lays such a page out again
    in one flowing column, over more pages, and loses nothing."""
    value = "X" * 100
    sections = [
        Section(f"Section {index}", [Row(f"label {index}.{row}", value) for row in range(6)]) for index in range(7)
    ]
    plates = ", ".join(f"PL{number:05d}AB" for number in range(60))
    sections.append(Section("Vehicles", [Row("Heavy goods vehicles", plates)]))
    page = Page("en", "Posting declaration", "", sections, "https://example.invalid/verify/x", "")
    renderer = Renderer(1, 1)
    try:
        [pdf] = await renderer.render([page])
    finally:
        renderer.close()
    document = pypdfium2.PdfDocument(pdf)
    words = "".join(document[index].get_textpage().get_text_range() for index in range(len(document)))
    flat = "".join(words.split())
    assert len(document) > 1
    for section in sections:
        assert section.title.replace(" ", "") in flat, section.title
    assert "PL00059AB" in flat
