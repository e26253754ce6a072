"""The three stages of the programme, as in shared/domain.md's tables.

Each node is one chained expression. A human step's title, role, decisions, deadline
and signature cell come from its specification (permissions/steps.py): `.Spec(...)`.
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from permissions.steps import MASTERPLAN as MP
from permissions.steps import MOU
from permissions.steps import REGULATION as REG

from .models import Stage
from .nodes import StageFlow, Step
from .views import steps


class MouFlow(StageFlow):
    """Stage 1: the MoU between a region and Ditjen APTIKA (domain.md 1.1 to 1.5)."""

    stage = Stage.MOU
    process_title = _("Nota Kesepakatan")
    process_description = _("Tahap 1: nota kesepakatan antara daerah dan Direktorat Jenderal APTIKA.")

    start = flow.StartHandle(this.start_case).Next(this.draft)

    # 1.1 Direktorat LAIP: Pemrakarsa
    draft = (
        Step(steps.DraftView.as_view())
        .Spec(MOU["draft"])
        .Next(this.reviews)
    )

    # 1.2 Review in parallel: both must decide, one return sends the draft back
    reviews = flow.Split().Annotation(title=_("Telaah paralel")).Next(this.review_diskominfo).Next(this.review_legal)

    # Diskominfo daerah: Peninjau
    review_diskominfo = (
        Step(steps.DecisionView.as_view())
        .Spec(MOU["review_diskominfo"])
        .Next(this.reviews_done)
    )

    # Bagian Hukum daerah: Verifikator Hukum
    review_legal = (
        Step(steps.DecisionView.as_view())
        .Spec(MOU["review_legal"])
        .Next(this.reviews_done)
    )

    reviews_done = flow.Join().Annotation(title=_("Telaah selesai")).Next(this.check_reviews)
    check_reviews = (
        flow.If(this.reviews_approved).Annotation(title=_("Semua setuju?")).Then(this.paraf_laip).Else(this.draft)
    )

    # 1.3 Paraf in order. Direktur LAIP: Pemaraf
    paraf_laip = (
        Step(steps.DecisionView.as_view())
        .Spec(MOU["paraf_laip"])
        .Next(this.check_paraf_laip)
    )
    check_paraf_laip = (
        flow.If(this.approved).Annotation(title=_("Diparaf?")).Then(this.paraf_sekda).Else(this.draft)
    )

    # Sekda daerah: Pemaraf
    paraf_sekda = (
        Step(steps.DecisionView.as_view())
        .Spec(MOU["paraf_sekda"])
        .Next(this.check_paraf_sekda)
    )
    check_paraf_sekda = (
        flow.If(this.approved).Annotation(title=_("Diparaf?")).Then(this.sign_region).Else(this.draft)
    )

    # 1.4 Signature by both parties. Kepala Daerah: Penandatangan
    sign_region = (
        Step(steps.SignView.as_view())
        .Spec(MOU["sign_region"])
        .Next(this.check_sign_region)
    )
    check_sign_region = (
        flow.If(this.approved).Annotation(title=_("Ditandatangani?")).Then(this.sign_ministry).Else(this.rejected)
    )

    # Direktur Jenderal APTIKA: Penandatangan
    sign_ministry = (
        Step(steps.SignView.as_view())
        .Spec(MOU["sign_ministry"])
        .Next(this.check_sign_ministry)
    )
    check_sign_ministry = (
        flow.If(this.approved).Annotation(title=_("Ditandatangani?")).Then(this.close).Else(this.rejected)
    )

    # 1.5 System: final PDF with its approval sheet; stage 2 opens
    close = flow.Function(this.close_stage).Annotation(title=_("1.5 Penutupan")).Next(this.end)

    end = flow.End().Annotation(title=_("Selesai"))
    rejected = flow.End().Annotation(title=_("Ditolak"))


class RegulationFlow(StageFlow):
    """Stage 2: the regional head's regulation on the smart city (domain.md 2.1 to 2.7)."""

    stage = Stage.REGULATION
    process_title = _("Peraturan Kepala Daerah")
    process_description = _("Tahap 2: peraturan wali kota/bupati sebagai dasar hukum kota cerdas.")

    start = flow.StartHandle(this.start_case).Next(this.draft)

    # 2.1 Diskominfo daerah: Pemrakarsa
    draft = (
        Step(steps.DraftView.as_view())
        .Spec(REG["draft"])
        .Next(this.reviews)
    )

    # 2.2 Substance review in parallel
    reviews = flow.Split().Annotation(title=_("Telaah paralel")).Next(this.review_mentor).Next(this.review_bappeda)

    # Tenaga Ahli: Peninjau
    review_mentor = (
        Step(steps.DecisionView.as_view())
        .Spec(REG["review_mentor"])
        .Next(this.reviews_done)
    )

    # Bappeda daerah: Peninjau
    review_bappeda = (
        Step(steps.DecisionView.as_view())
        .Spec(REG["review_bappeda"])
        .Next(this.reviews_done)
    )

    reviews_done = flow.Join().Annotation(title=_("Telaah selesai")).Next(this.check_reviews)
    check_reviews = (
        flow.If(this.reviews_approved).Annotation(title=_("Semua setuju?")).Then(this.harmonise).Else(this.draft)
    )

    # 2.3 Bagian Hukum daerah: Verifikator Hukum
    harmonise = (
        Step(steps.DecisionView.as_view())
        .Spec(REG["harmonise"])
        .Next(this.check_harmonise)
    )
    check_harmonise = (
        flow.Switch()
        .Annotation(title=_("Hasil harmonisasi"))
        .Case(this.record_letter, this.approved)
        .Case(this.rejected, this.was_rejected)
        .Default(this.draft)
    )

    # 2.4 Bagian Hukum daerah: the law ministry's harmonisation letter
    record_letter = (
        Step(steps.LetterView.as_view())
        .Spec(REG["record_letter"])
        .Next(this.check_letter)
    )
    check_letter = flow.If(this.approved).Annotation(title=_("Sesuai?")).Then(this.paraf_kominfo).Else(this.draft)

    # 2.5 Paraf in order: Kepala Dinas Kominfo, Kepala Bagian Hukum, Sekda
    paraf_kominfo = (
        Step(steps.DecisionView.as_view())
        .Spec(REG["paraf_kominfo"])
        .Next(this.check_paraf_kominfo)
    )
    check_paraf_kominfo = (
        flow.If(this.approved).Annotation(title=_("Diparaf?")).Then(this.paraf_hukum).Else(this.draft)
    )
    paraf_hukum = (
        Step(steps.DecisionView.as_view())
        .Spec(REG["paraf_hukum"])
        .Next(this.check_paraf_hukum)
    )
    check_paraf_hukum = (
        flow.If(this.approved).Annotation(title=_("Diparaf?")).Then(this.paraf_sekda).Else(this.draft)
    )
    paraf_sekda = (
        Step(steps.DecisionView.as_view())
        .Spec(REG["paraf_sekda"])
        .Next(this.check_paraf_sekda)
    )
    check_paraf_sekda = flow.If(this.approved).Annotation(title=_("Diparaf?")).Then(this.enact).Else(this.draft)

    # 2.6 Kepala Daerah: Penandatangan (enactment)
    enact = (
        Step(steps.SignView.as_view())
        .Spec(REG["enact"])
        .Next(this.check_enact)
    )
    check_enact = flow.If(this.approved).Annotation(title=_("Ditetapkan?")).Then(this.promulgate).Else(this.draft)

    # 2.7 Sekda daerah: numbers, Berita Daerah, promulgation
    promulgate = (
        Step(steps.PromulgationView.as_view())
        .Spec(REG["promulgate"])
        .Next(this.close)
    )

    # System: final regulation PDF; stage 3 opens
    close = flow.Function(this.close_stage).Annotation(title=_("Penutupan")).Next(this.end)

    end = flow.End().Annotation(title=_("Selesai"))
    rejected = flow.End().Annotation(title=_("Ditolak"))


