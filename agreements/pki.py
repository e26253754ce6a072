"""The local signing authority as the application sees it: the folder, the operator's secret, and
the audit log's record of which CA Sepakat made.

``manage.py init_pki`` (``authority_init``) makes the authority once and records its CA (the
certificate itself, and its fingerprint) in the audit log. From then on the application only
loads it, and refuses to sign when the folder is missing, locked with another secret, or holds a
CA other than the one recorded: a silently made new CA would make every genuine document read
"not genuine". Verification trusts the recorded CA certificates too, so a lost folder stops
signing, not verifying.
"""

from __future__ import annotations

import logging
import secrets
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.actions import AuditAction
from audit.models import AuditEvent
from audit.services import event_record

from .signing import (
    Authority,
    AuthorityError,
    encrypt_plain_keys,
    ensure_authority,
    ensure_ocsp_responder,
    ensure_seal,
    fingerprint_sha256,
    has_revocation_addresses,
    load_retired,
    reissue_tsa,
    roll_over,
    undo_roll_over,
)
from .signing.backends.local import authority_from_settings, local_timestamper
from .signing.backends.local import authority_secret as _secret_of

logger = logging.getLogger(__name__)

OTHER_AUTHORITY = _(
    "Folder otoritas penandatanganan berisi CA lain (sidik jari %(found)s) daripada CA yang dibuat Sepakat "
    "(%(recorded)s). Penandatanganan ditolak: pulihkan folder yang benar dari cadangan."
)
ALREADY_MADE = _(
    "Sepakat sudah pernah membuat otoritas penandatanganan (CA %(recorded)s), tetapi folder %(directory)s "
    "tidak memuatnya: %(why)s Pulihkan folder itu dari cadangan; init_pki tidak membuat CA baru diam-diam."
)
DEV_SECRET_MADE = _("Rahasia operator untuk pengembangan dibuat di %(path)s (produksi: SEPAKAT_AUTHORITY_SECRET).")


def secret() -> str:
    """The operator's secret, read now from settings (the file is read each time, not kept)."""
    return _secret_of(settings.SIGNING)


def recorded_ca_certificates() -> list[bytes]:
    """Every CA certificate Sepakat recorded making (PEM), oldest first."""
    return [
        details["ca_cert_pem"].encode()
        for details in AuditEvent.objects.filter(action=AuditAction.SIGNING_AUTHORITY_CREATED)
        .order_by("pk").values_list("details", flat=True)
        if isinstance(details, dict) and details.get("ca_cert_pem")
    ]


def recorded_fingerprint() -> str:
    """The fingerprint of the CA Sepakat made last, or "" when no authority was ever recorded."""
    certificates = recorded_ca_certificates()
    return fingerprint_sha256(x509.load_pem_x509_certificate(certificates[-1])) if certificates else ""


def check_recorded(found_fingerprint: str) -> None:
    """AuthorityError when the folder's CA is not the one Sepakat recorded making."""
    recorded = recorded_fingerprint()
    if not recorded:
        logger.warning("no signing authority is recorded in the audit log: run manage.py init_pki")
        return
    if found_fingerprint != recorded:
        raise AuthorityError(str(OTHER_AUTHORITY % {"found": found_fingerprint[:16], "recorded": recorded[:16]}))


def authority() -> Authority:
    """The configured authority, checked against the audit log's record; AuthorityError saying why not."""
    loaded = authority_from_settings(settings.SIGNING)
    _checked(loaded.ca_fingerprint_sha256())
    return loaded


@cache
def _checked_once(fingerprint: str, database: str) -> None:
    check_recorded(fingerprint)


def _checked(fingerprint: str) -> None:
    # Once per process and CA; the database name keeps test databases apart.
    _checked_once(fingerprint, str(settings.DATABASES["default"]["NAME"]))


def authority_preload() -> bool:
    """Load the authority, the retired ones and the TSA now (their keys' decryption is ~1.5 s), so that the first
    signature of a web or worker process does not pay it. For a process starting (sepakat.wsgi, a Celery
    worker's child): never raises; a missing or wrong authority is logged and the signature says why later."""
    from django.db import connections

    try:
        timestamper()
        retired_authorities()
    except Exception:
        logger.warning("the signing authority could not be loaded in advance", exc_info=True)
        return False
    finally:
        connections.close_all()  # this thread's (or this starting process's) own connection, if it opened one
    return True


def retired_authorities() -> list[Authority]:
    """The CAs rolled over from (their folders under ``pensiun/``), loaded once per process."""
    return _retired_at(str(settings.SIGNING["AUTHORITY_DIR"]), secret())


