"""The step table of each stage: who acts, what they may decide, by when, and who signs where.

One specification per human step, read by the flows (role and decisions of each node),
the signing service (the approval sheet's signature cells), the auditor's analytics
(working-day deadlines) and the step-roles page. tests/workflows/test_step_specs.py
checks that every human node of every flow has exactly one specification and each
specification a node. Titles follow shared/domain.md's numbering.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from agreements.agencies import AgencyKind as A
from agreements.agencies import RoleKind as R
from agreements.models import DecisionKind as D
from agreements.models import DocumentKind

from .roles import RoleKind, StepRole


@dataclass(frozen=True)
class Signer:
    """A signature cell on the approval sheet: its label, the signer's post, its place."""

    label: str
    post: str  # may name the region: {head_title} ("Wali Kota"), {region} ("Kota Banjar")
    sheet_order: int

    def post_in(self, region) -> str:
        return self.post.format(head_title=region.head_title, region=region.display_name)


@dataclass(frozen=True)
class StepSpec:
    name: str
    title: str
    role: StepRole
    decisions: tuple[str, ...]
    deadline_days: int  # working days (Monday to Friday) the step may stay open
    signer: Signer | None = None

    @property
    def is_paraf(self) -> bool:
        """A paraf step decides on the version's PDF, whose hash its decision keeps."""
        return D.INITIALLED in self.decisions


def _table(*specs: StepSpec) -> dict[str, StepSpec]:
    return {spec.name: spec for spec in specs}


# Stage 1, Nota Kesepakatan (domain.md steps 1.1 to 1.4).
MOU = _table(
    StepSpec("draft", _("1.1 Penyusunan draf"), StepRole(A.LAIP, R.DRAFTER),
             (D.SUBMITTED,), deadline_days=10),
    StepSpec("review_diskominfo", _("1.2 Telaah Diskominfo"), StepRole(A.DISKOMINFO, R.REVIEWER),
             (D.APPROVED, D.RETURNED), deadline_days=5),
    StepSpec("review_legal", _("1.2 Verifikasi Bagian Hukum"), StepRole(A.BAGIAN_HUKUM, R.LEGAL_VERIFIER),
             (D.APPROVED, D.RETURNED), deadline_days=5),
    StepSpec("paraf_laip", _("1.3 Paraf Direktur LAIP"), StepRole(A.LAIP, R.PARAF),
             (D.INITIALLED, D.RETURNED), deadline_days=5),
    StepSpec("paraf_sekda", _("1.3 Paraf Sekretaris Daerah"), StepRole(A.SEKDA, R.PARAF),
             (D.INITIALLED, D.RETURNED), deadline_days=5),
    StepSpec("sign_region", _("1.4 Tanda tangan Kepala Daerah"), StepRole(A.KEPALA_DAERAH, R.SIGNER),
             (D.SIGNED, D.REJECTED), deadline_days=3,
             signer=Signer(_("PIHAK KEDUA"), "{head_title}", sheet_order=2)),
    StepSpec("sign_ministry", _("1.4 Tanda tangan Direktur Jenderal APTIKA"), StepRole(A.DITJEN_APTIKA, R.SIGNER),
             (D.SIGNED, D.REJECTED), deadline_days=3,
             signer=Signer(_("PIHAK KESATU"), "Direktur Jenderal Aplikasi Informatika", sheet_order=1)),
)