class MasterplanFlow(StageFlow):
    """Stage 3: the smart-city masterplan (domain.md 3.1 to 3.5)."""

    stage = Stage.MASTERPLAN
    process_title = _("Masterplan Kota Cerdas")
    process_description = _("Tahap 3: masterplan kota cerdas, enam dimensi, program cepat dan peta jalan.")

    start = flow.StartHandle(this.start_case).Next(this.draft)

    # 3.1 Diskominfo daerah: Pemrakarsa
    draft = (
        Step(steps.DraftView.as_view())
        .Spec(MP["draft"])
        .Next(this.reviews)
    )

    # 3.2 Review in parallel
    reviews = flow.Split().Annotation(title=_("Telaah paralel")).Next(this.review_mentor).Next(this.review_bappeda)

    # Tenaga Ahli: Peninjau
    review_mentor = (
        Step(steps.DecisionView.as_view())
        .Spec(MP["review_mentor"])
        .Next(this.reviews_done)
    )

    # Bappeda daerah: Peninjau
    review_bappeda = (
        Step(steps.DecisionView.as_view())
        .Spec(MP["review_bappeda"])
        .Next(this.reviews_done)
    )

    reviews_done = flow.Join().Annotation(title=_("Telaah selesai")).Next(this.check_reviews)
    check_reviews = (
        flow.If(this.reviews_approved).Annotation(title=_("Semua setuju?")).Then(this.council).Else(this.draft)
    )

    # 3.3 Sekda daerah, chair of the smart-city council
    council = (
        Step(steps.DecisionView.as_view())
        .Spec(MP["council"])
        .Next(this.check_council)
    )
    check_council = flow.If(this.approved).Annotation(title=_("Disetujui?")).Then(this.commitment).Else(this.draft)

    # 3.4 Kepala Daerah: Lembar Komitmen
    commitment = (
        Step(steps.SignView.as_view())
        .Spec(MP["commitment"])
        .Next(this.accept)
    )

    # 3.5 Direktorat LAIP: acceptance
    accept = (
        Step(steps.SignView.as_view())
        .Spec(MP["accept"])
        .Next(this.check_accept)
    )
    check_accept = (
        flow.Switch()
        .Annotation(title=_("Hasil penerimaan"))
        .Case(this.close, this.approved)
        .Case(this.rejected, this.was_rejected)
        .Default(this.draft)
    )

    # System: final masterplan PDF; programme complete
    close = flow.Function(this.close_stage).Annotation(title=_("Penutupan")).Next(this.end)

    end = flow.End().Annotation(title=_("Selesai"))
    rejected = flow.End().Annotation(title=_("Ditolak"))


FLOWS = {flow.stage: flow for flow in (MouFlow, RegulationFlow, MasterplanFlow)}
