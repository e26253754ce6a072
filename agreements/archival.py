"""PAdES B-LTA: final documents that stay verifiable after every certificate in them has expired.

At a stage's close (``final_archive``) the revocation data for every certificate of every signature
(the officials', the TSA's) goes into the document's DSS and a document timestamp seals the whole
file: the final revision. Before the last document timestamp's certificate expires, the renewal
(``workflows.archiving``; ``manage.py archive_renew``, daily in production) adds the revocation data
for that timestamp and a fresh document timestamp, as a new final revision of the same document: each timestamp vouches
for everything before it at a time its predecessor's certificate was still valid (ETSI EN 319 142-1).
When the local TSA's own certificate nears its end it is re-issued first, and when the CA nears its
end the authority rolls over to a new CA (the old one stays a trust root).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper, TimestampDSSContentSettings
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.dss import collect_validation_info
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko_certvalidator import ValidationContext

from audit.actions import AuditAction
from audit.services import event_record

from . import pki, revocation
from .models import StoredPdf
from .signatures import signing_backend, software_versions, trust_roots

logger = logging.getLogger(__name__)

ARCHIVE_FIELD_PREFIX = "SepakatArsip"
# Renew when the last document timestamp's certificate has less than this left (the daily run has a
# year of chances), and re-issue the local TSA (or roll the CA over) when theirs has.
RENEW_BEFORE = datetime.timedelta(days=365)


@contextmanager
def archive_renewal_open() -> Iterator[None]:
    """Within this block (one transaction) a final document may gain a final archive revision (migration 0009)."""
    db = connection
    with transaction.atomic(), db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute("SELECT set_config('sepakat.archive_renewal', 'on', true)")
        elif db.vendor == "sqlite":
            cursor.execute("INSERT INTO agreements_archive_renewal (reason) VALUES ('archive_renew')")
        yield
        if db.vendor == "postgresql":
            cursor.execute("SELECT set_config('sepakat.archive_renewal', 'off', true)")
        elif db.vendor == "sqlite":
            cursor.execute("DELETE FROM agreements_archive_renewal")


class ArchiveError(Exception):
    """The document could not be given its validation data and archive timestamp."""


def _certificates_of(reader: PdfFileReader) -> list[asn1_x509.Certificate]:
    """Every certificate the document's signatures and timestamps carry (signers, TSAs, CAs)."""
    found: dict[bytes, asn1_x509.Certificate] = {}
    for embedded in [*reader.embedded_regular_signatures, *reader.embedded_timestamp_signatures]:
        signed_datas = [embedded.signed_data]
        for signed in (False, True):
            signed_datas += list(extract_tst_data_iter(embedded.signer_info, signed=signed))
        for signed_data in signed_datas:
            for choice in signed_data["certificates"] or []:
                if choice.name == "certificate":
                    found.setdefault(choice.chosen.dump(), choice.chosen)
    return list(found.values())


def _own_revocation_data(certificates: list[asn1_x509.Certificate]) -> tuple[list, list]:
    """The current CA's CRL and an OCSP answer for each certificate one of our CAs issued (the current one, or
    one rolled over from: its responder still answers). No network: we are the CA."""
    try:
        pki.authority()
    except Exception as error:  # another backend, a lost folder: what the context can fetch is all there is
        logger.warning("no local revocation data for the archive: %s", error)
        return [], []
    ocsps = []
    for certificate in certificates:
        parsed = x509.load_der_x509_certificate(certificate.dump())
        if parsed.subject == parsed.issuer:  # a root: nothing to ask
            continue
        answer = revocation.ocsp_response_for(parsed)
        if answer is not None:
            ocsps.append(asn1_ocsp.OCSPResponse.load(answer))
    # Every CA's CRL: a certificate revoked after it signed reads "good" at the signature's time only from a
    # CRL (an OCSP "revoked" answer is no evidence for an earlier moment).
    crls = [revocation.crl_der(), *(revocation.crl_der(retired) for retired in pki.retired_authorities())]
    return [asn1_crl.CertificateList.load(der) for der in crls], ocsps


def _roots() -> list[asn1_x509.Certificate]:
    return [certificate for data in trust_roots() for certificate in load_certs_from_pemder_data(data)]


def _validation_context(certificates, crls, ocsps, *, strict: bool, moment=None) -> ValidationContext:
    # An outside TSA's or CA's certificate names its own CRL and OCSP addresses: fetched then.
    fetch = not crls or bool(settings.SIGNING.get("TSA_URL"))
    # As of a signature's timestamp, with revocation data made now: it counts for that earlier moment (our CAs
    # never put a certificate on hold, so "good now" means never revoked, and a revocation has its own time).
    return ValidationContext(trust_roots=_roots(), other_certs=certificates, crls=crls, ocsps=ocsps, moment=moment,
                             retroactive_revinfo=moment is not None, allow_fetching=fetch,
                             revocation_mode="hard-fail" if strict else "soft-fail")


def _signature_time(embedded) -> datetime.datetime | None:
    """When the signature's own timestamp says it existed (checked by the validation that follows)."""
    for token in extract_tst_data_iter(embedded.signer_info, signed=False):
        return token["encap_content_info"]["content"].parsed["gen_time"].native
    return None


def _timestamper():
    """The backend's TSA (an outside one when SEPAKAT_TSA_URL names it), else the local authority's."""
    make = getattr(signing_backend(), "timestamper", None)
    return make() if make is not None else pki.timestamper()


def _next_field_name(reader: PdfFileReader) -> str:
    return f"{ARCHIVE_FIELD_PREFIX}{len(reader.embedded_timestamp_signatures) + 1}"


