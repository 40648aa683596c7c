"""Pages to PDF: HTML made here, laid out by weasyprint in child processes.

weasyprint is CPU-bound, keeps caches that grow over a long run, and is imported only in the
children (never before a fork). Each child parses the stylesheet and loads the fonts once, then
lays out many pages; it is replaced after ``pages_per_process`` pages, before it bloats. Its
URL fetcher serves the packaged assets and nothing else: no file:// read, no network, whatever
text a declaration carries.
"""

import asyncio
import concurrent.futures
import functools
import multiprocessing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
import segno
from markupsafe import Markup

from portal.documents.content import Page

ASSETS = Path(__file__).parent / "assets"
TEMPLATES = Path(__file__).parent / "templates"
# Packaged assets are addressed under a host that cannot exist (RFC 6761 .invalid).
ASSET_BASE = "https://assets.portal.invalid/"
STYLESHEET = "declaration.css"

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)


def html(page: Page) -> str:
    """The page as HTML: every value escaped; the QR code inline, as SVG."""
    # Level M survives a fold or a smudge on a printed page; a Base45 payload stays alphanumeric.
    qr = segno.make(page.qr_text, error="m", micro=False)
    # segno draws the code as one path: no text of the declaration is in it.
    svg = Markup(qr.svg_inline(omitsize=True, border=2))  # noqa: S704
    return _templates.get_template("declaration.html").render(page=page, qr_svg=svg)


class Renderer:
    """A pool of rendering processes, started when first needed."""

    def __init__(self, processes: int, pages_per_process: int) -> None:
        self._processes = processes
        self._pages_per_process = pages_per_process
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                self._processes,
                # spawn: a child starts clean, without the parent's event loop, threads or sockets.
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=self._pages_per_process,
            )
        return self._pool

    async def render(self, pages: Sequence[Page]) -> list[bytes]:
        """One PDF per page, in order, laid out in a child process off the event loop."""
        documents = [html(page) for page in pages]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), write_pdfs, documents)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# ---- in the child process ------------------------------------------------------------------


@functools.cache
def _weasyprint() -> tuple[Any, Any, Any]:
    """weasyprint, the packaged-assets fetcher and the parsed stylesheet, made once per child."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PackagedAssets(URLFetcher):  # type: ignore[misc]
        """Serves files of ``ASSETS`` under ``ASSET_BASE``, and refuses every other URL."""

        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
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


def write_pdfs(documents: Sequence[str]) -> list[bytes]:
    """Lay out HTML documents (in a child process) as one PDF each."""
    weasyprint, fetcher, (stylesheet, fonts) = _weasyprint()
    pdfs = []
    for document in documents:
        rendered = weasyprint.HTML(string=document, base_url=ASSET_BASE, url_fetcher=fetcher).render(
            stylesheets=[stylesheet], font_config=fonts
        )
        pdfs.append(rendered.write_pdf())
    return pdfs
