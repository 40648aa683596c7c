"""Reading a PDF back as a person would: its pages, its text, its QR code."""

import io

import pypdfium2
import zxingcpp


def pages(pdf: bytes) -> int:
    return len(pypdfium2.PdfDocument(pdf))


def text(pdf: bytes) -> str:
    """The text of the first page, lines joined by spaces (a long label wraps)."""
    page = pypdfium2.PdfDocument(pdf)[0]
    return " ".join(page.get_textpage().get_text_range().split())


def qr_codes(pdf: bytes) -> list[str]:
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=2).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image)]


def missing_glyphs(pdf: bytes) -> int:
    """Characters drawn with no glyph (the font's .notdef box): pdfium reads them as U+FFFD."""
    buffer = io.StringIO(text(pdf))
    return buffer.getvalue().count("\ufffd")
