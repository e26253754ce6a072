"""The public verification page against strangers: bombs and broken files, enumeration, the audit
log, and request floods. Every hostile file gets a clear answer in bounded memory and time."""

import copy
import hashlib
import io
import json
import re
import time
import tracemalloc
import zlib
from html import escape

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from agreements import pdfsafety, verification
from agreements.kinds import render_stage_pdf
from agreements.models import (
    Document,
    DocumentKind,
    StoredPdf,
    VerificationChannel,
    VerificationCount,
    VerificationOutcome,
    Version,
)
from agreements.uploads import DAMAGED_PDF, ENCRYPTED_PDF, PDF_BOMB, TOO_COMPLEX, TOO_LARGE, format_size
from agreements.verification import DATA_TOO_LARGE, MAX_DATA_BYTES, MAX_VERIFY_BYTES, NOT_FOUND, verify_content
from agreements.views.verification import RATE_LIMITED
from audit.models import AuditEvent
from tests.agreements import hostile_pdfs as H
from tests.agreements.test_pdf import MOU

pytestmark = pytest.mark.django_db
PEAK_LIMIT = 100 * 1024 * 1024
TIME_LIMIT = 5.0


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rendered_document(programme):
    """A Document with a stored, rendered (unsigned) PDF carrying its verification code."""
    document = Document.objects.create(programme=programme("kota-banjar"), kind=DocumentKind.MOU)
    version = Version.objects.create(document=document, number=1, title="Nota Kesepakatan",
                                     author=get_user_model().objects.first())
    data = copy.deepcopy(MOU)
    data["verification_url"] = document.verification_url
    data["verification_code"] = document.verification_token
    rendered = render_stage_pdf("mou", data, draft=False)
    stored = StoredPdf(document=document, version=version, revision=0, data_sha256=rendered.data_sha256,
                       sha256=hashlib.sha256(rendered.content).hexdigest(), size=len(rendered.content))
    stored.file.save("uji.pdf", ContentFile(rendered.content), save=False)
    stored.save()
    return document, rendered.content


def post(client, content: bytes, **extra):
    return client.post(reverse("verify"), {"file": SimpleUploadedFile("dokumen.pdf", content, "application/pdf")},
                       **extra)


def measured(action):
    """(result, seconds, peak traced bytes): action() runs twice, timed without tracemalloc (which
    slows every allocation), then under tracemalloc for the peak."""
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        result = action()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, elapsed, peak


def bomb_message() -> str:
    return escape(str(PDF_BOMB % {"limit": format_size(pdfsafety.MAX_INFLATED_BYTES)}))


def counted(**key) -> int:
    row = VerificationCount.objects.filter(day=timezone.localdate(), **key).first()
    return row.count if row else 0


# --- decompression bombs and hostile files --------------------------------------------------------

def test_a_600_mb_json_bomb_gets_the_bomb_message_in_bounded_memory_and_time(client):
    content = H.bomb_pdf(600)
    assert len(content) < 700 * 1024  # the attacker's 600 KB file
    response, elapsed, peak = measured(lambda: post(client, content))
    assert response.status_code == 400
    assert bomb_message() in response.content.decode()
    assert elapsed < TIME_LIMIT, f"{elapsed:.1f} s"
    assert peak < PEAK_LIMIT, f"peak {peak / 1024 / 1024:.0f} MiB"
    print(f"600 MiB bomb: {elapsed:.2f} s, peak {peak / 1024 / 1024:.1f} MiB")


