"""The stages of the programme, as in shared/domain.md's tables."""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from agreements.models import DecisionKind as D
from permissions.roles import MOU_STEPS as MOU

from . import services, views
from .nodes import StageFlow, Step


class MouFlow(StageFlow):
    """Stage 1: the MoU between a region and Ditjen APTIKA (domain.md 1.1 to 1.5)."""

    process_title = _("Nota Kesepakatan")
    process_description = _("Tahap 1: nota kesepakatan antara daerah dan Direktorat Jenderal APTIKA.")
    process_summary_template = "{{ process.programme.region }} — {{ process.get_outcome_display }}"

    start = flow.StartHandle(this.start_case).Next(this.draft)

    # 1.1 Direktorat LAIP: Pemrakarsa
    draft = (
        Step(views.DraftView.as_view())
        .Annotation(title=_("1.1 Penyusunan draf"))
        .Role(MOU["draft"])
        .Decisions(D.SUBMITTED)
        .Next(this.reviews)
    )

    # 1.2 Review in parallel: both must approve, one return sends the draft back
    reviews = flow.Split().Next(this.review_diskominfo).Next(this.review_legal)

    # Diskominfo daerah: Peninjau
    review_diskominfo = (
        Step(views.DecisionView.as_view())
        .Annotation(title=_("1.2 Telaah Diskominfo"))
        .Role(MOU["review_diskominfo"])
        .Decisions(D.APPROVED, D.RETURNED)
        .Next(this.reviews_done)
    )

    # Bagian Hukum daerah: Verifikator Hukum
    review_legal = (
        Step(views.DecisionView.as_view())
        .Annotation(title=_("1.2 Verifikasi Bagian Hukum"))
        .Role(MOU["review_legal"])
        .Decisions(D.APPROVED, D.RETURNED)
        .Next(this.reviews_done)
    )

    reviews_done = flow.Join().Next(this.check_reviews)
    check_reviews = (
        flow.If(this.reviews_approved)
        .Annotation(title=_("Semua peninjau setuju?"))
        .Then(this.paraf_laip)
        .Else(this.draft)
    )

    # 1.3 Paraf in order. Direktur LAIP: Pemaraf
    paraf_laip = (
        Step(views.DecisionView.as_view())
        .Annotation(title=_("1.3 Paraf Direktur LAIP"))
        .Role(MOU["paraf_laip"])
        .Decisions(D.INITIALLED, D.RETURNED)
        .Next(this.check_paraf_laip)
    )
    check_paraf_laip = flow.If(this.last_step_approved).Then(this.paraf_sekda).Else(this.draft)

    # Sekda daerah: Pemaraf
    paraf_sekda = (
        Step(views.DecisionView.as_view())
        .Annotation(title=_("1.3 Paraf Sekretaris Daerah"))
        .Role(MOU["paraf_sekda"])
        .Decisions(D.INITIALLED, D.RETURNED)
        .Next(this.check_paraf_sekda)
    )
    check_paraf_sekda = flow.If(this.last_step_approved).Then(this.sign_region).Else(this.draft)

    # 1.4 Signature by both parties. Kepala Daerah: Penandatangan
    sign_region = (
        Step(views.DecisionView.as_view())
        .Annotation(title=_("1.4 Tanda tangan Kepala Daerah"))
        .Role(MOU["sign_region"])
        .Decisions(D.SIGNED, D.REJECTED)
        .Next(this.check_sign_region)
    )
    check_sign_region = flow.If(this.last_step_approved).Then(this.sign_ministry).Else(this.rejected)

    # Direktur Jenderal APTIKA: Penandatangan
    sign_ministry = (
        Step(views.DecisionView.as_view())
        .Annotation(title=_("1.4 Tanda tangan Direktur Jenderal APTIKA"))
        .Role(MOU["sign_ministry"])
        .Decisions(D.SIGNED, D.REJECTED)
        .Next(this.check_sign_ministry)
    )
    check_sign_ministry = flow.If(this.last_step_approved).Then(this.close).Else(this.rejected)

    # 1.5 System: final PDF with its approval sheet
    close = flow.Function(this.close_stage).Annotation(title=_("1.5 Penutupan")).Next(this.end)

    end = flow.End().Annotation(title=_("Selesai"))
    rejected = flow.End().Annotation(title=_("Ditolak"))

    def start_case(self, activation, programme, document):
        return services.case_start(activation=activation, programme=programme, mou=document)

    def reviews_approved(self, activation):
        return services.round_has_no_return(activation.process)

    def last_step_approved(self, activation):
        return activation.process.last_decision in (D.APPROVED, D.INITIALLED, D.SIGNED)

    def close_stage(self, activation):
        services.case_close(process=activation.process)
