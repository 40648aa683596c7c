"""The pages of a person signed in for an operator: the dashboard, the drivers, choosing among
several operators; each operator's people see its own records only."""

import datetime
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from portal import clock
from portal.mail.sink import MailSink
from tests.web.conftest import form_token, logged_in, signed_up

Browser = AsyncTestClient[Litestar]
Mailer = dict[str, Any]


def driver_form(**changes: str) -> dict[str, str]:
    today = clock.today()
    fields = {
        "driverLatinFirstName": "Jan",
        "driverLatinLastName": "Kowalski",
        "driverDateOfBirth": (today - datetime.timedelta(days=40 * 365)).isoformat(),
        "driverLicenseNumber": "PL-123456",
        "driverDocumentType": "IDCARD",
        "driverDocumentNumber": "ABC123456",
        "driverDocumentIssuingCountry": "PL",
        "driverAddressStreet": "ul. Długa 1",
        "driverAddressPostCode": "00-001",
        "driverAddressCity": "Warszawa",
        "driverAddressCountry": "PL",
        "driverContractStartDate": (today - datetime.timedelta(days=400)).isoformat(),
        "driverApplicableLaw": "PL",
    }
    return fields | changes


async def test_a_driver_added_through_the_form_after_a_mistake_is_listed(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    await signed_up(browser, mailer, account_sink)
    token = await form_token(browser, "/web/drivers/new")
    mistaken = driver_form(driverLatinFirstName="Ян", driverAddressCountry="")
    page = await browser.post("/web/drivers/new", data={"csrf_token": token, **mistaken})
    assert page.status_code == 422
    assert "must be written in Latin script" in page.text
    assert 'href="#field-driverAddressCountry"' in page.text
    assert 'value="ul. Długa 1"' in page.text  # what was typed is kept
    saved = await browser.post("/web/drivers/new", data={"csrf_token": token, **driver_form()}, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/web/drivers"
    listed = await browser.get("/web/drivers", params={"q": "Kowalski"})
    assert "Jan Kowalski" in listed.text
    assert "PL-123456" in listed.text


async def test_one_operators_people_never_see_anothers_drivers(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    await signed_up(browser, mailer, account_sink, company="First Haulage")
    token = await form_token(browser, "/web/drivers/new")
    await browser.post("/web/drivers/new", data={"csrf_token": token, **driver_form(driverLatinLastName="Secretson")})
    browser.cookies.clear()
    await signed_up(browser, mailer, account_sink, company="Second Haulage")
    found = await browser.get("/web/drivers", params={"q": "Secretson"})
    assert "Secretson</a>" not in found.text
    assert "<td>" not in found.text


async def test_a_person_of_several_operators_chooses_one_and_may_switch(
    browser: Browser, mailer: Mailer, account_sink: MailSink, db: asyncpg.Connection
) -> None:
    address = await signed_up(browser, mailer, account_sink, company="Alpha Lines")
    browser.cookies.clear()
    other = await signed_up(browser, mailer, account_sink, company="Beta Freight")
    beta = await db.fetchval(
        "SELECT operator_id FROM memberships m JOIN people p ON p.id = m.person_id WHERE email = $1", other
    )
    person = await db.fetchval("SELECT id FROM people WHERE email = $1", address)
    await db.execute("INSERT INTO memberships (person_id, operator_id, role) VALUES ($1, $2, 'MEMBER')", person, beta)
    browser.cookies.clear()
    token = await form_token(browser, "/web/login")
    answer = await browser.post(
        "/web/login",
        data={"csrf_token": token, "email": address, "password": "correct horse battery"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/web/firms"
    firms = await browser.get("/web/firms")
    assert "Alpha Lines" in firms.text
    assert "Beta Freight" in firms.text
    assert (await browser.get("/web/dashboard", follow_redirects=False)).headers["location"] == "/web/firms"
    chosen = await browser.post("/web/firms", data={"csrf_token": token, "operator": str(beta)}, follow_redirects=False)
    assert chosen.headers["location"] == "/web/dashboard"
    assert "<h1>Beta Freight</h1>" in (await browser.get("/web/dashboard")).text


async def test_a_person_cannot_choose_an_operator_they_do_not_belong_to(
    browser: Browser, mailer: Mailer, account_sink: MailSink, db: asyncpg.Connection
) -> None:
    other = await signed_up(browser, mailer, account_sink, company="Gamma Cargo")
    gamma = await db.fetchval(
        "SELECT operator_id FROM memberships m JOIN people p ON p.id = m.person_id WHERE email = $1", other
    )
    browser.cookies.clear()
    await signed_up(browser, mailer, account_sink, company="Delta Roads")
    token = await form_token(browser, "/web/dashboard")
    await browser.post("/web/firms", data={"csrf_token": token, "operator": str(gamma)})
    assert "<h1>Delta Roads</h1>" in (await browser.get("/web/dashboard")).text


async def test_login_attempts_beyond_the_limit_are_refused_for_a_while(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    address = await signed_up(browser, mailer, account_sink)
    browser.cookies.clear()
    token = await form_token(browser, "/web/login")
    answers = [
        (
            await browser.post("/web/login", data={"csrf_token": token, "email": address, "password": "guess" * 3})
        ).status_code
        for _ in range(6)
    ]
    assert answers == [422] * 5 + [429]
    # Even the right password waits now.
    right = await browser.post(
        "/web/login", data={"csrf_token": token, "email": address, "password": "correct horse battery"}
    )
    assert right.status_code == 429


async def test_the_language_switcher_changes_the_pages_language_and_remembers_it(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    address = await signed_up(browser, mailer, account_sink)
    token = await form_token(browser, "/web/dashboard")
    await browser.post("/web/language", data={"csrf_token": token, "language": "el", "next": "/web/dashboard"})
    page = await browser.get("/web/dashboard", headers={"accept-language": "en"})
    assert '<html lang="el">' in page.text
    # It is the person's setting too: another browser of theirs opens in Greek.
    browser.cookies.clear()
    await logged_in(browser, address)
    assert '<html lang="el">' in (await browser.get("/web/dashboard", headers={"accept-language": "en"})).text