def test_verify_content_refuses_a_bomb_before_pypdf_or_pyhanko_read_it(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("pyHanko must not see a bomb")

    monkeypatch.setattr(verification, "verify_pdf", never)
    result, elapsed, peak = measured(lambda: verify_content(H.bomb_pdf(600)))
    assert result.refused and not result.genuine
    assert result.all_problems == [str(PDF_BOMB % {"limit": format_size(pdfsafety.MAX_INFLATED_BYTES)})]
    assert elapsed < TIME_LIMIT and peak < PEAK_LIMIT


def test_a_bomb_inside_a_bomb_is_caught_too():
    """/Filter [/FlateDecode /FlateDecode]: the outer layer is small, the inner one inflates to 600 MiB."""
    doubled = zlib.compress(H.zeros_bomb(600), 9)
    assert len(doubled) < 64 * 1024
    content = H.pdf([H.stream(doubled, b"/Filter [/FlateDecode /FlateDecode]")])
    with pytest.raises(pdfsafety.HostilePdf) as caught:
        pdfsafety.scan_streams(content)
    assert caught.value.reason == pdfsafety.BOMB


def test_a_bomb_hidden_in_hex_is_bounded_by_pypdfs_and_pyhankos_own_limits(client, monkeypatch):
    """[/ASCIIHexDecode /FlateDecode] hides the zlib stream from scan_streams: the upload check (pypdf
    under PYPDF_LIMITS) refuses it, and pyHanko, if it ever saw it, is given PYHANKO_DECODE_LIMITS
    (its own defaults peak at about 120 MiB on this file)."""
    content = H.hex_object_stream_bomb(300)
    assert pdfsafety.scan_streams(content) < 1024
    response, elapsed, peak = measured(lambda: post(client, content))
    assert response.status_code == 400 and bomb_message() in response.content.decode()
    assert elapsed < TIME_LIMIT and peak < PEAK_LIMIT

    seen = {}
    real = verification.verify_pdf

    def spy(pdf, **kwargs):
        seen.update(kwargs)
        return real(pdf, **kwargs)

    monkeypatch.setattr(verification, "verify_pdf", spy)
    result, elapsed, peak = measured(lambda: verify_content(content))
    assert seen["decode_limits"] is pdfsafety.PYHANKO_DECODE_LIMITS
    assert not result.genuine
    assert elapsed < TIME_LIMIT and peak < 64 * 1024 * 1024, f"peak {peak / 1024 / 1024:.0f} MiB"


def test_embedded_json_inflating_past_its_cap_is_reported_not_read():
    """20 MiB of "JSON": under the file's stream budget, over the data cap: a clear problem, bounded."""
    content = H.bomb_pdf(20)
    result, elapsed, peak = measured(lambda: verify_content(content))
    assert not result.refused and not result.genuine
    assert str(DATA_TOO_LARGE % {"limit": format_size(MAX_DATA_BYTES)}) in result.all_problems
    assert elapsed < TIME_LIMIT and peak < 64 * 1024 * 1024


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="rahasia", owner_password="pemilik")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


HOSTILE_FILES = {
    "bomb": (lambda: H.bomb_pdf(600), bomb_message),
    "truncated": (lambda: H.bomb_pdf(600)[:5000], lambda: escape(str(DAMAGED_PDF))),
    "garbage": (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 64, lambda: escape(str(DAMAGED_PDF))),
    "encrypted": (encrypted_pdf, lambda: escape(str(ENCRYPTED_PDF))),
    "huge_page_tree": (lambda: H.many_pages_pdf(100_000), lambda: escape(str(TOO_COMPLEX))),
}


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_hostile_files_get_a_clear_400_are_counted_and_never_reach_the_audit_log(client, name):
    make, message = HOSTILE_FILES[name]
    content = make()
    events = AuditEvent.objects.count()
    response, elapsed, peak = measured(lambda: post(client, content))
    assert response.status_code == 400
    assert message() in response.content.decode()
    assert elapsed < TIME_LIMIT and peak < PEAK_LIMIT, (elapsed, peak)
    print(f"{name}: {elapsed:.2f} s, peak {peak / 1024 / 1024:.1f} MiB")
    assert AuditEvent.objects.count() == events
    assert counted(document=None, channel=VerificationChannel.UPLOAD, outcome=VerificationOutcome.REFUSED) == 2


