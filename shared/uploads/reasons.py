"""Why an upload was refused: stable reason codes, each with the message shown to the person who sent the file.

The codes are part of the interface (logs, audit events, the CLI and tests use them): add new ones, never rename or
reuse one. Messages say what was wrong and what to do, in plain English, and never echo the file's name or content.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # Stage 1: size
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    # Stage 2: name and extension
    BAD_FILENAME = "bad_filename"
    EXTENSION_NOT_ALLOWED = "extension_not_allowed"
    HIDDEN_EXECUTABLE_EXTENSION = "hidden_executable_extension"
    # Stage 3: content sniff
    CONTENT_MISMATCH = "content_mismatch"
    LEGACY_OFFICE = "legacy_office"
    # Stage 4: structure
    OFFICE_ENCRYPTED = "office_encrypted"
    ZIP_BOMB = "zip_bomb"
    ZIP_PATH_TRAVERSAL = "zip_path_traversal"
    MACROS = "macros"
    PDF_ENCRYPTED = "pdf_encrypted"
    PDF_ACTIVE_CONTENT = "pdf_active_content"
    PDF_XFA_FORM = "pdf_xfa_form"
    PDF_EXTERNAL_ACTION = "pdf_external_action"
    PDF_EMBEDDED_MEDIA = "pdf_embedded_media"
    OFFICE_EMBEDDED_OBJECT = "office_embedded_object"
    OFFICE_EXTERNAL_CONTENT = "office_external_content"
    IMAGE_TOO_LARGE = "image_too_large"
    IMAGE_UNREADABLE = "image_unreadable"
    UNREADABLE = "unreadable"
    # Later stages (virus scan, storage): reserved here so every refusal has one list of codes.
    SCANNER_UNAVAILABLE = "scanner_unavailable"
    VIRUS_FOUND = "virus_found"
    STORAGE_FAILED = "storage_failed"

    @property
    def message(self) -> str:
        return MESSAGES[self]


MESSAGES: dict[Reason, str] = {
    Reason.EMPTY: "The file is empty. Check you chose the right file and try again.",
    Reason.TOO_LARGE: (
        "The file is too big. Make it smaller (for example, scan at a lower resolution or save the document "
        "again as a PDF) and try again."
    ),
    Reason.BAD_FILENAME: (
        "The file name contains characters that cannot be used. Rename the file using letters, numbers, spaces, "
        "hyphens and full stops, and try again."
    ),
    Reason.EXTENSION_NOT_ALLOWED: (
        "This type of file cannot be uploaded. Upload a PDF, Word document (.docx), Excel spreadsheet (.xlsx), "
        "OpenDocument text (.odt), or a JPEG or PNG image."
    ),
    Reason.HIDDEN_EXECUTABLE_EXTENSION: (
        "The file name looks like a program or script with a document's ending added (for example "
        "'photo.php.jpg'). Rename the file so it has only one ending, such as 'photo.jpg', and try again."
    ),
    Reason.CONTENT_MISMATCH: (
        "The file's contents do not match its type: the ending of its name says one thing, but the file is "
        "something else. Open the file, save or export it again in the right format, and upload that."
    ),
    Reason.LEGACY_OFFICE: (
        "This is an older Microsoft Office file (.doc or .xls), which cannot be uploaded. Save it as a PDF or as "
        "a Word .docx or Excel .xlsx file and upload that."
    ),
    Reason.OFFICE_ENCRYPTED: (
        "This document is protected by a password, so it cannot be checked. Remove the password, save the file "
        "and upload it again."
    ),
    Reason.ZIP_BOMB: (
        "This document is packed in a way that would make it far larger than it looks when opened, so it cannot "
        "be accepted. Save it again as a PDF and upload that."
    ),
    Reason.ZIP_PATH_TRAVERSAL: (
        "This document is damaged or has been altered: it contains parts with unsafe names. Save it again from "
        "the program that made it, or as a PDF, and upload that."
    ),
    Reason.MACROS: (
        "This document contains macros, which cannot be uploaded. Save it without macros (as a .docx, .xlsx or "
        "PDF file) and upload that."
    ),
    Reason.PDF_ENCRYPTED: (
        "This PDF is protected by a password or encryption, so it cannot be checked. Save or print it as a new PDF "
        "without protection and upload that."
    ),
    Reason.PDF_ACTIVE_CONTENT: (
        "This PDF contains scripts, actions that run when it opens, or attached files, which cannot be uploaded. "
        "Print it to a new PDF (choose 'Save as PDF' or 'Microsoft Print to PDF') and upload that."
    ),
    Reason.PDF_XFA_FORM: (
        "This PDF contains a form with scripts (XFA), which cannot be uploaded. Print it to a new PDF (choose "
        "'Save as PDF' or 'Microsoft Print to PDF') or save it without the form, then upload that."
    ),
    Reason.PDF_EXTERNAL_ACTION: (
        "This PDF contains buttons or actions that send form data to a website or open other files, which cannot "
        "be uploaded. Print it to a new PDF (choose 'Save as PDF' or 'Microsoft Print to PDF') and upload that."
    ),
    Reason.PDF_EMBEDDED_MEDIA: (
        "This PDF contains embedded video, sound or Flash content, which cannot be uploaded. Print it to a new PDF "
        "(choose 'Save as PDF' or 'Microsoft Print to PDF') and upload that."
    ),
    Reason.OFFICE_EMBEDDED_OBJECT: (
        "This document contains embedded objects (such as another file or a control placed inside it), which "
        "cannot be uploaded. Remove them, or save the document as a PDF, and upload that."
    ),
    Reason.OFFICE_EXTERNAL_CONTENT: (
        "This document loads content from another file or website when it is opened (such as a linked template, "
        "linked workbook or frame), which cannot be uploaded. Break or remove the links, or save the document as "
        "a PDF, and upload that."
    ),
    Reason.IMAGE_TOO_LARGE: (
        "The image has too many pixels. Resize it to a smaller size (for example, 4000 by 3000 pixels) and try again."
    ),
    Reason.IMAGE_UNREADABLE: (
        "The image could not be opened: it may be damaged or only partly saved. Open it on your device, save it "
        "again as a JPEG or PNG, and upload that."
    ),
    Reason.UNREADABLE: (
        "The file could not be opened: it may be damaged. Open it on your device, save it again (or save it as a "
        "PDF), and upload that."
    ),
    Reason.SCANNER_UNAVAILABLE: (
        "Files cannot be checked for viruses at the moment, so your file has not been uploaded. Try again shortly."
    ),
    Reason.VIRUS_FOUND: (
        "The file contains a virus or other harmful content, so it has not been uploaded. Do not open it again; "
        "tell your IT support, then upload a clean copy."
    ),
    Reason.STORAGE_FAILED: "The file could not be saved because of a problem on our side. Try again later.",
}


class UploadRefused(Exception):
    """An upload failed a check. `reason` is the stable code, `message` is for the person, `detail` is for logs.

    `detail` is technical (e.g. the MIME type libmagic saw); it never holds the file's name or content, so it is
    safe to log.
    """

    def __init__(self, reason: Reason, detail: str | None = None) -> None:
        self.reason = Reason(reason)
        self.detail = detail
        super().__init__(f"{self.reason}: {detail}" if detail else str(self.reason))

    @property
    def message(self) -> str:
        return self.reason.message
