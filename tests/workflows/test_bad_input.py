"""Bad input gets a clear Indonesian message, and nothing the user typed is lost."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from agreements.models import DecisionKind, Version
from agreements.services import ArticleData, MouDraftData, mou_version_create
from demo import driver
from workflows import services

from .helpers import case_url, claim, draft_form, open_task, pdf_text, task_url

pytestmark = pytest.mark.django_db

HOSTILE = '<img src="file:///etc/passwd"><script>alert(1)</script>'


@pytest.fixture
def draft_task(programme, as_user):
    process = services.first_case_open(programme=programme("kota-banjar"))
    task = open_task(process, "draft")
    claim(as_user("laip.staf"), task)
    return task


def post_draft(client, task, **form):
    return client.post(task_url(task, "execute"), draft_form(**form))


def test_empty_title_and_article_get_form_errors_and_keep_the_text(draft_task, as_user):
    client = as_user("laip.staf")
    response = post_draft(client, draft_task, title="", articles=[("Maksud", ""), ("Penutup", "Isi penutup tetap.")])
    page = response.content.decode()
    assert response.status_code == 200
    assert "Bidang ini tidak boleh kosong." in page
    assert "Isi penutup tetap." in page  # what the user typed is still in the form
    assert not Version.objects.exists()


def test_over_long_title_and_article_are_refused(draft_task, as_user):
    client = as_user("laip.staf")
    response = post_draft(client, draft_task, title="x" * 301, articles=[("Maksud", "y" * 10001)])
    page = response.content.decode()
    assert response.status_code == 200
    assert "paling banyak 300 karakter" in page
    assert "paling banyak 10000 karakter" in page
    assert not Version.objects.exists()


def test_a_limit_overridden_in_the_settings_takes_effect_in_forms_and_services(draft_task, as_user, official):
    client = as_user("laip.staf")
    with override_settings(SEPAKAT={**settings.SEPAKAT, "TITLE_MAX_LENGTH": 20, "MAX_ARTICLES": 1}):
        response = post_draft(client, draft_task, title="x" * 21)
        page = response.content.decode()
        assert "paling banyak 20 karakter" in page and 'maxlength="20"' in page
        assert "paling banyak 1 formulir" in page
        two_articles = [ArticleData(number=1, heading="Maksud", body="Isi."), ArticleData(number=2, heading="Penutup",
                                                                                           body="Isi.")]
        with pytest.raises(ValidationError, match="Paling banyak 1 pasal"):  # code that calls the service directly
            mou_version_create(document=draft_task.process.coerced.document, author=official("laip.staf"),
                               data=MouDraftData(title="Judul", articles=two_articles))
    assert not Version.objects.exists()


def test_a_return_without_a_note_is_refused_and_keeps_the_choice(programme, as_user):
    process = services.first_case_open(programme=programme("kota-banjar"))
    driver.act(open_task(process, "draft"))
    client = as_user("kota-banjar.kominfo")
    task = open_task(process, "review_diskominfo")
    claim(client, task)
    response = client.post(task_url(task, "execute"), {"decision": DecisionKind.RETURNED, "note": ""})
    assert response.status_code == 200
    assert "Catatan wajib diisi" in response.content.decode()
    assert 'value="returned" required id="id_decision_1" checked' in response.content.decode()


def test_html_typed_into_fields_shows_as_text_in_pages_and_pdf(draft_task, as_user):
    client = as_user("laip.staf")
    response = post_draft(client, draft_task, title=f"Judul {HOSTILE}", articles=[(f"Pasal {HOSTILE}", HOSTILE)])
    assert response.status_code == 302
    process = draft_task.process
    page = client.get(case_url(process)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    reviewer = as_user("kota-banjar.kominfo")
    task = open_task(process, "review_diskominfo")
    claim(reviewer, task)
    review_page = reviewer.get(task_url(task, "execute")).content.decode()
    assert "<img src=" not in review_page and "&lt;img src=" in review_page
    reviewer.post(task_url(task, "execute"), {"decision": DecisionKind.RETURNED, "note": HOSTILE})

    pdf = reviewer.get(reverse("sepakat:version_pdf", args=[process.pk, 1]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(pdf_text(pdf.content).split())
    assert "<script>alert(1)</script>" in text
    assert '<imgsrc="file:///etc/passwd">' in text
    assert "DRAF" in text
