"""agreements.signing: local authority, PAdES signing with one incremental update per signer, verification.

The signing and verification tests run once per signing backend (the ``world`` fixture): the local
backend of production, and ``tests.signing_backends.MemoryTokenBackend``, which shares nothing with it
but the interface. Both are reached only through ``get_signing_backend()`` under ``override_settings``.
"""

import io
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import weasyprint
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils.module_loading import import_string
from fontTools import ttLib
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PageObject
from pyhanko.sign.signers import Signer
from pyhanko.sign.timestamps import TimeStamper

from agreements.signing import (
    AuthorityError,
    SignatureNotVerified,
    SignatureRequest,
    SigningBackend,
    SigningError,
    WrongPassphrase,
    ensure_authority,
    get_signing_backend,
    issue_signer,
    sign_pdf,
    verify_pdf,
)
from agreements.signing import verify as V
from agreements.signing.backends.local import LocalKeyBackend
from tests.signing_backends import MEMORY_BACKEND, MemoryTokenBackend
from tests.signing_backends import token as memory_token

AUTHORITY_SECRET = "rahasia-operator-uji"  # the operator's secret of the authorities made here (as test_settings)

LOCAL_BACKEND = "agreements.signing.backends.local.LocalKeyBackend"

HTML_DOC = """<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Nota Kesepakatan</title></head>
<body><h1>Nota Kesepakatan</h1><p>Gerakan Menuju Kota Cerdas di Kota Parepare.</p></body></html>"""

SIGNERS = [
    {
        "common_name": "Nur Astuti, S.T.",
        "organisation": "Pemerintah Kota Parepare",
        "unit": "Wali Kota",
        "nip": "197001012000032001",
        "passphrase": "sandi-wali-kota",
    },
    {
        "common_name": "Budi Santoso, M.Kom.",
        "organisation": "Kementerian Komunikasi dan Digital",
        "unit": "Direktorat Jenderal Aplikasi Informatika",
        "nip": "198002022005011002",
        "passphrase": "sandi-dirjen",
    },
]


def request_for(i, **overrides):
    values = {
        "field_name": f"ttd_{i}",
        "page_index": 0,
        "box": (60.0 + 250 * i, 80.0, 240.0 + 250 * i, 150.0),
        "stamp_lines": (
            "Ditandatangani secara elektronik oleh",
            SIGNERS[i]["common_name"],
            SIGNERS[i]["unit"],
            "28-11-2026 12:40 WIB",
        ),
        "reason": "Persetujuan Nota Kesepakatan",
        "location": "Parepare",
    }
    values.update(overrides)
    return SignatureRequest(**values)


@dataclass(frozen=True)
class World:
    """One signing backend as settings name it, and how an official gets a credential there."""

    name: str
    signing: dict  # settings.SIGNING selecting this backend
    enrol: Callable[..., Any]  # SIGNERS[i] -> the stored credential (what SigningCredential holds)

    def backend(self) -> SigningBackend:
        with override_settings(SIGNING=self.signing):
            return get_signing_backend()

    @property
    def roots(self) -> list[bytes]:
        return self.backend().trust_roots_pem()


def local_world(authority_dir, name="local") -> World:
    authority = ensure_authority(authority_dir, secret=AUTHORITY_SECRET, kdf_iterations=1000)  # as init_pki
    return World(
        name=name,
        signing={**settings.SIGNING, "BACKEND": LOCAL_BACKEND, "AUTHORITY_DIR": authority_dir,
                 "AUTHORITY_SECRET": AUTHORITY_SECRET},
        enrol=lambda **s: issue_signer(authority, ca_secret=AUTHORITY_SECRET, **s),
    )


def memory_world(token_name) -> World:
    return World(
        name="memory",
        signing={**settings.SIGNING, "BACKEND": MEMORY_BACKEND, "TOKEN": token_name},
        enrol=lambda **s: memory_token(token_name).enrol(**s),
    )


def signer_for(world, cred, i):
    return world.backend().unlock(cred, SIGNERS[i]["passphrase"])


def sign(world, cred, i, pdf, request=None):
    backend = world.backend()
    unlocked = backend.unlock(cred, SIGNERS[i]["passphrase"])
    return sign_pdf(pdf, request or request_for(i), unlocked, trust_roots_pem=backend.trust_roots_pem()).content


def sign_all(pdf, world, creds):
    revisions = [pdf]
    for i, cred in enumerate(creds):
        revisions.append(sign(world, cred, i, revisions[-1]))
    return revisions


