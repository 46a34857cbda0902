"""Evidence factories and sample files (no magic: each call makes exactly what it says).

The sample files are the smallest bytes each allowed type is recognised by, built in
memory: the office documents are real zips with the entries that identify them.
"""

import datetime as dt
import io
import itertools
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from implementation.models import Evidence
from perfcycle.models import Cycle, Participation
from tests.factories import make_cycle

_seq = itertools.count(1)

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
TEXT = "Deployed the release on Friday — no incidents. Customer said “thanks”.\n".encode()
CSV = b"week,tickets closed\n1,14\n2,19\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"

OOXML_MAIN = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
    "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
}
ODF_MIMETYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}


def zip_bytes(entries: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            compress = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=compress)
    return buffer.getvalue()


def ooxml(kind: str) -> bytes:
    """A minimal Office Open XML package: [Content_Types].xml naming the main part."""
    part, content_type = OOXML_MAIN[kind]
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/>'
        "</Types>"
    )
    return zip_bytes({"[Content_Types].xml": types, part: "<root/>"})


def odf(kind: str) -> bytes:
    """A minimal OpenDocument package: the stored ``mimetype`` entry first."""
    return zip_bytes({"mimetype": ODF_MIMETYPES[kind], "content.xml": "<office:document/>"})


PLAIN_ZIP = zip_bytes({"notes.txt": "hello", "data/report.csv": "a,b\n1,2\n"})


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    """A file as the browser sends it; the content type is deliberately meaningless."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def open_cycle(name: str | None = None, *, phase: str = Cycle.Phase.IMPLEMENTATION) -> Cycle:
    """A cycle that started 100 days ago, so that "today" and recent dates are inside it."""
    start = timezone.localdate() - dt.timedelta(days=100)
    return make_cycle(
        name,
        phase=phase,
        start=start,
        planning_deadline=start + dt.timedelta(days=20),
        implementation_deadline=start + dt.timedelta(days=200),
    )


def make_evidence(
    participation: Participation,
    *,
    by=None,
    title: str | None = None,
    occurred_on: dt.date | None = None,
    verified_by=None,
    **fields,
) -> Evidence:
    """A record straight in the database, by the participant unless ``by`` says who."""
    return Evidence.objects.create(
        participation=participation,
        title=title or f"Evidence {next(_seq)}",
        occurred_on=occurred_on or timezone.localdate() - dt.timedelta(days=3),
        created_by=by.user if by is not None else participation.employee.user,
        verified_by=verified_by.user if verified_by is not None else None,
        verified_at=timezone.now() if verified_by is not None else None,
        **fields,
    )
