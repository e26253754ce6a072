"""A case's documents: attachments, comparing versions, the PDFs."""

import hashlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.views import generic

from agreements import compare, signatures
from agreements.kinds import draft_pdf, kind_spec
from agreements.services import attachment_add
from agreements.stored_files import open_stored
from agreements.views.missing_file import AnswersMissingFile
from audit.actions import AuditAction
from audit.services import event_record

from .. import forms, selectors
from .. import messages as texts
from .common import case_or_404, case_url


class AttachmentUploadView(generic.View):
    def post(self, request, process_pk):
        case = case_or_404(request.user, process_pk)
        if not selectors.takes_part_in(request.user, case):
            raise PermissionDenied(texts.NOT_A_PARTICIPANT)
        versions = list(selectors.case_versions(case))
        form = forms.AttachmentForm(request.POST, request.FILES, versions=versions)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(case_url(case.pk))
        version = next(v for v in versions if v.number == form.cleaned_data["version"])
        checked = form.cleaned_data["file"]
        attachment_add(version=version, user=request.user, checked=checked)
        messages.success(request, texts.ATTACHMENT_ADDED % {"name": checked.name, "number": version.number})
        return redirect(case_url(case.pk))


class _StoredFileView(AnswersMissingFile, generic.View):
    """Serves a stored file: one gone from storage answers the missing-file page (503), with a way back to the case."""

    def missing_file_context(self) -> dict:
        return {"back_url": case_url(self.kwargs["process_pk"])}


class AttachmentDownloadView(_StoredFileView):
    def get(self, request, process_pk, attachment_pk):
        case = case_or_404(request.user, process_pk)
        attachment = selectors.case_attachments(case).filter(pk=attachment_pk).first()
        if attachment is None:
            raise Http404
        file = open_stored(attachment.file)
        _downloaded(request, case, attachment.version, name=attachment.original_name, sha256=attachment.sha256)
        return FileResponse(file, content_type="application/pdf",
                            as_attachment=True, filename=attachment.original_name)


class CompareView(generic.TemplateView):
    """Two versions side by side, per article or chapter, with the notes on each."""

    template_name = "workflows/compare.html"

    def get_context_data(self, **kwargs):
        case = case_or_404(self.request.user, self.kwargs["process_pk"])
        versions = list(selectors.case_versions(case))
        if len(versions) < 2:
            raise Http404
        by_number = {v.number: v for v in versions}
        try:
            old = by_number[int(self.request.GET.get("dari", versions[1].number))]
            new = by_number[int(self.request.GET.get("ke", versions[0].number))]
        except (KeyError, ValueError) as missing:
            raise Http404 from missing
        sections = kind_spec(case.stage).sections
        rows = compare.compare_sections(sections(old), sections(new))
        decisions = list(selectors.case_decisions(case))
        return super().get_context_data(
            case=case, versions=versions, old_version=old, new_version=new, rows=rows,
            old_notes=[d for d in decisions if d.version_id == old.pk],
            new_notes=[d for d in decisions if d.version_id == new.pk],
            **kwargs,
        )


def _downloaded(request, case, version, *, name: str, sha256: str) -> None:
    event_record(actor=request.user, action=AuditAction.DOCUMENT_DOWNLOADED, region=case.programme.region, process=case,
                 version=version, details={"file": name, "sha256": sha256})


class VersionPdfView(generic.View):
    """Any version of the case's document, as a PDF with the DRAF watermark."""

    def get(self, request, process_pk, number):
        case = case_or_404(request.user, process_pk)
        version = case.document.versions.filter(number=number).first()
        if version is None:
            raise Http404
        previous = selectors.previous_stage_case(case.programme, case.stage)
        content = draft_pdf(version, previous_stage_sha256=previous.closing_sha256() if previous else "")
        _downloaded(request, case, version, name=f"versi {number} (draf)", sha256=hashlib.sha256(content).hexdigest())
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{case.document.identifier}-v{number}-draf.pdf"'
        return response


class SigningPdfView(_StoredFileView):
    """The exact file the next signer signs: the latest revision, with the signatures made so far."""

    def get(self, request, process_pk):
        case = case_or_404(request.user, process_pk)
        version = case.document.latest_version() if case.document else None
        revision = signatures.latest_revision(version) if version else None
        if revision is None:
            raise Http404
        file = open_stored(revision.file)
        _downloaded(request, case, version, name=f"revisi {revision.revision} (untuk ditandatangani)",
                    sha256=revision.sha256)
        return FileResponse(
            file,
            content_type="application/pdf",
            filename=f"{case.document.identifier}-v{version.number}-revisi-{revision.revision}.pdf",
        )


class DecidedFileView(_StoredFileView):
    """A file an official decided on, by its hash: the version's PDF a paraf was on, or a revision signed."""

    def get(self, request, process_pk, sha256):
        case = case_or_404(request.user, process_pk)
        found = selectors.decided_file(case, sha256)
        if found is None:
            raise Http404
        version, file, name = found
        file = open_stored(file)
        _downloaded(request, case, version, name=name, sha256=sha256)
        return FileResponse(file, content_type="application/pdf",
                            filename=f"{case.document.identifier}-v{version.number}-{sha256[:12]}.pdf")


class FinalPdfView(_StoredFileView):
    def get(self, request, process_pk):
        case = case_or_404(request.user, process_pk)
        if case.final_pdf is None:
            raise Http404
        file = open_stored(case.final_pdf.file)
        _downloaded(request, case, case.final_pdf.version, name="final", sha256=case.final_pdf.sha256)
        return FileResponse(
            file,
            content_type="application/pdf",
            filename=f"{case.document.identifier}-final.pdf",
        )
