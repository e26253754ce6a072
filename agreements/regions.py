"""Adding regions (with their five regional agencies) and renaming agencies, audited."""

from django.db import transaction
from django.utils.text import slugify

from audit.actions import AuditAction
from audit.services import event_record

from .agencies import AgencyKind
from .models import Agency, Region, RegionKind

# Every region has these five agencies, named after it.
REGIONAL_AGENCY_NAMES = {
    AgencyKind.DISKOMINFO: ("Dinas Komunikasi dan Informatika {r}", "Diskominfo"),
    AgencyKind.BAGIAN_HUKUM: ("Bagian Hukum Sekretariat Daerah {r}", "Bagian Hukum"),
    AgencyKind.BAPPEDA: ("Badan Perencanaan Pembangunan Daerah {r}", "Bappeda"),
    AgencyKind.SEKDA: ("Sekretariat Daerah {r}", "Setda"),
    AgencyKind.KEPALA_DAERAH: ("Kepala Daerah {r}", "KDH"),
}

SLUG_PREFIX = {RegionKind.KABUPATEN: "kab", RegionKind.KOTA: "kota"}


def region_slug(kind: str, name: str) -> str:
    """'kab-bone-bolango', 'kota-banjar': the slugs the demo world uses."""
    return slugify(f"{SLUG_PREFIX.get(kind, kind)}-{name}")


def ensure_regional_agencies(region: Region) -> list[Agency]:
    """Give the region each of its five regional agencies it lacks; returns those created. Idempotent."""
    created = []
    for kind, (pattern, short_name) in REGIONAL_AGENCY_NAMES.items():
        agency, was_created = Agency.objects.get_or_create(
            region=region, kind=kind,
            defaults={"name": pattern.format(r=region.display_name), "short_name": short_name},
        )
        if was_created:
            created.append(agency)
    return created


@transaction.atomic
def region_add(*, region: Region, actor) -> Region:
    """Save a new, validated region, give it its agencies and record it."""
    region.save()
    agencies = ensure_regional_agencies(region)
    event_record(
        actor=actor, action=AuditAction.REGION_CREATED, region=region,
        details={
            "new": {"kind": region.kind, "name": region.name, "slug": region.slug, "province": region.province},
            "agencies": [agency.name for agency in agencies],
        },
    )
    return region


@transaction.atomic
def region_create(*, kind: str, name: str, province: str, actor, slug: str = "") -> Region:
    """Create a region with its five regional agencies (Diskominfo, Bagian Hukum, Bappeda, Setda, KDH)."""
    region = Region(kind=kind, name=name.strip(), province=province.strip(), slug=slug or region_slug(kind, name))
    region.full_clean()
    return region_add(region=region, actor=actor)


AGENCY_FIELDS = ("name", "short_name", "kind", "region_id")
REGION_FIELDS = ("kind", "name", "slug", "province")


def _values(obj, fields) -> dict:
    return {field: getattr(obj, field) for field in fields}


@transaction.atomic
def agency_save(*, agency: Agency, actor) -> Agency:
    """Save an agency, recording its creation, a rename, or any other change, with old and new values."""
    old = Agency.objects.filter(pk=agency.pk).values(*AGENCY_FIELDS).first() if agency.pk else None
    agency.save()
    new = _values(agency, AGENCY_FIELDS)
    if old is None:
        action = AuditAction.AGENCY_CREATED
    elif old == new:
        return agency
    elif {k for k in new if old[k] != new[k]} <= {"name", "short_name"}:
        action = AuditAction.AGENCY_RENAMED
    else:
        action = AuditAction.AGENCY_CHANGED
    event_record(actor=actor, action=action, region=agency.region,
                 details={"agency": agency.pk, "kind": agency.kind, "old": old, "new": new})
    return agency


@transaction.atomic
def agency_delete(*, agency: Agency, actor) -> None:
    """Delete an agency nobody holds a role in (PROTECT refuses otherwise) and record it."""
    old = _values(agency, AGENCY_FIELDS)
    region = agency.region
    agency.delete()
    event_record(actor=actor, action=AuditAction.AGENCY_REMOVED, region=region, details={"old": old})


@transaction.atomic
def region_save(*, region: Region, actor) -> Region:
    """Save changes to an existing region with the old and the new values."""
    old = Region.objects.filter(pk=region.pk).values(*REGION_FIELDS).first()
    region.save()
    new = _values(region, REGION_FIELDS)
    if old != new:
        event_record(actor=actor, action=AuditAction.REGION_CHANGED, region=region, details={"old": old, "new": new})
    return region


@transaction.atomic
def programme_save(*, programme, actor, created: bool) -> None:
    programme.save()
    event_record(actor=actor, action=AuditAction.PROGRAMME_CREATED if created else AuditAction.PROGRAMME_CHANGED,
                 region=programme.region, programme=programme, details={"year": programme.year})