@pytest.fixture(scope="module")
def authority_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(scope="module")
def authority(authority_dir):
    # the RSA 3072 keygen, once per module
    return ensure_authority(authority_dir, secret=AUTHORITY_SECRET, kdf_iterations=1000)


@pytest.fixture(scope="module")
def local_creds(authority):
    return [issue_signer(authority, ca_secret=AUTHORITY_SECRET, **s) for s in SIGNERS]


@pytest.fixture(scope="module", params=["local", "memory"])
def world(request) -> World:
    if request.param == "local":
        return local_world(request.getfixturevalue("authority_dir"))
    return memory_world(f"{request.module.__name__}-main")


@pytest.fixture(scope="module")
def creds(world, request):
    if world.name == "local":
        return request.getfixturevalue("local_creds")
    return [world.enrol(**s) for s in SIGNERS]


@pytest.fixture(scope="module")
def other_world(world, tmp_path_factory) -> World:
    """Another authority of the same kind, which ours does not trust."""
    if world.name == "local":
        return local_world(tmp_path_factory.mktemp("other-pki"), name="local-other")
    return memory_world("other")


@pytest.fixture(scope="module")
def input_pdf():
    return weasyprint.HTML(string=HTML_DOC).write_pdf(pdf_variant="pdf/a-3b")


@pytest.fixture(scope="module")
def revisions(input_pdf, world, creds):
    """[unsigned, signed by 0, signed by 0 and 1]"""
    return sign_all(input_pdf, world, creds)


@pytest.fixture(scope="module")
def signed(revisions):
    return revisions[-1]


@pytest.fixture(scope="module")
def roots(world):
    return world.roots


@pytest.fixture(scope="module")
def other_authority(tmp_path_factory):
    return ensure_authority(tmp_path_factory.mktemp("another-pki"), name="Otoritas Lain", secret=AUTHORITY_SECRET,
                            kdf_iterations=1000)


def actual_texts(content: bytes) -> list[str]:
    """The /ActualText strings of a stamp's appearance stream (pyHanko writes them octal-escaped)."""
    found = re.findall(rb"/ActualText \((.*?)\)\s*>>", content, flags=re.S)
    return [re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), s).decode("latin-1") for s in found]


def append_update(pdf, change):
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- authority ---------------------------------------------------------------------------------


def test_ensure_authority_is_idempotent(authority, authority_dir):
    again = ensure_authority(authority_dir, secret=AUTHORITY_SECRET, kdf_iterations=1000)
    assert again.ca_fingerprint_sha256() == authority.ca_fingerprint_sha256()
    assert again == authority
    assert again.tsa_cert_pem == authority.tsa_cert_pem
    for name in ("ca-key.pem", "tsa-key.pem"):
        assert stat.S_IMODE(os.stat(authority_dir / name).st_mode) == 0o600
    assert "PRIVATE" not in repr(authority) and "RSAPrivateKey" not in repr(authority)


def test_authority_certificates(authority):
    ca = x509.load_pem_x509_certificate(authority.ca_cert_pem)
    assert ca.public_key().key_size == 3072
    bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign and not ku.value.digital_signature
    assert ca.not_valid_after_utc - ca.not_valid_before_utc >= timedelta(days=3650)
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Sepakat Otoritas Sertifikat Lokal"

    tsa = x509.load_pem_x509_certificate(authority.tsa_cert_pem)
    assert tsa.public_key().key_size == 2048
    assert tsa.issuer == ca.subject
    tsa.verify_directly_issued_by(ca)
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_incomplete_authority_directory_is_refused(authority, authority_dir, tmp_path):
    partial = tmp_path / "partial"  # a copy of the module's whole authority (the fixture makes it), less one key
    shutil.copytree(authority_dir, partial)
    (partial / "tsa-key.pem").unlink()
    with pytest.raises(AuthorityError):
        ensure_authority(partial, secret=AUTHORITY_SECRET, kdf_iterations=1000)
    assert not (partial / "tsa-key.pem").exists()  # nothing regenerated over half an authority


