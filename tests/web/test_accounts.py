"""Accounts as a person meets them: sign up, confirm from the e-mail, log in and out, reset the
password; and as an attacker tries them: forged forms, planted sessions, other sites' redirects,
guessing which addresses have accounts."""

import re
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from portal import settings as configuration
from portal.mail.sink import MailSink
from tests.servers import free_port
from tests.web.conftest import PASSWORD, csrf_of, form_token, link_in, logged_in, mail_to, new_address, signed_up
from workers.accounts import send_account_mails

Browser = AsyncTestClient[Litestar]
Mailer = dict[str, Any]


async def test_the_start_page_says_what_the_portal_is_and_links_to_sign_up_login_and_the_api(
    browser: Browser,
) -> None:
    page = await browser.get("/", headers={"accept-language": "pl"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="pl">' in page.text
    for link in ('href="/web/signup"', 'href="/web/login"', 'href="/schema"'):
        assert link in page.text


async def test_a_new_operator_signs_up_confirms_the_address_from_the_email_and_logs_in(
    browser: Browser, mailer: Mailer, account_sink: MailSink, db: asyncpg.Connection
) -> None:
    address = new_address()
    token = await form_token(browser, "/web/signup")
    fields = {"email": address, "password": PASSWORD, "operatorName": "Nowak Trans", "establishmentCountry": "PL"}
    assert (await browser.post("/web/signup", data={"csrf_token": token, **fields})).status_code == 200

    # Not confirmed yet: the right password is not enough.
    refused = await browser.post("/web/login", data={"csrf_token": token, "email": address, "password": PASSWORD})
    assert refused.status_code == 422
    assert "confirm this address first" in refused.text

    [message] = await mail_to(mailer, account_sink, address)
    assert message["Subject"] == "Confirm your e-mail address"
    assert (await browser.get(link_in(message))).status_code == 200

    await logged_in(browser, address)
    dashboard = await browser.get("/web/dashboard")
    assert dashboard.status_code == 200
    assert "<h1>Nowak Trans</h1>" in dashboard.text
    stored = await db.fetchrow(
        "SELECT p.password_hash, m.role::text FROM people p JOIN memberships m ON m.person_id = p.id"
        " WHERE p.email = $1",
        address,
    )
    assert stored is not None
    assert stored["password_hash"].startswith("$argon2id$")
    assert stored["role"] == "OWNER"


async def test_every_mistake_of_the_sign_up_form_is_shown_at_once_with_what_was_typed_kept(
    browser: Browser, db: asyncpg.Connection
) -> None:
    token = await form_token(browser, "/web/signup")
    fields = {"email": "not-an-address", "password": "short", "operatorName": "Ąę Trans", "establishmentCountry": ""}
    page = await browser.post("/web/signup", data={"csrf_token": token, **fields})
    assert page.status_code == 422
    summary = page.text.split('id="error-summary"')[1].split("</div>")[0]
    for field in ("email", "password", "establishmentCountry"):
        assert f'href="#field-{field}"' in summary
    assert "is not an e-mail address" in page.text
    assert "must have at least 10 characters" in page.text
    assert 'value="not-an-address"' in page.text
    assert 'value="Ąę Trans"' in page.text
    assert 'value="short"' not in page.text  # a password is never sent back
    assert await db.fetchval("SELECT count(*) FROM people WHERE email = 'not-an-address'") == 0


async def test_errors_are_in_the_language_of_the_page(browser: Browser) -> None:
    token = await form_token(browser, "/web/signup")
    page = await browser.post(
        "/web/signup",
        data={
            "csrf_token": token,
            "email": "x",
            "password": PASSWORD,
            "operatorName": "A",
            "establishmentCountry": "PL",
        },
        headers={"accept-language": "de-DE,de;q=0.9"},
    )
    assert page.status_code == 422
    assert '<html lang="de">' in page.text
    assert "is not an e-mail address" not in page.text


async def test_a_form_without_this_browsers_token_is_refused_and_nothing_is_stored(
    browser: Browser, db: asyncpg.Connection
) -> None:
    address = new_address()
    fields = {"email": address, "password": PASSWORD, "operatorName": "Forged", "establishmentCountry": "PL"}
    await browser.get("/web/signup")  # the browser has its CSRF cookie
    for token in ({}, {"csrf_token": "0" * 64}):
        answer = await browser.post("/web/signup", data={**token, **fields})
        assert answer.status_code == 403
        assert "this form has expired" in answer.text
    # Another browser's token is not this one's.
    other = csrf_of((await browser.get("/web/signup")).text)
    browser.cookies.clear()
    assert (await browser.post("/web/signup", data={"csrf_token": other, **fields})).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM people WHERE email = $1", address) == 0


async def test_an_unknown_address_and_a_wrong_password_get_the_same_answer(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    address = await signed_up(browser, mailer, account_sink)
    browser.cookies.clear()
    token = await form_token(browser, "/web/login")
    wrong = await browser.post("/web/login", data={"csrf_token": token, "email": address, "password": "wrong" * 3})
    unknown = await browser.post(
        "/web/login", data={"csrf_token": token, "email": new_address(), "password": "wrong" * 3}
    )
    assert wrong.status_code == unknown.status_code == 422

    def message(html: str) -> str:
        return re.sub(r'value="[^"]*"', "", html)

    assert message(wrong.text) == message(unknown.text)
    # Sign-up with an address that has an account answers as for a new one.
    fields = {"email": address, "password": PASSWORD, "operatorName": "Again", "establishmentCountry": "PL"}
    again = await browser.post("/web/signup", data={"csrf_token": token, **fields})
    assert again.status_code == 200
    assert "Look in your inbox" in again.text


async def test_a_session_planted_before_login_is_not_the_one_after_it(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    address = await signed_up(browser, mailer, account_sink)
    first = browser.cookies.get("portal_session")
    await logged_in(browser, address)
    second = browser.cookies.get("portal_session")
    assert first
    assert second
    assert first != second
    # The session before is over: its cookie alone opens nothing.
    browser.cookies.clear()
    browser.cookies.set("portal_session", first)
    assert (await browser.get("/web/dashboard", follow_redirects=False)).status_code == 303


async def test_the_session_cookie_is_httponly_and_samesite_lax(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    address = await signed_up(browser, mailer, account_sink)
    token = await form_token(browser, "/web/login")
    answer = await browser.post(
        "/web/login", data={"csrf_token": token, "email": address, "password": PASSWORD}, follow_redirects=False
    )
    cookie = next(value for name, value in answer.headers.multi_items() if name == "set-cookie")
    assert cookie.startswith("portal_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie.replace("Lax", "lax")


async def test_after_login_the_next_page_is_one_of_the_portal_never_another_site(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    address = await signed_up(browser, mailer, account_sink)
    for target, expected in (
        ("/web/drivers", "/web/drivers"),
        ("https://evil.example/", "/web/dashboard"),
        ("//evil.example/", "/web/dashboard"),
        ("/\\evil.example/", "/web/dashboard"),
        ("javascript:alert(1)", "/web/dashboard"),
    ):
        token = await form_token(browser, "/web/login")
        answer = await browser.post(
            "/web/login",
            data={"csrf_token": token, "email": address, "password": PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == expected, target


async def test_a_page_for_people_signed_in_sends_others_to_log_in_and_back(browser: Browser) -> None:
    answer = await browser.get("/web/drivers", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/web/login?next=%2Fweb%2Fdrivers"


async def test_a_password_reset_by_the_emailed_link_ends_every_session_and_works_once(
    browser: Browser, mailer: Mailer, account_sink: MailSink
) -> None:
    address = await signed_up(browser, mailer, account_sink)
    old_session = browser.cookies.get("portal_session")
    token = await form_token(browser, "/web/password-reset")
    assert (await browser.post("/web/password-reset", data={"csrf_token": token, "email": address})).status_code == 200
    [*_, message] = await mail_to(mailer, account_sink, address)
    assert message["Subject"] == "Choose a new password"
    link = link_in(message)
    reset_token = link.split("token=")[1]
    new_password = "a brand new passphrase"
    page = await browser.get(link)
    answer = await browser.post(
        "/web/password-reset/new",
        data={"csrf_token": csrf_of(page.text), "token": reset_token, "password": new_password},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    browser.cookies.clear()
    browser.cookies.set("portal_session", old_session or "")
    assert (await browser.get("/web/dashboard", follow_redirects=False)).status_code == 303
    # The link is spent: the password it was made for has changed.
    again = await browser.post(
        "/web/password-reset/new",
        data={"csrf_token": await form_token(browser, "/web/login"), "token": reset_token, "password": "x" * 12},
    )
    assert again.status_code == 400
    browser.cookies.clear()
    await logged_in(browser, address, new_password)


async def test_what_a_person_typed_is_shown_escaped_never_as_markup(browser: Browser) -> None:
    token = await form_token(browser, "/web/signup")
    script = '<script>alert("x")</script>'
    page = await browser.post(
        "/web/signup",
        data={"csrf_token": token, "email": script, "password": "short", "operatorName": script},
    )
    assert page.status_code == 422
    assert script not in page.text
    assert "&lt;script&gt;" in page.text


async def test_an_account_email_the_relay_refused_is_sent_again_later(
    browser: Browser, mailer: Mailer, account_sink: MailSink, db: asyncpg.Connection
) -> None:
    address = new_address()
    token = await form_token(browser, "/web/signup")
    fields = {"email": address, "password": PASSWORD, "operatorName": "Retry Lines", "establishmentCountry": "PL"}
    assert (await browser.post("/web/signup", data={"csrf_token": token, **fields})).status_code == 200
    relay_down = mailer | {
        "settings": configuration.replace(mailer["settings"], mail={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})
    }
    await send_account_mails(relay_down)
    failed = await db.fetchrow(
        "SELECT a.attempts, a.sent_at, a.last_error, a.next_attempt_at > now() AS waits"
        " FROM account_mails a JOIN people p ON p.id = a.person_id WHERE p.email = $1",
        address,
    )
    assert failed is not None
    assert failed["attempts"] == 1
    assert failed["sent_at"] is None
    assert failed["last_error"]
    assert failed["waits"]
    await db.execute(
        "UPDATE account_mails a SET next_attempt_at = now() FROM people p WHERE p.id = a.person_id AND p.email = $1",
        address,
    )
    [message] = await mail_to(mailer, account_sink, address)
    assert message["Subject"] == "Confirm your e-mail address"
