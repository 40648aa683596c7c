"""Pages to PDF: HTML made here, laid out by weasyprint in child processes.

weasyprint is CPU-bound, keeps caches that grow over a long run, and is imported only in the
children (never before a fork). Each child parses the stylesheet and loads the fonts once, then
lays out many pages; it is replaced after ``pages_per_process`` pages, before it bloats. Its
URL fetcher serves the packaged assets and nothing else: no file:// read, no network, whatever
text a declaration carries.
"""

import asyncio
import base64
import concurrent.futures
import functools
import multiprocessing
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
import segno

from portal.documents.content import Page

ASSETS = Path(__file__).parent / "assets"
TEMPLATES = Path(__file__).parent / "templates"
# Packaged assets are addressed under a host that cannot exist (RFC 6761 .invalid).
ASSET_BASE = "https://assets.portal.invalid/"
STYLESHEET = "declaration.css"
PNG_DATA = "data:image/png;base64,"
RENDER_NICENESS = 10

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)


def html(page: Page) -> str:
    """The page as HTML: every value escaped; the QR code inline, as a PNG (a data: URL)."""
    # Level M survives a fold or a smudge on a printed page; a Base45 payload stays alphanumeric.
    qr = segno.make(page.qr_text, error="m", micro=False)
    # A PNG of a pixel a module, drawn unsmoothed (image-rendering: pixelated), not SVG:
    # weasyprint parses and draws an SVG path of a few thousand segments in Python, 60 ms of a
    # page's 130 (measured); this image costs ~2 ms to make and draw.
    return _templates.get_template("declaration.html").render(page=page, qr_png=qr.png_data_uri(scale=1, border=2))


class Renderer:
    """A pool of rendering processes, started when first needed, and replaced whole once its
    processes have each run ``jobs_per_process`` jobs on average: weasyprint's caches grow.

    Replaced here rather than by ``max_tasks_per_child``: with it, CPython 3.11's pool can hang
    in ``shutdown`` (measured: a worker asked to stop after 1,000 PDFs waited forever). The old
    pool finishes the jobs it has and its processes exit; new jobs go to the new pool.
    """

    def __init__(self, processes: int, jobs_per_process: int) -> None:
        self._processes = processes
        self._jobs_per_pool = processes * jobs_per_process
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._jobs = 0

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is not None and self._jobs >= self._jobs_per_pool:
            self._pool.shutdown(wait=False)
            self._pool = None
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                self._processes,
                # spawn: a child starts clean, without the parent's event loop, threads or sockets.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_yield_to_requests,
            )
            self._jobs = 0
        self._jobs += 1
        return self._pool

    async def render(self, pages: Sequence[Page]) -> list[bytes]:
        """One PDF per page, in order, made and laid out in a child process off the event loop
        (making the QR code alone is ~25 ms of CPU a page: it has no place on the event loop)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), render_pages, list(pages))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# ---- in the child process ------------------------------------------------------------------


def _yield_to_requests() -> None:
    """A rendering process runs at a lower priority: where it shares cores with the API and the
    database, a request waiting for a core gets it first, and PDFs take what is left."""
    os.nice(RENDER_NICENESS)


@functools.cache
def _weasyprint() -> tuple[Any, Any, Any]:
    """weasyprint, the packaged-assets fetcher and the parsed stylesheet, made once per child."""
    # fontTools stamps each font subset it writes with the time, unless told the build's date:
    # without this, one page rendered twice (a retry, two jobs racing) would differ in its bytes
    # and be stored twice.
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PackagedAssets(URLFetcher):  # type: ignore[misc]
        """Serves files of ``ASSETS`` under ``ASSET_BASE`` and the page's own PNG (a data: URL,
        which reads nothing), and refuses every other URL."""

        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            if url.startswith(PNG_DATA):
                return URLFetcherResponse(url, base64.b64decode(url.removeprefix(PNG_DATA), validate=True))
            if not url.startswith(ASSET_BASE):
                raise ValueError(f"refused: {url[:80]!r} is not a packaged asset")
            path = (ASSETS / url.removeprefix(ASSET_BASE).partition("?")[0]).resolve()
            if not path.is_relative_to(ASSETS) or not path.is_file():
                raise ValueError(f"refused: {url[:80]!r} is not a packaged asset")
            return URLFetcherResponse(url, path.read_bytes())

    fetcher = PackagedAssets()
    fonts = FontConfiguration()
    stylesheet = weasyprint.CSS(
        url=ASSET_BASE + STYLESHEET, base_url=ASSET_BASE, url_fetcher=fetcher, font_config=fonts
    )
    return weasyprint, fetcher, (stylesheet, fonts)


def render_pages(pages: Sequence[Page]) -> list[bytes]:
    """Pages as PDFs (in a child process): their HTML, then its layout."""
    return write_pdfs([html(page) for page in pages])


def write_pdfs(documents: Sequence[str]) -> list[bytes]:
    """Lay out HTML documents (in a child process) as one PDF each.

    weasyprint does not split a float across pages: a column longer than the page loses its
    last sections, silently, and the page count stays one. Each section has one heading, so a
    layout that holds fewer headings than the document is laid out again in one flowing column,
    which continues on a second page: a long declaration prints whole.
    """
    weasyprint, fetcher, (stylesheet, fonts) = _weasyprint()
    pdfs = []
    for document in documents:

        def laid_out(html: str) -> Any:
            return weasyprint.HTML(string=html, base_url=ASSET_BASE, url_fetcher=fetcher).render(
                stylesheets=[stylesheet], font_config=fonts
            )

        rendered = laid_out(document)
        if _headings(rendered) < document.count("<h2>"):
            rendered = laid_out(document.replace("<main>", '<main class="flowing">', 1))
        pdfs.append(rendered.write_pdf())
    return pdfs


def _headings(rendered: Any) -> int:
    """The section headings a layout holds, on every page (a heading's block, not its lines)."""
    from weasyprint.formatting_structure.boxes import BlockBox

    return sum(
        1
        for page in rendered.pages
        for box in page._page_box.descendants()
        if isinstance(box, BlockBox) and box.element_tag == "h2"
    )
