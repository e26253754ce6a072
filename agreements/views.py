"""The public verification page: anyone with a PDF or a document identifier, no login."""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import generic

from audit.services import event_record
from workflows.forms import VerifyForm

from .verification import document_by_identifier, verify_content, verify_document


def _record(request, verification, how: str) -> None:
    event_record(
        actor=request.user if request.user.is_authenticated else None,
        action="document.verified" if verification.genuine else "document.verification_failed",
        details={"sha256": verification.sha256, "genuine": verification.genuine, "how": how},
    )


@method_decorator(login_not_required, name="dispatch")
class VerifyUploadView(generic.View):
    template_name = "agreements/verify.html"

    def get(self, request):
        return render(request, self.template_name, {"form": VerifyForm()})

    def post(self, request):
        form = VerifyForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        verification = verify_content(form.cleaned_data["file"].content)
        _record(request, verification, "upload")
        return render(request, self.template_name, {"form": VerifyForm(), "verification": verification})


@method_decorator(login_not_required, name="dispatch")
class VerifyDocumentView(generic.View):
    def get(self, request, identifier):
        document = document_by_identifier(identifier)
        verification = verify_document(document) if document else None
        if verification is None:
            raise Http404
        _record(request, verification, "identifier")
        return render(request, "agreements/verify.html",
                      {"form": VerifyForm(), "verification": verification, "document": document})


@login_not_required
def trust_root(request):
    from django.http import HttpResponse

    from .signatures import authority

    response = HttpResponse(authority().ca_cert_pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="sepakat-ca.pem"'
    return response
