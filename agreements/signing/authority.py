"""The embedded default's local signing authority: a CA, a timestamp authority and signer credentials.

Everything here is plain files and keys, no database and no settings: the caller passes the
directory and the operator's secret. ``ensure_authority`` makes the CA and the TSA once
(``manage.py init_pki``) and ``load_authority`` loads them; ``issue_signer`` issues one
official's certificate with a passphrase-encrypted key.

Both private keys are kept encrypted with the operator's secret (PKCS#8 PBES2, as signer keys).
A loaded ``Authority`` holds the TSA key unlocked (every signature needs a timestamp) but never
the CA key: ``issue_signer`` unlocks it with the secret for one issuance and lets it go. A
missing or incomplete directory is an error, never a reason to make a new CA: documents signed
under the old one would then read "not genuine".
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import algos, keys
from asn1crypto import pem as asn1_pem
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_AUTHORITY_NAME = "Sepakat Otoritas Sertifikat Lokal"
TSA_NAME = "Sepakat Otoritas Cap Waktu Lokal"
SEAL_NAME = "Sepakat Segel Sistem"
COUNTRY = "ID"

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
TSA_CERT_FILE = "tsa.pem"
TSA_KEY_FILE = "tsa-key.pem"
AUTHORITY_FILES = (CA_CERT_FILE, CA_KEY_FILE, TSA_CERT_FILE, TSA_KEY_FILE)
# The system's seal (signs the audit log's checkpoints): made with a new authority, and added to an
# older one by init_pki (ensure_seal).
SEAL_CERT_FILE = "seal.pem"
SEAL_KEY_FILE = "seal-key.pem"
# The OCSP responder (delegated by the CA, RFC 6960 4.2.2.2): answers revocation queries without the CA key.
OCSP_CERT_FILE = "ocsp.pem"
OCSP_KEY_FILE = "ocsp-key.pem"
OCSP_NAME = "Sepakat Penjawab OCSP"
CRL_VALID_DAYS = 7

CA_KEY_BITS = 3072
TSA_KEY_BITS = 2048
SIGNER_KEY_BITS = 2048
CA_VALID_DAYS = 3652  # ten years
# Signer keys: PKCS#8 PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC (OWASP 2023: >= 600,000
# iterations for PBKDF2-HMAC-SHA256). cryptography's BestAvailableEncryption uses 2,048 iterations
# and cannot be told otherwise for PKCS#8, so the envelope is built here (asn1crypto); any PKCS#8
# reader (cryptography, OpenSSL, pyHanko) opens it. Callers with settings pass their own cost.
KEY_KDF_ITERATIONS = 600_000
KEY_KDF_SALT_BYTES = 16
# Files of the authority (and its directory) are for the server's user only.
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
# Certificates start a little in the past so that a clock a few minutes behind still accepts them.
BACKDATE = timedelta(minutes=5)


# The operator's secret protects the CA and TSA keys: the same envelope as signer keys.
AUTHORITY_KDF_ITERATIONS = KEY_KDF_ITERATIONS

MSG_MISSING = (
    "Folder otoritas penandatanganan {directory} tidak ada atau kosong. Penandatanganan ditolak: pulihkan "
    "folder itu dari cadangan (membuat CA baru membuat dokumen yang sudah ditandatangani tidak dapat "
    "diverifikasi). Pemasangan baru: jalankan manage.py init_pki sekali."
)
MSG_INCOMPLETE = "Direktori otoritas {directory} tidak lengkap: {missing} tidak ada."
MSG_NO_SECRET = (
    "Rahasia operator otoritas penandatanganan tidak diatur (SEPAKAT_AUTHORITY_SECRET atau "
    "SEPAKAT_AUTHORITY_SECRET_FILE): kunci CA dan TSA tidak dapat dibuka."
)
MSG_WRONG_SECRET = "Rahasia operator tidak membuka kunci {file} di {directory}."
MSG_PLAIN_KEY = (
    "Kunci {file} di {directory} tersimpan tanpa enkripsi. Jalankan manage.py init_pki untuk "
    "mengenkripsinya dengan rahasia operator."
)


class AuthorityError(Exception):
    """The authority directory is missing, incomplete, locked with another secret, or its files do not
    belong together. The message says which, in words an operator can act on."""


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
    """A loaded local CA and TSA: the TSA key unlocked, the CA key still encrypted (``unlock_ca_key``)."""

    ca_cert_pem: bytes
    tsa_cert_pem: bytes
    encrypted_ca_key_pem: bytes = field(repr=False, compare=False)
    tsa_key: rsa.RSAPrivateKey = field(repr=False, compare=False)
    directory: str = ""
    seal_cert_pem: bytes = b""  # empty for an authority made before the seal, until init_pki adds it
    seal_key: rsa.RSAPrivateKey | None = field(default=None, repr=False, compare=False)
    ocsp_cert_pem: bytes = b""  # the delegated OCSP responder; empty until init_pki adds it
    ocsp_key: rsa.RSAPrivateKey | None = field(default=None, repr=False, compare=False)

    @property
    def seal_cert(self) -> x509.Certificate | None:
        return x509.load_pem_x509_certificate(self.seal_cert_pem) if self.seal_cert_pem else None

    def unlock_ca_key(self, secret: str) -> rsa.RSAPrivateKey:
        """The CA key, for one issuance: the caller drops it when done. AuthorityError if ``secret`` is wrong."""
        return _decrypt_key(self.encrypted_ca_key_pem, secret, CA_KEY_FILE, self.directory)

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


@dataclass(frozen=True)
class KeyEncryption:
    """How a PEM private key is encrypted, as read from its PKCS#8 envelope."""

    scheme: str  # "pbes2", or an older PKCS#5/#12 scheme's name; "openssl-legacy" for Proc-Type PEM
    kdf: str = ""  # "pbkdf2"
    prf: str = ""  # "sha256", "sha1", ...
    iterations: int = 0
    cipher: str = ""  # "aes256_cbc", ...

    def meets(self, min_iterations: int) -> bool:
        """PBES2, PBKDF2-HMAC-SHA256 (or stronger), AES-256 and at least ``min_iterations``."""
        return (
            self.scheme == "pbes2"
            and self.kdf == "pbkdf2"
            and self.prf in {"sha256", "sha384", "sha512"}
            and self.cipher == "aes256_cbc"
            and self.iterations >= min_iterations
        )


