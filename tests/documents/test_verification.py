"""The page a QR code opens: the verdict of today, in the browser's language, or JSON; rate-limited."""

import asyncio
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest
import redis.asyncio as redis
from litestar import Litestar
from litestar.testing import AsyncTestClient

from portal import i18n, ratelimit
from portal import settings as configuration
from portal.app import create_app
from portal.settings import Settings
from tests.documents.reading import qr_codes
from tests.documents.test_print import printed
from tests.factories import Operator, days
from tests.helpers import Client, submitted

JSON = {"accept": "application/json"}
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def verification_path(client: Client, operator: Operator, declaration_id: str) -> str:
    """The path of the verification page, as the printed QR code names it."""
    [code] = qr_codes(await printed(client, operator, declaration_id, "en"))
    url = urlsplit(code)
    assert f"{url.scheme}://{url.netloc}" == "http://127.0.0.1:8000"
    return url.path


async def test_a_declaration_in_its_period_is_valid(client: Client, operator: Operator) -> None:
    declaration = await submitted(client, operator, declarationStartDate=days(0), declarationEndDate=days(30))
    path = await verification_path(client, operator, declaration["declarationId"])
    answer = await client.get(path, headers=JSON)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    found = answer.json()
    assert found["valid"] is True
    assert found["reason"] is None
    assert found["declarationId"] == declaration["declarationId"]
    assert found["declarationPostingCountry"] == declaration["declarationPostingCountry"]
    assert found["vehiclePlates"] == declaration["declarationVehiclePlateNumberHeavy"]
    assert found["driverLatinLastName"] == declaration["driverLatinLastName"]
    assert found["driverDateOfBirth"] == declaration["driverDateOfBirth"]
    assert found["operatorName"]
    # A client that states no preference gets JSON too.
    assert (await client.get(path)).headers["content-type"].startswith("application/json")


async def test_the_page_speaks_the_browser_language(client: Client, operator: Operator) -> None:
    declaration = await submitted(client, operator)  # starts tomorrow
    path = await verification_path(client, operator, declaration["declarationId"])
    answer = await client.get(path, headers=BROWSER | {"accept-language": "de-AT,de;q=0.9,en;q=0.5"})
    assert answer.headers["content-type"].startswith("text/html")
    german = i18n.translations("de").gettext
    assert '<html lang="de">' in answer.text
    assert german("This declaration is not valid today.") in answer.text
    assert german("Its posting period has not started yet.") in answer.text
    assert i18n.country_name(declaration["declarationPostingCountry"], "de") in answer.text
    english = await client.get(path, headers=BROWSER)
    assert "Its posting period has not started yet." in english.text
    assert (await client.get(path, headers=JSON)).json()["reason"] == "NOT_STARTED"


async def test_a_withdrawn_or_updated_declaration_is_not_valid(client: Client, operator: Operator) -> None:
    declaration = await submitted(client, operator, declarationStartDate=days(0))
    first = await verification_path(client, operator, declaration["declarationId"])
    updated = await client.put(
        f"/declarations/{declaration['declarationId']}/submit",
        json={"declarationEndDate": days(20)},
        headers=operator.headers,
    )
    assert updated.status_code == 200, updated.text
    second = await verification_path(client, operator, declaration["declarationId"])
    assert second != first
    assert (await client.get(first, headers=JSON)).json()["reason"] == "SUPERSEDED"
    assert (await client.get(second, headers=JSON)).json()["valid"] is True
    withdrawn = await client.post(f"/declarations/{declaration['declarationId']}/withdraw", headers=operator.headers)
    assert withdrawn.status_code == 200
    for path in (first, second):
        assert (await client.get(path, headers=JSON)).json()["reason"] == "WITHDRAWN"
    page = await client.get(second, headers=BROWSER)
    assert "It was withdrawn by the transport undertaking." in page.text


@pytest.mark.parametrize("token", ["A" * 22, "not-a-token-at-all!!", "%00" * 8])
async def test_an_unknown_token_names_nothing(client: Client, token: str) -> None:
    answer = await client.get(f"/verify/{token}", headers=JSON)
    assert answer.status_code in (404, 400), answer.text
    assert answer.json()["errors"]


async def test_hostile_text_is_shown_as_text(client: Client, operator: Operator, db: asyncpg.Connection) -> None:
    # The operator's name is the free text the page shows (names and plates refuse markup).
    hostile = "<script>alert(1)</script><img src=file:///etc/passwd> \u202eevil"
    await db.execute("UPDATE operators SET name = $2 WHERE id = $1", operator.operator_id, hostile)
    declaration = await submitted(client, operator)
    path = await verification_path(client, operator, declaration["declarationId"])
    page = await client.get(path, headers=BROWSER)
    assert "<script>" not in page.text
    assert "<img" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert (await client.get(path, headers=JSON)).json()["operatorName"] == hostile


@pytest.fixture
async def strict_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A portal allowing three verifications a minute per address."""
    app = create_app(configuration.replace(settings, verification={"per_minute": 3}))
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def forget_counts(redis_url: str) -> None:
    """The counts of the other tests' verifications in this minute (the test client has one address)."""
    async with redis.Redis.from_url(redis_url) as client:
        keys = [key async for key in client.scan_iter("portal:limit:verify:*")]
        if keys:
            await client.delete(*keys)


async def test_verifications_are_rate_limited_per_address(
    strict_client: AsyncTestClient[Litestar], settings: Settings, client: Client, operator: Operator
) -> None:
    declaration = await submitted(client, operator)
    path = await verification_path(client, operator, declaration["declarationId"])
    left = ratelimit.WINDOW_SECONDS - time.time() % ratelimit.WINDOW_SECONDS
    if left < 3:  # all four in one window
        await asyncio.sleep(left)
    await forget_counts(settings.redis.url)
    answers = [await strict_client.get(path, headers=JSON) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= ratelimit.WINDOW_SECONDS
    assert refused.json()["errors"][0]["code"] == "rate_limited"


async def test_verification_works_while_redis_is_down(settings: Settings, client: Client, operator: Operator) -> None:
    declaration = await submitted(client, operator)
    path = await verification_path(client, operator, declaration["declarationId"])
    app = create_app(configuration.replace(settings, redis={"url": "redis://127.0.0.1:1/0"}))
    async with AsyncTestClient(app) as without_redis:
        answer = await without_redis.get(path, headers=JSON)
    assert answer.status_code == 200, answer.text
