"""A browser's view of the pages: the application's test client with cookies of its own per
test, the account e-mails sent by the worker's own job to a mail sink, and the links in them."""

import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from portal import settings as configuration
from portal.db import create_pool
from portal.mail.sink import MailSink
from portal.settings import Settings
from tests.helpers import received_in
from workers.accounts import send_account_mails

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def account_sink() -> Iterator[MailSink]:
    with MailSink(Path(tempfile.mkdtemp(prefix="portal-account-mail-"))) as sink:
        yield sink


@pytest.fixture
async def browser(client: AsyncTestClient[Litestar]) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The session's client, its cookies emptied before and after: a browser of this test's own."""
    client.cookies.clear()
    yield client
    client.cookies.clear()


@pytest.fixture
async def mailer(settings: Settings, account_sink: MailSink) -> AsyncIterator[dict[str, Any]]:
    """arq's ctx of a worker sending account e-mails to the sink."""
    worker_settings = configuration.replace(settings, mail={"smtp_url": account_sink.url, "timeout_seconds": 5})
    ctx: dict[str, Any] = {
        "settings": worker_settings,
        "db_pool": await create_pool(worker_settings.database.url, min_size=1, max_size=2),
    }
    yield ctx
    await ctx["db_pool"].close()


def new_address() -> str:
    return f"owner-{uuid.uuid4().hex[:10]}@example.com"


async def mail_to(mailer: dict[str, Any], sink: MailSink, address: str) -> list[EmailMessage]:
    """The messages sent to ``address``, after the worker's job has sent what is due."""
    await send_account_mails(mailer)
    return received_in(sink.folder, address)


def link_in(message: EmailMessage) -> str:
    """The path and query of the portal link in ``message`` (the portal's address left out)."""
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"https?://[^/\s]+(/web/\S+)", body.get_content())
    assert found, body.get_content()
    return found.group(1)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


async def form_token(browser: AsyncTestClient[Litestar], path: str) -> str:
    page = await browser.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


async def signed_up(
    browser: AsyncTestClient[Litestar],
    mailer: dict[str, Any],
    sink: MailSink,
    *,
    company: str = "Kowalski Transport",
    country: str = "PL",
) -> str:
    """A new operator signed up, its address confirmed and its owner logged in; the address."""
    address = new_address()
    token = await form_token(browser, "/web/signup")
    fields = {"email": address, "password": PASSWORD, "operatorName": company, "establishmentCountry": country}
    answer = await browser.post("/web/signup", data={"csrf_token": token, **fields})
    assert answer.status_code == 200, answer.text
    [message] = await mail_to(mailer, sink, address)
    assert (await browser.get(link_in(message))).status_code == 200
    await logged_in(browser, address)
    return address


async def logged_in(browser: AsyncTestClient[Litestar], address: str, password: str = PASSWORD) -> None:
    token = await form_token(browser, "/web/login")
    answer = await browser.post(
        "/web/login", data={"csrf_token": token, "email": address, "password": password}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
