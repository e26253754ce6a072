"""Stored documents are write-once in the database, and a re-signed forgery is not genuine.

The attack of issue 12: with the authority folder's CA and TSA keys, a PDF whose page 1 says
"PASAL 1 DIUBAH" is re-signed under the real signers' names with the real signers' timestamps,
so pdfsig, pyHanko and openssl call it valid. Inserted as a stored revision it used to read ASLI.
"""

import dataclasses
import hashlib
import io
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko_certvalidator.registry import SimpleCertificateStore

from agreements import provenance, signatures
from agreements.archival import archive_renewal_open
from agreements.models import ParafCopy, SignatureRecord, StoredPdf
from agreements.signing import SignatureRequest, UnlockedSigner, issue_signer, sign_pdf
from agreements.signing.backends.held_keys import HeldKeySigner, HeldKeyTimeStamper
from agreements.verification import verify_content
from audit.actions import AuditAction
from audit.services import event_record
from demo import driver
from tests.write_once import write_once_suspended
from workflows.models import Stage, StageProcess

from .helpers import pdf_text

AUTHORITY_SECRET = "rahasia-operator-uji"  # the operator's secret of the authorities made here (as test_settings)

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"


@pytest.fixture
def mou(programme):
    driver.run_programme(programme(BANJAR), only_stage=Stage.MOU)
    return StageProcess.objects.get(programme=programme(BANJAR), stage=Stage.MOU)


def read(stored: StoredPdf) -> bytes:
    with stored.file.open("rb") as fh:
        return fh.read()


def sql(statement: str, *params) -> None:
    """As from a database shell."""
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


def refused(statement) -> str:
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        statement()
    return str(error.value)


def test_stored_revisions_signature_records_and_paraf_copies_cannot_be_changed_or_removed(mou):
    final = mou.final_pdf
    record = SignatureRecord.objects.filter(pdf__document=mou.document).first()
    paraf = ParafCopy.objects.filter(version__document=mou.document).first()
    assert paraf is not None
    other = StoredPdf.objects.get(document=mou.document, revision=0)
    changes = [
        lambda: StoredPdf.objects.filter(pk=final.pk).update(file=other.file.name),
        lambda: StoredPdf.objects.filter(pk=final.pk).update(sha256=other.sha256),
        lambda: StoredPdf.objects.filter(pk=final.pk).update(is_final=False),
        lambda: StoredPdf.objects.filter(pk=other.pk).update(is_final=True, sha256="0" * 64),
        lambda: sql("DELETE FROM agreements_storedpdf WHERE id = %s", final.pk),  # the ORM protects it anyway
        lambda: SignatureRecord.objects.filter(pk=record.pk).update(certificate_fingerprint="0" * 64),
        lambda: SignatureRecord.objects.filter(pk=record.pk).delete(),
        lambda: ParafCopy.objects.filter(pk=paraf.pk).update(sha256="0" * 64),
        lambda: ParafCopy.objects.filter(pk=paraf.pk).delete(),
    ]
    for change in changes:
        assert "write-once" in refused(change)
    assert "write-once" in refused(lambda: sql("UPDATE agreements_storedpdf SET file = %s WHERE id = %s",
                                               other.file.name, final.pk))
    final.refresh_from_db()
    assert final.is_final and final.sha256 == mou.final_pdf.sha256


def test_the_close_may_only_mark_an_unchanged_revision_final(programme):
    process = driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="sign_ministry")[0]
    revision = signatures.latest_revision(process.document.latest_version())
    assert revision is not None and not revision.is_final
    StoredPdf.objects.filter(pk=revision.pk).update(is_final=True)
    assert StoredPdf.objects.get(pk=revision.pk).is_final