@cache
def _retired_at(directory: str, operator_secret: str) -> list[Authority]:
    return load_retired(Path(directory), secret=operator_secret)


def our_authorities() -> list[Authority]:
    """The current authority, then those rolled over from."""
    return [authority(), *retired_authorities()]


def issuing_authority(certificate: x509.Certificate) -> Authority | None:
    """The authority (current or retired) whose CA issued ``certificate``; None for anyone else's."""
    for candidate in our_authorities():
        try:
            certificate.verify_directly_issued_by(candidate.ca_cert)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return candidate
    return None


def published_root() -> bytes:
    """The CA certificates to publish (PEM): every one Sepakat recorded, oldest first (after a rollover the
    documents signed under the old CA still verify against it), else the folder's."""
    recorded = recorded_ca_certificates()
    return b"".join(pem if pem.endswith(b"\n") else pem + b"\n" for pem in recorded) if recorded \
        else authority().ca_cert_pem


def published_root_fingerprints() -> list[str]:
    """SHA-256 fingerprints of the published CA certificates, in the same order."""
    return [fingerprint_sha256(x509.load_pem_x509_certificate(pem)) for pem in recorded_ca_certificates()] or \
        [authority().ca_fingerprint_sha256()]


def timestamper():
    """The local authority's TSA (what answers RFC 3161 requests at Sepakat's ``/tsa/``)."""
    return _timestamper_of(authority())


@cache
def _timestamper_of(loaded: Authority):
    return local_timestamper(loaded)


def _dev_secret_file() -> Path | None:
    """Outside production, the secret file named by settings is made on first init."""
    path = settings.SIGNING.get("AUTHORITY_SECRET_FILE")
    if getattr(settings, "PRODUCTION", False) or settings.SIGNING.get("AUTHORITY_SECRET") or not path:
        return None
    path = Path(path)
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_urlsafe(32) + "\n")
    path.chmod(0o600)
    return path


def revocation_urls() -> dict[str, str]:
    """The CRL and OCSP addresses Sepakat serves, as the authority's certificates name them."""
    from django.urls import reverse

    return {"crl_url": f"{settings.SEPAKAT_BASE_URL}{reverse('crl')}",
            "ocsp_url": f"{settings.SEPAKAT_BASE_URL}{reverse('ocsp')}"}


def _iterations() -> int:
    return settings.SIGNING.get("AUTHORITY_KDF_ITERATIONS", 600_000)


def recorded_seal_fingerprints() -> set[str]:
    """Every system seal Sepakat recorded (the only certificates that may sign a checkpoint)."""
    return {
        details["seal_fingerprint"]
        for details in AuditEvent.objects.filter(action=AuditAction.SIGNING_SEAL_RECORDED)
        .values_list("details", flat=True)
        if isinstance(details, dict) and details.get("seal_fingerprint")
    }


def _with_seal(loaded: Authority, directory: Path, operator_secret: str, iterations: int, done: list) -> Authority:
    """An authority made before the system's seal gets one (it signs the audit log's checkpoints); the seal
    is recorded in the audit log once."""
    if not loaded.seal_cert_pem:
        ensure_seal(directory, secret=operator_secret, kdf_iterations=iterations)
        _authority_cache_clear()
        done.append("Segel sistem dibuat (menandatangani titik periksa log audit).")
        loaded = authority_from_settings(settings.SIGNING)
    if not loaded.ocsp_cert_pem:
        ensure_ocsp_responder(directory, secret=operator_secret, kdf_iterations=iterations)
        _authority_cache_clear()
        done.append("Penjawab OCSP dibuat (status pencabutan sertifikat).")
        loaded = authority_from_settings(settings.SIGNING)
    if not has_revocation_addresses(loaded.tsa_cert):  # made before the TSA named its CRL and OCSP responder
        reissue_tsa(directory, secret=operator_secret, kdf_iterations=iterations, **revocation_urls())
        _authority_cache_clear()
        done.append("Sertifikat TSA diterbitkan ulang dengan alamat CRL dan OCSP.")
        loaded = authority_from_settings(settings.SIGNING)
        _record_tsa_reissued(loaded)
    seal = fingerprint_sha256(loaded.seal_cert)
    if seal not in recorded_seal_fingerprints():
        event_record(actor=None, action=AuditAction.SIGNING_SEAL_RECORDED,
                     details={"seal_fingerprint": seal, "seal_cert_pem": loaded.seal_cert_pem.decode()})
    return loaded


def _authority_cache_clear() -> None:
    from .signing.backends import local

    local._authority_at.cache_clear()
    _timestamper_of.cache_clear()
    _retired_at.cache_clear()