def test_an_oversized_upload_is_refused_from_its_declared_length_without_being_read(client):
    response = post(client, b"%PDF-1.7\n" + bytes(MAX_VERIFY_BYTES + 200 * 1024))
    assert response.status_code == 400
    page = response.content.decode()
    expected = str(TOO_LARGE).split("(")[0]  # "Berkas terlalu besar "
    assert expected in page and f"Batasnya {format_size(MAX_VERIFY_BYTES)}" in page


def test_our_own_pdf_with_its_data_attachment_is_still_read(client, rendered_document):
    """The active-content check lets sepakat-data.json through on the verifier (and only that)."""
    document, content = rendered_document
    response = post(client, content)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dokumen TIDAK dapat dipastikan asli" in page  # rendered, never signed
    assert document.identifier in page  # found by its hash
    assert escape(str(verification.NO_DATA)) not in page


# --- enumeration -------------------------------------------------------------------------------------

def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_the_qr_code_and_footer_carry_the_code_and_only_the_code_opens_the_document(client, rendered_document):
    document, content = rendered_document
    assert len(document.verification_token) >= 22
    assert document.verification_url.endswith(f"/verifikasi/{document.verification_token}/")
    data = json.loads(verification.embedded_data(content))
    assert data["verification_url"] == document.verification_url  # what the QR code encodes (agreements.pdf.qr_svg)
    assert document.identifier not in data["verification_url"]
    footer = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert f"Kode verifikasi: {document.verification_token}" in footer
    found = client.get(reverse("verify_document", args=[document.verification_token]))
    assert found.status_code == 200
    assert document.identifier in found.content.decode()

    unknown = client.get(reverse("verify_document", args=["A" * 22]))
    assert unknown.status_code == 404
    assert escape(str(NOT_FOUND)) in unknown.content.decode()
    for guess in (document.identifier, f"{document.identifier}-v1", str(document.pk),
                  document.verification_token[:-1], document.verification_token.upper()):
        response = client.get(reverse("verify_document", args=[guess]))
        assert response.status_code == 404, guess
        assert _without_csrf(response.content.decode()) == _without_csrf(unknown.content.decode()), guess


def test_existing_documents_each_get_their_own_code():
    codes = list(Document.objects.values_list("verification_token", flat=True))
    assert all(codes) and len(set(codes)) == len(codes)


# --- the audit log and the counters ------------------------------------------------------------------

def test_anonymous_lookups_add_no_audit_event_and_one_bounded_counter(client, rendered_document):
    document, content = rendered_document
    events = AuditEvent.objects.count()
    for _ in range(5):
        assert client.get(reverse("verify_document", args=[document.verification_token])).status_code == 200
    assert post(client, content).status_code == 200
    for _ in range(3):
        client.get(reverse("verify_document", args=["B" * 22]))
    assert AuditEvent.objects.count() == events
    assert counted(document=document, channel=VerificationChannel.CODE, outcome=VerificationOutcome.NOT_GENUINE) == 5
    assert counted(document=document, channel=VerificationChannel.UPLOAD, outcome=VerificationOutcome.NOT_GENUINE) == 1
    assert counted(document=None, channel=VerificationChannel.CODE, outcome=VerificationOutcome.NOT_FOUND) == 3
    assert VerificationCount.objects.count() == 3  # rows per document and day, not per request


# --- rate limit ----------------------------------------------------------------------------------------

@override_settings(SEPAKAT_VERIFY_RATE=(3, 600))
def test_the_page_answers_429_after_n_requests_per_client_address(client, rendered_document):
    document, content = rendered_document
    url = reverse("verify_document", args=[document.verification_token])
    assert client.get(url).status_code == 200
    assert client.get(reverse("verify_document", args=["C" * 22])).status_code == 404
    assert post(client, content).status_code == 200
    limited = client.get(url)
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    minutes = -(-int(limited["Retry-After"]) // 60)
    assert escape(str(RATE_LIMITED % {"minutes": minutes})) in limited.content.decode()
    assert post(client, content).status_code == 429
    assert client.get(reverse("verify")).status_code == 200  # the empty form is not counted
    assert client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200  # another client has its own count
    assert counted(document=None, outcome=VerificationOutcome.LIMITED) == 1  # once per client and window