def key_encryption(encrypted_key_pem: bytes) -> KeyEncryption:
    """Parse the encryption parameters of an ``ENCRYPTED PRIVATE KEY`` PEM (no passphrase needed)."""
    if b"Proc-Type: 4,ENCRYPTED" in encrypted_key_pem:
        return KeyEncryption(scheme="openssl-legacy")
    try:
        _, _, der = asn1_pem.unarmor(encrypted_key_pem)
        algorithm = keys.EncryptedPrivateKeyInfo.load(der)["encryption_algorithm"]
        scheme = algorithm["algorithm"].native
        if scheme != "pbes2":
            return KeyEncryption(scheme=scheme)
        params = algorithm["parameters"]
        kdf = params["key_derivation_func"]
        kdf_params = kdf["parameters"]
        return KeyEncryption(
            scheme=scheme,
            kdf=kdf["algorithm"].native,
            prf=kdf_params["prf"]["algorithm"].native if kdf["algorithm"].native == "pbkdf2" else "",
            iterations=int(kdf_params["iteration_count"].native) if kdf["algorithm"].native == "pbkdf2" else 0,
            cipher=params["encryption_scheme"]["algorithm"].native,
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError("Kunci terenkripsi tidak dapat dibaca.") from exc


def encrypt_private_key(key: rsa.RSAPrivateKey, passphrase: str, *, iterations: int = KEY_KDF_ITERATIONS) -> bytes:
    """PEM ``ENCRYPTED PRIVATE KEY``: PBES2, PBKDF2-HMAC-SHA256 with ``iterations``, AES-256-CBC."""
    if not passphrase:
        raise ValueError("Frasa sandi tidak boleh kosong.")
    if iterations < 1:
        raise ValueError("iterations harus positif.")
    plain = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    salt = secrets.token_bytes(KEY_KDF_SALT_BYTES)
    iv = secrets.token_bytes(16)
    derived = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations).derive(
        passphrase.encode()
    )
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(derived), modes.CBC(iv)).encryptor()
    envelope = keys.EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": {
                "algorithm": "pbes2",
                "parameters": {
                    "key_derivation_func": {
                        "algorithm": "pbkdf2",
                        "parameters": {
                            "salt": algos.Pbkdf2Salt(name="specified", value=salt),
                            "iteration_count": iterations,
                            "key_length": 32,
                            "prf": {"algorithm": "sha256"},
                        },
                    },
                    "encryption_scheme": {"algorithm": "aes256_cbc", "parameters": iv},
                },
            },
            "encrypted_data": encryptor.update(padded) + encryptor.finalize(),
        }
    )
    return asn1_pem.armor("ENCRYPTED PRIVATE KEY", envelope.dump())


