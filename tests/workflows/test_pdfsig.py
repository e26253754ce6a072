"""poppler's pdfsig reads a final MoU's signatures, asking Sepakat's OCSP responder over HTTP (slow: a live server).

In a module of its own: the certificates must be issued during the test, naming the test server's responder,
not taken from a world another module built.
"""

import io
import shutil
import subprocess

import pytest
from django.core.management import call_command

from agreements import signatures
from agreements.models import SigningCredential
from demo import driver
from workflows.models import Stage, StageProcess

BANJAR = "kota-banjar"


def final_bytes(case) -> bytes:
    with case.final_pdf.file.open("rb") as stored:
        return stored.read()


@pytest.mark.slow  # poppler's pdfsig against a live server
@pytest.mark.skipif(not (shutil.which("pdfsig") and shutil.which("certutil")), reason="poppler-utils / nss tools")
def test_pdfsig_accepts_the_signatures_asking_sepakats_ocsp_responder_and_sees_a_revocation(
        programme, tmp_path, settings, monkeypatch, sepakat_server):
    from agreements.revocation import credential_revoke
    from agreements.signing import authority as authority_files

    # The officials' certificates name this server's OCSP responder: issued now, not reused from another test.
    settings.SEPAKAT_BASE_URL = sepakat_server
    monkeypatch.setattr(signatures, "issue_signer", authority_files.issue_signer)
    driver.run_programme(programme(BANJAR), only_stage=Stage.MOU)
    mou = StageProcess.objects.get(programme=programme(BANJAR), stage=Stage.MOU)
    root = tmp_path / "sepakat-ca.pem"
    call_command("export_trust_root", "--out", str(root), stdout=io.StringIO())
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "sepakat", "-t", ",C,", "-i", str(root)],
                   check=True, capture_output=True)
    pdf = tmp_path / "mou.pdf"
    pdf.write_bytes(final_bytes(mou))

    def pdfsig() -> str:
        # pdfsig asks the OCSP responder each certificate names (poppler's -no-ocsp reports every certificate as
        # an "unknown issue", so the check is made online, as a verifier would).
        return subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(pdf)], capture_output=True, text=True,
                              check=False, timeout=120).stdout

    output = pdfsig()
    assert output.count("Signature is Valid") == 2, output
    assert output.count("Certificate is Trusted") == 2, output
    assert "isn't Trusted" not in output
    signer = SigningCredential.objects.get(user__username="dirjen")
    credential_revoke(credential=signer, actor=None, reason="uji")
    output = pdfsig()
    assert output.count("Certificate is Trusted") == 1 and "Certificate has been Revoked" in output, output


