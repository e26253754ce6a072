"""The signing authority's keys are encrypted with the operator's secret, and a missing or different
authority folder stops signing with a reason instead of making a new CA."""

import io
import shutil

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from agreements import pki, signatures
from agreements.models import DecisionKind, StoredPdf
from agreements.signing import AUTHORITY_KDF_ITERATIONS, AuthorityError, ensure_authority, key_encryption
from agreements.signing import authority as authority_files
from agreements.verification import verify_content
from audit.models import AuditEvent
from demo import driver
from workflows.models import Stage, StageProcess

from .helpers import claim, open_task, shown_sha256, task_url

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"
SECRET = settings.SIGNING["AUTHORITY_SECRET"]


def folder() -> str:
    return str(settings.SIGNING["AUTHORITY_DIR"])


def with_signing(**changes):
    return override_settings(SIGNING={**settings.SIGNING, **changes})


def test_the_ca_and_tsa_keys_are_encrypted_at_rest_and_the_loaded_authority_holds_no_ca_key():
    for name in (authority_files.CA_KEY_FILE, authority_files.TSA_KEY_FILE):
        pem = (settings.SIGNING["AUTHORITY_DIR"] / name).read_bytes()
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert key_encryption(pem).meets(settings.SIGNING["AUTHORITY_KDF_ITERATIONS"])
        with pytest.raises(TypeError):  # no password: not readable
            serialization.load_pem_private_key(pem, password=None)
    loaded = signatures.authority()
    assert not hasattr(loaded, "ca_key")
    assert loaded.unlock_ca_key(SECRET).public_key().public_numbers() == loaded.ca_cert.public_key().public_numbers()
    with pytest.raises(AuthorityError, match="tidak membuka kunci ca-key.pem"):
        loaded.unlock_ca_key("bukan-rahasianya")
    # Production's cost is OWASP's: the tests lower it only for speed.
    assert AUTHORITY_KDF_ITERATIONS >= 600_000


def test_a_wrong_or_missing_operator_secret_refuses_with_the_reason(tmp_path):
    directory = tmp_path / "pki"
    ensure_authority(directory, secret=SECRET, kdf_iterations=1000)
    with pytest.raises(AuthorityError, match="tidak membuka kunci"):
        authority_files.load_authority(directory, secret="salah")
    with pytest.raises(AuthorityError, match="SEPAKAT_AUTHORITY_SECRET"):
        authority_files.load_authority(directory, secret="")
    secret_file = tmp_path / "rahasia"
    secret_file.write_text(SECRET + "\n")
    with with_signing(AUTHORITY_DIR=directory, AUTHORITY_SECRET="", AUTHORITY_SECRET_FILE=str(secret_file)):
        assert pki.secret() == SECRET


def test_keys_left_unencrypted_by_an_older_version_are_refused_until_init_encrypts_them(tmp_path):
    directory = tmp_path / "pki"
    made = ensure_authority(directory, secret=SECRET, kdf_iterations=1000)
    for name in (authority_files.CA_KEY_FILE, authority_files.TSA_KEY_FILE):
        path = directory / name
        key = serialization.load_pem_private_key(path.read_bytes(), password=SECRET.encode())
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    with pytest.raises(AuthorityError, match="tanpa enkripsi"):
        authority_files.load_authority(directory, secret=SECRET)
    assert authority_files.encrypt_plain_keys(directory, secret=SECRET, kdf_iterations=1000) == [
        authority_files.CA_KEY_FILE, authority_files.TSA_KEY_FILE]
    again = authority_files.load_authority(directory, secret=SECRET)
    assert again.ca_cert_pem == made.ca_cert_pem


def ready_to_sign(as_user, official, programme):
    process = driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="sign_region")[0]
    driver.ensure_credential(official(f"{BANJAR}.kdh"))
    client = as_user(f"{BANJAR}.kdh")
    task = open_task(process, "sign_region")
    claim(client, task)
    return client, task, process


def post_signature(client, task, shown):
    return client.post(task_url(task, "execute"), {
        "decision": DecisionKind.SIGNED, "passphrase": driver.DEMO_SIGNING_PASSPHRASE, "document_sha256": shown})