def reencrypt_private_key(encrypted_key_pem: bytes, passphrase: str, *, iterations: int = KEY_KDF_ITERATIONS) -> bytes:
    """The same key under the current parameters. Raises ValueError if the passphrase is wrong."""
    key = serialization.load_pem_private_key(encrypted_key_pem, password=passphrase.encode())
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("Kunci penanda tangan harus RSA.")
    return encrypt_private_key(key, passphrase, iterations=iterations)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _key_identifiers(builder: x509.CertificateBuilder, public_key, issuer_public_key) -> x509.CertificateBuilder:
    return builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False).add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False
    )


def _with_revocation_addresses(builder: x509.CertificateBuilder, crl_url: str, ocsp_url: str):
    """Where relying parties find the CRL and the OCSP responder (RFC 5280 4.2.1.13, 4.2.2.1)."""
    if crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None, reasons=None, crl_issuer=None)]),
            critical=False)
    if ocsp_url:
        builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]), critical=False)
    return builder


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


def _make_tsa(ca_cert: x509.Certificate, ca_key: rsa.RSAPrivateKey, *, crl_url: str = "",
              ocsp_url: str = "") -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
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
    builder = _with_revocation_addresses(builder, crl_url, ocsp_url)
    builder = _key_identifiers(builder, key.public_key(), ca_key.public_key())
    return builder.sign(ca_key, hashes.SHA256()), key


def _make_service_certificate(ca_cert: x509.Certificate, ca_key: rsa.RSAPrivateKey, *, name: str = SEAL_NAME,
               ocsp: bool = False, crl_url: str = "",
               ocsp_url: str = "") -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The system's seal: an organisation certificate that signs what Sepakat itself attests (checkpoints);
    with ``ocsp``, the CA's delegated OCSP responder (EKU OCSPSigning, id-pkix-ocsp-nocheck)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=TSA_KEY_BITS)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sepakat"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
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
    )
    if ocsp:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=True) \
            .add_extension(x509.OCSPNoCheck(), critical=False)
    else:
        builder = _with_revocation_addresses(builder, crl_url, ocsp_url)
    builder = _key_identifiers(builder, key.public_key(), ca_key.public_key())
    return builder.sign(ca_key, hashes.SHA256()), key


def ensure_ocsp_responder(directory: Path, *, secret: str, kdf_iterations: int = AUTHORITY_KDF_ITERATIONS) -> bool:
    """Add the delegated OCSP responder to the authority in ``directory`` if it has none; whether one was made."""
    directory = Path(directory)
    if (directory / OCSP_CERT_FILE).exists() and (directory / OCSP_KEY_FILE).exists():
        return False
    loaded = load_authority(directory, secret=secret)
    ca_key = loaded.unlock_ca_key(secret)
    try:
        cert, key = _make_service_certificate(loaded.ca_cert, ca_key, name=OCSP_NAME, ocsp=True)
    finally:
        del ca_key
    _write_new(directory / OCSP_KEY_FILE, encrypt_private_key(key, secret, iterations=kdf_iterations), FILE_MODE)
    _write_new(directory / OCSP_CERT_FILE, cert.public_bytes(serialization.Encoding.PEM), FILE_MODE)
    return True


