"""Declarations through the pages, as a haulier files them: a draft with a mistake corrected,
submitted, its PDF downloaded, updated, withdrawn, copied; another operator's declaration never
reached; the same refusal codes as the API."""

import datetime
import re

import asyncpg

from portal import clock
from portal.mail.sink import MailSink
from tests.web.conftest import form_token, signed_up
from tests.web.test_operator_pages import Browser, Mailer, driver_form


async def with_driver(browser: Browser, mailer: Mailer, sink: MailSink, company: str = "Kowalski Transport") -> str:
    """A new operator signed up with one driver and two lorries; the driver's id."""
    await signed_up(browser, mailer, sink, company=company)
    token = await form_token(browser, "/web/drivers/new")
    await browser.post("/web/drivers/new", data={"csrf_token": token, **driver_form()})
    for plate in ("WX 12345", "WX 67890"):
        lorry = {"plateNumber": plate, "registrationCountry": "PL", "transportType": "CARRIAGE_OF_GOODS"}
        await browser.post("/web/vehicles", data={"csrf_token": token, **lorry, "vehicleWeight": "HEAVY"})
    page = await browser.get("/web/declarations/new")
    found = re.search(r'<option value="([0-9a-f-]{36})">Jan Kowalski</option>', page.text)
    assert found, page.text
    return found.group(1)


def declaration_form(driver_id: str, **changes: str) -> dict[str, str | list[str]]:
    start = clock.today() + datetime.timedelta(days=3)
    fields: dict[str, str | list[str]] = {
        "driverId": driver_id,
        "declarationPostingCountry": "FR",
        "declarationStartDate": start.isoformat(),
        "declarationEndDate": (start + datetime.timedelta(days=30)).isoformat(),
        "declarationOperationType": ["INTERNATIONAL_CARRIAGE", "CABOTAGE_OPERATIONS"],
        "declarationTransportType": ["CARRIAGE_OF_GOODS"],
        "declarationVehiclePlateNumberHeavy": "WX 12345\nWX 67890",
        "otherContactAsTransportManager": "true",
    }
    return fields | changes


