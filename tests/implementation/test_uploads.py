"""Upload checks (pure, no database): types recognised by content, disguised, empty,
oversized and binary files refused, names sanitised, download headers that cannot break."""

import hashlib
import io

import pytest

from implementation import uploads
from tests.implementation import evidence_factories as files


def check(name: str, content: bytes, **kw):
    return uploads.check_upload(io.BytesIO(content), name=name, **kw)


def refusal(name: str, content: bytes, **kw) -> str:
    with pytest.raises(uploads.UploadRejected) as excinfo:
        check(name, content, **kw)
    return excinfo.value.message


# --- Allowed types, by content -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("report.pdf", files.PDF, uploads.PDF),
        ("chart.png", files.PNG, uploads.PNG),
        ("photo.jpg", files.JPEG, uploads.JPEG),
        ("photo.jpeg", files.JPEG, uploads.JPEG),
        ("anim.gif", files.GIF, uploads.GIF),
        ("shot.webp", files.WEBP, uploads.WEBP),
        ("notes.txt", files.TEXT, uploads.TEXT),
        ("numbers.csv", files.CSV, uploads.CSV),
        ("plan.docx", files.ooxml("docx"), uploads.DOCX),
        ("budget.xlsx", files.ooxml("xlsx"), uploads.XLSX),
        ("deck.pptx", files.ooxml("pptx"), uploads.PPTX),
        ("letter.odt", files.odf("odt"), uploads.ODT),
        ("sheet.ods", files.odf("ods"), uploads.ODS),
    ],
)
def test_each_allowed_type_is_accepted_by_its_content(name, content, kind):
    """Every allowed type is recognised from its bytes, with its size and sha256."""
    checked = check(name, content)
    assert checked.kind == kind
    assert checked.content_type == kind.content_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.original_name == name


def test_the_browsers_content_type_and_name_case_do_not_matter():
    """An upper-case extension is still the same type; the declared type is never read."""
    upload = files.upload("SCAN.PDF", files.PDF, content_type="text/html")
    assert uploads.check_upload(upload, name=upload.name).kind == uploads.PDF


def test_text_with_a_byte_order_mark_is_text():
    """A UTF-8 BOM (as Windows editors write) is still plain text."""
    assert check("notes.txt", b"\xef\xbb\xbfhello").kind == uploads.TEXT


def test_a_file_without_extension_is_named_after_its_content():
    """No extension: the type comes from the content and the name gets its extension."""
    checked = check("quarterly report", files.PDF)
    assert checked.kind == uploads.PDF
    assert checked.original_name == "quarterly report.pdf"


def test_a_version_number_is_not_taken_for_an_extension():
    """ "plan v1.2" has no type-claiming extension, so its PDF content decides."""
    assert check("plan v1.2", files.PDF).original_name == "plan v1.2.pdf"


# --- Refused ---------------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    """Zero bytes, whatever its name."""
    assert refusal("empty.pdf", b"") == "“empty.pdf” is empty."


def test_an_oversized_file_is_refused_with_the_limit():
    """Larger than the limit: refused, saying both sizes."""
    message = refusal("big.pdf", files.PDF + b"0" * 2000, max_bytes=1024)
    assert "big.pdf" in message and "1.0\xa0KB" in message


def test_the_limit_comes_from_settings_with_a_default(settings):
    """PERFCYCLE_MAX_ATTACHMENT_MB sets the limit; 10 MB without it."""
    del settings.PERFCYCLE_MAX_ATTACHMENT_MB
    assert uploads.max_attachment_bytes() == 10 * 1024 * 1024
    settings.PERFCYCLE_MAX_ATTACHMENT_MB = 2
    assert uploads.max_attachment_bytes() == 2 * 1024 * 1024


def test_a_file_exactly_at_the_limit_is_accepted():
    """The limit is inclusive."""
    content = files.PDF + b"0" * (1024 - len(files.PDF))
    assert check("edge.pdf", content, max_bytes=1024).size == 1024


def test_a_web_page_renamed_pdf_is_refused():
    """HTML named .pdf: its content does not match its name."""
    assert "not a file type that can be attached" in refusal("invoice.pdf", files.HTML)


def test_a_program_renamed_pdf_is_refused():
    """A Windows executable named .pdf is not any allowed type."""
    assert "not a file type that can be attached" in refusal("invoice.pdf", files.EXE)


def test_a_program_with_its_own_name_is_refused():
    """An .exe is refused whatever it contains."""
    assert "not a file type" in refusal("setup.exe", files.EXE)


def test_a_real_type_under_another_types_name_is_refused():
    """A PNG named .pdf is refused as disguised, even though PNG is allowed."""
    message = refusal("report.pdf", files.PNG)
    assert "named like a .pdf file but its content is PNG" in message


def test_text_named_like_a_program_is_refused():
    """Harmless text under an .exe name is still a mismatch."""
    assert "named like a .exe file" in refusal("run.exe", files.TEXT)


def test_binary_content_with_a_txt_name_is_refused():
    """NUL bytes mean it is not text, whatever the name says."""
    assert "not a file type" in refusal("notes.txt", b"hello\x00world")


def test_invalid_utf8_with_a_txt_name_is_refused():
    """Text must be valid UTF-8 throughout (here Latin-1 bytes)."""
    assert "not a file type" in refusal("notes.txt", "café".encode("latin-1"))