def ensure_seal(directory: Path, *, secret: str, kdf_iterations: int = AUTHORITY_KDF_ITERATIONS) -> bool:
    """Add the system's seal to the authority in ``directory`` if it has none; whether one was made."""
    directory = Path(directory)
    if (directory / SEAL_CERT_FILE).exists() and (directory / SEAL_KEY_FILE).exists():
        return False
    loaded = load_authority(directory, secret=secret)
    ca_key = loaded.unlock_ca_key(secret)
    try:
        seal_cert, seal_key = _make_service_certificate(loaded.ca_cert, ca_key)
    finally:
        del ca_key
    _write_new(directory / SEAL_KEY_FILE, encrypt_private_key(seal_key, secret, iterations=kdf_iterations), FILE_MODE)
    _write_new(directory / SEAL_CERT_FILE, seal_cert.public_bytes(serialization.Encoding.PEM), FILE_MODE)
    return True


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


def _is_encrypted(pem: bytes) -> bool:
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem


def _decrypt_key(pem: bytes, secret: str, name: str, directory) -> rsa.RSAPrivateKey:
    if not secret:
        raise AuthorityError(MSG_NO_SECRET)
    if not _is_encrypted(pem):
        raise AuthorityError(MSG_PLAIN_KEY.format(file=name, directory=directory))
    try:
        key = serialization.load_pem_private_key(pem, password=secret.encode())
    except (ValueError, TypeError) as exc:
        raise AuthorityError(MSG_WRONG_SECRET.format(file=name, directory=directory)) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AuthorityError(f"{directory / name if isinstance(directory, Path) else name} bukan kunci RSA.")
    return key


