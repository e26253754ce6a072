"""Adding regions (with their five regional agencies) and renaming agencies, audited."""

from django.db import transaction
from django.utils.text import slugify

from audit.services import event_record

from .demo import REGIONAL_AGENCY_NAMES
from .models import Agency, Region, RegionKind

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
        actor=actor, action="region.created", region=region,
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


@transaction.atomic
def agency_save(*, agency: Agency, actor) -> Agency:
    """Save an agency; a new name (or short name) is recorded with the old and the new one."""
    old = Agency.objects.filter(pk=agency.pk).values("name", "short_name").first() if agency.pk else None
    agency.save()
    if old and (old["name"] != agency.name or old["short_name"] != agency.short_name):
        event_record(
            actor=actor, action="agency.renamed", region=agency.region,
            details={
                "agency": agency.pk, "kind": agency.kind,
                "old": old, "new": {"name": agency.name, "short_name": agency.short_name},
            },
        )
    return agency
