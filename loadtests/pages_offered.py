"""The pages at a fixed offered rate (open loop, as ``portal bench`` measures the API's create
and submit): a person logged in once, each request carrying their cookies, the latency counted
from the moment each request was due."""

import asyncio
import re
import urllib.parse

import httpx

from loadtests.harness import offered
from loadtests.open_loop import Measured, raw_request
from loadtests.page_forms import as_form, declaration_body

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_OPENED = re.compile(r'href="/web/declarations/([0-9a-f-]{36})"')


def _signed_in(base: str, email: str, password: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30)
    token = _CSRF.search(client.get("/web/login").text)
    assert token, "no form token on the login page"
    answer = client.post(
        "/web/login", data={"csrf_token": token.group(1), "email": email, "password": password}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return client, token.group(1)


def _filing_form(client: httpx.Client, headers: dict[str, str], csrf: str) -> bytes:
    """A draft of the operator's first driver and lorry, as the form sends it."""
    driver = client.get("/drivers", params={"limit": 1}, headers=headers).json()["items"][0]["driverId"]
    plate = client.get("/plate-numbers", params={"limit": 1}, headers=headers).json()["items"][0]["plateNumber"]
    return urllib.parse.urlencode({"csrf_token": csrf, **as_form(declaration_body(driver, plate))}).encode()


def measure(
    port: int, email: str, password: str, headers: dict[str, str], rates: dict[str, float], seconds: float
) -> dict[str, Measured]:
    """Each page action at its rate of ``rates`` (list, open, file), one after another."""
    client, csrf = _signed_in(f"http://127.0.0.1:{port}", email, password)
    cookie = {"cookie": "; ".join(f"{name}={value}" for name, value in client.cookies.items())}
    opened = _OPENED.search(client.get("/web/declarations").text)
    assert opened, "no declaration listed to open"
    form = _filing_form(client, headers, csrf)
    client.close()
    requests = {
        "list": ([raw_request("GET", "/web/declarations", cookie)], 200),
        "open": ([raw_request("GET", f"/web/declarations/{opened.group(1)}", cookie)], 200),
        "file": (
            [
                raw_request(
                    "POST",
                    "/web/declarations/new",
                    cookie | {"content-type": "application/x-www-form-urlencoded"},
                    form,
                )
            ],
            303,
        ),
    }
    return {
        action: asyncio.run(offered(port, made, rates[action], seconds, expect))
        for action, (made, expect) in requests.items()
    }
