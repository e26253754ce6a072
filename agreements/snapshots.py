"""Freezing a document version into the plain data its PDF is rendered from."""

from django.utils import timezone

from .models import Decision, MouVersion

MONTHS_ID = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]
MINISTRY = {
    "name": "Kementerian Komunikasi dan Digital",
    "unit": "Direktorat Jenderal Aplikasi Informatika",
}


def wib(moment) -> str:
    """05-03-2024 10:12 WIB"""
    return timezone.localtime(moment).strftime("%d-%m-%Y %H:%M") + " WIB"


def long_date(moment) -> str:
    """5 Maret 2024"""
    local = timezone.localtime(moment)
    return f"{local.day} {MONTHS_ID[local.month - 1]} {local.year}"


def approvals_of(document) -> list[dict]:
    decisions = Decision.objects.filter(version__document=document).select_related("version").order_by("created", "pk")
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


def _signatory(decisions, step: str, party: str, fallback_post: str) -> dict:
    decision = next((d for d in decisions if d.step == step and d.kind == "signed"), None)
    official = getattr(decision.actor, "official", None) if decision else None
    return {
        "party": party,
        "post": decision.actor_post if decision else fallback_post,
        "name": decision.actor_name if decision else "",
        "nip": official.nip if official else "",
        "on_behalf": "",
    }


def mou_snapshot(version: MouVersion, *, status_label: str) -> dict:
    document = version.document
    region = document.programme.region
    signed = list(
        Decision.objects.filter(version__document=document, kind="signed").select_related("actor__official")
    )
    return {
        "document_id": f"{document.identifier}-v{version.number}",
        "title": version.title,
        "version": version.number,
        "year": document.programme.year,
        "region": {
            "name": region.display_name,
            "kind": region.kind,
            "head_title": region.head_title,
            "region_label": region.government_label,
        },
        "ministry": MINISTRY,
        "number_ministry": version.number_ministry,
        "number_region": version.number_region,
        "place_date": f"Jakarta, {long_date(max((d.created for d in signed), default=version.created))}",
        "preamble": version.preamble,
        "articles": [
            {"number": a.number, "heading": a.heading, "body": a.body} for a in version.articles.all()
        ],
        "signatories": [
            _signatory(signed, "sign_ministry", "PIHAK KESATU", "Direktur Jenderal Aplikasi Informatika"),
            _signatory(signed, "sign_region", "PIHAK KEDUA", region.head_title),
        ],
        "approvals": approvals_of(document),
        "status_label": status_label,
    }