def lta_extend(content: bytes) -> bytes:
    """``content`` plus one incremental update: the DSS (certificates, CRLs, OCSP answers of every signature
    and earlier document timestamp) and a new document timestamp over all of it."""
    try:
        reader = PdfFileReader(BytesIO(content), strict=False)
        earlier = reader.embedded_timestamp_signatures
        certificates = _certificates_of(reader)
        crls, ocsps = _own_revocation_data(certificates)  # the database is read here, not in the event loop
        if earlier:
            # A renewal: the last document timestamp's data, as of now (its certificate still holds; the
            # signatures' data went in while theirs did).
            to_collect = [(earlier[-1], _validation_context(certificates, crls, ocsps, strict=False))]
        else:
            # The close: every signature and its timestamp, revocation required, each as of its own timestamp
            # (a certificate revoked since, or rolled over from, does not stop the close; provenance and
            # verification judge revocations against the timestamp).
            to_collect = [(embedded, _validation_context(certificates, crls, ocsps, strict=True,
                                                         moment=_signature_time(embedded)))
                          for embedded in reader.embedded_regular_signatures]
        now = _validation_context(certificates, crls, ocsps, strict=not earlier)
        stamper = PdfTimeStamper(_timestamper(), field_name=_next_field_name(reader))
        # One event loop for the whole of it: pyHanko's validation context caches awaitables bound to the loop.
        result = asyncio.run(_lta_extend(content, to_collect, now, stamper, certificates, crls, ocsps))
    except Exception as error:  # pyHanko and the TSA fail in many ways; nothing is kept then
        raise ArchiveError(f"{error.__class__.__name__}: {error}") from error
    if not result.startswith(content):
        raise ArchiveError("the archive timestamp is not an incremental update")
    return result


async def _lta_extend(content: bytes, to_collect, now: ValidationContext, stamper: PdfTimeStamper,
                      certificates, crls, ocsps) -> bytes:
    paths = []
    for embedded, context in to_collect:
        paths += await collect_validation_info(embedded, context)
    writer = IncrementalPdfFileWriter(BytesIO(content), strict=False)
    DocumentSecurityStore.supply_dss_in_writer(writer, sig_contents=None, paths=paths, certs=certificates,
                                               crls=crls, ocsps=ocsps)
    out = BytesIO()
    await stamper.async_timestamp_pdf(
        writer, "sha256", validation_context=now, output=out,
        # One revision: the validation data first, then the timestamp that covers it.
        dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False))
    return out.getvalue()


def last_archive_timestamp(content: bytes) -> tuple[datetime.datetime, datetime.datetime] | None:
    """(time, its TSA certificate's end) of the document's last document timestamp; None without one."""
    reader = PdfFileReader(BytesIO(content), strict=False)
    stamps = reader.embedded_timestamp_signatures
    if not stamps:
        return None
    last = stamps[-1]
    tst_info = last.signed_data["encap_content_info"]["content"].parsed
    return tst_info["gen_time"].native, last.signer_cert.not_valid_after


@transaction.atomic
def final_archive(stored: StoredPdf, *, reason: str, must_hold_until: datetime.datetime | None = None) -> StoredPdf:
    """A new final revision of ``stored``: its content with validation data and a document timestamp.

    ``must_hold_until``: refuse (ArchiveError, nothing kept) when the new timestamp's certificate ends before
    then: a renewal by a TSA whose certificate is about to end too would be due again the next day."""
    with stored.file.open("rb") as handle:
        content = handle.read()
    extended = lta_extend(content)
    digest = hashlib.sha256(extended).hexdigest()
    stamp_time, tsa_end = last_archive_timestamp(extended)
    if must_hold_until is not None and tsa_end < must_hold_until:
        raise ArchiveError(f"the TSA certificate ends {tsa_end:%Y-%m-%d}, before {must_hold_until:%Y-%m-%d}: "
                           "renew it (or use another TSA) first")
    document = stored.document
    new = StoredPdf(
        document=document, version=stored.version, revision=stored.revision + 1, sha256=digest,
        parent_sha256=stored.sha256, data_sha256=stored.data_sha256, size=len(extended), is_final=True,
        previous_stage_sha256=stored.previous_stage_sha256, signature_boxes=stored.signature_boxes,
        fill_fields=stored.fill_fields, software=software_versions(),
    )
    new.file.save(f"{document.identifier}-v{stored.version.number}-r{new.revision}-{digest[:12]}.pdf",
                  ContentFile(extended), save=False)
    new.save()
    event_record(actor=None, action=AuditAction.DOCUMENT_ARCHIVE_TIMESTAMPED, region=document.programme.region,
                 version=stored.version,
                 details={"sha256": digest, "parent_sha256": stored.sha256, "reason": reason,
                          "timestamp": stamp_time.isoformat(), "tsa_not_after": tsa_end.isoformat()})
    return new


def authority_renewal_due(now: datetime.datetime) -> str:
    """What the local authority must do first so that new timestamps outlive RENEW_BEFORE: "ca" (roll the
    CA over), "tsa" (re-issue the TSA certificate) or "" (nothing; also with an outside TSA)."""
    if settings.SIGNING.get("TSA_URL"):
        return ""
    loaded = pki.authority()
    if loaded.ca_cert.not_valid_after_utc - now < RENEW_BEFORE * 2:
        return "ca"
    if loaded.tsa_cert.not_valid_after_utc - now < RENEW_BEFORE:
        return "tsa"
    return ""


def renewal_due(stored: StoredPdf, now: datetime.datetime) -> bool:
    """Whether the final revision's last archive timestamp's certificate ends within RENEW_BEFORE (or it has none)."""
    with stored.file.open("rb") as handle:
        last = last_archive_timestamp(handle.read())
    return last is None or last[1] - now < RENEW_BEFORE
