"""PDF upload validation: content decides, not the name or the browser's content type."""

import hashlib
import io

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from agreements.uploads import (
    DAMAGED_PDF,
    EMPTY_FILE,
    ENCRYPTED_PDF,
    KIND_ELF,
    KIND_HTML,
    KIND_JPEG,
    KIND_PNG,
    KIND_TEXT,
    KIND_UNKNOWN,
    KIND_WINDOWS_PROGRAM,
    KIND_WORD,
    KIND_ZIP,
    MAX_ATTACHMENT_BYTES,
    NO_PAGES,
    NOT_A_PDF,
    TOO_LARGE,
    CheckedPdf,
    PdfUploadField,
    check_pdf_upload,
    clean_file_name,
    describe_content,
    format_size,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def make_pdf(pages=1, password=None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password is not None:
        writer.encrypt(user_password=password, owner_password="pemilik")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def upload(content: bytes, name="surat.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def refused(uploaded, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_pdf_upload(uploaded, **kwargs)
    return caught.value


def elf_bytes() -> bytes:
    """The start of a 64-bit Linux executable: ELF header, then machine code-like bytes."""
    header = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00"
    return header + bytes(range(256)) * 16


def test_real_pdf_is_accepted():
    content = make_pdf(pages=2)
    checked = check_pdf_upload(upload(content, name="Nota Kesepakatan.pdf"))
    assert checked == CheckedPdf(
        name="Nota Kesepakatan.pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def test_content_type_and_name_do_not_matter_for_a_real_pdf():
    content = make_pdf()
    checked = check_pdf_upload(upload(content, name="scan", content_type="application/octet-stream"))
    assert checked.name == "scan"
    assert checked.content == content


def test_pdf_after_some_leading_bytes_is_accepted_but_not_after_too_many():
    content = make_pdf()
    assert check_pdf_upload(upload(b"\x00" * 1024 + content)).size == 1024 + len(content)
    error = refused(upload(b"\x00" * 1025 + content))
    assert error.code == "not_pdf"


def test_renamed_program_is_refused():
    content = elf_bytes()
    assert content.startswith(b"\x7fELF")
    error = refused(upload(content, name="surat.pdf", content_type="application/pdf"))
    assert error.code == "not_pdf"
    assert error.messages == [NOT_A_PDF % {"kind": KIND_ELF}]
    assert error.messages == ["Berkas ini bukan PDF (isinya program (ELF)). Unggah dokumen dalam format PDF."]


def test_png_named_pdf_is_refused():
    error = refused(upload(PNG, name="tanda-tangan.pdf"))
    assert error.code == "not_pdf"
    assert error.messages == [NOT_A_PDF % {"kind": KIND_PNG}]


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", KIND_JPEG),
        (b"MZ\x90\x00\x03\x00\x00\x00", KIND_WINDOWS_PROGRAM),
        (b"PK\x03\x04\x14\x00\x00\x00[Content_Types].xml....word/document.xml", KIND_WORD),
        (b"PK\x03\x04\x14\x00\x00\x00foto.jpg", KIND_ZIP),
        (b"\xef\xbb\xbf  <!DOCTYPE html><html><body>Masuk</body></html>", KIND_HTML),
        ("Nota Kesepakatan — naskah.\nPasal 1".encode(), KIND_TEXT),
        (bytes(range(256)), KIND_UNKNOWN),
    ],
)
def test_other_contents_are_named(content, kind):
    assert describe_content(content) == str(kind)
    assert refused(upload(content)).messages == [NOT_A_PDF % {"kind": kind}]


def test_empty_file_is_refused():
    error = refused(upload(b""))
    assert error.code == "empty"
    assert error.messages == [str(EMPTY_FILE)]


class LyingSize(SimpleUploadedFile):
    """A file whose declared size is smaller than its content."""

    def __init__(self, content, declared):
        super().__init__("besar.pdf", content, content_type="application/pdf")
        self.size = declared
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_file_over_the_limit_is_refused_before_reading():
    uploaded = LyingSize(b"%PDF-" + b"x" * 2000, declared=2000)
    uploaded.size = 22_335_693  # what the browser said: 21,3 MB
    error = refused(uploaded)
    assert uploaded.bytes_read == 0
    assert error.code == "too_large"
    assert error.messages == [TOO_LARGE % {"size": "21,3 MB", "limit": "20 MB"}]
    assert error.messages == ["Berkas terlalu besar (21,3 MB). Batasnya 20 MB."]


def test_small_limit():
    error = refused(upload(make_pdf()), max_bytes=100)
    assert error.code == "too_large"
    assert error.messages[0].endswith("Batasnya 100 byte.")


def test_never_reads_more_than_the_limit_when_the_size_lies():
    uploaded = LyingSize(make_pdf() + b"%" * 5000, declared=10)
    error = refused(uploaded, max_bytes=3000)
    assert error.code == "too_large"
    assert uploaded.bytes_read == 3001


def test_truncated_pdf_is_damaged():
    content = make_pdf()
    error = refused(upload(content[: len(content) // 2]))
    assert error.code == "damaged_pdf"
    assert error.messages == [str(DAMAGED_PDF)]


@pytest.mark.parametrize("content", [b"%PDF-", b"%PDF-1.7\n" + b"\x00\xff garbage " * 500, b"%PDF-1.4\n%%EOF\n"])
def test_garbage_starting_like_a_pdf_is_damaged(content):
    error = refused(upload(content))
    assert error.code == "damaged_pdf"
    assert error.messages == [str(DAMAGED_PDF)]


def test_encrypted_pdf_is_refused():
    for password in ("rahasia", ""):  # also when it opens without a password
        error = refused(upload(make_pdf(password=password)))
        assert error.code == "encrypted_pdf"
        assert error.messages == [str(ENCRYPTED_PDF)]


def test_pdf_without_pages_is_refused():
    error = refused(upload(make_pdf(pages=0)))
    assert error.code == "no_pages"
    assert error.messages == [str(NO_PAGES)]


def test_reads_from_the_start_even_after_something_read_it():
    uploaded = upload(make_pdf())
    uploaded.read(100)
    assert check_pdf_upload(uploaded).size == uploaded.size


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/x.pdf", "x.pdf"),
        ("..\\..\\Windows\\surat.pdf", "surat.pdf"),
        ("C:\\Users\\budi\\Dokumen\\Nota  Kesepakatan.pdf", "Nota Kesepakatan.pdf"),
        ("sur\x00at\n\r\tbaru.pdf", "surat baru.pdf"),
        ("laporan\u202efdp.exe", "laporanfdp.exe"),
        ("  .hidden.pdf. ", "hidden.pdf"),
        ("..", "dokumen.pdf"),
        ("", "dokumen.pdf"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
        ("b" * 300, "b" * 200),
    ],
)
def test_clean_file_name(raw, clean):
    assert clean_file_name(raw) == clean
    assert len(clean_file_name(raw)) <= 200


def test_path_in_the_uploaded_name_is_dropped():
    assert check_pdf_upload(upload(make_pdf(), name="../../etc/x.pdf")).name == "x.pdf"
    assert check_pdf_upload(upload(make_pdf(), name="..\\..\\etc\\x.pdf")).name == "x.pdf"


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 byte"),
        (1023, "1023 byte"),
        (1536, "1,5 KB"),
        (20 * 1024 * 1024, "20 MB"),
        (22_335_693, "21,3 MB"),
        (3 * 1024**3, "3 GB"),
    ],
)
def test_format_size(size, text):
    assert format_size(size) == text


def test_default_limit_is_20_mb():
    assert MAX_ATTACHMENT_BYTES == 20 * 1024 * 1024


class AttachmentForm(forms.Form):
    note = forms.CharField()
    attachment = PdfUploadField()


class OptionalAttachmentForm(forms.Form):
    note = forms.CharField()
    attachment = PdfUploadField(required=False, max_bytes=100)


def test_form_field_returns_the_checked_pdf():
    content = make_pdf()
    form = AttachmentForm(data={"note": "Lampiran"}, files={"attachment": upload(content, name="../lampiran.pdf")})
    assert form.is_valid(), form.errors
    checked = form.cleaned_data["attachment"]
    assert isinstance(checked, CheckedPdf)
    assert (checked.name, checked.content) == ("lampiran.pdf", content)


def test_form_field_error_keeps_the_other_field():
    form = AttachmentForm(data={"note": "Catatan rapat"}, files={"attachment": upload(elf_bytes())})
    assert not form.is_valid()
    assert form.errors["attachment"] == [NOT_A_PDF % {"kind": KIND_ELF}]
    assert form.cleaned_data["note"] == "Catatan rapat"
    assert "note" not in form.errors


def test_form_field_empty_file_has_our_message():
    form = AttachmentForm(data={"note": "x"}, files={"attachment": upload(b"")})
    assert form.errors["attachment"] == [str(EMPTY_FILE)]


def test_form_field_limit_and_optional():
    form = OptionalAttachmentForm(data={"note": "x"}, files={})
    assert form.is_valid()
    assert form.cleaned_data["attachment"] is None
    form = OptionalAttachmentForm(data={"note": "x"}, files={"attachment": upload(make_pdf())})
    assert not form.is_valid()
    assert form.errors["attachment"][0].startswith("Berkas terlalu besar")


def test_form_field_required_and_widget():
    form = AttachmentForm(data={"note": "x"}, files={})
    assert not form.is_valid()
    assert "attachment" in form.errors
    assert 'accept="application/pdf"' in str(form["attachment"])