@transaction.atomic
def authority_init() -> tuple[Authority, list[str]]:
    """Make the authority if this installation never had one; encrypt keys left unencrypted; record it.

    Returns the authority and what was done, one line each. Refuses (AuthorityError) to make a new
    CA where the audit log says Sepakat already made one.
    """
    done: list[str] = []
    made = _dev_secret_file()
    if made:
        done.append(str(DEV_SECRET_MADE % {"path": made}))
    directory = Path(settings.SIGNING["AUTHORITY_DIR"])
    operator_secret = secret()
    recorded = recorded_fingerprint()
    iterations = settings.SIGNING.get("AUTHORITY_KDF_ITERATIONS", 600_000)
    if directory.exists():
        encrypted = encrypt_plain_keys(directory, secret=operator_secret, kdf_iterations=iterations)
        if encrypted:
            done.append(f"Dienkripsi dengan rahasia operator: {', '.join(encrypted)}")
            event_record(actor=None, action=AuditAction.SIGNING_AUTHORITY_KEYS_ENCRYPTED,
                         details={"files": encrypted})
    if recorded:
        try:
            loaded = authority_from_settings(settings.SIGNING)
        except AuthorityError as error:
            raise AuthorityError(str(ALREADY_MADE % {"recorded": recorded[:16], "directory": directory,
                                                     "why": error})) from error
        check_recorded(loaded.ca_fingerprint_sha256())
        return _with_seal(loaded, directory, operator_secret, iterations, done), done
    loaded = ensure_authority(directory, secret=operator_secret, kdf_iterations=iterations, **revocation_urls())
    loaded = _with_seal(loaded, directory, operator_secret, iterations, done)
    _record_created(loaded)
    done.append("Otoritas dicatat di log audit.")
    return loaded, done


def _record_created(loaded: Authority, **extra) -> None:
    event_record(actor=None, action=AuditAction.SIGNING_AUTHORITY_CREATED,
                 details={"ca_fingerprint": loaded.ca_fingerprint_sha256(),
                          "ca_cert_pem": loaded.ca_cert_pem.decode(),
                          "tsa_fingerprint": fingerprint_sha256(loaded.tsa_cert),
                          "not_after": loaded.ca_cert.not_valid_after_utc.isoformat(), **extra})


@transaction.atomic
def tsa_reissue() -> Authority:
    """A new local TSA certificate under the same CA (its predecessor nears its end); audited."""
    directory = Path(settings.SIGNING["AUTHORITY_DIR"])
    loaded = reissue_tsa(directory, secret=secret(), kdf_iterations=_iterations(), **revocation_urls())
    _authority_cache_clear()
    _record_tsa_reissued(loaded)
    return authority()


def _record_tsa_reissued(loaded: Authority) -> None:
    event_record(actor=None, action=AuditAction.SIGNING_TSA_REISSUED,
                 details={"tsa_fingerprint": fingerprint_sha256(loaded.tsa_cert),
                          "not_after": loaded.tsa_cert.not_valid_after_utc.isoformat()})


def authority_roll_over() -> Authority:
    """A new CA before the current one ends, recorded like the first (the old one stays a trust root).

    The folder changes before the database: if recording fails, the old authority's files are put back, so
    that the folder never holds a CA the audit log does not name (which would stop all signing)."""
    directory = Path(settings.SIGNING["AUTHORITY_DIR"])
    old = authority()
    try:
        with transaction.atomic():
            return _roll_over(directory, old)
    except Exception:
        undo_roll_over(directory, old.ca_fingerprint_sha256())
        _authority_cache_clear()
        raise


def _roll_over(directory: Path, old: Authority) -> Authority:
    loaded = roll_over(directory, secret=secret(), kdf_iterations=_iterations(), **revocation_urls())
    _authority_cache_clear()
    _record_created(loaded, previous_ca_fingerprint=old.ca_fingerprint_sha256())
    seal = fingerprint_sha256(loaded.seal_cert)
    event_record(actor=None, action=AuditAction.SIGNING_SEAL_RECORDED,
                 details={"seal_fingerprint": seal, "seal_cert_pem": loaded.seal_cert_pem.decode()})
    # Officials' certificates of the old CA end with it: revoked now (signatures made before stay genuine),
    # each official sets a new passphrase at their next signature and gets one from the new CA.
    from .models import SigningCredential
    from .revocation import REASON_CA_ROLLED_OVER, credential_revoke

    for credential in SigningCredential.objects.filter(revoked_at__isnull=True).select_related("user"):
        credential_revoke(credential=credential, actor=None, reason=REASON_CA_ROLLED_OVER)
    return authority()