def _same_public_key(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> bool:
    return cert.public_key().public_numbers() == key.public_key().public_numbers()


def _tighten_modes(directory: Path) -> None:
    """An authority made before files were 0600: take group and other access away (best effort)."""
    for path, mode in [(directory, DIRECTORY_MODE), *((directory / f, FILE_MODE) for f in AUTHORITY_FILES)]:
        try:
            if path.stat().st_mode & 0o077:
                os.chmod(path, mode)
        except OSError:  # not the owner, read-only mount: the operator's business (docs/operations.md)
            pass


def _check_complete(directory: Path) -> None:
    present = [f for f in AUTHORITY_FILES if (directory / f).exists()]
    if not present:
        raise AuthorityError(MSG_MISSING.format(directory=directory))
    if len(present) != len(AUTHORITY_FILES):
        missing = sorted(set(AUTHORITY_FILES) - set(present))
        raise AuthorityError(MSG_INCOMPLETE.format(directory=directory, missing=", ".join(missing)))


def load_authority(directory: Path, *, secret: str) -> Authority:
    """The authority in ``directory``, its keys opened with the operator's ``secret`` (the CA key only to
    check it, then let go). AuthorityError, saying why, when anything is missing or wrong."""
    directory = Path(directory)
    _check_complete(directory)
    ca_pem = (directory / CA_CERT_FILE).read_bytes()
    tsa_pem = (directory / TSA_CERT_FILE).read_bytes()
    encrypted_ca_key = (directory / CA_KEY_FILE).read_bytes()
    ca_key = _decrypt_key(encrypted_ca_key, secret, CA_KEY_FILE, directory)
    tsa_key = _decrypt_key((directory / TSA_KEY_FILE).read_bytes(), secret, TSA_KEY_FILE, directory)
    ca_cert = x509.load_pem_x509_certificate(ca_pem)
    tsa_cert = x509.load_pem_x509_certificate(tsa_pem)
    if not _same_public_key(ca_cert, ca_key) or not _same_public_key(tsa_cert, tsa_key):
        raise AuthorityError(f"Sertifikat dan kunci di {directory} tidak cocok.")
    try:
        tsa_cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise AuthorityError(f"Sertifikat TSA di {directory} tidak diterbitkan oleh CA ini.") from exc
    del ca_key  # checked against its certificate; not kept
    seal_pem, seal_key = b"", None
    if (directory / SEAL_CERT_FILE).exists() and (directory / SEAL_KEY_FILE).exists():
        seal_pem = (directory / SEAL_CERT_FILE).read_bytes()
        seal_key = _decrypt_key((directory / SEAL_KEY_FILE).read_bytes(), secret, SEAL_KEY_FILE, directory)
        seal_cert = x509.load_pem_x509_certificate(seal_pem)
        if not _same_public_key(seal_cert, seal_key):
            raise AuthorityError(f"Sertifikat dan kunci segel di {directory} tidak cocok.")
        try:
            seal_cert.verify_directly_issued_by(ca_cert)
        except (InvalidSignature, ValueError, TypeError) as exc:
            raise AuthorityError(f"Sertifikat segel di {directory} tidak diterbitkan oleh CA ini.") from exc
    ocsp_pem, ocsp_key = b"", None
    if (directory / OCSP_CERT_FILE).exists() and (directory / OCSP_KEY_FILE).exists():
        ocsp_pem = (directory / OCSP_CERT_FILE).read_bytes()
        ocsp_key = _decrypt_key((directory / OCSP_KEY_FILE).read_bytes(), secret, OCSP_KEY_FILE, directory)
        if not _same_public_key(x509.load_pem_x509_certificate(ocsp_pem), ocsp_key):
            raise AuthorityError(f"Sertifikat dan kunci OCSP di {directory} tidak cocok.")
    return Authority(ca_cert_pem=ca_pem, tsa_cert_pem=tsa_pem, encrypted_ca_key_pem=encrypted_ca_key,
                     tsa_key=tsa_key, directory=str(directory), seal_cert_pem=seal_pem, seal_key=seal_key,
                     ocsp_cert_pem=ocsp_pem, ocsp_key=ocsp_key)


def encrypt_plain_keys(directory: Path, *, secret: str, kdf_iterations: int = AUTHORITY_KDF_ITERATIONS) -> list[str]:
    """Encrypt, in place, the keys of an authority made before keys were encrypted; the names of those done."""
    directory = Path(directory)
    if not secret:
        raise AuthorityError(MSG_NO_SECRET)
    done = []
    for name in (CA_KEY_FILE, TSA_KEY_FILE, SEAL_KEY_FILE, OCSP_KEY_FILE):
        path = directory / name
        if not path.exists():
            continue
        pem = path.read_bytes()
        if _is_encrypted(pem):
            continue
        key = serialization.load_pem_private_key(pem, password=None)
        _write_new(path, encrypt_private_key(key, secret, iterations=kdf_iterations), FILE_MODE)
        done.append(name)
    return done


def ensure_authority(directory: Path, *, secret: str, name: str = DEFAULT_AUTHORITY_NAME,
                     kdf_iterations: int = AUTHORITY_KDF_ITERATIONS, crl_url: str = "",
                     ocsp_url: str = "") -> Authority:
    """Load the authority from ``directory``; create it there first if the directory holds none of its files.

    For installing (``manage.py init_pki``) and tests; the running application only loads
    (``load_authority``). A directory holding only some of the four files is an error (never
    overwrite half an authority).
    """
    directory = Path(directory)
    if not secret:
        raise AuthorityError(MSG_NO_SECRET)
    present = [f for f in AUTHORITY_FILES if (directory / f).exists()]
    if len(present) == len(AUTHORITY_FILES):
        _tighten_modes(directory)
        return load_authority(directory, secret=secret)
    if present:
        _check_complete(directory)

    directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    os.chmod(directory, DIRECTORY_MODE)  # mkdir's mode is filtered by the umask, and the directory may exist
    ca_cert, ca_key = _make_ca(name)
    tsa_cert, tsa_key = _make_tsa(ca_cert, ca_key, crl_url=crl_url, ocsp_url=ocsp_url)
    # Keys first, certificates last: a crash leaves an incomplete directory, which is refused above.
    # Everything 0600 in a 0700 directory: the certificates are public, but nobody needs them from the disk.
    _write_new(directory / CA_KEY_FILE, encrypt_private_key(ca_key, secret, iterations=kdf_iterations), FILE_MODE)
    _write_new(directory / TSA_KEY_FILE, encrypt_private_key(tsa_key, secret, iterations=kdf_iterations), FILE_MODE)
    _write_new(directory / TSA_CERT_FILE, tsa_cert.public_bytes(serialization.Encoding.PEM), FILE_MODE)
    ocsp_cert, ocsp_key = _make_service_certificate(ca_cert, ca_key, name=OCSP_NAME, ocsp=True)
    _write_new(directory / OCSP_KEY_FILE, encrypt_private_key(ocsp_key, secret, iterations=kdf_iterations), FILE_MODE)
    _write_new(directory / OCSP_CERT_FILE, ocsp_cert.public_bytes(serialization.Encoding.PEM), FILE_MODE)
    seal_cert, seal_key = _make_service_certificate(ca_cert, ca_key, crl_url=crl_url, ocsp_url=ocsp_url)
    _write_new(directory / SEAL_KEY_FILE, encrypt_private_key(seal_key, secret, iterations=kdf_iterations), FILE_MODE)
    _write_new(directory / SEAL_CERT_FILE, seal_cert.public_bytes(serialization.Encoding.PEM), FILE_MODE)
    _write_new(directory / CA_CERT_FILE, ca_cert.public_bytes(serialization.Encoding.PEM), FILE_MODE)
    return load_authority(directory, secret=secret)


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a crash leaves the old file)."""
    partial = path.with_name(path.name + ".baru")
    partial.unlink(missing_ok=True)
    _write_new(partial, data, FILE_MODE)
    os.replace(partial, path)


def has_revocation_addresses(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    except x509.ExtensionNotFound:
        return False
    return True


def reissue_tsa(directory: Path, *, secret: str, crl_url: str = "", ocsp_url: str = "",
                kdf_iterations: int = AUTHORITY_KDF_ITERATIONS) -> Authority:
    """A new TSA key and certificate under the same CA (one without revocation addresses, or one near its end).

    Timestamps made before carry the old TSA certificate inside them and stay verifiable.
    """
    directory = Path(directory)
    loaded = load_authority(directory, secret=secret)
    ca_key = loaded.unlock_ca_key(secret)
    try:
        cert, key = _make_tsa(loaded.ca_cert, ca_key, crl_url=crl_url, ocsp_url=ocsp_url)
    finally:
        del ca_key
    _replace(directory / TSA_KEY_FILE, encrypt_private_key(key, secret, iterations=kdf_iterations))
    _replace(directory / TSA_CERT_FILE, cert.public_bytes(serialization.Encoding.PEM))
    return load_authority(directory, secret=secret)


RETIRED_DIR = "pensiun"
# Everything a rollover moves: the authority, its seal and its OCSP responder.
ROLLED_OVER_FILES = (*AUTHORITY_FILES, SEAL_CERT_FILE, SEAL_KEY_FILE, OCSP_CERT_FILE, OCSP_KEY_FILE)
FAILED_PREFIX = "gagal-"  # under RETIRED_DIR: a rollover whose recording failed (never a trust root)


def roll_over(directory: Path, *, secret: str, name: str = "", crl_url: str = "",
              ocsp_url: str = "", kdf_iterations: int = AUTHORITY_KDF_ITERATIONS) -> Authority:
    """A new CA (with its TSA, seal and OCSP responder) before the current one ends.

    The old authority's files move to ``pensiun/<fingerprint>/`` (kept: its CA certificate remains a trust
    root for what it signed); the caller records the new CA (``pki.authority_roll_over``). The new CA's
    name carries its year, so that no verifier mistakes one CA's CRL or certificates for the other's.
    """
    directory = Path(directory)
    old = load_authority(directory, secret=secret)
    name = name or f"{DEFAULT_AUTHORITY_NAME} {_now().year}"
    retired = directory / RETIRED_DIR / old.ca_fingerprint_sha256()[:16]
    retired.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    for file in ROLLED_OVER_FILES:
        if (directory / file).exists():
            os.replace(directory / file, retired / file)
    return ensure_authority(directory, secret=secret, name=name, kdf_iterations=kdf_iterations, crl_url=crl_url,
                            ocsp_url=ocsp_url)


def undo_roll_over(directory: Path, old_fingerprint: str) -> None:
    """Put the authority retired as ``old_fingerprint`` back in ``directory`` (its successor set aside under
    ``pensiun/gagal-<fingerprint>/``): for a rollover whose recording failed."""
    directory = Path(directory)
    retired = directory / RETIRED_DIR / old_fingerprint[:16]
    if not (retired / CA_CERT_FILE).exists():
        return
    if (directory / CA_CERT_FILE).exists():
        successor = x509.load_pem_x509_certificate((directory / CA_CERT_FILE).read_bytes())
        failed = directory / RETIRED_DIR / f"{FAILED_PREFIX}{fingerprint_sha256(successor)[:16]}"
        failed.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        for name in ROLLED_OVER_FILES:
            if (directory / name).exists():
                os.replace(directory / name, failed / name)
    for name in ROLLED_OVER_FILES:
        if (retired / name).exists():
            os.replace(retired / name, directory / name)
    retired.rmdir()


def load_retired(directory: Path, *, secret: str) -> list[Authority]:
    """The authorities ``roll_over`` retired under ``directory`` (oldest first): their OCSP responders still
    answer for the certificates they issued, for the archive's validation data and for relying parties."""
    retired = Path(directory) / RETIRED_DIR
    if not retired.is_dir():
        return []
    found = [load_authority(folder, secret=secret) for folder in sorted(retired.iterdir())
             if folder.is_dir() and not folder.name.startswith(FAILED_PREFIX) and (folder / CA_CERT_FILE).exists()]
    return sorted(found, key=lambda a: a.ca_cert.not_valid_before_utc)