async def filed_draft(browser: Browser, driver_id: str, **changes: str) -> str:
    token = await form_token(browser, "/web/declarations/new")
    saved = await browser.post(
        "/web/declarations/new",
        data={"csrf_token": token, **declaration_form(driver_id, **changes)},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    return saved.headers["location"].split("?")[0]


async def test_a_declaration_filed_through_the_form_is_submitted_printed_updated_and_withdrawn(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    driver_id = await with_driver(browser, mailer, account_sink)
    token = await form_token(browser, "/web/declarations/new")
    start = clock.today() + datetime.timedelta(days=3)
    mistaken = declaration_form(driver_id, declarationEndDate=(start - datetime.timedelta(days=1)).isoformat())
    mistaken.pop("declarationTransportType")
    refused = await browser.post("/web/declarations/new", data={"csrf_token": token, **mistaken})
    assert refused.status_code == 422
    assert 'href="#field-declarationTransportType"' in refused.text
    assert "is required" in refused.text
    assert "WX 12345\nWX 67890</textarea>" in refused.text  # what was typed is kept
    for ticked in ("CABOTAGE_OPERATIONS", "INTERNATIONAL_CARRIAGE"):
        assert re.search(f'value="{ticked}"[^>]* checked', refused.text)

    path = await filed_draft(browser, driver_id)
    draft = await browser.get(path)
    assert "Draft" in draft.text
    assert "WX12345, WX67890" in draft.text
    submitted = await browser.post(f"{path}/submit", data={"csrf_token": token}, follow_redirects=False)
    assert submitted.headers["location"] == f"{path}?done=submitted"
    shown = await browser.get(path)
    assert "Submitted" in shown.text

    pdf = await browser.get(f"{path}/pdf", params={"language": "pl"})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].endswith('-pl.pdf"')

    later = (start + datetime.timedelta(days=40)).isoformat()
    edit = await browser.get(f"{path}/edit")
    assert 'id="field-declarationStartDate"' in edit.text
    assert 'name="declarationStartDate"' not in edit.text
    update = declaration_form(driver_id, declarationEndDate=later, declarationPostingCountry="DE")
    updated = await browser.post(f"{path}/edit", data={"csrf_token": token, **update}, follow_redirects=False)
    assert updated.headers["location"] == f"{path}?done=updated"
    shown = await browser.get(path)
    assert "France" in shown.text  # frozen once submitted: the form's other country is not taken
    assert "<dd>3</dd>" in shown.text  # the draft, its submission, the update

    withdrawn = await browser.post(f"{path}/withdraw", data={"csrf_token": token}, follow_redirects=False)
    assert withdrawn.status_code == 303
    assert "Withdrawn" in (await browser.get(path)).text
    again = await browser.post(f"{path}/withdraw", data={"csrf_token": token})
    assert again.status_code == 409


async def test_a_submission_refused_shows_the_form_with_the_apis_refusal(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    driver_id = await with_driver(browser, mailer, account_sink)
    token = await form_token(browser, "/web/declarations/new")
    first = await filed_draft(browser, driver_id)
    await browser.post(f"{first}/submit", data={"csrf_token": token})
    second = await filed_draft(browser, driver_id)
    refused = await browser.post(f"{second}/submit", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "error-summary" in refused.text
    assert "overlaps" in refused.text


async def test_a_copy_to_the_next_period_is_a_new_draft(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    driver_id = await with_driver(browser, mailer, account_sink)
    token = await form_token(browser, "/web/declarations/new")
    path = await filed_draft(browser, driver_id)
    page = await browser.get(path)
    start = re.search(r'name="declarationStartDate" type="date" value="([0-9-]+)"', page.text)
    end = re.search(r'name="declarationEndDate" type="date" value="([0-9-]+)"', page.text)
    assert start
    assert end
    copied = await browser.post(
        f"{path}/copy",
        data={"csrf_token": token, "declarationStartDate": start.group(1), "declarationEndDate": end.group(1)},
        follow_redirects=False,
    )
    assert copied.status_code == 303
    edit = await browser.get(copied.headers["location"])
    assert f'value="{start.group(1)}"' in edit.text


async def test_another_operators_declaration_is_not_found_by_its_id(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    driver_id = await with_driver(browser, mailer, account_sink, company="First Haulage")
    path = await filed_draft(browser, driver_id)
    browser.cookies.clear()
    await signed_up(browser, mailer, account_sink, company="Second Haulage")
    token = await form_token(browser, "/web/declarations")
    for answer in (
        await browser.get(path),
        await browser.get(f"{path}/edit"),
        await browser.get(f"{path}/pdf"),
        await browser.post(f"{path}/submit", data={"csrf_token": token}),
        await browser.post(f"{path}/delete", data={"csrf_token": token}),
    ):
        assert answer.status_code == 404


async def test_a_form_without_its_token_stores_nothing(
    browser: Browser, mailer: Mailer, account_sink: MailSink, db: asyncpg.Connection
) -> None:
    driver_id = await with_driver(browser, mailer, account_sink)
    before = await db.fetchval("SELECT count(*) FROM declarations WHERE driver_id = $1", driver_id)
    for token in ({}, {"csrf_token": "forged"}):
        answer = await browser.post("/web/declarations/new", data={**token, **declaration_form(driver_id)})
        assert answer.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM declarations WHERE driver_id = $1", driver_id) == before


async def test_what_was_typed_is_shown_escaped(browser: Browser, mailer: Mailer, account_sink: MailSink) -> None:
    driver_id = await with_driver(browser, mailer, account_sink)
    token = await form_token(browser, "/web/declarations/new")
    script = '"><script>alert(1)</script>'
    refused = await browser.post(
        "/web/declarations/new",
        data={"csrf_token": token, **declaration_form(driver_id, otherContactFirstName=script, driverEmail=script)},
    )
    assert refused.status_code == 422
    assert "<script>alert(1)</script>" not in refused.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in refused.text