# Stage 2, Peraturan Kepala Daerah (domain.md steps 2.1 to 2.7).
REGULATION = _table(
    StepSpec("draft", _("2.1 Penyusunan rancangan"), StepRole(A.DISKOMINFO, R.DRAFTER),
             (D.SUBMITTED,), deadline_days=10),
    StepSpec("review_mentor", _("2.2 Telaah Tenaga Ahli"), StepRole(A.TENAGA_AHLI, R.REVIEWER),
             (D.APPROVED, D.RETURNED), deadline_days=5),
    StepSpec("review_bappeda", _("2.2 Telaah Bappeda"), StepRole(A.BAPPEDA, R.REVIEWER),
             (D.APPROVED, D.RETURNED), deadline_days=5),
    StepSpec("harmonise", _("2.3 Harmonisasi Bagian Hukum"), StepRole(A.BAGIAN_HUKUM, R.LEGAL_VERIFIER),
             (D.APPROVED, D.RETURNED, D.REJECTED), deadline_days=5),
    StepSpec("record_letter", _("2.4 Surat harmonisasi Kemenkumham"), StepRole(A.BAGIAN_HUKUM, R.LEGAL_VERIFIER),
             (D.LETTER_IN_LINE, D.LETTER_NEEDS_CHANGES), deadline_days=10),  # waits for the law ministry's letter
    StepSpec("paraf_kominfo", _("2.5 Paraf Kepala Dinas Kominfo"), StepRole(A.DISKOMINFO, R.PARAF),
             (D.INITIALLED, D.RETURNED), deadline_days=5),
    StepSpec("paraf_hukum", _("2.5 Paraf Kepala Bagian Hukum"), StepRole(A.BAGIAN_HUKUM, R.PARAF),
             (D.INITIALLED, D.RETURNED), deadline_days=5),
    StepSpec("paraf_sekda", _("2.5 Paraf Sekretaris Daerah"), StepRole(A.SEKDA, R.PARAF),
             (D.INITIALLED, D.RETURNED), deadline_days=5),
    StepSpec("enact", _("2.6 Penetapan oleh Kepala Daerah"), StepRole(A.KEPALA_DAERAH, R.SIGNER),
             (D.SIGNED, D.RETURNED), deadline_days=3,
             signer=Signer(_("Penetapan"), "{head_title}", sheet_order=1)),
    StepSpec("promulgate", _("2.7 Pengundangan oleh Sekretaris Daerah"), StepRole(A.SEKDA, R.SIGNER),
             (D.PROMULGATED,), deadline_days=3,
             signer=Signer(_("Pengundangan"), "Sekretaris Daerah {region}", sheet_order=2)),
)

# Stage 3, Masterplan (domain.md steps 3.1 to 3.5).
MASTERPLAN = _table(
    StepSpec("draft", _("3.1 Penyusunan masterplan"), StepRole(A.DISKOMINFO, R.DRAFTER),
             (D.SUBMITTED,), deadline_days=10),
    StepSpec("review_mentor", _("3.2 Telaah Tenaga Ahli"), StepRole(A.TENAGA_AHLI, R.REVIEWER),
             (D.APPROVED, D.RETURNED), deadline_days=5),
    StepSpec("review_bappeda", _("3.2 Telaah Bappeda"), StepRole(A.BAPPEDA, R.REVIEWER),
             (D.APPROVED, D.RETURNED), deadline_days=5),
    StepSpec("council", _("3.3 Rapat Dewan Smart City"), StepRole(A.SEKDA, R.REVIEWER),
             (D.APPROVED, D.RETURNED), deadline_days=10),  # a meeting of the smart-city council
    StepSpec("commitment", _("3.4 Lembar Komitmen Kepala Daerah"), StepRole(A.KEPALA_DAERAH, R.SIGNER),
             (D.SIGNED,), deadline_days=3,
             signer=Signer(_("Lembar Komitmen Kepala Daerah"), "{head_title}", sheet_order=1)),
    StepSpec("accept", _("3.5 Penerimaan oleh Direktorat LAIP"), StepRole(A.LAIP, R.SIGNER),
             (D.ACCEPTED, D.RETURNED, D.REJECTED), deadline_days=5,
             signer=Signer(_("Penerimaan Direktorat LAIP"), "Direktur Layanan Aplikasi Informatika Pemerintahan",
                           sheet_order=2)),
)

STEPS = {DocumentKind.MOU: MOU, DocumentKind.REGULATION: REGULATION, DocumentKind.MASTERPLAN: MASTERPLAN}
STEP_ROLES = {stage: {name: spec.role for name, spec in specs.items()} for stage, specs in STEPS.items()}


def step_spec(stage: str, name: str) -> StepSpec | None:
    return STEPS.get(stage, {}).get(name)


def signing_steps(stage: str) -> list[StepSpec]:
    """The stage's signing steps, in the order of their cells on the approval sheet."""
    signing = [spec for spec in STEPS[stage].values() if spec.signer is not None]
    return sorted(signing, key=lambda spec: spec.signer.sheet_order)


def roles_of_agency_kind(agency_kind: str) -> set[str]:
    """The roles an agency of this kind can hold: those its steps use, plus auditor and administrator."""
    acting = {step.role_kind.value for steps in STEP_ROLES.values() for step in steps.values()
              if step.agency_kind == agency_kind}
    return acting | {RoleKind.AUDITOR.value, RoleKind.ADMINISTRATOR.value}
