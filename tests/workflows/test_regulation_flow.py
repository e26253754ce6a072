"""Stage 2, the regional head's regulation, through the site as the seeded officials."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agreements.models import (
    Decision,
    DecisionKind,
    Document,
    Promulgation,
    SignatureRecord,
    SigningCredential,
    StoredPdf,
)
from agreements.services import DUPLICATE_NUMBER
from demo import driver
from demo.driver import DEMO_SIGNING_PASSPHRASE, ensure_credential
from workflows.models import Outcome, Stage, StageProcess

from .helpers import act, case_url, claim, open_task, pdf_bytes, pdf_page_text, shown_sha256, task_url

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"


@pytest.fixture
def mou_done(programme):
    driver.run_programme(programme(BANJAR), only_stage=Stage.MOU)
    return StageProcess.objects.get(programme=programme(BANJAR), stage=Stage.MOU)


@pytest.fixture
def regulation(mou_done):
    return StageProcess.objects.get(programme=mou_done.programme, stage=Stage.REGULATION)


def through_reviews(regulation):
    for step in ("draft", "review_mentor", "review_bappeda"):
        driver.act(open_task(regulation, step))


def letter_form(outcome, note="", number="PPE.PP.01.03-77", content=None, name="surat.pdf"):
    return {
        "decision": outcome,
        "note": note,
        "letter_number": number,
        "letter_date": "2024-05-02",
        "letter_file": SimpleUploadedFile(name, pdf_bytes() if content is None else content, "application/pdf"),
    }


def test_closing_the_mou_opens_the_regulation_exactly_once(mou_done, regulation):
    assert mou_done.outcome == Outcome.COMPLETED
    assert StageProcess.objects.filter(programme=mou_done.programme, stage=Stage.REGULATION).count() == 1
    assert regulation.outcome == Outcome.OPEN
    assert open_task(regulation, "draft").flow_task.step_role.agency_kind == "diskominfo"


def test_whole_regulation_through_the_site(as_user, regulation, mou_done):
    client = as_user(f"{BANJAR}.kominfo.staf")
    draft = open_task(regulation, "draft")
    claim(client, draft)
    page = client.get(task_url(draft, "execute")).content.decode()
    assert "Menimbang" in page and "Mengingat" in page and "Masterplan Kota Cerdas" in page
    form = {
        "title": "Masterplan Kota Cerdas",
        "considerations": "bahwa kota cerdas perlu diatur;\nbahwa perlu ditetapkan peraturan;",
        "legal_basis": "Undang-Undang Nomor 23 Tahun 2014 tentang Pemerintahan Daerah;",
        "articles-TOTAL_FORMS": "1", "articles-INITIAL_FORMS": "0",
        "articles-MIN_NUM_FORMS": "1", "articles-MAX_NUM_FORMS": "40",
        "articles-0-heading": "Ketentuan Umum", "articles-0-body": "Isi ketentuan umum.",
    }
    assert client.post(task_url(draft, "execute"), form).status_code == 302

    act(as_user, "mentor", regulation, "review_mentor", DecisionKind.APPROVED)
    act(as_user, f"{BANJAR}.bappeda", regulation, "review_bappeda", DecisionKind.APPROVED)
    act(as_user, f"{BANJAR}.hukum", regulation, "harmonise", DecisionKind.APPROVED, "Sudah harmonis.")

    hukum = as_user(f"{BANJAR}.hukum")
    letter = open_task(regulation, "record_letter")
    claim(hukum, letter)
    response = hukum.post(task_url(letter, "execute"), letter_form(DecisionKind.LETTER_IN_LINE))
    assert response.status_code == 302, response.content.decode()[:3000]

    act(as_user, f"{BANJAR}.kominfo", regulation, "paraf_kominfo", DecisionKind.INITIALLED)
    act(as_user, f"{BANJAR}.hukum", regulation, "paraf_hukum", DecisionKind.INITIALLED)
    act(as_user, f"{BANJAR}.sekda", regulation, "paraf_sekda", DecisionKind.INITIALLED)
    act(as_user, f"{BANJAR}.kdh", regulation, "enact", DecisionKind.SIGNED)

    sekda = as_user(f"{BANJAR}.sekda")
    promulgate = open_task(regulation, "promulgate")
    claim(sekda, promulgate)
    page = sekda.get(task_url(promulgate, "execute")).content.decode()
    assert 'name="number" value="1"' in page  # next free number suggested
    year = timezone.localdate().year
    ensure_credential(promulgate.owner if promulgate.owner else driver.holder_of(promulgate))
    response = sekda.post(task_url(promulgate, "execute"), {"number": 7, "year": year, "berita_daerah_number": 7,
                                                            "note": "", "passphrase": DEMO_SIGNING_PASSPHRASE,
                                                            "document_sha256": shown_sha256(sekda, promulgate)})
    assert response.status_code == 302, response.content.decode()[:3000]

    regulation.refresh_from_db()
    assert regulation.outcome == Outcome.COMPLETED
    assert regulation.final_pdf.previous_stage_sha256 == mou_done.final_pdf.sha256
    text = pdf_page_text(regulation.final_pdf.file.read())
    # Enacted with the number blank; the Sekda's promulgation fills it, with the date and the Berita
    # Daerah number, in the same update as the Sekda's signature (docs/adr/0008).
    for expected in ("PERATURAN WALI KOTA BANJAR", f"NOMOR 7 TAHUN {year}", "Menimbang", "Mengingat",
                     "MEMUTUSKAN", "Menetapkan", "Ketentuan Umum", "Surat harmonisasi: sesuai", "Ditetapkan di Banjar",
                     "Diundangkan di Banjar", f"BERITA DAERAH KOTA BANJAR TAHUN {year} NOMOR 7"):
        assert expected in text, expected
    promulgation = Promulgation.objects.get(document=regulation.document)
    assert (promulgation.number, promulgation.year, promulgation.berita_daerah_number) == (7, year, 7)
    records = SignatureRecord.objects.filter(pdf__document=regulation.document).order_by("pdf__revision")
    assert [r.step for r in records] == ["enact", "promulgate"]
    promulgated = StoredPdf.objects.get(sha256=regulation.final_pdf.parent_sha256)  # the archive revision's parent
    assert promulgated.signature_records.get().certificate_fingerprint == (
        SigningCredential.objects.get(user__username=f"{BANJAR}.sekda").fingerprint_sha256
    )
    masterplan = StageProcess.objects.get(programme=regulation.programme, stage=Stage.MASTERPLAN)
    assert masterplan.outcome == Outcome.OPEN
    assert client.get(case_url(regulation)).status_code == 200
    attachments = regulation.document.versions.get().attachments.all()
    assert [a.original_name for a in attachments] == ["surat.pdf"]


def test_return_in_parallel_review_waits_for_the_other_reviewer(as_user, regulation):
    driver.act(open_task(regulation, "draft"))
    act(as_user, "mentor", regulation, "review_mentor", DecisionKind.RETURNED, "Tambahkan dimensi lingkungan.")
    assert open_task(regulation, "review_bappeda")
    with pytest.raises(Exception):  # noqa: B017 - no draft task yet
        open_task(regulation, "draft")
    act(as_user, f"{BANJAR}.bappeda", regulation, "review_bappeda", DecisionKind.APPROVED)
    assert open_task(regulation, "draft")
    assert Decision.objects.filter(process=regulation, kind=DecisionKind.RETURNED).get().note == (
        "Tambahkan dimensi lingkungan."
    )


def test_harmonisation_return_goes_back_to_drafting(as_user, regulation):
    through_reviews(regulation)
    act(as_user, f"{BANJAR}.hukum", regulation, "harmonise", DecisionKind.RETURNED, "Sesuaikan format.")
    assert open_task(regulation, "draft")


def test_harmonisation_reject_ends_the_programme_until_an_administrator_reopens(
    as_user, regulation, client, django_user_model
):
    through_reviews(regulation)
    act(as_user, f"{BANJAR}.hukum", regulation, "harmonise", DecisionKind.REJECTED, "Bertentangan dengan perda.")
    regulation.refresh_from_db()
    assert regulation.outcome == Outcome.REJECTED
    assert not StageProcess.objects.filter(programme=regulation.programme, stage=Stage.MASTERPLAN).exists()
    programme_url = reverse("sepakat:programme", args=[BANJAR, regulation.programme.year])
    page = as_user(f"{BANJAR}.kominfo").get(programme_url).content.decode()
    assert "Bertentangan dengan perda." in page and "Buka kembali" not in page

    reopen_url = reverse("sepakat:case_open", args=[BANJAR, regulation.programme.year, "regulation"])
    assert as_user(f"{BANJAR}.kominfo.staf").post(reopen_url, {"reopen": "1"}).status_code == 403
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    assert "Buka kembali" in client.get(programme_url).content.decode()
    assert client.post(reopen_url, {"reopen": "1"}).status_code == 302
    cases = StageProcess.objects.filter(programme=regulation.programme, stage=Stage.REGULATION)
    assert sorted(cases.values_list("outcome", flat=True)) == [Outcome.OPEN, Outcome.REJECTED]
    assert cases.get(outcome=Outcome.OPEN).document_id != regulation.document_id


def test_letter_needing_changes_returns_the_draft_and_keeps_the_letter(as_user, regulation):
    through_reviews(regulation)
    driver.act(open_task(regulation, "harmonise"))
    hukum = as_user(f"{BANJAR}.hukum")
    letter = open_task(regulation, "record_letter")
    claim(hukum, letter)
    refused = hukum.post(task_url(letter, "execute"), letter_form(DecisionKind.LETTER_NEEDS_CHANGES))
    assert refused.status_code == 200 and "Catatan wajib diisi" in refused.content.decode()
    response = hukum.post(task_url(letter, "execute"),
                          letter_form(DecisionKind.LETTER_NEEDS_CHANGES, "Pasal 2 perlu diubah."))
    assert response.status_code == 302
    assert open_task(regulation, "draft")
    assert regulation.document.versions.get().harmonisation_letters.get().outcome == "needs_changes"


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "surat.pdf", "bukan PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "surat.pdf", "bukan PDF"),
        (b"", "surat.pdf", "kosong"),
    ],
)
def test_a_letter_that_is_not_a_pdf_is_refused_and_the_form_keeps_the_rest(as_user, regulation, content, name,
                                                                           expected):
    through_reviews(regulation)
    driver.act(open_task(regulation, "harmonise"))
    hukum = as_user(f"{BANJAR}.hukum")
    letter = open_task(regulation, "record_letter")
    claim(hukum, letter)
    response = hukum.post(task_url(letter, "execute"),
                          letter_form(DecisionKind.LETTER_IN_LINE, number="NOMOR-DIKETIK-77", content=content,
                                      name=name))
    page = response.content.decode()
    assert response.status_code == 200
    assert expected in page
    assert 'value="NOMOR-DIKETIK-77"' in page
    assert not regulation.document.versions.get().attachments.exists()


def test_enactment_return_goes_back_to_drafting(as_user, regulation):
    driver.run_programme(regulation.programme, stop_stage=Stage.REGULATION, stop_step="enact")
    act(as_user, f"{BANJAR}.kdh", regulation, "enact", DecisionKind.RETURNED, "Ubah judul.")
    assert open_task(regulation, "draft")


def test_promulgation_number_must_be_unique_per_region_and_year(as_user, regulation, programme, official):
    year = timezone.localdate().year
    earlier = Document.objects.create(programme=regulation.programme, kind="regulation")  # another regulation
    Promulgation.objects.create(
        document=earlier, region=regulation.programme.region, year=year,
        number=3, berita_daerah_number=3, promulgated_by=official(f"{BANJAR}.sekda"),
    )
    driver.run_programme(regulation.programme, stop_stage=Stage.REGULATION, stop_step="promulgate")
    sekda = as_user(f"{BANJAR}.sekda")
    task = open_task(regulation, "promulgate")
    claim(sekda, task)
    ensure_credential(official(f"{BANJAR}.sekda"))
    signed = {"year": year, "berita_daerah_number": 9, "passphrase": DEMO_SIGNING_PASSPHRASE,
              "document_sha256": shown_sha256(sekda, task)}
    response = sekda.post(task_url(task, "execute"), {"number": 3, **signed})
    assert response.status_code == 200
    assert str(DUPLICATE_NUMBER % {"number": 3, "year": year}) in response.content.decode()
    assert open_task(regulation, "promulgate")
    response = sekda.post(task_url(task, "execute"), {"number": 4, **signed})
    assert response.status_code == 302
    regulation.refresh_from_db()
    assert regulation.outcome == Outcome.COMPLETED
