"""The people of an operator: an owner invites a person by e-mail, who chooses a password from
the link and files as a member; a member is kept off the owners' pages; an operator never loses
its last owner; one operator's owner cannot remove another's people."""

import re

import asyncpg

from portal.mail.sink import MailSink
from tests.web.conftest import PASSWORD, form_token, link_in, logged_in, mail_to, new_address, signed_up
from tests.web.test_operator_pages import Browser, Mailer


async def invited(browser: Browser, address: str, role: str = "MEMBER") -> None:
    token = await form_token(browser, "/web/people")
    answer = await browser.post(
        "/web/people", data={"csrf_token": token, "email": address, "role": role}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


async def test_a_person_invited_chooses_a_password_and_files_as_a_member(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    await signed_up(browser, mailer, account_sink, company="Invite Haulage")
    member = new_address()
    await invited(browser, member)
    listed = await browser.get("/web/people")
    assert member in listed.text
    assert "invited, no password chosen yet" in listed.text
    browser.cookies.clear()

    [message] = await mail_to(mailer, account_sink, member)
    assert message["Subject"] == "You are invited to file posting declarations"
    link = link_in(message)
    assert link.startswith("/web/password-reset/new?token=")
    page = await browser.get(link)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    hidden = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    assert hidden
    chosen = await browser.post(
        "/web/password-reset/new",
        data={"csrf_token": token.group(1), "token": hidden.group(1), "password": PASSWORD},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    await logged_in(browser, member)
    dashboard = await browser.get("/web/dashboard")
    assert "<h1>Invite Haulage</h1>" in dashboard.text
    assert 'href="/web/people"' not in dashboard.text  # an owner's page: not offered to a member
    assert (await browser.get("/web/people")).status_code == 403
    assert (await browser.get("/web/keys")).status_code == 403
    token_now = await form_token(browser, "/web/dashboard")
    forbidden = await browser.post("/web/people", data={"csrf_token": token_now, "email": new_address()})
    assert forbidden.status_code == 403
    assert (await browser.get("/web/declarations/new")).status_code == 200  # a member files


async def person_id(db: asyncpg.Connection, address: str) -> str:
    return str(await db.fetchval("SELECT id FROM people WHERE email = $1", address))


async def test_an_operator_keeps_its_last_owner(
    browser: Browser, mailer: Mailer, account_sink: MailSink, db: asyncpg.Connection
) -> None:
    owner = await signed_up(browser, mailer, account_sink, company="Last Owner Lines")
    token = await form_token(browser, "/web/people")
    refused = await browser.post(f"/web/people/{await person_id(db, owner)}/remove", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "keeps at least one owner" in refused.text
    assert owner in (await browser.get("/web/people")).text


async def test_a_person_removed_loses_the_operator_and_its_session(
    browser: Browser, mailer: Mailer, account_sink: MailSink, db: asyncpg.Connection
) -> None:
    colleague = await signed_up(browser, mailer, account_sink, company="Colleague Cargo")
    browser.cookies.clear()
    owner = await signed_up(browser, mailer, account_sink, company="Removing Roads")
    await invited(browser, colleague)  # who has an account already: added, no e-mail needed
    owners_cookies = dict(browser.cookies)
    browser.cookies.clear()
    await logged_in(browser, colleague)
    firms = await browser.get("/web/firms")
    assert "Removing Roads" in firms.text
    assert "Colleague Cargo" in firms.text
    removing = await db.fetchval("SELECT id FROM operators WHERE name = 'Removing Roads' ORDER BY id DESC LIMIT 1")
    choose = await form_token(browser, "/web/firms")
    await browser.post("/web/firms", data={"csrf_token": choose, "operator": str(removing)})
    assert "<h1>Removing Roads</h1>" in (await browser.get("/web/dashboard")).text
    colleagues_cookies = dict(browser.cookies)

    browser.cookies.clear()
    browser.cookies.update(owners_cookies)
    token = await form_token(browser, "/web/people")
    removed = await browser.post(
        f"/web/people/{await person_id(db, colleague)}/remove", data={"csrf_token": token}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert colleague not in (await browser.get("/web/people")).text
    assert owner in (await browser.get("/web/people")).text

    browser.cookies.clear()
    browser.cookies.update(colleagues_cookies)
    ended = await browser.get("/web/dashboard", follow_redirects=False)
    assert ended.headers["location"].startswith("/web/login")


async def test_an_owner_cannot_remove_another_operators_people(
    browser: Browser, mailer: Mailer, account_sink: MailSink, db: asyncpg.Connection
) -> None:
    stranger = await signed_up(browser, mailer, account_sink, company="Stranger Freight")
    browser.cookies.clear()
    await signed_up(browser, mailer, account_sink, company="Curious Cargo")
    token = await form_token(browser, "/web/people")
    answer = await browser.post(f"/web/people/{await person_id(db, stranger)}/remove", data={"csrf_token": token})
    assert answer.status_code == 404
