"""The final PDFs read as finished documents: no blank left, each signature in its signer's block.

One programme (Kota Parepare) is driven to its end once for the module. For each document the
page text (pdftotext, which reads the filled fields too) has every number, date, place and name
the document carries, and no placeholder; every signature verifies with nothing worse than form
filling after it, and its stamp stands on the page that prints its signer's name.
"""

import re
import subprocess

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from agreements.models import Decision, DecisionKind, Promulgation
from agreements.signatures import trust_roots
from agreements.signing import verify_pdf
from agreements.snapshots import long_date
from demo import driver
from workflows.models import Stage, StageProcess

from ..conftest import world_kept_for_the_module

pytestmark = pytest.mark.django_db

REGION = "kota-parepare"
PLACEHOLDER = re.compile(r"…|\.{4,}")


def _whole_programme() -> dict[str, int]:
    from agreements.models import Programme
    from demo.world import COHORT_YEAR

    programme = Programme.objects.get(region__slug=REGION, year=COHORT_YEAR)
    driver.run_programme(programme)
    return {p.stage: p.pk for p in StageProcess.objects.filter(programme=programme)}


@pytest.fixture(scope="module")
def cases(django_db_setup, django_db_blocker):
    with world_kept_for_the_module(django_db_blocker, _whole_programme) as pks:
        yield pks


def page_texts(content: bytes, *, layout: bool = False) -> list[str]:
    """Each page's text as pdftotext reads it (whitespace collapsed unless ``layout``)."""
    command = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    out = subprocess.run(command, input=content, capture_output=True, check=True).stdout.decode()
    return out.split("\f") if layout else [" ".join(page.split()) for page in out.split("\f")]


def final(cases, stage):
    process = StageProcess.objects.get(pk=cases[stage])
    return process, process.final_pdf.file.read()


def signed(process, step) -> Decision:
    return Decision.objects.select_related("actor__official").get(
        process=process, step=step, kind__in=[DecisionKind.SIGNED, DecisionKind.PROMULGATED, DecisionKind.ACCEPTED])


def signer_line(decision) -> list[str]:
    official = decision.actor.official
    return [decision.actor_name, f"NIP. {official.nip}"]


def test_the_mou_has_both_numbers_labelled_the_date_and_both_signers(cases):
    process, content = final(cases, Stage.MOU)
    text = " ".join(page_texts(content))
    ministry, region = signed(process, "sign_ministry"), signed(process, "sign_region")
    version = process.document.latest_version()
    numbers = re.findall(r"Nomor PIHAK (KESATU|KEDUA) : (\S+)", text)
    assert [party for party, _ in numbers] == ["KESATU", "KEDUA"]
    ministry_number, region_number = (number for _, number in numbers)
    assert ministry_number != region_number
    assert ministry_number == (version.number_ministry or ministry_number)
    assert f"Ditandatangani di Jakarta pada tanggal {long_date(ministry.created)}" in text
    for expected in (*signer_line(ministry), *signer_line(region), "PIHAK KESATU,", "PIHAK KEDUA,"):
        assert expected in text, expected


def test_the_regulation_has_its_numbers_places_dates_and_the_sekda(cases):
    process, content = final(cases, Stage.REGULATION)
    text = " ".join(page_texts(content))
    record = Promulgation.objects.get(document=process.document)
    enact, promulgate = signed(process, "enact"), signed(process, "promulgate")
    for expected in (
        f"NOMOR {record.number} TAHUN {record.year}",
        f"Ditetapkan di Parepare pada tanggal {long_date(enact.created)}",
        f"Diundangkan di Parepare pada tanggal {long_date(promulgate.created)}",
        f"BERITA DAERAH KOTA PAREPARE TAHUN {record.year} NOMOR {record.berita_daerah_number}",
        *signer_line(enact), *signer_line(promulgate),
    ):
        assert expected in text, expected


def test_the_masterplan_commitment_sheet_has_its_place_dates_and_both_signers(cases):
    process, content = final(cases, Stage.MASTERPLAN)
    text = " ".join(page_texts(content))
    commitment, accept = signed(process, "commitment"), signed(process, "accept")
    for expected in (f"Parepare, {long_date(commitment.created)}", "Diterima pada tanggal",
                     *signer_line(commitment), *signer_line(accept)):
        assert expected in text, expected
    # The acceptance date stands on the line under "Diterima pada tanggal", left of the commitment's.
    sheet = next(page for page in page_texts(content, layout=True) if "LEMBAR KOMITMEN" in page)
    lines = sheet.splitlines()
    at = next(i for i, line in enumerate(lines) if "Diterima pada tanggal" in line)
    assert lines[at + 1].strip() == long_date(accept.created), lines[at:at + 2]


@pytest.mark.parametrize("stage", [Stage.MOU, Stage.REGULATION, Stage.MASTERPLAN])
def test_no_placeholder_is_left_and_each_stamp_stands_by_its_signers_name(cases, stage):
    process, content = final(cases, stage)
    pages = page_texts(content)
    assert not [page for page in pages if PLACEHOLDER.search(page)]
    report = verify_pdf(content, trust_roots_pem=trust_roots())
    assert report.valid, report
    assert all(s.modification_level in ("NONE", "FORM_FILLING") for s in report.signatures[:-1])
    reader = PdfFileReader(__import__("io").BytesIO(content), strict=False)
    for embedded in reader.embedded_regular_signatures:
        widget = embedded.sig_field
        page_number = next(i for i, page in enumerate(reader.root["/Pages"]["/Kids"])
                           if page.get_object() is widget["/P"].get_object() or page == widget.raw_get("/P"))
        step = embedded.field_name.removeprefix("ttd_")
        name = signed(process, step).actor_name
        assert name in pages[page_number], (embedded.field_name, page_number)
        assert "LEMBAR PERSETUJUAN" not in pages[page_number]
