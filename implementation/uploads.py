"""Safe evidence uploads: what a file *is* (by its content, never its name or the browser's
content type), the limits, and names that are safe to store, show and send back.

Pure: no ORM and no storage. ``check_upload`` reads a file-like object (Django's
UploadedFile, an open file, BytesIO) and either returns what to store or raises
``UploadRejected`` with a message for the person uploading.

Allowed: PDF, PNG, JPEG, GIF, WebP, plain text and CSV (valid UTF-8, no NUL bytes, not a
web page), Office Open XML documents (DOCX, XLSX, PPTX: a zip whose [Content_Types].xml
names the main part) and OpenDocument text and spreadsheets (ODT, ODS: a zip whose
``mimetype`` entry says so). A name's extension must agree with the content: a web page
or a program renamed ``.pdf`` is refused, and so is a zip that is not one of those
documents.
"""

import codecs
import hashlib
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

DEFAULT_MAX_ATTACHMENT_MB = 10
DEFAULT_MAX_ATTACHMENTS = 5
# Long enough for any real document title; the column holds 255.
MAX_NAME_LENGTH = 120
FALLBACK_NAME = "attachment"

_CHUNK = 64 * 1024
_HEAD = 512
# [Content_Types].xml of a real document is a few kB; read no more than this of it.
_CONTENT_TYPES_LIMIT = 256 * 1024


@dataclass(frozen=True)
class FileKind:
    """An allowed type: how it is labelled, served and named."""

    label: str
    content_type: str
    extensions: tuple[str, ...]  # the first is the canonical one

    @property
    def extension(self) -> str:
        return self.extensions[0]


PDF = FileKind("PDF", "application/pdf", (".pdf",))
PNG = FileKind("PNG", "image/png", (".png",))
JPEG = FileKind("JPEG", "image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif"))
GIF = FileKind("GIF", "image/gif", (".gif",))
WEBP = FileKind("WebP", "image/webp", (".webp",))
TEXT = FileKind("Text", "text/plain; charset=utf-8", (".txt", ".text", ".md", ".log"))
CSV = FileKind("CSV", "text/csv; charset=utf-8", (".csv",))
DOCX = FileKind(
    "Word (DOCX)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
XLSX = FileKind(
    "Excel (XLSX)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
)
PPTX = FileKind(
    "PowerPoint (PPTX)",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    (".pptx",),
)
ODT = FileKind("OpenDocument text (ODT)", "application/vnd.oasis.opendocument.text", (".odt",))
ODS = FileKind(
    "OpenDocument spreadsheet (ODS)", "application/vnd.oasis.opendocument.spreadsheet", (".ods",)
)

KINDS = (PDF, PNG, JPEG, GIF, WEBP, TEXT, CSV, DOCX, XLSX, PPTX, ODT, ODS)
ALLOWED_EXTENSIONS = tuple(ext for kind in KINDS for ext in kind.extensions)
# For the file input's ``accept``: a hint to the browser's picker, not a check.
ACCEPT = ",".join(ALLOWED_EXTENSIONS)

# Office Open XML: the content type of the main part, as [Content_Types].xml declares it.
# Macro-enabled variants (.docm, .xlsm, .pptm) and templates declare other types and are
# therefore refused.
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
_ODF_MIMETYPES = {ODT.content_type: ODT, ODS.content_type: ODS}

# What a browser would take for markup if it ever sniffed a "text" file (the WHATWG
# sniffing patterns, plus SVG and XML, which can carry script).
_MARKUP = re.compile(
    rb"^\s*<(?:!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title"
    rb"|b|br|p|svg|\?xml|!--)(?:[\s>/]|$)",
    re.IGNORECASE,
)


class UploadRejected(ValueError):
    """The file may not be stored; ``message`` says why, for the person uploading."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedUpload:
    """An accepted file: what it is and what to record about it."""

    kind: FileKind
    original_name: str  # sanitised, for display and for the download's filename
    size: int
    sha256: str

    @property
    def content_type(self) -> str:
        return self.kind.content_type


# --- Limits -------------------------------------------------------------------------------


def max_attachment_bytes() -> int:
    return int(getattr(settings, "PERFCYCLE_MAX_ATTACHMENT_MB", DEFAULT_MAX_ATTACHMENT_MB)) * (
        1024 * 1024
    )


def max_attachments() -> int:
    return int(getattr(settings, "PERFCYCLE_MAX_ATTACHMENTS", DEFAULT_MAX_ATTACHMENTS))


def allowed_types_text() -> str:
    return ", ".join(kind.label for kind in KINDS)


# --- Names --------------------------------------------------------------------------------

# Characters no file system or header should see in a name.
_RESERVED = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")


def sanitize_filename(name: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """A name safe to display and to offer as a download: no directories, no control or
    invisible formatting characters (e.g. the right-to-left override that disguises
    ``exe.pdf``), no reserved characters, no leading dots, at most ``max_length``
    characters with the extension kept."""
    name = unicodedata.normalize("NFC", str(name or ""))
    # Browsers send a bare name, but old ones sent a full Windows or Unix path.
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if unicodedata.category(ch) in {"Zs", "Zl", "Zp"} or ch in "\t\n\r" else ch
        for ch in name
        if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"} or ch in "\t\n\r"
    )
    name = _RESERVED.sub("_", name)
    name = _SPACES.sub(" ", name).strip(" .")
    if not name:
        return FALLBACK_NAME
    ext = name[len(name) - len(extension_of(name)) :] if extension_of(name) else ""
    stem = name[: len(name) - len(ext)]
    stem = stem[: max(1, max_length - len(ext))].rstrip(" .") or FALLBACK_NAME
    return f"{stem}{ext}"[:max_length]


def extension_of(name: str) -> str:
    """The extension that claims a type (".pdf"); "" for none, and for a version number
    ("plan v1.2") or anything else that is not a word."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,9}", ext):
        return ""
    return f".{ext.lower()}"


