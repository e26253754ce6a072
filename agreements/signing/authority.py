"""The embedded default's local signing authority: a CA, a timestamp authority and signer credentials.

Everything here is plain files and keys, no database and no settings: the caller passes the
directory. ``ensure_authority`` makes the CA and the TSA once and loads them afterwards;
``issue_signer`` issues one official's certificate with a passphrase-encrypted key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_AUTHORITY_NAME = "Sepakat Otoritas Sertifikat Lokal"
TSA_NAME = "Sepakat Otoritas Cap Waktu Lokal"
COUNTRY = "ID"

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
TSA_CERT_FILE = "tsa.pem"
TSA_KEY_FILE = "tsa-key.pem"
AUTHORITY_FILES = (CA_CERT_FILE, CA_KEY_FILE, TSA_CERT_FILE, TSA_KEY_FILE)

CA_KEY_BITS = 3072
TSA_KEY_BITS = 2048
SIGNER_KEY_BITS = 2048
CA_VALID_DAYS = 3652  # ten years
# Certificates start a little in the past so that a clock a few minutes behind still accepts them.
BACKDATE = timedelta(minutes=5)


class AuthorityError(Exception):
    """The authority directory is incomplete or its files do not belong together."""


# End-entity certificates (signers and the timestamp authority) sign, and nothing else.
SIGNING_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """Lower-case hex SHA-256 of the certificate's DER encoding, no separators."""
    return cert.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class Authority:
    """A loaded local CA and TSA. The private keys are kept out of ``repr`` and comparisons."""

    ca_cert_pem: bytes
    tsa_cert_pem: bytes
    ca_key: rsa.RSAPrivateKey = field(repr=False, compare=False)
    tsa_key: rsa.RSAPrivateKey = field(repr=False, compare=False)

    @property
    def ca_cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.ca_cert_pem)

    @property
    def tsa_cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.tsa_cert_pem)

    def ca_fingerprint_sha256(self) -> str:
        return fingerprint_sha256(self.ca_cert)


@dataclass(frozen=True)
class IssuedCredential:
    cert_pem: bytes
    encrypted_key_pem: bytes = field(repr=False)
    serial: int
    fingerprint_sha256: str
    not_after: datetime


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _key_identifiers(builder: x509.CertificateBuilder, public_key, issuer_public_key) -> x509.CertificateBuilder:
    return builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False).add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False
    )


def _make_ca(name: str) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=CA_KEY_BITS)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sepakat"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    start = _now() - BACKDATE
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=CA_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    builder = _key_identifiers(builder, key.public_key(), key.public_key())
    return builder.sign(key, hashes.SHA256()), key


def _make_tsa(ca_cert: x509.Certificate, ca_key: rsa.RSAPrivateKey) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=TSA_KEY_BITS)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sepakat"),
            x509.NameAttribute(NameOID.COMMON_NAME, TSA_NAME),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - BACKDATE)
        .not_valid_after(ca_cert.not_valid_after_utc)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(SIGNING_KEY_USAGE, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    )
    builder = _key_identifiers(builder, key.public_key(), ca_key.public_key())
    return builder.sign(ca_key, hashes.SHA256()), key


def _pem_key(key: rsa.RSAPrivateKey, encryption=None) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        encryption or serialization.NoEncryption(),
    )


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write to a temporary file in the same directory, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # os.open's mode is filtered by the umask; set it exactly
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _load_rsa_key(path: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AuthorityError(f"{path} bukan kunci RSA.")
    return key


def _same_public_key(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> bool:
    return cert.public_key().public_numbers() == key.public_key().public_numbers()


def load_authority(directory: Path) -> Authority:
    directory = Path(directory)
    ca_pem = (directory / CA_CERT_FILE).read_bytes()
    tsa_pem = (directory / TSA_CERT_FILE).read_bytes()
    ca_key = _load_rsa_key(directory / CA_KEY_FILE)
    tsa_key = _load_rsa_key(directory / TSA_KEY_FILE)
    ca_cert = x509.load_pem_x509_certificate(ca_pem)
    tsa_cert = x509.load_pem_x509_certificate(tsa_pem)
    if not _same_public_key(ca_cert, ca_key) or not _same_public_key(tsa_cert, tsa_key):
        raise AuthorityError(f"Sertifikat dan kunci di {directory} tidak cocok.")
    try:
        tsa_cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise AuthorityError(f"Sertifikat TSA di {directory} tidak diterbitkan oleh CA ini.") from exc
    return Authority(ca_cert_pem=ca_pem, tsa_cert_pem=tsa_pem, ca_key=ca_key, tsa_key=tsa_key)


def ensure_authority(directory: Path, *, name: str = DEFAULT_AUTHORITY_NAME) -> Authority:
    """Load the authority from ``directory``; create it there first if the directory holds none of its files.

    A directory holding only some of the four files is an error (never overwrite half an authority).
    """
    directory = Path(directory)
    present = [f for f in AUTHORITY_FILES if (directory / f).exists()]
    if len(present) == len(AUTHORITY_FILES):
        return load_authority(directory)
    if present:
        missing = sorted(set(AUTHORITY_FILES) - set(present))
        raise AuthorityError(f"Direktori otoritas {directory} tidak lengkap: {', '.join(missing)} tidak ada.")

    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = _make_ca(name)
    tsa_cert, tsa_key = _make_tsa(ca_cert, ca_key)
    # Keys first, certificates last: a crash leaves an incomplete directory, which is refused above.
    _write_new(directory / CA_KEY_FILE, _pem_key(ca_key), 0o600)
    _write_new(directory / TSA_KEY_FILE, _pem_key(tsa_key), 0o600)
    _write_new(directory / TSA_CERT_FILE, tsa_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write_new(directory / CA_CERT_FILE, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return load_authority(directory)


def issue_signer(
    authority: Authority,
    *,
    common_name: str,
    organisation: str,
    unit: str,
    nip: str,
    passphrase: str,
    valid_days: int = 730,
) -> IssuedCredential:
    """Issue one signer's certificate and key; the key comes back encrypted with ``passphrase``."""
    if not passphrase:
        raise ValueError("Frasa sandi tidak boleh kosong.")
    if valid_days < 1:
        raise ValueError("valid_days harus positif.")
    ca_cert = authority.ca_cert
    key = rsa.generate_private_key(public_exponent=65537, key_size=SIGNER_KEY_BITS)
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    if nip:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, nip))
    start = _now() - BACKDATE
    not_after = min(start + timedelta(days=valid_days), ca_cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attrs))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(SIGNING_KEY_USAGE, critical=True)
    )
    builder = _key_identifiers(builder, key.public_key(), authority.ca_key.public_key())
    cert = builder.sign(authority.ca_key, hashes.SHA256())
    return IssuedCredential(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        encrypted_key_pem=_pem_key(key, serialization.BestAvailableEncryption(passphrase.encode())),
        serial=cert.serial_number,
        fingerprint_sha256=fingerprint_sha256(cert),
        not_after=cert.not_valid_after_utc,
    )