def test_issue_signer(authority, local_creds):
    creds = local_creds
    cred = creds[0]
    cert = x509.load_pem_x509_certificate(cred.cert_pem)
    subject = {a.oid: a.value for a in cert.subject}
    assert subject[NameOID.COMMON_NAME] == "Nur Astuti, S.T."
    assert subject[NameOID.ORGANIZATION_NAME] == "Pemerintah Kota Parepare"
    assert subject[NameOID.ORGANIZATIONAL_UNIT_NAME] == "Wali Kota"
    assert subject[NameOID.SERIAL_NUMBER] == "197001012000032001"
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.content_commitment
    assert not ku.value.key_cert_sign
    assert cert.public_key().key_size == 2048
    cert.verify_directly_issued_by(authority.ca_cert)
    assert cred.serial == cert.serial_number
    assert cred.fingerprint_sha256 == cert.fingerprint(cert.signature_hash_algorithm).hex()
    assert len(cred.fingerprint_sha256) == 64
    assert cred.not_after == cert.not_valid_after_utc
    assert timedelta(days=729) < cred.not_after - datetime.now(UTC) <= timedelta(days=730)
    assert cred.encrypted_key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert b"sandi" not in cred.encrypted_key_pem and "ENCRYPTED" not in repr(cred)
    with pytest.raises(ValueError):
        issue_signer(authority, ca_secret=AUTHORITY_SECRET, common_name="X", organisation="", unit="", nip="",
                     passphrase="")


# --- signing -----------------------------------------------------------------------------------


def test_the_backend_implements_the_interface(world, creds):
    backend = world.backend()
    assert isinstance(backend, SigningBackend)
    assert type(backend) is {"local": LocalKeyBackend, "memory": MemoryTokenBackend}[world.name]
    unlocked = signer_for(world, creds[0], 0)
    assert isinstance(unlocked.signer, Signer) and isinstance(unlocked.timestamper, TimeStamper)
    assert SIGNERS[0]["common_name"] in repr(unlocked)
    assert "PRIVATE" not in repr(unlocked) and "Key" not in repr(unlocked)


def test_the_backend_is_the_one_settings_name_when_used(authority_dir):
    assert import_string(settings.SIGNING["BACKEND"]) is LocalKeyBackend  # production's default
    local = local_world(authority_dir).signing
    with override_settings(SIGNING={**local, "BACKEND": MEMORY_BACKEND, "TOKEN": "other"}):
        assert isinstance(get_signing_backend(), MemoryTokenBackend)
    with override_settings(SIGNING=local):
        assert isinstance(get_signing_backend(), LocalKeyBackend)
    unnamed = {k: v for k, v in local.items() if k != "BACKEND"}
    for broken in (unnamed, {**unnamed, "BACKEND": "agreements.signing.backends.nowhere.Backend"},
                   {**unnamed, "BACKEND": "agreements.signing.SignatureRequest"}):
        with override_settings(SIGNING=broken), pytest.raises(ImproperlyConfigured):
            get_signing_backend()


def test_each_signature_is_one_incremental_update(revisions, input_pdf):
    assert revisions[0][:8] == b"%PDF-1.7"
    for before, after in zip(revisions, revisions[1:], strict=False):
        assert after.startswith(before)  # the earlier bytes are an exact prefix
        assert after.split(b"\n", 1)[0] == before.split(b"\n", 1)[0] == b"%PDF-1.7"
        r_before = PdfFileReader(io.BytesIO(before))
        r_after = PdfFileReader(io.BytesIO(after))
        assert r_after.xrefs.total_revisions == r_before.xrefs.total_revisions + 1
        assert r_after.input_version == (1, 7)
        assert "/Version" not in r_after.root  # no version bump through the catalog either


def test_pdfa_identification_and_info_survive_signing(signed):
    reader = PdfFileReader(io.BytesIO(signed))
    xmp = reader.root["/Metadata"].data.decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "/OutputIntents" in reader.root
    info = reader.trailer_view.get("/Info")
    if info is not None:  # PDF/A: /Info and XMP must agree; pyHanko rewrites XMP's producer
        producer = str(info.get_object()["/Producer"])
        assert f'pdf:Producer="{producer}"' in xmp


def test_stamp_font_is_embedded_with_consistent_widths(signed):
    reader = PdfFileReader(io.BytesIO(signed))
    sig = reader.embedded_regular_signatures[0]
    appearance = sig.sig_field["/AP"]["/N"]
    font = appearance["/Resources"]["/Font"]["/F1"]
    cid_font = font["/DescendantFonts"][0]
    program = ttLib.TTFont(io.BytesIO(cid_font["/FontDescriptor"]["/FontFile2"].data))
    assert program["head"].unitsPerEm == 1000
    widths = cid_font["/W"]
    order = program.getGlyphOrder()
    for i in range(0, len(widths), 2):
        first, run = int(widths[i]), widths[i + 1]
        for offset, width in enumerate(run):
            assert int(width) == program["hmtx"][order[first + offset]][0]
    assert b"Nur Astuti" in appearance.data  # /ActualText of the stamp line


