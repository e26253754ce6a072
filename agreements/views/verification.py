"""The public verification page: anyone with a PDF or a document's verification code, no login.

Bounded for strangers: a document opens only by its unguessable verification code (never by its
identifier), requests are rate-limited per client address, uploads are size-capped and read in
bounded memory (agreements.pdfsafety), and anonymous lookups are counted per day
(VerificationCount) instead of being written to the hash-chained audit log.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import generic

from audit.actions import AuditAction
from audit.services import event_record

from .. import pki, ratelimit
from ..models import SignatureRecord, StoredPdf, VerificationChannel, VerificationOutcome
from ..uploads import TOO_LARGE, PdfUploadField, format_size
from ..verification import (
    DATA_ATTACHMENT,
    MAX_VERIFY_BYTES,
    NOT_FOUND,
    count_verification,
    document_by_token,
    verify_content,
    verify_document,
)
from .missing_file import AnswersMissingFile

TEMPLATE = "agreements/verify.html"
RATE_LIMITED = _(
    "Terlalu banyak permintaan verifikasi dari alamat Anda. Tunggu %(minutes)d menit, lalu coba lagi."
)
DEFAULT_RATE = ratelimit.Rate(requests=30, seconds=600)
# The multipart envelope around the file: a body larger than the file cap plus this is refused unread.
MULTIPART_SLACK = 64 * 1024


class VerifyUploadForm(forms.Form):
    file = PdfUploadField(label=_("Berkas PDF yang akan diverifikasi"), max_bytes=MAX_VERIFY_BYTES,
                          allowed_attachments=(DATA_ATTACHMENT,))


def verify_rate() -> ratelimit.Rate:
    """SEPAKAT_VERIFY_RATE = (requests, seconds) per client address; 30 per 10 minutes by default."""
    configured = getattr(settings, "SEPAKAT_VERIFY_RATE", None)
    return ratelimit.Rate(*configured) if configured else DEFAULT_RATE


def _limited(request, channel: str):
    """A 429 response when this client has used up its window, else None."""
    rate = verify_rate()
    count, seconds_left = ratelimit.hit(request, "verify", rate)
    if count <= rate.requests:
        return None
    if count == rate.requests + 1:  # once per client and window, however long it keeps asking
        count_verification(document=None, channel=channel, outcome=VerificationOutcome.LIMITED)
    message = RATE_LIMITED % {"minutes": max(1, -(-seconds_left // 60))}
    response = render(request, TEMPLATE, {"form": VerifyUploadForm(), "notice": message}, status=429)
    response["Retry-After"] = str(seconds_left)
    return response


def _record(request, verification, channel: str) -> None:
    if verification.refused:
        outcome = VerificationOutcome.REFUSED
    else:
        outcome = VerificationOutcome.GENUINE if verification.genuine else VerificationOutcome.NOT_GENUINE
    document = verification.stored.document if verification.stored else None
    count_verification(document=document, channel=channel, outcome=outcome)
    if request.user.is_authenticated:  # accountable users only: strangers cannot grow the audit log
        event_record(
            actor=request.user,
            action=AuditAction.DOCUMENT_VERIFIED if verification.genuine else AuditAction.DOCUMENT_VERIFICATION_FAILED,
            details={"sha256": verification.sha256, "genuine": verification.genuine, "how": channel},
        )


@method_decorator(login_not_required, name="dispatch")
class VerifyUploadView(AnswersMissingFile, generic.View):
    template_name = TEMPLATE

    def get(self, request):
        return render(request, self.template_name, {"form": VerifyUploadForm()})

    def post(self, request):
        limited = _limited(request, VerificationChannel.UPLOAD)
        if limited:
            return limited
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > MAX_VERIFY_BYTES + MULTIPART_SLACK:  # refused before the body is read
            count_verification(document=None, channel=VerificationChannel.UPLOAD,
                               outcome=VerificationOutcome.REFUSED)
            form = VerifyUploadForm()
            message = TOO_LARGE % {"size": format_size(declared), "limit": format_size(MAX_VERIFY_BYTES)}
            return render(request, self.template_name, {"form": form, "notice": message}, status=400)
        form = VerifyUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            count_verification(document=None, channel=VerificationChannel.UPLOAD,
                               outcome=VerificationOutcome.REFUSED)
            return render(request, self.template_name, {"form": form}, status=400)
        verification = verify_content(form.cleaned_data["file"].content)
        _record(request, verification, VerificationChannel.UPLOAD)
        return render(request, self.template_name, {"form": VerifyUploadForm(), "verification": verification},
                      status=400 if verification.refused else 200)


@method_decorator(login_not_required, name="dispatch")
class VerifyDocumentView(AnswersMissingFile, generic.View):
    """/verifikasi/<code>/: the code printed on the document and carried by its QR code.

    The URL's parameter is still called ``identifier`` (sepakat/urls.py); it holds the code.
    When a stored file it needs is gone, the page shows what the database records of the document.
    """

    document = None

    def get(self, request, identifier):
        token = identifier
        limited = _limited(request, VerificationChannel.CODE)
        if limited:
            return limited
        document = self.document = document_by_token(token)
        verification = verify_document(document) if document else None
        if verification is None:  # unknown code, old identifier, guessed number: all look the same
            count_verification(document=None, channel=VerificationChannel.CODE,
                               outcome=VerificationOutcome.NOT_FOUND)
            return render(request, TEMPLATE, {"form": VerifyUploadForm(), "notice": NOT_FOUND}, status=404)
        _record(request, verification, VerificationChannel.CODE)
        return render(request, TEMPLATE, {"form": VerifyUploadForm(), "verification": verification,
                                          "document": document})

    def missing_file_context(self) -> dict:
        if self.document is None:
            return {}
        stored = StoredPdf.objects.filter(document=self.document).select_related("version") \
            .order_by("-is_final", "-created").first()
        signatures = SignatureRecord.objects.filter(pdf__document=self.document, pdf__version_id=stored.version_id) \
            .order_by("created", "pk") if stored else []
        return {"document": self.document, "stored": stored, "signatures": signatures}


@login_not_required
def trust_root(request):
    from django.http import HttpResponse

    response = HttpResponse(pki.published_root(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="sepakat-ca.pem"'
    return response
