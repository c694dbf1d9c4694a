"""Real files for the upload tests, built on the fly: no binary fixtures. Used by tests/test_upload_checks.py
(stages 1-5) and tests/test_upload_pipeline.py (the whole pipeline)."""

from __future__ import annotations

import io
import zipfile

from PIL import Image
from pypdf import PdfWriter

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT_TYPE = "application/vnd.oasis.opendocument.text"
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Invoice</title></head><body><script>alert(1)</script></body></html>"


# --- real files, built on the fly ---------------------------------------------------------------------------------


def pdf_bytes(build=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if build:
        build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, fmt)
    return out.getvalue()


CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{content_type}"/>'
    "</Types>"
)
RELS_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="{part}" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
OOXML_PARTS = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Attendance policy</w:t></w:r></w:p></w:body></w:document>",
    ),
    "xlsx": (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheets><sheet name="Register" sheetId="1"/></sheets></workbook>',
    ),
}


def ooxml_bytes(kind: str = "docx", *, extra: dict[str, bytes] | None = None, content_type: str | None = None) -> bytes:
    part, main_type, body = OOXML_PARTS[kind]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "[Content_Types].xml", CONTENT_TYPES_XML.format(part=part, content_type=content_type or main_type)
        )
        package.writestr("_rels/.rels", RELS_XML.format(part=part))
        package.writestr(part, body)
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return out.getvalue()


def odt_bytes(*, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        # ODF: "mimetype" first and stored, so readers (and libmagic) can see the type at a fixed offset.
        package.writestr("mimetype", ODT_TYPE, compress_type=zipfile.ZIP_STORED)
        package.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODT_TYPE}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        package.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
            "<office:body><office:text><text:p>Risk assessment</text:p></office:text></office:body>"
            "</office:document-content>",
        )
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return out.getvalue()


def ole_bytes(*, encrypted_package: bool = False) -> bytes:
    # The OLE compound-file signature, a plausible header (version 3, little-endian, 512-byte sectors) and filler.
    header = OLE_SIGNATURE + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(512 - 32)
    body = bytearray(4096)
    if encrypted_package:
        name = "EncryptedPackage".encode("utf-16-le")
        body[128 : 128 + len(name)] = name
    return header + bytes(body)