def test_two_signers_verify(signed, roots, creds):
    report = verify_pdf(signed, trust_roots_pem=roots, expected_fingerprints=[c.fingerprint_sha256 for c in creds])
    assert report.valid, report.all_problems
    assert report.problems == ()
    assert len(report.signatures) == 2
    first, second = report.signatures
    assert [s.field_name for s in report.signatures] == ["ttd_0", "ttd_1"]
    assert [s.signer_name for s in report.signatures] == [SIGNERS[0]["common_name"], SIGNERS[1]["common_name"]]
    assert [s.signer_serial for s in report.signatures] == [c.serial for c in creds]
    assert [s.signer_fingerprint_sha256 for s in report.signatures] == [c.fingerprint_sha256 for c in creds]
    for s in report.signatures:
        assert s.ok and s.intact and s.valid and s.trusted
        assert s.timestamp_time is not None and s.signing_time is not None
        assert abs(s.timestamp_time - datetime.now(UTC)) < timedelta(minutes=5)
    assert first.modification_level == "FORM_FILLING"  # the second signature came after it
    assert second.modification_level == "NONE"
    assert first.timestamp_time <= second.timestamp_time


def test_first_revision_alone_verifies(revisions, roots, creds):
    report = verify_pdf(revisions[1], trust_roots_pem=roots, expected_fingerprints=[creds[0].fingerprint_sha256])
    assert report.valid, report.all_problems


def test_wrong_passphrase_raises_immediately(world, creds):
    backend = world.backend()
    with pytest.raises(WrongPassphrase):
        backend.unlock(creds[0], "salah")
    with pytest.raises(WrongPassphrase):  # another signer's passphrase is just as wrong
        backend.unlock(creds[0], SIGNERS[1]["passphrase"])
    with pytest.raises(WrongPassphrase):
        backend.unlock(creds[0], "")
    assert issubclass(WrongPassphrase, SigningError)


def test_unencrypted_key_is_refused(authority, local_creds):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    plain = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(SigningError) as excinfo:
        LocalKeyBackend(authority).unlock(replace(local_creds[0], encrypted_key_pem=plain), "x")
    assert not isinstance(excinfo.value, WrongPassphrase)


def test_key_of_another_signer_is_refused(authority, local_creds):
    mixed = replace(local_creds[1], encrypted_key_pem=local_creds[0].encrypted_key_pem)
    with pytest.raises(SigningError) as excinfo:
        LocalKeyBackend(authority).unlock(mixed, SIGNERS[0]["passphrase"])
    assert not isinstance(excinfo.value, WrongPassphrase)


def test_bad_requests_are_refused(world, creds, input_pdf, revisions, roots):
    signer = signer_for(world, creds[0], 0)
    with pytest.raises(SigningError):
        sign_pdf(input_pdf, request_for(0, page_index=5), signer, trust_roots_pem=roots)
    with pytest.raises(SigningError):
        sign_pdf(input_pdf, request_for(0, box=(200.0, 80.0, 100.0, 150.0)), signer, trust_roots_pem=roots)
    with pytest.raises(SigningError):
        sign_pdf(input_pdf, request_for(0, field_name="ttd 0 (x)"), signer, trust_roots_pem=roots)
    with pytest.raises(SigningError):  # that field already carries a signature
        sign_pdf(revisions[1], request_for(0), signer, trust_roots_pem=roots)
    with pytest.raises(SigningError):
        sign_pdf(b"bukan PDF", request_for(0), signer, trust_roots_pem=roots)


def test_a_signature_that_does_not_verify_is_not_returned(world, other_world, creds, input_pdf, roots):
    signer = signer_for(world, creds[0], 0)
    with pytest.raises(SignatureNotVerified) as untrusted:
        sign_pdf(input_pdf, request_for(0), signer, trust_roots_pem=other_world.roots)
    assert V.MSG_UNTRUSTED in str(untrusted.value) and not untrusted.value.report.valid
    with pytest.raises(SignatureNotVerified) as stranger:
        sign_pdf(input_pdf, request_for(0), signer, trust_roots_pem=roots, expected_fingerprints=["00" * 32])
    assert V.MSG_SIGNER_MISMATCH.format(position=1) in str(stranger.value)
    signed = sign_pdf(input_pdf, request_for(0), signer, trust_roots_pem=roots,
                      expected_fingerprints=[creds[0].fingerprint_sha256])
    assert signed.report.valid and signed.signature.signer_fingerprint_sha256 == creds[0].fingerprint_sha256


