"""The pages in a real browser: Debian's Chromium (installed here when missing, as the project's
tests need it) driven by Playwright, a served portal with its worker and mail sink, axe-core."""

import asyncio
import os
import shutil
import subprocess
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import empty_database
from tests.servers import ROOT, running_portal

CHROMIUM = "/usr/bin/chromium"
# Where a failing test leaves screenshots of the pages it saw.
SCREENSHOTS = Path(os.environ.get("PORTAL_TEST_SCREENSHOTS", ROOT / "test-screenshots"))
AXE = resources.files("axe_playwright_python") / "axe.min.js"
# WCAG 2.1 A and AA, as EU public-sector sites must meet (EN 301 549).
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _chromium() -> str:
    """Debian's Chromium; installed with apt where it is missing and this is root (CI, a fresh
    machine), as ``playwright install`` cannot download its own builds here."""
    if not Path(CHROMIUM).exists() and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
            check=False,
            capture_output=True,
            env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"},
        )
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (as root)")
    return CHROMIUM


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        yield browser
        await browser.close()


@pytest.fixture(scope="session")
async def site_database(servers: tuple[str, str]) -> AsyncIterator[str]:
    async with empty_database(servers[0], "portal_browser_") as url:
        yield url


SITE_REDIS_DATABASE = 13


class Site:
    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        self.mail = data_dir / "mail"


@pytest.fixture(scope="session")
def site(servers: tuple[str, str], site_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """``portal serve`` with its worker, its e-mails kept by the embedded sink."""
    data_dir = tmp_path_factory.mktemp("site")
    env = os.environ | {
        "DATABASE_URL": site_database,
        # A Redis database of its own: its worker must not take the jobs of other tests' portals.
        "REDIS_URL": urllib.parse.urlsplit(servers[1])._replace(query=f"db={SITE_REDIS_DATABASE}").geturl(),
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_DELIVERY_DRAIN_SECONDS": "1",
    }
    with running_portal(env, data_dir / "serve.log", "--workers", "1") as url:
        yield Site(url, data_dir)


@pytest.fixture
async def page(chromium: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A page of a fresh browser context, in the language and at the width the test asks for
    (``@pytest.mark.parametrize`` of ``locale`` and ``width``); screenshots when it fails."""
    params: dict[str, Any] = getattr(request, "param", {})
    context = await chromium.new_context(
        locale=params.get("locale", "en-GB"),
        viewport={"width": params.get("width", 1280), "height": 900},
    )
    opened = await context.new_page()
    yield opened
    report = getattr(request.node, "outcome", None)
    if report is not None and report.failed:
        await asyncio.to_thread(SCREENSHOTS.mkdir, parents=True, exist_ok=True)
        for number, each in enumerate(context.pages):
            await each.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{number}.png"), full_page=True)
    await context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.outcome = report  # type: ignore[attr-defined]
    return report


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds against WCAG 2.1 AA on the page as it is now."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=AXE.read_text())
    results: dict[str, Any] = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        {"id": found["id"], "help": found["help"], "nodes": [node["target"] for node in found["nodes"]]}
        for found in results["violations"]
    ]
