"""Kop logos: uploaded by an administrator, checked by content, audited, printed without fetching."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from agreements import logos, pdf
from agreements.kinds import draft_pdf
from agreements.models import Logo, Region
from audit.actions import AuditAction
from audit.models import AuditEvent
from demo import driver
from workflows.models import Stage

from .test_pdf import RecordingFetcher

pytestmark = pytest.mark.django_db

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
       b'<defs><linearGradient id="g"><stop offset="0" stop-color="#060"/></linearGradient></defs>'
       b'<circle cx="5" cy="5" r="4" fill="url(#g)"/></svg>')


def png(size=(64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 160)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "x"))
    return client


def upload(admin_client, content: bytes, name: str, region=None):
    data = {"upload": SimpleUploadedFile(name, content)}
    if region is not None:
        data["region"] = region.pk
    return admin_client.post(reverse("admin:agreements_logo_add"), data)


def test_an_administrator_sets_a_region_logo_and_it_is_audited(admin_client):
    banjar = Region.objects.get(slug="kota-banjar")
    response = upload(admin_client, png(), "banjar.png", banjar)
    assert response.status_code == 302, response.content.decode()[:2000]
    logo = Logo.objects.get(region=banjar)
    assert logo.content_type == "image/png" and bytes(logo.image) == png()
    event = AuditEvent.objects.get(action=AuditAction.LOGO_CHANGED)
    assert event.region == banjar and event.details["new_sha256"] == logo.sha256 and event.details["old_sha256"] is None

    assert upload(admin_client, SVG, "kementerian.svg").status_code == 302  # no region: the ministry's
    assert Logo.objects.get(region=None).content_type == "image/svg+xml"
    assert "Logo untuk pemilik ini sudah ada" in upload(admin_client, png(), "lagi.png").content.decode()


HOSTILE = [
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "&lt;script&gt;"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' xmlns:x='http://www.w3.org/1999/xlink'>"
     b"<image x:href='http://127.0.0.1:9/track.png'/></svg>", "&lt;image&gt;"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><use href='file:///etc/passwd#a'/></svg>", "href"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><rect style='fill:url(http://127.0.0.1:9/)'/></svg>", "style"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "onload"),
    (b"<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY a 'aaaa'>]><svg xmlns='http://www.w3.org/2000/svg'>&a;</svg>",
     "DOCTYPE"),
]


@pytest.mark.parametrize(("content", "why"), HOSTILE)
def test_svg_that_could_run_or_fetch_is_refused_with_the_reason(admin_client, content, why):
    page = upload(admin_client, content, "logo.svg", Region.objects.get(slug="kota-banjar")).content.decode()
    assert "tidak boleh memuat skrip" in page and why in page
    assert not Logo.objects.exists() and not AuditEvent.objects.filter(action=AuditAction.LOGO_CHANGED).exists()


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "harus berupa berkas PNG atau SVG"),  # the signature, no image
    (png()[:-40], "harus berupa berkas PNG atau SVG"),  # truncated
    (b"%PDF-1.7 not a logo", "harus berupa berkas PNG atau SVG"),
    (png((2400, 10)), "2000 × 2000 piksel"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'>" + b" " * (300 * 1024) + b"</svg>", "paling besar 256 KB"),
])
def test_files_that_are_not_a_usable_logo_are_refused(admin_client, content, message):
    page = upload(admin_client, content, "logo.png", Region.objects.get(slug="kota-banjar")).content.decode()
    assert message in page
    assert not Logo.objects.exists()


def test_replacing_and_removing_a_logo_are_audited_with_both_hashes(admin_client):
    banjar = Region.objects.get(slug="kota-banjar")
    first = logos.logo_set(region=banjar, content=png(), actor=None)
    second = logos.logo_set(region=banjar, content=SVG, actor=None)
    assert Logo.objects.count() == 1 and second.pk == first.pk
    changed = AuditEvent.objects.filter(action=AuditAction.LOGO_CHANGED).order_by("pk").last()
    assert changed.details["old_sha256"] == first.sha256 != changed.details["new_sha256"]
    deleted = admin_client.post(reverse("admin:agreements_logo_delete", args=[second.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert not Logo.objects.exists()
    assert AuditEvent.objects.get(action=AuditAction.LOGO_REMOVED).details["old_sha256"] == second.sha256


def _images(content: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(content)).pages[:1])


def test_the_kop_prints_both_parties_logos_and_fetches_nothing(programme, monkeypatch):
    process = driver.run_programme(programme("kota-banjar"), stop_stage=Stage.MOU, stop_step="review_legal")[0]
    version = process.document.latest_version()
    assert _images(draft_pdf(version)) == 0  # no logo set: a neutral heading

    logos.logo_set(region=process.programme.region, content=png(), actor=None)
    logos.logo_set(region=None, content=SVG, actor=None)
    fetcher = RecordingFetcher()
    monkeypatch.setattr(pdf, "safe_url_fetcher", fetcher)
    content = draft_pdf(version)
    assert fetcher.refused == []
    assert [url for url in fetcher.urls if url.startswith("data:")] != []
    assert _images(content) >= 1  # the PNG is an image; the SVG is drawn as vector paths
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "NOTA KESEPAKATAN" in text
