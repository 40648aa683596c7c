"""A small haulier's first visit, in a real browser, on a phone and on a desktop, in Polish,
Greek and German: sign up, confirm the address from the e-mail, log in, add a driver and a lorry,
file a declaration with a mistake corrected on the way, submit it, download its PDF, upload a
bulk file and watch the bar reach its end; every page checked by axe-core against WCAG 2.1 AA."""

import asyncio
import datetime
import time
import uuid
from pathlib import Path

import pytest
from playwright.async_api import FilePayload, Page, expect

from portal import clock
from tests.browser.conftest import Site, axe_violations
from tests.helpers import received_in
from tests.test_bulk import ndjson, record
from tests.web.conftest import link_in

pytestmark = pytest.mark.timeout(180)

PASSWORD = "correct horse battery"

LANGUAGES = [
    pytest.param({"locale": "pl-PL", "width": 390}, "pl", id="polish-phone"),
    pytest.param({"locale": "el-GR", "width": 1280}, "el", id="greek-desktop"),
    pytest.param({"locale": "de-DE", "width": 390}, "de", id="german-phone"),
]


async def accessible(page: Page) -> None:
    violations = await axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"
    title = await page.title()
    assert not title.startswith(" · "), f"{page.url}: the title names no page"
    assert "<" not in title, f"{page.url}: markup in the title {title!r}"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= (page.viewport_size or {"width": 0})["width"], f"{page.url} scrolls sideways ({width} px)"


# What names a form's control as the keyboard reaches it: a radio group is one stop of Tab.
_CONTROL = "e => e.type === 'radio' ? 'radio:' + e.name : (e.id || e.name + '=' + e.value)"


async def keyboard_reaches_every_control(page: Page, form: str) -> None:
    """Tab, from the form's first field, reaches every field, box and button of the form."""
    selector = ", ".join(f"{form} {kind}" for kind in ("input:not([type=hidden])", "select", "textarea", "button"))
    controls = set(await page.eval_on_selector_all(selector, f"elements => elements.map({_CONTROL})"))
    await page.focus(f"{form} input:not([type=hidden]), {form} select")
    reached = set()
    for _ in range(2 * len(controls) + 10):
        reached.add(await page.evaluate(f"({_CONTROL})(document.activeElement)"))
        await page.keyboard.press("Tab")
    assert controls <= reached, f"not reached by Tab: {controls - reached}"


def _link_in_mail(folder: Path, address: str) -> str | None:
    sent = received_in(folder, address)
    return link_in(sent[0]) if sent else None