@pytest.mark.parametrize(
    "content",
    [
        files.HTML,
        b"  <html><body>hi</body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<?xml version="1.0"?><root/>',
        b"\xef\xbb\xbf<script>alert(1)</script>",
    ],
)
def test_markup_is_not_plain_text(content):
    """Web pages, SVG and XML are refused even under a .txt name."""
    assert "not a file type" in refusal("page.txt", content)


def test_a_zip_that_is_not_an_office_document_is_refused():
    """An ordinary zip, named .docx or .zip, is refused."""
    assert "not a file type" in refusal("plan.docx", files.PLAIN_ZIP)
    assert "not a file type" in refusal("archive.zip", files.PLAIN_ZIP)


def test_a_macro_enabled_document_is_refused():
    """A .docm (macros) declares another main type: refused even when named .docx."""
    assert "not a file type" in refusal("plan.docx", files.ooxml("docm"))


def test_a_document_carrying_a_vba_project_is_refused():
    """A docx with a vbaProject.bin inside is refused whatever it declares."""
    part, main_type = files.OOXML_MAIN["docx"]
    types = f'<Types><Override PartName="/{part}" ContentType="{main_type}"/></Types>'
    content = files.zip_bytes(
        {"[Content_Types].xml": types, part: "<w/>", "word/vbaProject.bin": b"\x00\x01"}
    )
    assert "not a file type" in refusal("plan.docx", content)


def test_an_opendocument_presentation_is_not_allowed():
    """ODP is not in the list (only text and spreadsheets)."""
    assert "not a file type" in refusal("deck.odp", files.odf("odp"))


def test_a_broken_zip_is_refused():
    """A zip header followed by garbage is not a document."""
    assert "not a file type" in refusal("plan.docx", b"PK\x03\x04" + b"\xff" * 200)


def test_an_office_document_under_another_office_name_is_refused():
    """An XLSX named .docx does not match its name."""
    assert "content is Excel (XLSX)" in refusal("plan.docx", files.ooxml("xlsx"))


# --- Oversized uploads never fill the disk ----------------------------------------------


def test_the_capped_upload_handler_keeps_only_the_limit_and_reports_the_real_size(settings):
    """An upload over the limit is cut at limit + 1 byte on disk, but its size is the real
    one, so check_upload refuses it."""
    handler = uploads.SizeCappedUploadHandler(max_bytes=100)
    handler.new_file("attachments", "big.pdf", "application/pdf", 500)
    for start in range(0, 500, 64):
        handler.receive_data_chunk(b"x" * min(64, 500 - start), start)
    stored = handler.file_complete(500)
    stored.seek(0, 2)
    assert stored.tell() == 101
    assert stored.size == 500
    with pytest.raises(uploads.UploadRejected, match="the limit is"):
        uploads.check_upload(stored, name=stored.name, max_bytes=100)
    stored.close()


# --- Names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.pdf", "cmd.pdf"),
        ("C:\\Users\\ana\\Desktop\\review.docx", "review.docx"),
        ("/var/www/.htaccess", "htaccess"),
        ("..", "attachment"),
        ("", "attachment"),
        ("report\x00.pdf", "report.pdf"),
        ("line\r\nbreak.txt", "line break.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ('a<b>c:"d"|e?f*.pdf', "a_b_c__d__e_f_.pdf"),
        ("  spaced   out  .pdf", "spaced out.pdf"),
        ("résumé.pdf", "résumé.pdf"),
        ("Re\u0301sume\u0301.pdf", "Résumé.pdf"),
        ("日本語の報告書.docx", "日本語の報告書.docx"),
    ],
)
def test_names_are_sanitised(given, expected):
    """No directories, control or invisible characters, reserved characters or leading
    dots; Unicode letters kept (NFC)."""
    assert uploads.sanitize_filename(given) == expected


def test_very_long_names_are_cut_keeping_the_extension():
    """A 300-character name is cut to the limit and keeps its extension."""
    name = uploads.sanitize_filename("x" * 300 + ".pdf")
    assert len(name) == uploads.MAX_NAME_LENGTH
    assert name.endswith("xx.pdf")
    unicode_name = uploads.sanitize_filename("ü" * 500 + ".docx")
    assert len(unicode_name) == uploads.MAX_NAME_LENGTH and unicode_name.endswith(".docx")


def test_the_download_header_has_an_ascii_name_and_the_exact_name():
    """filename is plain ASCII (accents folded); filename* carries the UTF-8 name."""
    header = uploads.content_disposition("Résumé 2026.pdf")
    assert header == (
        "attachment; filename=\"Resume 2026.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf"
    )


def test_the_download_header_cannot_be_broken_by_a_name():
    """Quotes, semicolons, newlines and paths cannot escape the header value."""
    header = uploads.content_disposition('../evil";\r\nSet-Cookie: x=1;.pdf')
    assert "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and ";" not in fallback and "/" not in fallback
    assert "filename*=UTF-8''" in header
    assert header.count('"') == 2


def test_a_name_with_no_ascii_letters_gets_a_readable_fallback():
    """Only the extension survives in ASCII: the fallback is "attachment.docx"."""
    assert 'filename="attachment.docx"' in uploads.content_disposition("日本語.docx")