def test_stamp_text_is_shown_verbatim_and_undrawable_characters_are_replaced(world, creds, input_pdf, roots):
    lines = ("Diskon 100% (%(ts)s)", "Nama 測試", "Baris\x07kontrol")
    out = sign(world, creds[0], 0, input_pdf, request_for(0, stamp_lines=lines))
    appearance = PdfFileReader(io.BytesIO(out)).embedded_regular_signatures[0].sig_field["/AP"]["/N"].data
    assert actual_texts(appearance) == ["Diskon 100% (%(ts)s)", "Nama ??", "Bariskontrol"]
    assert verify_pdf(out, trust_roots_pem=roots).valid


# --- verification: tampering -------------------------------------------------------------------


def test_flipped_byte_in_signed_range_is_not_intact(signed, input_pdf, roots):
    # WeasyPrint compresses everything; flip a byte inside the first stream's data (the ICC profile)
    position = input_pdf.index(b"stream\n") + len(b"stream\n") + 50
    assert position < len(input_pdf)  # inside the first revision, hence inside every signed range
    tampered = bytearray(signed)
    tampered[position] ^= 0x01
    report = verify_pdf(bytes(tampered), trust_roots_pem=roots)
    assert not report.valid
    assert report.signatures and not any(s.intact for s in report.signatures)
    assert V.MSG_NOT_INTACT in report.signatures[0].problems


@pytest.mark.parametrize("fraction", [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95])
def test_any_flipped_byte_in_the_first_revision_never_verifies(signed, input_pdf, roots, fraction):
    tampered = bytearray(signed)
    tampered[int(len(input_pdf) * fraction)] ^= 0x20
    report = verify_pdf(bytes(tampered), trust_roots_pem=roots)  # must not raise
    assert not report.valid and report.all_problems


def _rewrite_first_page(writer):
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (PALSU) Tj ET"))
    writer.update_container(page)


def _add_page(writer):
    contents = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (TAMBAHAN) Tj ET"))
    writer.insert_page(PageObject(contents=contents, media_box=(0, 0, 595, 842)))


@pytest.mark.parametrize("change", [_rewrite_first_page, _add_page], ids=["rewrite-page-1", "add-page"])
def test_update_appended_after_signing_is_rejected(signed, roots, change):
    tampered = append_update(signed, change)
    assert tampered.startswith(signed)
    report = verify_pdf(tampered, trust_roots_pem=roots)
    assert not report.valid
    for s in report.signatures:
        assert s.intact and s.valid and s.trusted  # the signed bytes are untouched ...
        assert s.modification_level == "OTHER"  # ... but what came after is not form filling
        assert V.MSG_MODIFIED in s.problems
        assert not s.ok


def test_form_filling_level_update_is_accepted(signed, roots):
    """A metadata-only update (what a later LTA/DSS step looks like) stays acceptable."""

    def touch_info(writer):
        writer.document_meta.title = "Nota Kesepakatan"  # pyHanko writes it to XMP on write
        writer.update_root()

    report = verify_pdf(append_update(signed, touch_info), trust_roots_pem=roots)
    assert report.valid, report.all_problems
    assert {s.modification_level for s in report.signatures} <= {"LTA_UPDATES", "FORM_FILLING"}


# --- verification: trust and identity ----------------------------------------------------------


def test_signature_from_another_authority_is_untrusted(other_world, input_pdf, roots):
    cred = other_world.enrol(**SIGNERS[0])
    out = sign(other_world, cred, 0, input_pdf)
    report = verify_pdf(out, trust_roots_pem=roots)
    assert not report.valid
    (sig,) = report.signatures
    assert sig.intact and sig.valid and not sig.trusted and not sig.ok
    assert V.MSG_UNTRUSTED in sig.problems
    assert V.MSG_BAD_TIMESTAMP in sig.problems  # its TSA chains to the other root too
    # trusting both roots makes it verify
    assert verify_pdf(out, trust_roots_pem=[*roots, *other_world.roots]).valid


def test_signer_cert_not_from_the_authority_is_refused(other_authority, local_creds):
    with pytest.raises(SigningError) as excinfo:
        LocalKeyBackend(other_authority).unlock(local_creds[0], SIGNERS[0]["passphrase"])
    assert not isinstance(excinfo.value, WrongPassphrase)


