"""Freezing a document version into the plain data its PDF is rendered from, one function per kind."""

from django.utils import timezone

from .logos import logo_data_url
from .models import Decision, DecisionKind, Dimension, Promulgation, Version

MONTHS_ID = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]
MINISTRY = {
    "name": "Kementerian Komunikasi dan Digital",
    "unit": "Direktorat Jenderal Aplikasi Informatika",
}
DRAFT_STATUS = "Draf"


def wib(moment) -> str:
    """05-03-2024 10:12 WIB"""
    return timezone.localtime(moment).strftime("%d-%m-%Y %H:%M") + " WIB"


def long_date(moment) -> str:
    """5 Maret 2024"""
    local = timezone.localtime(moment) if hasattr(moment, "hour") else moment
    return f"{local.day} {MONTHS_ID[local.month - 1]} {local.year}"


def _decisions_of(document, before=None):
    decisions = Decision.objects.filter(version__document=document)
    return decisions.filter(created__lt=before) if before is not None else decisions


def approvals_of(document, *, before=None) -> list[dict]:
    decisions = _decisions_of(document, before).select_related("version").order_by("created", "pk")
    return [
        {
            "step": d.step_title,
            "name": d.actor_name,
            "post": d.actor_post,
            "agency": d.actor_agency,
            "decision": d.get_kind_display(),
            "note": d.note,
            "time": wib(d.created),
            "version": d.version.number,
        }
        for d in decisions
    ]


def paraf_of(document, *, before=None) -> list[dict]:
    """The initials given so far, for the approval sheet's Paraf block."""
    decisions = _decisions_of(document, before).filter(kind=DecisionKind.INITIALLED).order_by("created")
    return [{"step": d.step_title, "name": d.actor_name, "post": d.actor_post, "time": wib(d.created),
             "version": d.version.number, "sha256": d.document_sha256}
            for d in decisions.select_related("version")]


def _region(region) -> dict:
    return {
        "name": region.display_name,
        "kind": region.kind,
        "head_title": region.head_title,
        "region_label": region.government_label,
        "logo": logo_data_url(region),  # "" when none is set: a neutral heading
    }


def _decisive(version: Version, step: str, kinds) -> Decision | None:
    """The step's signing decision on this version: one made on an earlier version, before a return,
    belongs to another text (its signer and date must not be printed on this one)."""
    return (
        Decision.objects.filter(version=version, step=step, kind__in=kinds)
        .select_related("actor__official")
        .order_by("-created", "-pk")
        .first()
    )


def _signature(decision: Decision | None, fallback_post: str) -> dict:
    official = getattr(decision.actor, "official", None) if decision else None
    return {
        "post": decision.actor_post if decision else fallback_post,
        "name": decision.actor_name if decision else "",
        "nip": official.nip if official else "",
        "date": long_date(decision.created) if decision else "",
        "on_behalf": "",
    }


def _articles(version: Version) -> list[dict]:
    return [{"number": a.number, "heading": a.heading, "body": a.body} for a in version.articles.all()]


def _common(version: Version, status_label: str, previous_stage_sha256: str) -> dict:
    document = version.document
    return {
        "document_id": f"{document.identifier}-v{version.number}",
        "title": version.title,
        "version": version.number,
        "year": document.programme.year,
        "region": _region(document.programme.region),
        "approvals": approvals_of(document),
        "paraf": paraf_of(document),
        "status_label": status_label,
        "previous_stage_sha256": previous_stage_sha256,
    }


def mou_snapshot(version: Version, *, status_label: str, previous_stage_sha256: str = "") -> dict:
    document = version.document
    region = document.programme.region
    ministry = _signature(_decisive(version, "sign_ministry", [DecisionKind.SIGNED]),
                          "Direktur Jenderal Aplikasi Informatika")
    regional = _signature(_decisive(version, "sign_region", [DecisionKind.SIGNED]), region.head_title)
    signed_on = [d for d in (ministry["date"], regional["date"]) if d]
    both_signed = len(signed_on) == 2
    return {
        **_common(version, status_label, previous_stage_sha256),
        "ministry": {**MINISTRY, "logo": logo_data_url(None)},
        "number_ministry": version.number_ministry,
        "number_region": version.number_region,
        # The MoU is made when its last party signs (the Director-General, after the region): that date.
        "signed_on": ministry["date"] if both_signed else "",
        "preamble": version.preamble,
        "articles": _articles(version),
        "signatories": [
            {"party": "PIHAK KESATU", **ministry},
            {"party": "PIHAK KEDUA", **regional},
        ],
    }


def regulation_snapshot(version: Version, *, status_label: str, previous_stage_sha256: str = "") -> dict:
    document = version.document
    region = document.programme.region
    regulation_kind = f"Peraturan {region.head_post}"
    promulgation = Promulgation.objects.filter(document=document).first()
    enactment = _signature(_decisive(version, "enact", [DecisionKind.SIGNED]), region.head_title)
    promulgated = _signature(
        _decisive(version, "promulgate", [DecisionKind.PROMULGATED]), f"Sekretaris Daerah {region.display_name}"
    )
    return {
        **_common(version, status_label, previous_stage_sha256),
        "regulation_kind": regulation_kind,
        "head_post_upper": region.head_title.upper(),
        "number": str(promulgation.number) if promulgation else "",
        "number_year": str(promulgation.year) if promulgation else "",
        "considerations": version.consideration_items,
        "legal_basis": version.legal_basis_items,
        "articles": _articles(version),
        "enactment": {**enactment, "place": region.name, "post": enactment["post"].upper()},
        "promulgation": {
            **promulgated,
            "place": region.name,
            "post": promulgated["post"].upper(),
            "berita_daerah": (
                f"BERITA DAERAH {region.display_name.upper()} TAHUN {promulgation.year} "
                f"NOMOR {promulgation.berita_daerah_number}"
                if promulgation else ""
            ),
        },
    }


def masterplan_snapshot(version: Version, *, status_label: str, previous_stage_sha256: str = "") -> dict:
    document = version.document
    region = document.programme.region
    chapters = {c.dimension: c.body for c in version.chapters.all()}
    return {
        **_common(version, status_label, previous_stage_sha256),
        "chapters": [
            {"dimension": d.value, "dimension_label": d.label, "body": chapters.get(d.value, "")} for d in Dimension
        ],
        "quick_wins": [
            {
                "name": w.name,
                "dimension_label": w.get_dimension_display(),
                "responsible_agency": w.responsible_agency,
                "target_date": w.target_date.strftime("%d-%m-%Y"),
            }
            for w in version.quick_wins.all()
        ],
        "roadmap": [
            {
                "horizon": r.horizon,
                "horizon_label": str(r.get_horizon_display()),
                "dimension_label": r.get_dimension_display(),
                "description": r.description,
            }
            for r in version.roadmap.all()
        ],
        "rpjmd_alignment": version.rpjmd_alignment,
        "commitment": _signature(_decisive(version, "commitment", [DecisionKind.SIGNED]), region.head_title),
        "acceptance": _signature(
            _decisive(version, "accept", [DecisionKind.ACCEPTED]),
            "Direktur Layanan Aplikasi Informatika Pemerintahan",
        ),
    }