def issue_signer(
    authority: Authority,
    *,
    ca_secret: str,
    common_name: str,
    organisation: str,
    unit: str,
    nip: str,
    passphrase: str,
    valid_days: int = 730,
    kdf_iterations: int = KEY_KDF_ITERATIONS,
    crl_url: str = "",
    ocsp_url: str = "",
) -> IssuedCredential:
    """Issue one signer's certificate and key; the key comes back encrypted with ``passphrase``.

    ``ca_secret`` (the operator's secret) unlocks the CA key for this issuance only.

    ``kdf_iterations``: PBKDF2-HMAC-SHA256 iterations of the key's encryption (see KEY_KDF_ITERATIONS).
    """
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
    builder = _with_revocation_addresses(builder, crl_url, ocsp_url)
    builder = _key_identifiers(builder, key.public_key(), ca_cert.public_key())
    ca_key = authority.unlock_ca_key(ca_secret)
    try:
        cert = builder.sign(ca_key, hashes.SHA256())
    finally:
        del ca_key
    return IssuedCredential(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        encrypted_key_pem=encrypt_private_key(key, passphrase, iterations=kdf_iterations),
        serial=cert.serial_number,
        fingerprint_sha256=fingerprint_sha256(cert),
        not_after=cert.not_valid_after_utc,
    )


def make_crl(authority: Authority, *, ca_secret: str, revoked: list[tuple[int, datetime]], number: int,
             valid_days: int = CRL_VALID_DAYS) -> bytes:
    """The CA's CRL (DER) listing ``revoked`` (serial, revocation time); the CA key is unlocked for it only."""
    now = _now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.ca_cert.subject)
        .last_update(now)
        .next_update(now + timedelta(days=valid_days))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.ca_cert.public_key()),
                       critical=False)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
    ca_key = authority.unlock_ca_key(ca_secret)
    try:
        crl = builder.sign(ca_key, hashes.SHA256())
    finally:
        del ca_key
    return crl.public_bytes(serialization.Encoding.DER)
