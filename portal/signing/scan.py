"""The QR code's text from what an inspector has: a photo (PNG, JPEG), the PDF, or the text itself.

zxing-cpp and pypdfium2 are the ``scan`` extra: imported only when a file is read, so that the
portal serves without them.
"""

from pathlib import Path
from typing import Any

from portal.signing import cose

INSTALL_HINT = "reading a QR code from a file needs the scan extra: pip install 'posting-portal[scan]'"
# A PDF's first page is drawn at 288 dpi, then larger: a code of many plates is dense, and a
# drawing whose modules fall across pixel edges can fail at one scale and read at another.
PDF_SCALES = (4.0, 6.0, 3.0)


class Unreadable(Exception):
    """No code could be read from the input: the reason is the message."""


def code_of(argument: str) -> str:
    """The text of the code ``argument`` names: a file's (image or PDF), else ``argument`` itself."""
    path = Path(argument)
    try:
        is_file = path.is_file()
    except OSError:  # a long scanned text is no file name
        is_file = False
    if not is_file:
        if "/verify/" in argument or argument.strip().startswith(cose.PREFIX):
            return argument.strip()
        raise Unreadable(f"{argument[:80]!r} is neither a file nor the text of a declaration's code")
    try:
        data = path.read_bytes()
    except OSError as problem:
        raise Unreadable(f"cannot read {path}: {problem.strerror}") from None
    codes = _pdf_codes(data) if data.startswith(b"%PDF") else _image_codes(data, path)
    if not codes:
        raise Unreadable(f"no QR code found in {path}")
    # A photo may hold other codes beside the declaration's: the signed one is the one.
    return next((code for code in codes if cose.split_code(code)[1]), codes[0])


def _zxing() -> Any:
    try:
        import zxingcpp
    except ImportError:
        raise Unreadable(INSTALL_HINT) from None
    return zxingcpp


def _read(image: Any) -> list[str]:
    zxingcpp = _zxing()
    return [found.text for found in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def _image_codes(data: bytes, path: Path) -> list[str]:
    _zxing()  # before Pillow: the hint names the extra, whatever is missing
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as problem:
        raise Unreadable(f"{path} is neither a PDF nor an image: {problem}") from None
    return _read(image.convert("L"))


def _pdf_codes(data: bytes) -> list[str]:
    _zxing()
    try:
        import pypdfium2
    except ImportError:
        raise Unreadable(INSTALL_HINT) from None
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as problem:
        raise Unreadable(f"not a readable PDF: {problem}") from None
    try:
        if len(document) == 0:
            raise Unreadable("the PDF has no page")
        page = document[0]
        for scale in PDF_SCALES:
            codes = _read(page.render(scale=scale).to_pil().convert("L"))
            if codes:
                return codes
        return []
    finally:
        document.close()
