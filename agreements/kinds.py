"""The one table of document kinds: everything that differs between an MoU, a regulation and a masterplan.

A stage is named by the document it produces (``workflows.models.Stage`` is
``DocumentKind``), so a new kind of document is one new row here plus its flow; nothing
else in the code asks "which kind is this?". ``tests/test_kinds.py`` checks that every
kind has a row, that each row's parts fit together, and that no ``if kind ==``
dispatch grows back elsewhere.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from . import contents, draft_forms, pdf, services, snapshots
from .compare import Section
from .models import Decision, Document, DocumentKind, Version


@dataclass(frozen=True)
class KindSpec:
    kind: DocumentKind
    identifier_prefix: str  # MOU-kota-banjar-2026-12: printed on every page and in the audit bundle
    final_status: str  # the status line of the finished document
    draft_form: type  # the drafter's form; its draft_data() gives an instance of draft_data
    draft_data: type
    starter: Callable[..., object]  # (region, today) -> the draft data a first draft starts from
    draft_of: Callable[[Version], object]  # a stored version as the draft data that would write it again
    version_create: Callable[..., Version]  # (document=, author=, data=) -> the next version
    snapshot: Callable[..., dict]  # (version, status_label=, previous_stage_sha256=) -> the PDF's data
    render_html: Callable[..., str]  # (data, draft=) -> the HTML WeasyPrint renders
    sections: Callable[[Version], list[Section]]  # the version cut into sections for comparison
    text_template: str  # the version's text on the case page


KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            kind=DocumentKind.MOU,
            identifier_prefix="MOU",
            final_status="Ditandatangani",
            draft_form=draft_forms.MouDraftForm,
            draft_data=services.MouDraftData,
            starter=contents.mou_starter,
            draft_of=contents.mou_draft_of,
            version_create=services.mou_version_create,
            snapshot=snapshots.mou_snapshot,
            render_html=pdf.render_mou_html,
            sections=contents.mou_sections,
            text_template="documents/_mou_text.html",
        ),
        KindSpec(
            kind=DocumentKind.REGULATION,
            identifier_prefix="REG",
            final_status="Diundangkan",
            draft_form=draft_forms.RegulationDraftForm,
            draft_data=services.RegulationDraftData,
            starter=contents.regulation_starter,
            draft_of=contents.regulation_draft_of,
            version_create=services.regulation_version_create,
            snapshot=snapshots.regulation_snapshot,
            render_html=pdf.render_regulation_html,
            sections=contents.regulation_sections,
            text_template="documents/_regulation_text.html",
        ),
        KindSpec(
            kind=DocumentKind.MASTERPLAN,
            identifier_prefix="MP",
            final_status="Diterima",
            draft_form=draft_forms.MasterplanDraftForm,
            draft_data=services.MasterplanDraftData,
            starter=contents.masterplan_starter,
            draft_of=contents.masterplan_draft_of,
            version_create=services.masterplan_version_create,
            snapshot=snapshots.masterplan_snapshot,
            render_html=pdf.render_masterplan_html,
            sections=contents.masterplan_sections,
            text_template="documents/_masterplan_text.html",
        ),
    )
}


def kind_spec(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown document kind: {kind!r}") from None


def version_create(*, document: Document, author, data) -> Version:
    """The document's next version from draft data of its own kind."""
    spec = kind_spec(document.kind)
    if not isinstance(data, spec.draft_data):
        raise TypeError(f"{document.kind} takes {spec.draft_data.__name__}, not {type(data).__name__}")
    return spec.version_create(document=document, author=author, data=data)


def starting_draft(document: Document, region, today: datetime.date | None = None):
    """What the next draft starts from: the latest version, or the kind's starter text."""
    spec = kind_spec(document.kind)
    version = document.latest_version()
    if version is not None:
        return spec.draft_of(version)
    return spec.starter(region, today or timezone.localdate())


def snapshot_for(version: Version, *, final: bool, previous_stage_sha256: str = "") -> dict:
    spec = kind_spec(version.document.kind)
    status = spec.final_status if final else snapshots.DRAFT_STATUS
    return spec.snapshot(version, status_label=status, previous_stage_sha256=previous_stage_sha256)


def render_stage_pdf(kind: str, data: dict, *, draft: bool, moment=None) -> pdf.RenderedPdf:
    return pdf.render_pdf(kind_spec(kind).render_html, data, draft=draft, moment=moment)


def draft_pdf(version: Version, *, previous_stage_sha256: str = "") -> bytes:
    """Any version as a PDF marked DRAF (nothing stored).

    Deterministic: the same version, decisions so far and previous stage give the same bytes,
    dated by the last of them, so the hash a paraf page shows is the hash of what is then
    initialled.
    """
    data = snapshot_for(version, final=False, previous_stage_sha256=previous_stage_sha256)
    return render_stage_pdf(version.document.kind, data, draft=True, moment=draft_moment(version)).content


def draft_moment(version: Version, *, before=None):
    """The date a draft rendering carries: its version's or the document's last decision's, the later."""
    decisions = Decision.objects.filter(version__document=version.document)
    if before is not None:
        decisions = decisions.filter(created__lt=before)
    last_decision = decisions.aggregate(last=Max("created"))["last"]
    return max(filter(None, [version.created, last_decision]))
