"""Large, valid PDFs for the upload benchmarks, written to disk in chunks (never held in memory whole).

The file is shaped like a scanned document: A4 pages, each showing one uncompressed RGB image of pseudo-random
pixels (about 2 MiB a page, the size of a page scanned at 150 dpi), then a comment line that brings the file to
the exact size asked for. It is a correct PDF (catalogue, page tree, pages, image XObjects, one shared content
stream, cross-reference table), with no active content, so stages 1-5 of the upload checks accept it.

Why many pages rather than one huge image: pypdf refuses any single stream declared longer than 75,000,000 bytes
(`pypdf.Configuration.maximum_declared_stream_length`), so a PDF holding one 200 MB image is refused as
unreadable by stage 4, whatever MAX_UPLOAD_MB says.
"""

from __future__ import annotations

import random
from pathlib import Path

WIDTH = 1024  # pixels, 8-bit RGB
ROW_BYTES = WIDTH * 3
PAGE_ROWS = 683  # 2,098,176 bytes of pixels a page
BLOCK_BYTES = 1024 * 1024  # the pseudo-random block the pixels repeat
SEED = 20261128
CONTENT = b"q 595 0 0 842 0 0 cm /Im1 Do Q\n"
ROOM_BYTES = 64 * 1024  # for everything but the pixels, at the sizes used here (a few hundred pages at most)
MAX_XREF_PASSES = 20


def write_pdf(path: Path, size: int) -> Path:
    """Write a valid PDF of exactly `size` bytes (at least 128 KiB) to `path`; return the path."""
    if size < 2 * ROOM_BYTES:
        raise ValueError(f"size must be at least {2 * ROOM_BYTES} bytes")
    rows = (size - ROOM_BYTES) // ROW_BYTES
    page_rows = [PAGE_ROWS] * (rows // PAGE_ROWS) + ([rows % PAGE_ROWS] if rows % PAGE_ROWS else [])
    block = random.Random(SEED).randbytes(BLOCK_BYTES)
    # Objects: 1 catalogue, 2 page tree, 3 content stream, then a page (4 + 2i) and its image (5 + 2i) per page.
    offsets: list[int] = []
    with path.open("wb") as out:

        def start_object(text: bytes) -> None:
            offsets.append(out.tell())
            out.write(text)

        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        start_object(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
        kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(page_rows)))
        start_object(b"2 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n" % (kids, len(page_rows)))
        start_object(b"3 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(CONTENT), CONTENT))
        for i, height in enumerate(page_rows):
            start_object(
                b"%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /XObject << /Im1 %d 0 R >> >> /Contents 3 0 R >>\nendobj\n" % (4 + 2 * i, 5 + 2 * i)
            )
            start_object(
                b"%d 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
                b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (5 + 2 * i, WIDTH, height, height * ROW_BYTES)
            )
            _write_pixels(out, block, height * ROW_BYTES)
            out.write(b"\nendstream\nendobj\n")
        out.write(_padding_and_tail(out.tell(), offsets, size))
    return path


def _write_pixels(out, block: bytes, count: int) -> None:
    written = 0
    while written < count:
        piece = block[: min(BLOCK_BYTES, count - written)]
        out.write(piece)
        written += len(piece)


def _padding_and_tail(position: int, offsets: list[int], size: int) -> bytes:
    """A comment line up to the cross-reference table, then the table and trailer, ending exactly at `size`.

    The table's own offset is written in the trailer, so its number of digits is settled first (a few passes)."""
    count = len(offsets) + 1
    entries = [b"0000000000 65535 f \n", *(b"%010d 00000 n \n" % at for at in offsets)]
    xref = b"xref\n0 %d\n" % count + b"".join(entries)
    xref_at = position
    tail = b""
    for _ in range(MAX_XREF_PASSES):
        tail = xref + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref_at)
        if xref_at == size - len(tail):
            break
        xref_at = size - len(tail)
    padding = xref_at - position - 2  # the comment line's "%" and "\n"
    if padding < 0 or xref_at != size - len(tail):
        raise ValueError(f"cannot make a PDF of exactly {size} bytes")
    return b"%" + b" " * padding + b"\n" + tail