def _forged_first_page(writer):
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    font = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
        generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
    }))
    page["/Resources"] = generic.DictionaryObject({
        generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/FX"): font})})
    page["/Contents"] = writer.add_object(generic.StreamObject(
        stream_data=b"BT /FX 24 Tf 72 720 Td (PASAL 1 DIUBAH) Tj ET"))
    writer.update_container(page)


def forge(mou) -> bytes:
    """Revision 0 with page 1 replaced, signed again under each real signer's name with the stolen CA key,
    each timestamp at the genuine one's time (the stolen TSA key)."""
    base = StoredPdf.objects.get(document=mou.document, revision=0)
    writer = IncrementalPdfFileWriter(io.BytesIO(read(base)))
    _forged_first_page(writer)
    out = io.BytesIO()
    writer.write(out)
    content = out.getvalue()
    authority = signatures.authority()
    ca = list(load_certs_from_pemder_data(authority.ca_cert_pem))[0]
    tsa = list(load_certs_from_pemder_data(authority.tsa_cert_pem))[0]
    records = SignatureRecord.objects.filter(pdf__document=mou.document).order_by("pdf__revision")
    for record in records:
        issued = issue_signer(authority, ca_secret=AUTHORITY_SECRET, common_name=record.signer_name,
                              organisation="", unit=record.signer_post, nip="", passphrase="curian-kunci",
                              kdf_iterations=1)
        key = serialization.load_pem_private_key(issued.encrypted_key_pem, password=b"curian-kunci")
        (cert,) = load_certs_from_pemder_data(issued.cert_pem)
        unlocked = UnlockedSigner(
            signer=HeldKeySigner(signing_cert=cert, private_key=key,
                                 cert_registry=SimpleCertificateStore.from_certs([ca]), embed_roots=True),
            timestamper=HeldKeyTimeStamper(tsa_cert=tsa, tsa_private_key=authority.tsa_key,
                                           certs_to_embed=SimpleCertificateStore.from_certs([ca]),
                                           fixed_dt=record.timestamp_time),
        )
        page_index, box = base.signature_boxes[record.field_name]
        request = SignatureRequest(field_name=record.field_name, page_index=page_index, box=tuple(box),
                                   stamp_lines=(record.signer_name, record.signer_post))
        content = sign_pdf(content, request, unlocked, trust_roots_pem=[authority.ca_cert_pem]).content
    return content


def insert_revision(mou, content: bytes, **fields) -> StoredPdf:
    final = mou.final_pdf
    fields.setdefault("revision", final.revision + 1)
    stored = StoredPdf(document=final.document, version=final.version,
                       sha256=hashlib.sha256(content).hexdigest(), parent_sha256=final.sha256,
                       data_sha256=final.data_sha256, size=len(content), signature_boxes=final.signature_boxes,
                       **fields)
    stored.file.save("forged.pdf", ContentFile(content), save=False)
    stored.save()
    return stored


def test_a_forgery_re_signed_with_the_ca_key_is_refused_and_behind_the_triggers_back_not_genuine(mou, tmp_path):
    forged = forge(mou)
    assert "PASAL 1 DIUBAH" in pdf_text(forged)
    # Every PDF tool would call it valid: the signatures chain to the real CA, the timestamps to its TSA.
    plain = verify_content(forged).report
    assert plain.valid and len(plain.signatures) == 2

    # The stage is closed: the database takes no further revision, final or not (an archive renewal alone may
    # add one, inside archive_renew's hatch).
    for fields in ({"is_final": True}, {"is_final": False}):
        assert "dokumen final" in refused(lambda fields=fields: insert_revision(mou, forged, **fields))
    with archive_renewal_open():  # the hatch archive_renew opens takes a final revision continuing the latest only
        assert "dokumen final" in refused(lambda: insert_revision(mou, forged, is_final=True, revision=9))

    with write_once_suspended():
        StoredPdf.objects.filter(pk=mou.final_pdf.pk).update(is_final=False)
        insert_revision(mou, forged, is_final=True)
    result = verify_content(forged)
    assert not result.genuine
    assert result.report.valid  # still "valid" to a PDF tool; Sepakat's own record says otherwise
    problems = " ".join(result.problems)
    assert problems.count("tidak tercatat di log audit") == 2

    # The forger appends matching document.signed events too (the chain stays intact doing it):
    # the certificates are still not the ones Sepakat issued those officials.
    for position, signature in enumerate(result.report.signatures):
        record = SignatureRecord.objects.filter(pdf__document=mou.document).order_by("pdf__revision")[position]
        event_record(actor=record.signer, action=AuditAction.DOCUMENT_SIGNED, version=mou.final_pdf.version,
                     details={"sha256": signature.revision_sha256, "certificate": signature.signer_fingerprint_sha256})
    again = verify_content(forged)
    assert not again.genuine
    assert " ".join(again.problems).count("bukan sertifikat yang diterbitkan Sepakat") == 2

    # The genuine document is still genuine.
    assert verify_content(read(StoredPdf.objects.get(document=mou.document, revision=2))).report.valid


def test_the_genuine_document_matches_its_audit_events(mou):
    result = verify_content(read(mou.final_pdf))
    assert result.genuine, result.all_problems
    assert all(s.revision_sha256 for s in result.report.signatures)
    revisions = StoredPdf.objects.filter(document=mou.document, signature_records__isnull=False).order_by("revision")
    assert [s.revision_sha256 for s in result.report.signatures] == [r.sha256 for r in revisions]


def test_a_claimed_signing_time_after_the_timestamp_or_a_timestamp_far_from_the_event_is_flagged(mou):
    report = verify_content(read(mou.final_pdf)).report
    first = report.signatures[0]
    late_claim = dataclasses.replace(first, signing_time=first.timestamp_time + timedelta(hours=2))
    backdated = dataclasses.replace(report.signatures[1], timestamp_time=first.timestamp_time - timedelta(days=30),
                                    signing_time=first.timestamp_time - timedelta(days=30))
    problems = provenance.signature_problems(
        mou.final_pdf, dataclasses.replace(report, signatures=(late_claim, backdated)))
    assert len(problems) == 2
    assert "ke-1 lebih lambat dari cap waktunya" in problems[0]
    assert "Cap waktu tanda tangan ke-2 tidak sesuai" in problems[1]