def refused_page(client, task, shown) -> str:
    response = post_signature(client, task, shown)
    assert response.status_code == 200  # the form again, with the reason
    return response.content.decode()


def test_a_missing_authority_folder_refuses_signing_with_a_clear_message_and_makes_no_new_ca(
        as_user, official, programme, tmp_path):
    client, task, process = ready_to_sign(as_user, official, programme)
    shown = shown_sha256(client, task)
    empty = tmp_path / "pki-hilang"
    with with_signing(AUTHORITY_DIR=empty):
        page = refused_page(client, task, shown)
        assert "Penandatanganan tidak tersedia" in page and "tidak ada atau kosong" in page
        assert "pulihkan folder itu dari cadangan" in page
        with pytest.raises(CommandError, match="init_pki tidak membuat CA baru"):
            call_command("init_pki", stdout=io.StringIO())
    assert not empty.exists() or not any(empty.iterdir())
    assert not StoredPdf.objects.filter(document=process.document, revision__gt=0).exists()
    task.refresh_from_db()
    assert task.status == "ASSIGNED"
    # With the folder back, the same signature goes through.
    assert post_signature(client, task, shown).status_code == 302
    assert StoredPdf.objects.filter(document=process.document, revision=1).exists()


def test_another_authority_folder_refuses_signing_but_genuine_documents_still_verify(
        as_user, official, programme, tmp_path):
    driver.run_programme(programme("kota-solok"), only_stage=Stage.MOU)
    solok = StageProcess.objects.get(programme=programme("kota-solok"), stage=Stage.MOU).final_pdf
    client, task, process = ready_to_sign(as_user, official, programme)
    shown = shown_sha256(client, task)
    other = tmp_path / "pki-lain"
    ensure_authority(other, secret=SECRET, kdf_iterations=1000)
    with with_signing(AUTHORITY_DIR=other):
        page = refused_page(client, task, shown)
        assert "berisi CA lain" in page
        with solok.file.open("rb") as fh:
            assert verify_content(fh.read()).genuine  # the recorded CA is still trusted
    assert not StoredPdf.objects.filter(document=process.document, revision__gt=0).exists()


def test_init_pki_records_the_authority_once_and_a_copied_folder_is_accepted(tmp_path):
    recorded = AuditEvent.objects.filter(action="signing.authority_created")
    assert recorded.count() == 1
    assert recorded.get().details["ca_fingerprint"] == signatures.authority().ca_fingerprint_sha256()
    out = io.StringIO()
    call_command("init_pki", stdout=out)
    assert recorded.count() == 1 and signatures.authority().ca_fingerprint_sha256() in out.getvalue()
    # Restored from a backup to another path: the same CA, so signing goes on.
    restored = tmp_path / "pki-dipulihkan"
    shutil.copytree(settings.SIGNING["AUTHORITY_DIR"], restored)
    with with_signing(AUTHORITY_DIR=restored):
        assert signatures.authority().ca_fingerprint_sha256() == recorded.get().details["ca_fingerprint"]


def test_init_pki_gives_a_tsa_certificate_made_without_revocation_addresses_a_new_one_that_has_them(tmp_path):
    from cryptography import x509

    # A folder made before the TSA named its CRL and OCSP responder (as every one before issue 12.1).
    older = tmp_path / "pki-lama"
    shutil.copytree(settings.SIGNING["AUTHORITY_DIR"], older)
    authority_files.reissue_tsa(older, secret=SECRET, kdf_iterations=1000)
    assert not authority_files.has_revocation_addresses(authority_files.load_authority(older, secret=SECRET).tsa_cert)
    with with_signing(AUTHORITY_DIR=older):
        pki._authority_cache_clear()
        out = io.StringIO()
        call_command("init_pki", stdout=out)
        tsa = signatures.authority().tsa_cert
        assert "Sertifikat TSA diterbitkan ulang dengan alamat CRL dan OCSP" in out.getvalue()
        points = tsa.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        assert points[0].full_name[0].value == f"{settings.SEPAKAT_BASE_URL}/pki/crl.der"
        assert AuditEvent.objects.filter(action="signing.tsa_reissued").count() == 1
        call_command("init_pki", stdout=io.StringIO())  # once
        assert AuditEvent.objects.filter(action="signing.tsa_reissued").count() == 1
    pki._authority_cache_clear()