def ascii_filename(name: str) -> str:
    """The plain-ASCII fallback for clients that ignore ``filename*`` (extension kept)."""
    ext = extension_of(name)
    stem = name[: len(name) - len(ext)] if ext else name
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r'[^\x20-\x7e]|["\\;%]', "_", plain)
    plain = _SPACES.sub(" ", plain).strip(" ._")
    return f"{plain or FALLBACK_NAME}{ext}"


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the exact one as RFC 5987 ``filename*``."""
    safe = sanitize_filename(name)
    return (
        f"attachment; filename=\"{ascii_filename(safe)}\"; filename*=UTF-8''{quote(safe, safe='')}"
    )


# --- Content ------------------------------------------------------------------------------


def _sniff_zip(fileobj: BinaryIO) -> FileKind | None:
    """An Office Open XML or OpenDocument file, or None for any other (or broken) zip."""
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    declared = entry.read(100).decode("ascii", "replace").strip()
                return _ODF_MIMETYPES.get(declared)
            if "[Content_Types].xml" in names:
                if any(n.lower().endswith("vbaproject.bin") for n in names):
                    return None  # macros, whatever the declared type
                with archive.open("[Content_Types].xml") as entry:
                    declared = entry.read(_CONTENT_TYPES_LIMIT).decode("utf-8", "replace")
                found = {kind for ctype, kind in _OOXML_MAIN.items() if ctype in declared}
                return found.pop() if len(found) == 1 else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, struct.error):
        return None
    except (RuntimeError, ValueError, NotImplementedError):  # encrypted, odd compression
        return None
    return None


def _is_text(fileobj: BinaryIO) -> bool:
    """Valid UTF-8 throughout, no NUL bytes, and not markup a browser would render."""
    fileobj.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    first = True
    while chunk := fileobj.read(_CHUNK):
        if b"\x00" in chunk:
            return False
        if first:
            head = chunk[3:] if chunk.startswith(codecs.BOM_UTF8) else chunk
            if _MARKUP.match(head[:_HEAD]):
                return False
            first = False
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff(fileobj: BinaryIO, *, name: str = "") -> FileKind | None:
    """What the content is, among the allowed kinds; None if none of them.

    Plain text and CSV cannot be told apart by content: the name decides between them.
    """
    fileobj.seek(0)
    head = fileobj.read(_HEAD)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(fileobj)
    if _is_text(fileobj):
        return CSV if extension_of(name) in CSV.extensions else TEXT
    return None


def _size_of(fileobj: BinaryIO) -> int:
    """The bytes present, or the size the upload handler counted if larger (it keeps only
    the first bytes of an oversized upload: see SizeCappedUploadHandler)."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return max(size, getattr(fileobj, "size", None) or 0)


def _sha256(fileobj: BinaryIO) -> str:
    fileobj.seek(0)
    digest = hashlib.sha256()
    while chunk := fileobj.read(_CHUNK):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def check_upload(fileobj: BinaryIO, *, name: str, max_bytes: int | None = None) -> CheckedUpload:
    """Accept one file or raise UploadRejected: empty, too large, a type that is not
    allowed, or content that does not match its name's extension."""
    display = sanitize_filename(name)
    limit = max_attachment_bytes() if max_bytes is None else max_bytes
    size = _size_of(fileobj)
    if size == 0:
        raise UploadRejected(_("“%(name)s” is empty.") % {"name": display})
    if size > limit:
        raise UploadRejected(
            _("“%(name)s” is %(size)s; the limit is %(limit)s per file.")
            % {"name": display, "size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    kind = sniff(fileobj, name=display)
    if kind is None:
        raise UploadRejected(
            _("“%(name)s” is not a file type that can be attached. Allowed: %(types)s.")
            % {"name": display, "types": allowed_types_text()}
        )
    extension = extension_of(display)
    if extension and extension not in kind.extensions:
        raise UploadRejected(
            _(
                "“%(name)s” is named like a %(extension)s file but its content is %(kind)s. "
                "Rename it or attach the real file."
            )
            % {"name": display, "extension": extension, "kind": kind.label}
        )
    if not extension:
        display = sanitize_filename(f"{display}{kind.extension}")
    fileobj.seek(0)
    return CheckedUpload(kind=kind, original_name=display, size=size, sha256=_sha256(fileobj))


class SizeCappedUploadHandler(TemporaryFileUploadHandler):
    """Writes each uploaded file to a temporary file, but never more than the size limit
    plus one byte of it: an oversized upload does not fill the disk, and its ``size``
    (what the parser counted) still tells check_upload to refuse it.

    Install it before the request body is read: see the evidence form views."""

    def __init__(self, request=None, *, max_bytes: int | None = None):
        super().__init__(request)
        self.max_bytes = max_attachment_bytes() if max_bytes is None else max_bytes
        self.received = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        room = self.max_bytes + 1 - self.received
        self.received += len(raw_data)
        if room > 0:
            self.file.write(raw_data[:room])
