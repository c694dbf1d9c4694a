"""The upload policy in one place: which file types are allowed and every limit the checks apply, with why.

The largest upload (`max_bytes`) is not here: it comes from the app's MAX_CONTENT_LENGTH (MAX_UPLOAD_MB), so the
request limit and the file limit are one setting. Override any limit for one call with
`check_upload(..., limits=UploadLimits(max_zip_entries=...))`.
"""

from __future__ import annotations

from dataclasses import dataclass

# The types a school or provider needs for evidence (policies, certificates, insurance, registers, photos), each
# with a content rule in `sniff`. Legacy .doc/.xls are left out on purpose: they are OLE containers that can
# carry macros and exploits we cannot inspect here, and every Office version since 2007 saves .docx/.xlsx.
DEFAULT_ALLOWED: frozenset[str] = frozenset({"pdf", "docx", "xlsx", "odt", "jpg", "jpeg", "png"})

# Macro-enabled and pre-2007 Office endings get their own reasons ("macros", "legacy_office") rather than "type not
# allowed": those messages tell the person how to fix it (save as .docx/.xlsx or PDF).
LEGACY_OFFICE_EXTENSIONS: frozenset[str] = frozenset({"doc", "dot", "xls", "xlt", "ppt", "pps", "pot"})
MACRO_ENABLED_EXTENSIONS: frozenset[str] = frozenset({"docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppsm"})

# Endings that make a file a program or server-side script. One of these before the last ending ("photo.php.jpg")
# is refused: web servers that map types by every ending (Apache mod_mime) would run it, and people are tricked
# by "invoice.exe.pdf". Endings that are also ordinary words or web addresses are left out ("com" as in
# "www.example.com.pdf", "app", "bin"), as are HTML and SVG ("page.html.pdf", Wikimedia's "logo.svg.png"): uploads
# are never served inline, so those cannot run in our origin.
EXECUTABLE_EXTENSIONS: frozenset[str] = frozenset(
    {
        # Windows programs, installers and shortcuts
        "exe", "scr", "pif", "msi", "msp", "dll", "cpl", "lnk", "reg", "msc", "appx", "msix",
        # Windows and cross-platform scripts
        "bat", "cmd", "ps1", "psm1", "psd1", "vbs", "vbe", "js", "jse", "mjs", "wsf", "wsh", "wsc", "hta", "sct",
        "jar", "py", "pyc", "pyw", "pl", "rb", "sh", "bash", "zsh", "csh", "ksh",
        # Server-side scripts
        "php", "php3", "php4", "php5", "php7", "phtml", "phar", "pht", "asp", "aspx", "ashx", "asmx",
        "jsp", "jspx", "cgi", "shtml", "cfm",
    }
)  # fmt: skip

# How many bytes libmagic sees. Its rules for every allowed type look within the first few hundred bytes; 8 KiB
# also covers OOXML packages whose first member has a long name. Zip-based types are confirmed from the member
# list anyway, so this is not the only check.
SNIFF_BYTES = 8 * 1024

# The stream is copied in chunks of this size (never the whole file in memory) while it is measured and hashed.
READ_CHUNK_BYTES = 64 * 1024

# The display name is metadata only (stored objects get a random key); long enough for any real document title.
DISPLAY_NAME_MAX_CHARS = 200

# [Content_Types].xml and ODF's `mimetype` are read to confirm the type; real ones are a few kilobytes.
MAX_ZIP_MEMBER_READ_BYTES = 1024 * 1024


@dataclass(frozen=True)
class UploadLimits:
    # Up to this many bytes of the upload stay in memory; beyond it the copy rolls over to an anonymous temporary
    # file (unlinked at creation on Linux, so nothing is left on disk even if the process dies).
    spool_memory_bytes: int = 1024 * 1024

    # Zip-based documents (docx, xlsx, odt). A long Word document with many images has a few hundred parts and
    # a workbook about two per sheet; 2,000 leaves room while keeping the central directory small to parse.
    max_zip_entries: int = 2_000
    # Kept below ClamAV's defaults (MaxFileSize 100 MB per file, MaxScanSize 400 MB in all): a member bigger than
    # MaxFileSize is skipped, not scanned, so a larger one would pass the virus scan unseen.
    max_zip_entry_uncompressed_bytes: int = 100 * 1024 * 1024
    # Document XML compresses about 10:1, so 10 times a 20 MB upload.
    max_zip_total_uncompressed_bytes: int = 200 * 1024 * 1024
    # Apache POI's zip-bomb defaults (ZipSecureFile: minimum inflate ratio 0.01, checked once an entry passes
    # 100 KB): real Office parts stay far below 100:1; deflated zeros reach about 1,000:1.
    max_zip_compression_ratio: int = 100
    zip_ratio_grace_bytes: int = 100 * 1024

    # Images: decoded in full to prove they are readable, so the pixel count bounds memory (50 MP as RGBA is
    # 200 MB). 50 MP is above any phone camera's normal output (12-48 MP). Pillow's own global limit
    # (Image.MAX_IMAGE_PIXELS, about 89 MP) is left alone.
    max_image_pixels: int = 50_000_000


DEFAULT_LIMITS = UploadLimits()