async def link_sent_to(folder: Path, address: str, seconds: float = 30) -> str:
    """The path of the portal link in the e-mail to ``address``, once the worker has sent it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if link := await asyncio.to_thread(_link_in_mail, folder, address):
            return link
        await asyncio.sleep(0.3)
    raise AssertionError(f"no e-mail to {address} within {seconds} s")


@pytest.mark.parametrize(("page", "language"), LANGUAGES, indirect=["page"])
async def test_a_haulier_signs_up_adds_a_driver_and_a_lorry_files_prints_and_uploads(
    page: Page, language: str, site: Site
) -> None:
    address = f"haulier-{uuid.uuid4().hex[:8]}@example.com"
    await page.goto(site.url + "/")
    await expect(page.locator("html")).to_have_attribute("lang", language)
    await accessible(page)

    await page.click("main a[href='/web/signup']")
    heading = await page.locator("h1").inner_text()
    assert heading != "Sign up", "the page is not in the browser's language"
    await page.fill("#field-operatorName", "Trans-Pol Sp. z o.o.")
    await page.select_option("#field-establishmentCountry", "PL")
    await page.fill("#field-email", address)
    await page.fill("#field-password", "short")  # the mistake
    await page.click("main button[type=submit]")
    summary = page.locator("#error-summary")
    await expect(summary).to_be_visible()
    await expect(summary.locator("a[href='#field-password']")).to_have_count(1)
    await expect(page.locator("#field-operatorName")).to_have_value("Trans-Pol Sp. z o.o.")
    await accessible(page)
    await page.fill("#field-password", PASSWORD)
    await page.click("main button[type=submit]")
    await expect(page.locator("main")).to_contain_text(address)

    await page.goto(site.url + await link_sent_to(site.mail, address))
    await accessible(page)
    await page.click("main a[href='/web/login']")
    await page.fill("#field-email", address)
    await page.fill("#field-password", PASSWORD)
    await page.click("main button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Trans-Pol Sp. z o.o.")
    await accessible(page)

    await page.goto(site.url + "/web/drivers/new")
    await accessible(page)
    today = clock.today()
    await page.fill("#field-driverLatinFirstName", "Ян")  # not Latin script: refused
    await page.fill("#field-driverLatinLastName", "Kowalski")
    await page.fill("#field-driverDateOfBirth", today.replace(year=today.year - 40).isoformat())
    await page.fill("#field-driverLicenseNumber", "PL-778899")
    await page.select_option("#field-driverDocumentType", "PASSPORT")
    await page.fill("#field-driverDocumentNumber", "EA1234567")
    await page.select_option("#field-driverDocumentIssuingCountry", "PL")
    await page.fill("#field-driverAddressStreet", "ul. Długa 1")
    await page.fill("#field-driverAddressPostCode", "00-001")
    await page.fill("#field-driverAddressCity", "Warszawa")
    await page.select_option("#field-driverAddressCountry", "PL")
    await page.fill("#field-driverContractStartDate", today.replace(year=today.year - 2).isoformat())
    await page.select_option("#field-driverApplicableLaw", "PL")
    await page.click("main button[type=submit]")
    await expect(page.locator("#error-summary a[href='#field-driverLatinFirstName']")).to_have_count(1)
    await accessible(page)
    await page.fill("#field-driverLatinFirstName", "Jan")
    await page.click("main button[type=submit]")
    await expect(page.locator("main table")).to_contain_text("Jan Kowalski")
    await accessible(page)

    await page.goto(site.url + "/web/vehicles")
    await page.fill("#field-plateNumber", "WX 4455A")
    await page.select_option("#field-registrationCountry", "PL")
    await page.select_option("#field-transportType", "CARRIAGE_OF_GOODS")
    await page.select_option("#field-vehicleWeight", "HEAVY")
    await page.click("form[action='/web/vehicles'] button[type=submit]")
    await expect(page.locator("main table")).to_contain_text("WX4455A")
    await accessible(page)

    await page.goto(site.url + "/web/declarations/new")
    await accessible(page)
    start = today + datetime.timedelta(days=2)
    await page.select_option("#field-driverId", label="Jan Kowalski")
    await page.select_option("#field-declarationPostingCountry", "FR")
    await page.fill("#field-declarationStartDate", start.isoformat())
    await page.fill("#field-declarationEndDate", (start - datetime.timedelta(days=1)).isoformat())  # the mistake
    await page.check("input[name=declarationOperationType][value=INTERNATIONAL_CARRIAGE]")
    await page.check("input[name=declarationTransportType][value=CARRIAGE_OF_GOODS]")
    await page.fill("#field-declarationVehiclePlateNumberHeavy", "WX 4455A")
    await page.click("main form[method=post] button[type=submit]")
    await expect(page.locator("#error-summary a[href='#field-declarationEndDate']")).to_have_count(1)
    await accessible(page)
    await keyboard_reaches_every_control(page, "main form[method=post]")
    await page.fill("#field-declarationEndDate", (start + datetime.timedelta(days=20)).isoformat())
    await page.press("#field-declarationEndDate", "Enter")  # sent from the keyboard
    await page.focus("main form[action$='/submit'] button")
    await page.keyboard.press("Enter")
    await expect(page.locator("p.notice")).to_be_visible()
    await accessible(page)
    async with page.expect_download() as download:
        await page.click("main form[action$='/pdf'] button")
    pdf = await (await download.value).path()
    assert pdf.read_bytes().startswith(b"%PDF")

    await page.goto(site.url + "/web/uploads")
    await accessible(page)
    await page.set_input_files(
        "#field-file",
        files=FilePayload(name="fleet.ndjson", mimeType="application/x-ndjson", buffer=bulk_file(today)),
    )
    await page.click("#upload-form button[type=submit]")
    await expect(page.locator("#upload-bar")).to_have_js_property("value", 100)
    await expect(page.locator("#upload-outcome")).to_be_visible()
    await accessible(page)


def bulk_file(today: datetime.date) -> bytes:
    """Two records the way fleet software sends them, each with its driver."""
    start = today + datetime.timedelta(days=30)
    return ndjson([record(f"browser-{uuid.uuid4().hex[:8]}", declarationStartDate=start.isoformat()) for _ in range(2)])
