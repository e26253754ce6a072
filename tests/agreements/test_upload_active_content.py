"""Uploads that would run something or carry other files are refused, saying why (agreements.uploads)."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from agreements.uploads import (
    ACTIVE_ADDITIONAL_ACTION,
    ACTIVE_CONTENT,
    ACTIVE_EMBEDDED_FILE,
    ACTIVE_EXECUTABLE,
    ACTIVE_JAVASCRIPT,
    ACTIVE_LAUNCH,
    ACTIVE_OPEN_ACTION,
    PdfUploadField,
    check_pdf_upload,
)
from tests.agreements import hostile_pdfs as H


def refusal(content: bytes, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_pdf_upload(SimpleUploadedFile("surat.pdf", content, "application/pdf"), **kwargs)
    return caught.value


def expected(why) -> str:
    return str(ACTIVE_CONTENT % {"why": why})


CASES = {
    "openaction_javascript": (H.openaction_js_pdf, ACTIVE_JAVASCRIPT),
    "launch": (H.launch_pdf, ACTIVE_LAUNCH),
    "page_additional_action": (H.aa_pdf, ACTIVE_ADDITIONAL_ACTION),
    "additional_action_running_javascript": (H.aa_javascript_pdf, ACTIVE_JAVASCRIPT),
    "embedded_program": (H.embedded_exe_pdf, ACTIVE_EXECUTABLE),
    "embedded_file": (lambda: H.attachment_pdf(b"catatan.txt", b"halo", compressed=False), ACTIVE_EMBEDDED_FILE),
    "names_hidden_with_hex_escapes": (H.hex_obfuscated_js_pdf, ACTIVE_JAVASCRIPT),
    "openaction_named_action": (
        lambda: H.pdf([b"<< /S /Named /N /Print >>"], catalog_extra=b"/OpenAction 4 0 R "), ACTIVE_OPEN_ACTION),
}


@pytest.mark.parametrize("name", CASES)
def test_active_content_is_refused_with_the_reason(name):
    make, why = CASES[name]
    error = refusal(make())
    assert error.code == "active_content"
    assert error.messages == [expected(why)]


def test_document_javascript_in_the_names_tree_is_refused():
    assert refusal(H.names_tree_js_pdf()).messages == [expected(ACTIVE_JAVASCRIPT)]


def test_javascript_inside_a_compressed_object_stream_is_found():
    """Objects packed in an object stream (not visible in the raw bytes) are inspected too."""
    content = H.object_stream_pdf()
    assert b"JavaScript" not in content and b"OpenAction" not in content
    assert len(PdfReader(io.BytesIO(content)).pages) == 1  # a readable PDF
    assert refusal(content).messages == [expected(ACTIVE_JAVASCRIPT)]


def test_a_plain_pdf_and_an_open_at_page_destination_are_accepted():
    check_pdf_upload(SimpleUploadedFile("a.pdf", H.pdf([]), "application/pdf"))
    goto_page = H.pdf([], catalog_extra=b"/OpenAction [3 0 R /Fit] ")  # a destination, not an action
    check_pdf_upload(SimpleUploadedFile("a.pdf", goto_page, "application/pdf"))


def test_only_the_named_attachment_is_allowed_where_the_verifier_allows_it():
    data = H.attachment_pdf(b"sepakat-data.json", b'{"a": 1}', compressed=False)
    assert refusal(data).messages == [expected(ACTIVE_EMBEDDED_FILE)]
    check_pdf_upload(SimpleUploadedFile("a.pdf", data), allowed_attachments=("sepakat-data.json",))
    other = H.attachment_pdf(b"lain.json", b'{"a": 1}', compressed=False)
    assert refusal(other, allowed_attachments=("sepakat-data.json",)).messages == [expected(ACTIVE_EMBEDDED_FILE)]
    program = H.attachment_pdf(b"sepakat-data.json", b"MZ\x90\x00" + bytes(60), compressed=False)
    assert refusal(program, allowed_attachments=("sepakat-data.json",)).messages == [expected(ACTIVE_EXECUTABLE)]


def test_the_form_field_shows_the_reason():
    field = PdfUploadField()
    with pytest.raises(ValidationError) as caught:
        field.clean(SimpleUploadedFile("surat.pdf", H.launch_pdf(), "application/pdf"))
    assert caught.value.messages == [expected(ACTIVE_LAUNCH)]
    assert "(/Launch)" in caught.value.messages[0] and "tidak diterima" in caught.value.messages[0]


@pytest.mark.django_db
def test_the_law_ministry_letter_and_case_attachments_refuse_javascript(as_user):
    """Both go through PdfUploadField (workflows.forms); the form error is shown, nothing is stored."""
    from workflows.forms import AttachmentForm

    form = AttachmentForm({"version": 1}, {"file": SimpleUploadedFile("lampiran.pdf", H.openaction_js_pdf())},
                          versions=[type("V", (), {"number": 1})()])
    assert not form.is_valid()
    assert form.errors["file"] == [expected(ACTIVE_JAVASCRIPT)]