def test_expected_fingerprints(signed, roots, creds):
    fps = [c.fingerprint_sha256 for c in creds]
    swapped = verify_pdf(signed, trust_roots_pem=roots, expected_fingerprints=list(reversed(fps)))
    assert not swapped.valid
    assert V.MSG_SIGNER_MISMATCH.format(position=1) in swapped.problems
    assert all(s.ok for s in swapped.signatures)  # the signatures are fine, the signers are not

    missing = verify_pdf(signed, trust_roots_pem=roots, expected_fingerprints=fps[:1])
    assert not missing.valid
    assert V.MSG_SIGNER_COUNT_MISMATCH.format(found=2, expected=1) in missing.problems

    colon_upper = [":".join(f[i : i + 2] for i in range(0, 64, 2)).upper() for f in fps]
    assert verify_pdf(signed, trust_roots_pem=roots, expected_fingerprints=colon_upper).valid


def test_after_the_signer_certificate_expired_a_signature_is_judged_at_its_timestamp(signed, roots):
    # 1,000 days on, the signers' certificates (730 days) have expired, the TSA's has not: the TSA vouches
    # that each signature existed while its certificate was valid.
    later = verify_pdf(signed, trust_roots_pem=roots, validation_time=datetime.now(UTC) + timedelta(days=1000))
    assert later.valid, later.all_problems
    assert all(s.judged_at_timestamp for s in later.signatures)
    soon = verify_pdf(signed, trust_roots_pem=roots, validation_time=datetime.now(UTC) + timedelta(minutes=1))
    assert soon.valid and not any(s.judged_at_timestamp for s in soon.signatures)
    # Eleven years on, the TSA's and the CA's certificates have expired too: nothing vouches any more
    # (a renewed document timestamp, PAdES B-LTA, is what would).
    gone = verify_pdf(signed, trust_roots_pem=roots, validation_time=datetime.now(UTC) + timedelta(days=4020))
    assert not gone.valid
    assert all(V.MSG_UNTRUSTED in s.problems for s in gone.signatures)


# --- verification: bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"bukan PDF sama sekali", b"%PDF-1.7\n%%EOF\n", os.urandom(2048), b"%PDF-1.7\n" + os.urandom(4096)],
    ids=["empty", "text", "header-only", "random", "random-with-header"],
)
def test_garbage_is_invalid_without_exception(data, roots):
    report = verify_pdf(data, trust_roots_pem=roots)
    assert not report.valid
    assert report.problems
    assert report.signatures == ()


def test_unsigned_pdf_is_invalid(input_pdf, roots):
    report = verify_pdf(input_pdf, trust_roots_pem=roots)
    assert not report.valid
    assert report.problems == (V.MSG_NO_SIGNATURES,)


def test_truncated_signed_pdf_is_invalid(signed, roots):
    report = verify_pdf(signed[: len(signed) - 200], trust_roots_pem=roots)
    assert not report.valid and report.all_problems


def test_bad_or_missing_trust_roots(signed):
    assert V.MSG_NO_TRUST_ROOTS in verify_pdf(signed, trust_roots_pem=[]).problems
    report = verify_pdf(signed, trust_roots_pem=[b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
    assert not report.valid
    assert V.MSG_BAD_TRUST_ROOT in report.problems
    assert all(not s.trusted for s in report.signatures)


# --- an independent validator ------------------------------------------------------------------


def test_pdfsig_reports_valid_trusted_signatures(signed, roots, tmp_path):
    if not shutil.which("pdfsig") or not shutil.which("certutil"):
        pytest.skip("pdfsig (poppler-utils) or certutil (libnss3-tools) not installed")
    nss = tmp_path / "nss"
    nss.mkdir()
    (ca_pem,) = roots
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    # Trust flags are "SSL,S/MIME,code signing"; poppler checks signer certificates with the
    # S/MIME (e-mail) usage, so the CA needs "C" in the second position: ",C," ("C,," is not enough).
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{nss}", "-n", "sepakat-ca", "-t", ",C,", "-i", str(tmp_path / "ca.pem")],
        check=True,
        capture_output=True,
    )
    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(signed)
    result = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(pdf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("Signature #") == 2
    assert out.count("Signature is Valid.") == 2
    assert out.count("Certificate is Trusted.") == 2
    assert "ETSI.CAdES.detached" in out
    assert "Nur Astuti, S.T." in out and "Budi Santoso, M.Kom." in out
