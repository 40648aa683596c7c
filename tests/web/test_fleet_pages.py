"""The vehicle register, the API keys of an owner, renewals and bulk uploads through the pages."""

import json
import re

import asyncpg

from portal.mail.sink import MailSink
from tests.test_bulk import ndjson, record
from tests.web.conftest import csrf_of, form_token, signed_up
from tests.web.test_declaration_pages import filed_draft, with_driver
from tests.web.test_operator_pages import Browser, Mailer


async def test_a_lorry_added_to_the_register_is_listed_and_a_bad_plate_refused(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    await signed_up(browser, mailer, account_sink)
    token = await form_token(browser, "/web/vehicles")
    lorry = {"plateNumber": "WX 4455A", "registrationCountry": "PL", "transportType": "CARRIAGE_OF_GOODS"}
    refused = await browser.post("/web/vehicles", data={"csrf_token": token, **lorry})
    assert refused.status_code == 422
    assert 'href="#field-vehicleWeight"' in refused.text
    added = await browser.post(
        "/web/vehicles", data={"csrf_token": token, **lorry, "vehicleWeight": "HEAVY"}, follow_redirects=False
    )
    assert added.status_code == 303
    listed = await browser.get("/web/vehicles")
    assert "<td>WX4455A</td>" in listed.text
    again = await browser.post("/web/vehicles", data={"csrf_token": token, **lorry, "vehicleWeight": "HEAVY"})
    assert again.status_code == 409


async def test_an_owner_makes_a_key_that_files_and_revokes_it(
    browser: Browser, mailer: Mailer, account_sink: MailSink, db: asyncpg.Connection
) -> None:
    address = await signed_up(browser, mailer, account_sink)
    operator_id = await db.fetchval(
        "SELECT operator_id FROM memberships m JOIN people p ON p.id = m.person_id WHERE email = $1", address
    )
    token = await form_token(browser, "/web/keys")
    made = await browser.post("/web/keys", data={"csrf_token": token, "label": "fleet software"})
    found = re.search(r'<code id="new-key">([^<]+)</code>', made.text)
    assert found
    key = {"x-api-key": found.group(1), "x-operator-id": str(operator_id)}
    assert (await browser.get("/drivers", params={"limit": 1}, headers=key)).status_code == 200
    listed = await browser.get("/web/keys")
    assert "fleet software" in listed.text
    assert found.group(1) not in listed.text
    key_id = re.search(r'action="/web/keys/([0-9a-f-]{36})/revoke"', listed.text)
    assert key_id
    await browser.post(f"/web/keys/{key_id.group(1)}/revoke", data={"csrf_token": token})
    assert (await browser.get("/drivers", params={"limit": 1}, headers=key)).status_code == 401


async def test_a_member_cannot_reach_the_owners_key_page(
    browser: Browser, mailer: Mailer, account_sink: MailSink, db: asyncpg.Connection
) -> None:
    address = await signed_up(browser, mailer, account_sink)
    await db.execute(
        "UPDATE memberships SET role = 'MEMBER' WHERE person_id = (SELECT id FROM people WHERE email = $1)", address
    )
    assert (await browser.get("/web/keys")).status_code == 403
    token = await form_token(browser, "/web/dashboard")
    assert (await browser.post("/web/keys", data={"csrf_token": token, "label": "mine"})).status_code == 403


async def test_renewals_rehearsed_then_filed_with_a_driver_left_out(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    driver_id = await with_driver(browser, mailer, account_sink)
    path = await filed_draft(browser, driver_id)
    token = await form_token(browser, path)
    await browser.post(f"{path}/submit", data={"csrf_token": token})
    rehearsal = await browser.get("/web/renewals", params={"days": "40"})
    assert rehearsal.status_code == 200
    assert f'name="renew" value="{driver_id}"' in rehearsal.text
    left_out = await browser.post("/web/renewals", data={"csrf_token": token, "withinDays": "40", "offered": driver_id})
    assert "Left out" in left_out.text
    renewed = await browser.post(
        "/web/renewals", data={"csrf_token": token, "withinDays": "40", "offered": driver_id, "renew": driver_id}
    )
    assert "Renewed: 1." in renewed.text
    assert (await browser.get("/web/renewals", params={"days": "40"})).text.count('name="renew"') == 0


async def test_a_file_uploaded_by_the_pages_script_is_filed_with_its_progress_and_outcomes(
    browser: Browser, mailer: Mailer, account_sink: MailSink, db: asyncpg.Connection
) -> None:
    await signed_up(browser, mailer, account_sink)
    page = await browser.get("/web/uploads")
    upload_id = re.search(r'data-upload-id="([0-9a-f-]{36})"', page.text)
    assert upload_id
    records = ndjson([record("first"), record("second"), record("wrong", declarationPostingCountry="XX")])
    path = f"/web/uploads/{upload_id.group(1)}"
    forged = await browser.post(path, content=records, headers={"content-type": "application/x-ndjson"})
    assert forged.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM bulk_uploads WHERE id = $1", upload_id.group(1)) == 0
    headers = {"content-type": "application/x-ndjson", "x-csrf-token": csrf_of(page.text)}
    answer = await browser.post(path, content=records, headers=headers)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["state"], answer.json()["received"], answer.json()["rejected"]) == ("DONE", 3, 1)
    progress = (await browser.get(f"{path}/progress")).json()
    assert progress["received"] == 3
    outcomes = await browser.get(f"{path}/results")
    assert outcomes.headers["content-disposition"].startswith("attachment")
    lines = [json.loads(line) for line in outcomes.text.splitlines()]
    assert [line["position"] for line in lines] == [0, 1, 2]
    shown = await browser.get(path)
    assert "Records read: 3." in shown.text
    dashboard = await browser.get("/web/dashboard")  # the upload that refused a record is listed there
    assert f'href="{path}"' in dashboard.text
    assert "<title>Dashboard · Posting declarations</title>" in dashboard.text
