"""Revocation you can ask: the local CA's certificates name a CRL and an OCSP responder served by Sepakat;
revoking (admin action, the end of an official's last signer role) shows in both, stops signing, and a
signature made after the revocation is not genuine."""

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509 import ocsp
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse

from agreements import signatures
from agreements.models import RevokedCertificate, SignatureRecord, SigningCredential
from agreements.verification import verify_content
from audit.models import AuditEvent
from demo import driver
from permissions.assignments import assignment_end
from permissions.models import RoleAssignment
from tests.write_once import write_once_suspended
from workflows.models import Stage, StageProcess

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"


def certificate(credential: SigningCredential) -> x509.Certificate:
    return x509.load_pem_x509_certificate(credential.cert_pem.encode())


def ocsp_status(client, cert: x509.Certificate):
    ca = signatures.authority().ca_cert
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, ca, hashes.SHA256()).add_extension(
        x509.OCSPNonce(b"0123456789abcdef"), critical=False).build()
    response = client.post(reverse("ocsp"), request.public_bytes(serialization.Encoding.DER),
                           content_type="application/ocsp-request")
    assert response.status_code == 200 and response["Content-Type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    responder = answer.certificates[0]
    responder.verify_directly_issued_by(ca)
    assert x509.ExtendedKeyUsageOID.OCSP_SIGNING in responder.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value
    responder.public_key().verify(answer.signature, answer.tbs_response_bytes, PKCS1v15(),
                                  answer.signature_hash_algorithm)
    assert answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"0123456789abcdef"
    return answer.certificate_status


def crl(client) -> x509.CertificateRevocationList:
    response = client.get(reverse("crl"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pkix-crl"
    loaded = x509.load_der_x509_crl(response.content)
    assert loaded.is_signature_valid(signatures.authority().ca_cert.public_key())
    return loaded


def enrolled(official, username) -> SigningCredential:
    driver.ensure_credential(official(username))
    return SigningCredential.objects.get(user__username=username)


def test_certificates_name_the_crl_and_ocsp_addresses_sepakat_serves(official, client, settings):
    cert = certificate(enrolled(official, f"{BANJAR}.kdh"))
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == f"{settings.SEPAKAT_BASE_URL}{reverse('crl')}"
    access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert access[0].access_location.value == f"{settings.SEPAKAT_BASE_URL}{reverse('ocsp')}"
    assert ocsp_status(client, cert) == ocsp.OCSPCertStatus.GOOD
    assert crl(client).get_revoked_certificate_by_serial_number(cert.serial_number) is None


def test_the_admin_revokes_it_is_audited_shows_in_crl_and_ocsp_and_the_official_cannot_sign(
        official, client, as_user):
    credential = enrolled(official, f"{BANJAR}.kdh")
    other = enrolled(official, "dirjen")
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    response = client.post(reverse("admin:agreements_signingcredential_changelist"), {
        "action": "revoke_for_passphrase_reset", "_selected_action": [credential.pk]})
    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    event = AuditEvent.objects.filter(action="signing.credential_revoked").latest("pk")
    assert event.actor == admin and event.details["serial"] == credential.serial
    client.logout()
    cert = certificate(credential)
    assert crl(client).get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert ocsp_status(client, cert) == ocsp.OCSPCertStatus.REVOKED
    assert ocsp_status(client, certificate(other)) == ocsp.OCSPCertStatus.GOOD
    with pytest.raises(signatures.SigningRefused, match="dicabut"):
        signatures.unlock_signer(user=credential.user, passphrase=driver.DEMO_SIGNING_PASSPHRASE)
    # A new passphrase, a new certificate; the old one stays revoked.
    page = as_user(f"{BANJAR}.kdh").post(reverse("sepakat:enrol"), {"passphrase": "passphrase-baru-123",
                                                                      "confirmation": "passphrase-baru-123"})
    assert page.status_code == 302
    renewed = SigningCredential.objects.get(pk=credential.pk)
    assert renewed.serial != credential.serial and renewed.revoked_at is None
    assert crl(client).get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert signatures.unlock_signer(user=renewed.user, passphrase="passphrase-baru-123")


def test_a_signature_made_after_its_certificates_revocation_is_not_genuine(programme):
    driver.run_programme(programme(BANJAR), only_stage=Stage.MOU)
    final = StageProcess.objects.get(programme=programme(BANJAR), stage=Stage.MOU).final_pdf
    with final.file.open("rb") as fh:
        content = fh.read()
    assert verify_content(content).genuine
    record = SignatureRecord.objects.filter(pdf__document=final.document).order_by("-pdf__revision").first()
    credential = SigningCredential.objects.get(user=record.signer)
    # Revoked now, after it signed: the signature stays genuine.
    signatures_revoked = RevokedCertificate.objects.create(
        user=record.signer, serial=credential.serial, fingerprint_sha256=credential.fingerprint_sha256,
        revoked_at=record.timestamp_time + datetime.timedelta(minutes=1), reason="uji")
    assert verify_content(content).genuine
    # Had the revocation come first (a minute before the timestamp), it is not. (The record is write-once:
    # the database holder's way round it, for the test.)
    with write_once_suspended():
        RevokedCertificate.objects.filter(pk=signatures_revoked.pk).update(
            revoked_at=record.timestamp_time - datetime.timedelta(minutes=1))
    result = verify_content(content)
    assert not result.genuine
    assert any("dibuat setelah sertifikatnya dicabut" in p for p in result.problems)


def test_the_end_of_an_officials_last_signer_role_revokes_their_certificate(official):
    credential = enrolled(official, f"{BANJAR}.kdh")
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    for assignment in RoleAssignment.objects.filter(user=credential.user):
        assignment_end(assignment=assignment, actor=admin)
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    revoked = RevokedCertificate.objects.get(serial=credential.serial)
    assert "peran" in revoked.reason
    assert AuditEvent.objects.filter(action="signing.credential_revoked", details__serial=credential.serial).exists()


def test_revocations_are_write_once(official):
    credential = enrolled(official, f"{BANJAR}.kdh")
    revoked = RevokedCertificate.objects.create(user=credential.user, serial=credential.serial,
                                                fingerprint_sha256=credential.fingerprint_sha256,
                                                revoked_at=credential.created, reason="uji")
    for change in (lambda: RevokedCertificate.objects.filter(pk=revoked.pk).update(reason="lain"),
                   lambda: RevokedCertificate.objects.filter(pk=revoked.pk).delete()):
        with pytest.raises(IntegrityError) as error, transaction.atomic():
            change()
        assert "write-once" in str(error.value)


def test_the_end_of_a_delegation_revokes_the_delegates_certificate(official):
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from agreements.signatures import may_enrol
    from permissions.delegation import delegation_create, delegation_end

    today = timezone.localdate()
    candidates = [u for u in get_user_model().objects.filter(username__startswith=f"{BANJAR}.")
                  .select_related("official") if hasattr(u, "official") and not may_enrol(u)]
    delegation = None
    for role in RoleAssignment.objects.filter(agency__region__slug=BANJAR).select_related("user"):
        if not may_enrol(role.user):
            continue
        for delegate in candidates:
            try:
                delegation = delegation_create(actor=role.user, assignment=role, delegate=delegate, kind="plt",
                                               valid_from=today, valid_until=today + datetime.timedelta(days=7))
            except ValidationError:
                continue
            break
        if delegation is not None:
            break
    assert delegation is not None, "no delegable signer or paraf role to someone who holds none"
    mayor = role.user
    assert may_enrol(delegate)
    driver.ensure_credential(delegate)
    delegation_end(actor=mayor, delegation=delegation)
    credential = SigningCredential.objects.get(user=delegate)
    assert credential.revoked_at is not None
    assert RevokedCertificate.objects.filter(serial=credential.serial).exists()
