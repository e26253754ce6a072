"""Did Sepakat make each signature of a stored document? Checked against the audit log.

A valid PDF signature only says that some key certified by a trusted CA signed it. Whoever
holds the CA key (a stolen backup of the authority folder) can certify a new key under a real
official's name, re-sign an altered document and insert it as a stored revision. What they
cannot do without breaking the hash chain is add the audit events Sepakat wrote when it issued
the official's certificate and when the official signed. So every signature must match:

- a ``document.signed`` event of the stored version naming the exact revision the signature
  made (the file up to the end of its byte range) and the signer's certificate fingerprint;
- a ``signing.credential_issued`` event issuing that fingerprint to the same official;
- a timestamp taken when the event was written, and a claimed signing time not after it;
- no revocation of the certificate before the signature's timestamp.

And every archive timestamp (PAdES B-LTA) must close a revision Sepakat recorded making
(``document.archive_timestamped``): a forger can append a document timestamp of their own, not its event.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from audit.actions import AuditAction
from audit.models import AuditEvent

from .models import RevokedCertificate
from .signing import VerificationReport
from .snapshots import wib

# The signature is made, timestamped and recorded in one request: seconds apart. An external
# TSA's clock may differ from ours by a little; a back-dated timestamp differs by much more.
CLOCK_TOLERANCE = timedelta(minutes=5)

NOT_RECORDED = _("Tanda tangan ke-%(position)d tidak tercatat di log audit Sepakat untuk revisi yang dibuatnya.")
CERT_NOT_RECORDED = _(
    "Sertifikat tanda tangan ke-%(position)d bukan sertifikat yang tercatat dipakai penanda tangannya."
)
CERT_NOT_ISSUED = _("Sertifikat tanda tangan ke-%(position)d bukan sertifikat yang diterbitkan Sepakat untuk "
                    "penanda tangannya.")
SIGNED_AFTER_TIMESTAMP = _(
    "Waktu penandatanganan yang diklaim tanda tangan ke-%(position)d lebih lambat dari cap waktunya."
)
SIGNED_AFTER_REVOCATION = _(
    "Tanda tangan ke-%(position)d dibuat setelah sertifikatnya dicabut (%(when)s)."
)
ARCHIVE_NOT_RECORDED = _("Cap waktu arsip %(field)s tidak tercatat di log audit Sepakat untuk revisi yang dibuatnya.")
TIMESTAMP_NOT_EVENT_TIME = _(
    "Cap waktu tanda tangan ke-%(position)d tidak sesuai dengan waktu penandatanganan yang tercatat di log audit."
)


def signature_problems(stored, report: VerificationReport) -> list[str]:
    """What the audit log says against the signatures of ``stored`` (a StoredPdf); [] when all match."""
    signed = [
        event for event in AuditEvent.objects.filter(
            action=AuditAction.DOCUMENT_SIGNED, programme_id=stored.document.programme_id,
            version_id=stored.version_id,
        ).only("actor_id", "created", "details")
    ]
    by_revision = {event.details.get("sha256"): event for event in signed}
    actors = {event.actor_id for event in signed}
    issued = {
        (event.actor_id, event.details.get("fingerprint"))
        for event in AuditEvent.objects.filter(action=AuditAction.SIGNING_CREDENTIAL_ISSUED, actor_id__in=actors)
        .only("actor_id", "details")
    }
    revocations = dict(RevokedCertificate.objects.filter(
        fingerprint_sha256__in=[s.signer_fingerprint_sha256 for s in report.signatures])
        .values_list("fingerprint_sha256", "revoked_at"))
    problems: list[str] = []
    for position, signature in enumerate(report.signatures, start=1):
        values = {"position": position}
        fingerprint = signature.signer_fingerprint_sha256
        event = by_revision.get(signature.revision_sha256) if signature.revision_sha256 else None
        if event is None:
            problems.append(str(NOT_RECORDED % values))
        elif event.details.get("certificate") != fingerprint:
            problems.append(str(CERT_NOT_RECORDED % values))
        elif (event.actor_id, fingerprint) not in issued:
            problems.append(str(CERT_NOT_ISSUED % values))
        stamped = signature.timestamp_time
        if stamped is not None and signature.signing_time is not None \
                and signature.signing_time > stamped + CLOCK_TOLERANCE:
            problems.append(str(SIGNED_AFTER_TIMESTAMP % values))
        revoked = revocations.get(fingerprint)
        if revoked is not None and (stamped is None or stamped >= revoked):
            problems.append(str(SIGNED_AFTER_REVOCATION % {**values, "when": wib(revoked)}))
        if stamped is not None and event is not None and abs(event.created - stamped) > CLOCK_TOLERANCE:
            problems.append(str(TIMESTAMP_NOT_EVENT_TIME % values))
    recorded_archives = {
        details.get("sha256") for details in AuditEvent.objects.filter(
            action=AuditAction.DOCUMENT_ARCHIVE_TIMESTAMPED, programme_id=stored.document.programme_id,
            version_id=stored.version_id).values_list("details", flat=True)
        if isinstance(details, dict)
    } if report.archive_timestamps else set()
    for archive in report.archive_timestamps:
        if not archive.revision_sha256 or archive.revision_sha256 not in recorded_archives:
            problems.append(str(ARCHIVE_NOT_RECORDED % {"field": archive.field_name}))
    return problems
